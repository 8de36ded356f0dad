"""``./dev bench page-quality``: its checks count what they say, and a real package passes them."""

from __future__ import annotations

from pathlib import Path

import unidiff

from bench import page_quality


def test_echoing_parameter_lines_and_raw_fields_are_counted_outside_code_only() -> None:
    result = page_quality.Result("p", "python")
    page = "\n".join(
        [
            "- `message`: message: str",  # echoes its name
            "- `count`",
            "- `count`: `int`, default `3`",
            ":param x: raw",
            ".. versionchanged:: 8.1",
            "@returns the sum",
            "```",
            ":param y: inside code is fine",
            "```",
        ]
    )
    page_quality.check_lines(result, page)
    assert (result.echo_lines, result.raw_field_lines) == (1, 3)


def test_summaries_that_restate_the_heading_are_echoing_lines() -> None:
    result = page_quality.Result("p", "python")
    page = "\n".join(
        [
            '### <a id="max"></a>`MAX`',
            "Constant `MAX`.",  # kind and name: echoes
            '#### <a id="box.get"></a>`Box.get`',
            "Method `get`, taking `key`, `default`.",  # and the parameters the signature shows
            "Return the value of `get` for a key.",  # says something
            '### <a id="retry"></a>`retry`',
            "Attribute `retry`, of type `int`.",  # the type the heading's block shows
            "Retry `stop` when it fails.",  # another name: not a restatement
            "```",
            "Function `retry`.",  # inside code is fine
            "```",
        ]
    )
    page_quality.check_lines(result, page)
    assert result.echo_lines == 3


def test_go_exports_skip_unexported_names_and_methods_of_unexported_types() -> None:
    source = (
        "package p\n\nconst (\n\tA = 1\n\tb = 2\n)\n\ntype T struct{}\ntype t struct{}\n\n"
        "func (x *T) Get() int { return 0 }\nfunc (x t) Get() int { return 0 }\n"
        "func New() *T { return nil }\n"
    )
    assert page_quality.go_exports(source) == ["T.Get", "New", "T", "A"]


def test_a_real_package_has_every_public_name_on_its_page(tmp_path: Path) -> None:
    result = page_quality.python(Path(unidiff.__file__).parent, tmp_path)
    assert result.api > 50
    assert result.missing == []
    assert (result.echo_lines, result.raw_field_lines) == (0, 0)


def test_the_vendored_go_package_has_every_export_on_its_page(tmp_path: Path) -> None:
    # What `--go` measures without a folder: a fresh clone has it, with its licence.
    assert (page_quality.GO_CORPUS / "LICENSE").is_file()
    result = page_quality.go(page_quality.GO_CORPUS, tmp_path)
    assert (result.files, result.api) == (16, 90)
    assert result.missing == []
    assert (result.echo_lines, result.raw_field_lines) == (0, 0)
