"""Generated pages render on GitHub (CommonMark), MkDocs --strict and MDX 3, whatever the code and the
model put in them, and link to their symbols, their sources and each other."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from docbot.cache.sqlite import SqliteCache
from docbot.markers import marker_line, source_of
from docbot.publish.plan import NOT_OURS
from docbot.render import safe
from docbot.render.markdown import ALLOWED_HTML
from tests.conftest import GitRepo
from tests.fakes.hostile import HostileProvider
from tests.local_run import run_local
from tests.test_page_reading import EMPHASIS_SOURCE, USER_SOURCE, long_module, pages

MDX_VERSION = "3.1.0"
FRONTMATTER_VERSION = "5.0.0"
MDX_DIR = Path.home() / ".cache" / "docbot-test" / f"mdx-{MDX_VERSION}"

BAD = "<b>bold</b> {x} `tick` | *star* _under_ @octocat <!-- c --> " + "long " * 80
SOURCES = {
    "pkg/mod.py": f'''"""Module {BAD}"""


class Box:
    """A box {BAD}"""

    def __init__(self, n: int) -> None:
        """Build a box of ``n``."""

    def get(self, key: str) -> dict[str, int]:
        """Get <name> from `Box` {BAD}"""
        return {{}}


def make_box(n: int) -> "Box":
    """Make a `Box.get` caller through `Box.__init__` {BAD}"""
    return Box()
''',
    "lib/odd name_{1}.py": f'def weird():\n    """Weird `make_box` {BAD}"""\n',
    "web/client.ts": f"""/** Client {BAD} */
export function createClient(opts: {{ token: string }}): ReturnType<typeof fetch> {{
  return fetch("x");
}}

/** A class {BAD} */
export class Api<T> {{
  /** Call {BAD} */
  call(x: T | null): Promise<Array<T>> {{ return Promise.resolve([]); }}
}}
""",
    "cmd/main.go": f"""package main

// Run runs {BAD}
func Run(args []string) map[string]int {{
\treturn nil
}}
""",
    "core/lib.rs": f"""/// A thing {BAD}
pub struct Thing<'a> {{
    pub name: &'a str,
}}

