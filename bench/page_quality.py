"""``./dev bench page-quality``: how well docbot's offline pages cover real third-party packages.

A package is copied into a temporary git repository and documented with ``docbot run --all`` (offline
provider, no cache); its pages are then read back and compared with an independent list of its API:

- Python: griffe's view of the package (the engine behind mkdocstrings). Public means what griffe
  says (``__all__``, else no leading underscore), in public modules, defined there (not re-exported),
  dunder methods other than ``__init__`` and ``__call__`` left out (docbot's ``visibility: public``).
- TypeScript: the names a regular expression finds after ``export`` in each ``.ts`` file.
- Go: the exported (capitalised) ``func``, method, ``type``, ``const`` and ``var`` names. ``--go``
  without a folder measures the copy of google/uuid under ``bench/corpus/uuid`` (BSD-3-Clause, its
  LICENSE kept), so a fresh clone measures Go without a network.

It prints, per package: the share of that API with a heading on its module's page (target >= 98%),
overloaded functions whose heading shows the implementation's signature (100%), echoing lines (0):
parameter lines that echo their own name and summaries that only restate the section's kind and name
("Constant `X`.", "Function `f`, taking `x`."), and raw docstring field lines outside code blocks (0).
The figures and the command that produced them are in docs/quality.md.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

import griffe

from docbot import cli

OUT = "docs/api"
# A small real third-party Go package kept in the repository: a fresh clone has no Go module cache.
GO_CORPUS = Path(__file__).parent / "corpus" / "uuid"
# A field line of a docstring or doc comment printed as written instead of parsed.
RAW_FIELD = re.compile(
    r"^\s*(?::(?:param|parameter|arg|type|returns?|rtype|raises?|except|var|ivar|cvar)\b"
    r"|\.\. (?:versionadded|versionchanged|deprecated)::"
    r"|@(?:param|returns?|throws?|exception|raise|type|rtype|since|deprecated)\b"
    r"|\\(?:param|returns?|throws?|brief)\b)"
)
_ANCHOR = r'(?:<a id="[^"]*"></a>)?'
PARAM_LINE = re.compile(r"^- `([^`]+)`: (.*)$")
HEADING = re.compile(rf"^#{{3,6}} {_ANCHOR}`+\s?(.+?)\s?`+$")
# A sentence of a few words around the section's own name and nothing the signature does not show:
# "Class `Box`.", "Enum member `RED`.", "Method `get`, taking `key`.", "Attribute `x`, of type `int`."
_RESTATED = r"^(?:[A-Z][a-z]*)(?: [a-z]+){{0,2}} `+{name}`+(?:, (?:taking|of type) .*)?\.$"
_TS_EXPORT = re.compile(
    r"^export\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?"
    r"(?:function\*?|class|const\s+enum|const|let|var|type|interface|enum)\s+([A-Za-z_$][\w$]*)",
    re.M,
)
_GO_FUNC = re.compile(r"^func\s+(?:\(\s*\w*\s*\*?\s*(\w+)(?:\[[^\]]*\])?\s*\)\s*)?([A-Z]\w*)", re.M)
_GO_TYPE = re.compile(r"^type\s+([A-Z]\w*)", re.M)
_GO_VALUE = re.compile(r"^(?:const|var)\s+([A-Z]\w*)", re.M)
_GO_BLOCK = re.compile(r"^(?:const|var|type)\s*\((.*?)^\)", re.M | re.S)


@dataclass
class Result:
    """One package's figures."""

    package: str
    language: str
    files: int = 0
    api: int = 0
    covered: int = 0
    missing: list[str] = field(default_factory=list)
    overloads: int = 0
    overloads_right: int = 0
    echo_lines: int = 0
    raw_field_lines: int = 0

    @property
    def coverage(self) -> float:
        return self.covered / self.api if self.api else 1.0


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def document(source: Path, name: str, work: Path) -> Path:
    """Copy ``source`` into a fresh repository under ``name`` and document it all, offline."""
    repo = work / f"repo-{name}"
    shutil.copytree(
        source, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    )
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "vendored")
    args = ["run", "--repo", str(repo), "--all", "--out", OUT, "--provider", "offline", "--cache", "none"]
    code = cli.main([*args, "--report", str(work / f"report-{name}.json")])
    if code != 0:
        raise SystemExit(f"docbot run failed on {name} (exit {code})")
    return repo


