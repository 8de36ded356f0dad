"""Which changed files are documented: globs, .gitattributes, vendored and generated files, size, loops."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest

from docbot.cache import NullCache
from docbot.config import load_settings
from docbot.errors import ConfigError
from docbot.filters import ATTRIBUTES, FileFilter
from docbot.git import Git
from docbot.llm.offline import OfflineProvider
from tests.conftest import GitRepo
from tests.local_run import run_local


def make_filter(paths: Sequence[str] = (), **settings: object) -> FileFilter:
    s = load_settings({"provider": "offline", **settings}, {})
    return FileFilter.from_settings(s.files, out_dir=s.out_dir, paths=paths)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("src/app.py", None),
        ("docs/api/src/app.py.md", "inside docbot's output folder"),
        ("docs/api/x.py", "inside docbot's output folder"),
        ("docs/apiary.py", None),
        ("node_modules/left-pad/index.js", "vendored (node_modules/, vendor/ and similar folders)"),
        ("web/node_modules/x/y.ts", "vendored (node_modules/, vendor/ and similar folders)"),
        ("vendor/github.com/pkg/errors/errors.go", "vendored (node_modules/, vendor/ and similar folders)"),
        ("src/vendors.py", None),
        ("package-lock.json", "lock file"),
        ("web/yarn.lock", "lock file"),
        ("Cargo.lock", "lock file"),
        ("go.sum", "lock file"),
        ("poetry.lock", "lock file"),
        ("static/app.min.js", "minified"),
        ("static/site.min.css", "minified"),
        ("static/app.js", None),
    ],
)
def test_built_in_rules(path: str, reason: str | None) -> None:
    assert make_filter().skip_reason(path) == reason


def test_include_exclude_and_requested_paths() -> None:
    flt = make_filter(include=["src/**", "lib/*.py"], exclude=["**/test_*.py", "!src/test_keep.py"], paths=[])
    assert flt.skip_reason("src/a/b.py") is None
    assert flt.skip_reason("lib/x.py") is None
    assert flt.skip_reason("lib/deep/x.py") == "not matched by any include pattern"
    assert flt.skip_reason("README.md") == "not matched by any include pattern"
    assert flt.skip_reason("src/test_x.py") == "excluded by pattern '**/test_*.py'"
    assert flt.skip_reason("src/test_keep.py") is None  # gitignore negation
    # the output folder is excluded whatever include says (a run never documents its own pages)
    assert (
        make_filter(include=["**"], out_dir="src").skip_reason("src/a.py") == "inside docbot's output folder"
    )
    # a /docbot command's globs narrow the run further
    narrowed = make_filter(include="src/**", paths=["*.rs"])
    assert narrowed.skip_reason("src/main.rs") is None
    assert narrowed.skip_reason("src/main.py") == "outside the paths requested for this run"


def test_size_limit() -> None:
    flt = make_filter(max_file_bytes=100)
    assert flt.skip_reason("a.py", size=100) is None
    assert flt.skip_reason("a.py", size=101) == "larger than max_file_bytes (101 > 100 bytes)"


def test_settings_from_yaml_env_and_inputs(git_repo: GitRepo) -> None:
    git_repo.write(".github/docbot.yml", "include:\n  - src/**\n  - lib/**\nexclude: ['**/gen_*.py']\n")
    settings = load_settings({"repo": git_repo.path, "provider": "offline"}, {})
    assert (settings.files.include, settings.files.exclude) == (("src/**", "lib/**"), ("**/gen_*.py",))
    env = {"DOCBOT_INCLUDE": "a/**, b/**\nc/**", "DOCBOT_EXCLUDE": ""}
    settings = load_settings({"repo": git_repo.path, "provider": "offline"}, env)
    assert settings.files.include == ("a/**", "b/**", "c/**")
    assert settings.files.exclude == ("**/gen_*.py",)
    with pytest.raises(ConfigError, match=r"include: expected a string, got \{'a': 1\}"):
        load_settings({"include": [{"a": 1}], "provider": "offline"}, {})


def test_gitattributes_are_read_from_the_head_revision(git_repo: GitRepo) -> None:
    git_repo.write(
        ".gitattributes",
        "*.pb.go linguist-generated\n"
        "third_party/** linguist-vendored=true\n"
        "vendor/ours/** -linguist-vendored\n",
    )
    git_repo.write("api/.gitattributes", "schema_*.py linguist-generated=true\n")
    files = [
        "api/schema_v1.py",
        "api/views.py",
        "proto/x.pb.go",
        "third_party/lib/a.py",
        "vendor/ours/tool.py",
        "vendor/theirs/b.py",
        "src/app.py",
    ]
    for path in files:
        git_repo.write(path, "x = 1\n")
    head = git_repo.commit()
    # the work tree says otherwise: only the head revision's .gitattributes count
    git_repo.write(".gitattributes", "*.py linguist-generated\n")
    git = Git(git_repo.path)
    attributes = git.attributes(head, files, ATTRIBUTES)
    assert attributes == {
        "api/schema_v1.py": {"linguist-generated": "true"},
        "proto/x.pb.go": {"linguist-generated": "set"},
        "third_party/lib/a.py": {"linguist-vendored": "true"},
        "vendor/ours/tool.py": {"linguist-vendored": "unset"},
    }
    s = load_settings({"provider": "offline"}, {})
    flt = FileFilter.from_settings(s.files, out_dir=s.out_dir, attributes=attributes)
    reasons = {path: flt.skip_reason(path) for path in files}
    assert reasons == {
        "api/schema_v1.py": "generated (linguist-generated in .gitattributes)",
        "api/views.py": None,
        "proto/x.pb.go": "generated (linguist-generated in .gitattributes)",
        "third_party/lib/a.py": "vendored (linguist-vendored in .gitattributes)",
        "vendor/ours/tool.py": None,  # -linguist-vendored overrides the built-in vendor/ rule
        "vendor/theirs/b.py": "vendored (node_modules/, vendor/ and similar folders)",
        "src/app.py": None,
    }
    assert git.attributes(head, [], ATTRIBUTES) == {}


def test_pipeline_records_every_skip_reason(git_repo: GitRepo) -> None:
    git_repo.write("src/app.py", "def main():\n    return 1\n")
    base = git_repo.commit()
    git_repo.write(".gitattributes", "src/gen_*.py linguist-generated\n")
    git_repo.write("src/app.py", "def main():\n    return 2\n")
    git_repo.write("src/gen_models.py", "class Model:\n    pass\n")
    git_repo.write("node_modules/pkg/index.py", "x = 1\n")
    git_repo.write("package-lock.json", "{}\n")
    git_repo.write("static/app.min.js", "var a=1;\n")
    git_repo.write("docs/api/old.py", "y = 1\n")
    git_repo.write("big.py", "z = 1\n" * 50)
    git_repo.write("tests/test_app.py", "def test():\n    pass\n")
    git_repo.write("image.bin", b"\x00\x01")
    os.symlink("src/app.py", git_repo.path / "link.py")
    head = git_repo.commit()
    report = run_local(
        git_repo.path,
        store=NullCache(),
        provider=OfflineProvider(),
        base=base,
        head=head,
        exclude=["tests/"],
        max_file_bytes=100,
    )
    assert report.documented == ["src/app.py"]
    assert {o.path: o.reason for o in report.skipped} == {
        ".gitattributes": "unsupported language",
        "src/gen_models.py": "generated (linguist-generated in .gitattributes)",
        "node_modules/pkg/index.py": "vendored (node_modules/, vendor/ and similar folders)",
        "package-lock.json": "lock file",
        "static/app.min.js": "minified",
        "docs/api/old.py": "inside docbot's output folder",
        "big.py": "larger than max_file_bytes (300 > 100 bytes)",
        "tests/test_app.py": "excluded by pattern 'tests/'",
        "image.bin": "binary",
        "link.py": "symlink",
    }


def _hand_written(lines: int) -> str:
    # Real-looking code: short lines, as people write them.
    body = "def f_{i}(x):\n    return x + {i}\n\n"
    return "".join(body.format(i=i) for i in range(lines // 3 + 1))


def test_a_long_hand_written_file_is_in_scope_by_default() -> None:
    text = _hand_written(50_000)
    flt = make_filter()
    assert flt.skip_reason("big.py", size=len(text.encode())) is None
    assert flt.shape_reason("big.py", text) is None


def test_a_one_line_bundle_is_skipped_by_its_shape() -> None:
    bundle = "var a=1;" * (5_000_000 // 8)  # 5 MB on one line, without a .min.js name
    flt = make_filter()
    assert flt.skip_reason("dist/app.js", size=len(bundle)) is None  # the byte limit is no longer the rule
    reason = flt.shape_reason("dist/app.js", bundle)
    assert reason == (
        "minified or generated: lines average 5,000,000 characters (over max_average_line_chars 250)"
    )


def test_line_limits_are_settings() -> None:
    flt = make_filter(max_file_lines=10, max_average_line_chars=40)
    assert flt.shape_reason("a.py", "x = 1\n" * 10) is None
    assert flt.shape_reason("a.py", "x = 1\n" * 11) == "longer than max_file_lines (11 > 10 lines)"
    assert flt.shape_reason("a.py", "y" * 41 + "\n") == (
        "minified or generated: lines average 41 characters (over max_average_line_chars 40)"
    )


@pytest.mark.parametrize(
    "header",
    [
        "// Code generated by protoc-gen-go. DO NOT EDIT.",
        "# @generated by the build",
        "/* This file is auto-generated; do not edit it by hand. */",
        "# Automatically generated by SWIG",
    ],
)
def test_generated_headers_are_skipped(header: str) -> None:
    text = f"{header}\npackage x\n\nfunc A() {{}}\n"
    assert make_filter().shape_reason("x.go", text) == f"generated (header: {header!r})"


def test_generated_marker_below_the_header_or_overridden_is_kept() -> None:
    late = "x = 1\n" * 20 + "# Code generated by hand. DO NOT EDIT.\n"
    assert make_filter().shape_reason("a.py", late) is None
    text = "// Code generated by a tool. DO NOT EDIT.\n" + "y" * 400 + "\n"
    s = load_settings({"provider": "offline"}, {})
    kept = FileFilter.from_settings(
        s.files, out_dir=s.out_dir, attributes={"x.go": {"linguist-generated": "false"}}
    )
    assert kept.shape_reason("x.go", text) is None
    assert kept.shape_reason("y.go", text) is not None


def test_shape_rules_in_a_run(git_repo: GitRepo) -> None:
    base = git_repo.commit()
    git_repo.write("src/app.py", "def a():\n    return 1\n")
    git_repo.write("dist/bundle.js", "function a(){return 1};" * 200)
    git_repo.write("gen/api.py", "# @generated by codegen\ndef b():\n    return 2\n")
    head = git_repo.commit()
    report = run_local(git_repo.path, store=NullCache(), provider=OfflineProvider(), base=base, head=head)
    assert report.documented == ["src/app.py"]
    assert {o.path: o.reason for o in report.skipped} == {
        "dist/bundle.js": (
            "minified or generated: lines average 4,600 characters (over max_average_line_chars 250)"
        ),
        "gen/api.py": "generated (header: '# @generated by codegen')",
    }