impl<'a> Thing<'a> {{
    /// New {BAD}
    pub fn new(name: &'a str) -> Option<Box<Thing<'a>>> {{ None }}
}}
""",
    "java/App.java": f"""/** App {BAD} */
public class App {{
    /** Main {BAD} */
    public static <T extends Comparable<T>> void main(String[] args) {{ }}
}}
""",
    "c/util.c": f"""/* Add {BAD} */
int add(int a, int b) {{ return a + b; }}
""",
}


@pytest.fixture
def site(git_repo: GitRepo, tmp_path: Path) -> dict[str, str]:
    """The docs folder of a hostile multi-language sample, documented through ``docbot run``."""
    for path, text in SOURCES.items():
        git_repo.write(path, text)
    # Each hostile docstring is one 460-character line, so the short files average more than
    # max_average_line_chars and would be skipped as minified; the repository says they are hand-written.
    git_repo.write(".gitattributes", "* linguist-generated=false\n")
    git_repo.commit("sample")
    cache = SqliteCache(tmp_path / "cache.sqlite3")
    try:
        report = run_local(
            git_repo.path,
            store=cache,
            provider=HostileProvider(leave_out=frozenset({"Box.get", "Box.__init__", "make_box", "weird"})),
            all_files=True,
            repository_url="https://github.com/o/r",
        )
    finally:
        cache.close()
    assert report.failed == [] and len(report.documented) == len(SOURCES)
    docs = git_repo.path / "docs" / "api"
    return {p.relative_to(docs).as_posix(): p.read_text() for p in sorted(docs.rglob("*.md"))}


# A page's only raw HTML is its anchors: the part of the one allowed list that pages use.
PAGE_HTML = {"a": frozenset({"id"})}


def test_the_page_html_is_what_neutralise_lets_through() -> None:
    assert all(attributes <= ALLOWED_HTML[tag] for tag, attributes in PAGE_HTML.items())
    assert vars(safe)["ALLOWED_HTML"] is ALLOWED_HTML, "one list: render.safe imports render.markdown's"
    for tag, attributes in ALLOWED_HTML.items():
        written = "<" + "".join([tag] + [f' {a}="x"' for a in sorted(attributes)]) + ">"
        assert safe.neutralise(written) == written, written
        assert safe.neutralise(f'<{tag} onclick="x">').startswith("&lt;"), tag


def _html_tokens(text: str) -> list[str]:
    md = MarkdownIt("commonmark")
    found: list[str] = []
    stack = md.parse(text)
    while stack:
        token = stack.pop()
        if token.type in {"html_inline", "html_block"}:
            found.append(token.content.strip())
        stack.extend(token.children or [])
    return found


def _allowed(tag: str) -> bool:
    match = re.fullmatch(r'<(\w+)((?: \w+="[^"<>]*")*)>|</(\w+)>', tag)
    if not match:
        return False
    name = match.group(1) or match.group(3)
    attributes = {a.split("=")[0] for a in (match.group(2) or "").split()}
    return name in PAGE_HTML and attributes <= PAGE_HTML[name]


def _prose(text: str) -> str:
    """The Markdown source without its fenced blocks, code spans and the allowed anchors."""
    lines = text.split("\n")
    for token in MarkdownIt("commonmark").parse(text):
        if token.type == "fence" and token.map:
            for i in range(*token.map):
                lines[i] = ""
    prose = re.sub(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", "", "\n".join(lines))
    prose = re.sub(r"^> ", "", prose, flags=re.MULTILINE)  # docbot's own notes are quotes
    return re.sub(r'<a id="[a-z0-9._-]+"></a>', "", prose)


def test_commonmark_sees_no_raw_html_but_the_allowed_anchors(site: dict[str, str]) -> None:
    assert len(site) == len(SOURCES) + 1  # and the index
    for name, text in site.items():
        body = text.split("\n---\n", 1)[1]  # the front matter is metadata, not Markdown
        tags = _html_tokens(body)
        assert tags or name == "README.md", name  # every symbol page has its anchors
        assert [t for t in tags if not _allowed(t)] == [], name
        # Nothing outside code that HTML or MDX would read as a tag or an expression.
        assert not set("<>{}") & set(_prose(body)), (name, sorted(set("<>{}") & set(_prose(body))))
        rendered = MarkdownIt("commonmark").render(body)
        assert "<b>" not in rendered and "<script" not in rendered and "<img" not in rendered, name
    page = site["pkg/mod.py.md"]
    assert "&lt;b&gt;bold&lt;/b&gt; &#123;x&#125; `tick` &#124; *star* \\_under\\_" in page
    assert "```python\ndef get(self, key: str) -> dict[str, int]\n```" in page
    assert "```typescript\n" in site["web/client.ts.md"] and "```rust\n" in site["core/lib.rs.md"]


def test_mkdocs_strict_builds_every_page(site: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "site"
    for name, text in site.items():
        (root / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "docs" / name).write_text(text)
    (root / "mkdocs.yml").write_text(
        "site_name: t\nvalidation:\n  links:\n    anchors: warn\n"
        "markdown_extensions:\n  - pymdownx.superfences\n  - pymdownx.highlight\n  - toc\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(root / "mkdocs.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    html = (root / "site" / "pkg" / "mod.py" / "index.html").read_text()
    # Python-Markdown passes character references on to the browser as they are.
    shown = 'Get &lt;name&gt; from <a href="#box"><code>Box</code></a> &lt;b&gt;bold&lt;/b&gt; &#123;x&#125;'
    assert shown in html
    assert "<b>bold" not in html and "<script>alert" not in html and "<img" not in html
    assert 'id="box.get"' in html and 'href="#box.get"' in html
    # A dunder's anchor keeps its underscores, and the name in backticks links to it.
    assert 'id="box.__init__"' in html and '<a href="#box.__init__"><code>Box.__init__</code></a>' in html
    assert '<span class="k">def</span>' in html  # the fence's language tag reached the highlighter


def _mdx_compiler() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed to compile the pages with @mdx-js/mdx (CI sets node 20 up)")
    if not (MDX_DIR / "node_modules" / "@mdx-js" / "mdx").is_dir():
        MDX_DIR.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", f"@mdx-js/mdx@{MDX_VERSION}",
             f"remark-frontmatter@{FRONTMATTER_VERSION}"],
            cwd=MDX_DIR, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if proc.returncode != 0:
            pytest.skip(f"npm could not install @mdx-js/mdx@{MDX_VERSION} (offline?): {proc.stderr[-300:]}")
    script = MDX_DIR / "compile.mjs"
    script.write_text(
        "import {compile} from '@mdx-js/mdx';\nimport remarkFrontmatter from 'remark-frontmatter';\n"
        "import {readFileSync} from 'node:fs';\nconst failures = [];\n"
        "for (const file of JSON.parse(readFileSync(0, 'utf8'))) {\n"
        "  const options = {format: 'mdx', remarkPlugins: [remarkFrontmatter]};\n"
        "  try { await compile(readFileSync(file, 'utf8'), options); }\n"
        "  catch (e) { failures.push(file + ': ' + e.message); }\n}\n"
        "console.log(JSON.stringify(failures));\n"
    )
    return script


def test_every_page_compiles_with_mdx_3(site: dict[str, str], tmp_path: Path) -> None:
    script = _mdx_compiler()
    files = []
    for name, text in site.items():
        path = tmp_path / "mdx" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        files.append(str(path))
    proc = subprocess.run(
        ["node", str(script)], input=json.dumps(files), capture_output=True, text=True, timeout=120,
        cwd=MDX_DIR, env={**os.environ},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
    # The check has teeth: today's marker line alone fails to compile.
    old = tmp_path / "old.md"
    old.write_text(marker_line("a.py") + "\n\n# a\n")
    proc = subprocess.run(
        ["node", str(script)], input=json.dumps([str(old)]), capture_output=True, text=True, timeout=60,
        cwd=MDX_DIR,
    )  # fmt: skip
    assert len(json.loads(proc.stdout)) == 1


def test_anchors_contents_source_lines_and_cross_links(site: dict[str, str]) -> None:
    page = site["pkg/mod.py.md"]
    assert '### <a id="box"></a>`Box`' in page
    assert '#### <a id="box.get"></a>`Box.get`' in page
    assert (
        "- [`Box`](#box) (class)\n    - [`Box.__init__`](#box.__init__) (method)\n"
        "    - [`Box.get`](#box.get) (method)\n- [`make_box`](#make_box)"
    ) in page
    assert "[lines 4–12](https://github.com/o/r/blob/" in page
    head = page.split("[lines 4–12](https://github.com/o/r/blob/")[1][:40]
    assert len(head) == 40 and all(c in "0123456789abcdef" for c in head)
    assert f"/blob/{head}/pkg/mod.py#L4-L12)" in page
    # A name in backticks links to its section: on the same page, and from another page (relative).
    assert "Make a [`Box.get`](#box.get) caller through [`Box.__init__`](#box.__init__)" in page
    assert "Get &lt;name&gt; from [`Box`](#box)" in page
    odd = site["lib/odd name_{1}.py.md"]
    assert "Weird [`make_box`](../pkg/mod.py.md#make_box)" in odd
    assert "/blob/" in odd and "lib/odd%20name_%7B1%7D.py#L1-L2" in odd
    # The index: a heading per folder, each page with its one-line summary.
    index = site["README.md"]
    assert "## `pkg/`\n\n- [`mod.py`](pkg/mod.py.md): Returns ReturnType&lt;typeof createOctokit&gt;" in index
    assert "## `lib/`\n\n- [`odd name_{1}.py`](lib/odd%20name_%7B1%7D.py.md)" in index


def test_pages_of_docbot_0_1_are_upgraded_in_place(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("a.py", 'def f():\n    """F."""\n')
    old = marker_line("a.py") + "\n\n# `a.py`\n\nold page\n"
    git_repo.write("docs/api/a.py.md", old)
    git_repo.write("docs/api/README.md", marker_line("README.md") + "\n\n# API documentation\n")
    git_repo.write("docs/api/notes.md", "hand-written\n")
    git_repo.commit("docbot 0.1's pages")
    cache = SqliteCache(tmp_path / "cache.sqlite3")
    try:
        report = run_local(git_repo.path, store=cache, provider=HostileProvider(), all_files=True)
    finally:
        cache.close()
    docs = git_repo.path / "docs" / "api"
    page = (docs / "a.py.md").read_text()
    assert [s.path for s in report.skipped if s.reason == NOT_OURS] == []  # nothing refused as not docbot's
    assert "docs/api/a.py.md" in report.written_pages and "docs/api/README.md" in report.written_pages
    assert page.startswith("---\ndocbot:\n") and source_of(page) == "a.py" and "old page" not in page
    assert source_of((docs / "README.md").read_text()) == "README.md"
    assert (docs / "notes.md").read_text() == "hand-written\n"


def test_a_cut_page_with_anchors_on_its_note_and_emphasis_compiles_with_mdx_3(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    script = _mdx_compiler()
    files = {"big.py": long_module(40), "use.py": USER_SOURCE, "s.py": EMPHASIS_SOURCE}
    written = pages(git_repo, tmp_path, files, max_page_bytes=10_000)
    assert '> <a id="f038"></a><a id="f039"></a>**' in written["big.py"]
    paths = []
    for name, text in written.items():
        path = tmp_path / "mdx" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(str(path))
    proc = subprocess.run(
        ["node", str(script)], input=json.dumps(paths), capture_output=True, text=True, timeout=120,
        cwd=MDX_DIR,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