def headings(page: str) -> set[str]:
    # A heading may open with its explicit anchor (<a id="..."></a>) before the name's code span.
    return set(re.findall(rf"^#{{3,6}} {_ANCHOR}`+\s?(.+?)\s?`+$", page, re.M))


def outside_code(page: str) -> Iterator[str]:
    fenced = False
    for line in page.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield line


def restates(line: str, heading: str) -> bool:
    """True when ``line`` says only the kind and the name of the section headed ``heading``."""
    names = {heading, heading.rsplit(".", 1)[-1]}
    return any(re.match(_RESTATED.format(name=re.escape(n)), line) for n in names)


def check_lines(result: Result, page: str) -> None:
    """Count echoing lines (a parameter's name again, a summary that restates its section's kind and
    name) and raw docstring field lines, outside code."""
    heading = ""
    for line in outside_code(page):
        title = HEADING.match(line)
        if title:
            heading = title.group(1)
        elif heading and restates(line, heading):
            result.echo_lines += 1
        match = PARAM_LINE.match(line)
        if match:
            name, text = match.group(1), match.group(2).strip()
            bare = name.lstrip("*")
            if text == name or re.match(rf"^\W*{re.escape(bare)}\s*[:=]", text):
                result.echo_lines += 1
        if RAW_FIELD.match(line):
            result.raw_field_lines += 1


def _page(repo: Path, path: str) -> str:
    page = repo / OUT / f"{path}.md"
    return page.read_text(encoding="utf-8") if page.is_file() else ""


def _section(page: str, name: str) -> str:
    match = re.search(
        rf"^#{{3,6}} {_ANCHOR}`+\s?{re.escape(name)}\s?`+$(.*?)(?=^#{{1,6}} |\Z)", page, re.M | re.S
    )
    return match.group(1) if match else ""


# --- Python, against griffe ---


def _public_members(obj: griffe.Object) -> Iterator[griffe.Object]:
    for member in obj.members.values():
        if member.is_alias:
            continue
        assert isinstance(member, griffe.Object)
        name = member.name
        if name.startswith("__") and name.endswith("__") and name not in {"__init__", "__call__"}:
            continue
        if not member.is_public:
            continue
        if member.kind is griffe.Kind.MODULE:
            continue  # its own page
        yield member
        if member.kind is griffe.Kind.CLASS:
            yield from _public_members(member)


def _modules(module: griffe.Module) -> Iterator[griffe.Module]:
    yield module
    for member in module.members.values():
        if not member.is_alias and isinstance(member, griffe.Module) and member.is_public:
            yield from _modules(member)


def python(package: Path, work: Path) -> Result:
    name = package.name
    repo = document(package, name, work)
    result = Result(name, "python")
    root = griffe.load(name, search_paths=[str(repo)], docstring_parser=None)
    assert isinstance(root, griffe.Module)
    for module in _modules(root):
        if module.filepath is None or isinstance(module.filepath, list):
            continue
        path = Path(module.filepath).relative_to(repo).as_posix()
        page = _page(repo, path)
        result.files += 1
        found = headings(page)
        check_lines(result, page)
        for member in _public_members(module):
            qualified = member.path.removeprefix(module.path + ".")
            result.api += 1
            if qualified in found:
                result.covered += 1
            else:
                result.missing.append(f"{path}: {qualified} ({member.kind.value})")
            if isinstance(member, griffe.Function) and member.overloads:
                result.overloads += 1
                source = Path(module.filepath).read_text(encoding="utf-8").splitlines()
                line = source[(member.lineno or 1) - 1].strip().removesuffix(":")
                block = _section(page, qualified).split("```")
                if len(block) > 1 and line.split("(")[0] in block[1] and "@overload" not in block[1]:
                    result.overloads_right += 1
    return result


# --- TypeScript and Go, against their exports ---


def typescript(package: Path, work: Path) -> Result:
    name = package.name
    repo = document(package, name, work)
    result = Result(name, "typescript")
    for file in sorted((repo / name).rglob("*.ts")):
        if file.name.endswith(".d.ts"):
            continue
        path = file.relative_to(repo).as_posix()
        page = _page(repo, path)
        result.files += 1
        check_lines(result, page)
        found = headings(page)
        for export in dict.fromkeys(_TS_EXPORT.findall(file.read_text(encoding="utf-8"))):
            result.api += 1
            if export in found:
                result.covered += 1
            else:
                result.missing.append(f"{path}: {export}")
    return result


def go_exports(text: str) -> list[str]:
    # A method of an unexported type is not part of the package's API (go doc does not list it).
    names = [
        f"{recv}.{fn}" if recv else fn for recv, fn in _GO_FUNC.findall(text) if not recv or recv[0].isupper()
    ]
    names += _GO_TYPE.findall(text) + _GO_VALUE.findall(text)
    for block in _GO_BLOCK.findall(text):
        names += re.findall(r"^\s*([A-Z]\w*)\b", block, re.M)
    return list(dict.fromkeys(names))


def go(package: Path, work: Path) -> Result:
    name = package.name
    repo = document(package, name, work)
    result = Result(name, "go")
    for file in sorted((repo / name).rglob("*.go")):
        if file.name.endswith("_test.go"):
            continue
        path = file.relative_to(repo).as_posix()
        page = _page(repo, path)
        result.files += 1
        check_lines(result, page)
        found = headings(page)
        for export in go_exports(file.read_text(encoding="utf-8")):
            result.api += 1
            if export in found:
                result.covered += 1
            else:
                result.missing.append(f"{path}: {export}")
    return result


def npm_package(spec: str, work: Path) -> Path:
    """``npm pack`` ``spec`` into ``work`` and unpack it; its ``src`` folder when it ships one."""
    out = subprocess.run(
        ["npm", "pack", spec, "--silent"], cwd=work, check=True, capture_output=True, text=True, timeout=120
    )
    tarball = work / out.stdout.strip().splitlines()[-1]
    target = work / "npm"
    target.mkdir()
    subprocess.run(["tar", "xzf", str(tarball), "-C", str(target)], check=True)
    unpacked = target / "package"
    name = spec.split("@")[0] or spec
    dest = work / name
    shutil.move(str(unpacked / "src") if (unpacked / "src").is_dir() else str(unpacked), dest)
    return dest


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:  # a module whose distribution has another name
        return ""


def table(results: Sequence[Result]) -> str:
    rows = [
        "| package | language | files | public API | with a heading | overloads with the implementation's "
        "signature | echoing lines | raw field lines outside code |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        overloads = f"{r.overloads_right}/{r.overloads}" if r.language == "python" else "n/a"
        rows.append(
            f"| {r.package} | {r.language} | {r.files} | {r.api} | {r.covered} ({r.coverage:.1%}) | "
            f"{overloads} | {r.echo_lines} | {r.raw_field_lines} |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev bench page-quality", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--python", action="append", default=[], help="an installed package's name (repeatable)"
    )
    parser.add_argument(
        "--npm", action="append", default=[], help="an npm package to `npm pack` (repeatable)"
    )
    parser.add_argument("--ts", action="append", default=[], help="a folder of TypeScript sources")
    parser.add_argument(
        "--go",
        action="append",
        nargs="?",
        const=str(GO_CORPUS),
        default=[],
        help="a folder holding one Go package (without a folder: the vendored google/uuid)",
    )
    parser.add_argument("--missing", action="store_true", help="list the API names without a heading")
    args = parser.parse_args(argv)
    alone = not (args.python or args.npm or args.ts or args.go)
    packages = ["tenacity"] if alone else args.python
    if alone:  # what a fresh clone measures without a network: an installed package and the vendored Go
        args.go = [str(GO_CORPUS)]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="docbot-quality-") as tmp:
        work = Path(tmp)
        for name in packages:
            module = __import__(name)
            result = python(Path(module.__file__ or "").parent, work)
            results.append(replace(result, package=f"{name} {_version(name)}".strip()))
        for spec in args.npm:
            results.append(replace(typescript(npm_package(spec, work), work), package=spec))
        results += [typescript(Path(p).resolve(), work) for p in args.ts]
        results += [go(Path(p).resolve(), work) for p in args.go]
    print(table(results))
    if args.missing:
        for r in results:
            for line in r.missing:
                print(f"missing: {r.package}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
