"""The ``site`` setting: mkdocs-literate-nav's SUMMARY.md (built with a real ``mkdocs build --strict``),
Docusaurus's ``_category_.json`` files and sidebar front matter, docbot's site files told from a user's,
and the README's GitHub Pages workflow."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from docbot.cache.sqlite import SqliteCache
from docbot.config import ACTION_INPUTS, load_settings
from docbot.llm.offline import OfflineProvider
from docbot.markers import marker_line
from docbot.publish.files import FilesPublisher
from docbot.publish.github import GitHubPublisher, Target
from docbot.publish.github_api import GitHubApi
from docbot.publish.plan import NOT_OURS, DocsPlan
from docbot.render.site import CATEGORY_FIRST_LINE, NAV_MARKER, dress_pages, is_site_file, nav
from docbot.report import RunReport
from tests.conftest import ROOT, GitRepo
from tests.fakes.github_server import GitHubWorld
from tests.local_run import run_local

SOURCES = {
    "main.py": 'def top():\n    """The entry point."""\n',
    "src/shapes/area.py": 'def area(width, height):\n    """Area."""\n    return width * height\n',
    "src/shapes/volume.py": 'def volume(w, h, d):\n    """Volume."""\n    return w * h * d\n',
    "src/greeter.py": 'class Greeter:\n    """Says hello."""\n\n    def hello(self, name):\n        pass\n',
}


def document(repo: GitRepo, tmp: Path, site: str) -> RunReport:
    store = SqliteCache(tmp / "cache.sqlite3")
    try:
        return run_local(repo.path, store=store, provider=OfflineProvider(), all_files=True, site=site)
    finally:
        store.close()


def sample(repo: GitRepo) -> None:
    for path, text in SOURCES.items():
        repo.write(path, text)
    repo.commit("sources")


def readme_blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def readme_mkdocs_yml() -> str:
    (block,) = [b for b in readme_blocks("yaml") if "literate-nav" in b and "site_name" in b]
    return block


def test_mkdocs_builds_the_generated_docs_strictly_with_the_readmes_config(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    sample(git_repo)
    document(git_repo, tmp_path, "mkdocs")
    (git_repo.path / "docs/index.md").write_text("# Home\n\nThe [API](api/README.md).\n")
    (git_repo.path / "mkdocs.yml").write_text(readme_mkdocs_yml())

    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=git_repo.path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert build.returncode == 0, build.stderr
    site = tmp_path / "site"
    for source in SOURCES:
        assert (site / "api" / source / "index.html").is_file()
    home = (site / "index.html").read_text(encoding="utf-8")
    # The navigation is the generated one: folders as sections, pages titled with their file names.
    for entry in ('href="api/" class="dropdown-item">API documentation<', 'href="api/main.py/"', ">area.py<"):
        assert entry in home
    assert home.index(">greeter.py<") < home.index(">shapes<") < home.index(">area.py<")
    assert ">shapes<" in home


def test_nav_nests_pages_by_folder_and_escapes_link_text() -> None:
    text = nav("docs/api", ["b/[x].py", "a.py", "b/c/d.py", "b/e.py"])
    assert text.splitlines() == [
        NAV_MARKER,
        "",
        "- [API documentation](<README.md>)",
        "- [a.py](<a.py.md>)",
        "- b",
        "    - [\\[x\\].py](<b/[x].py.md>)",
        "    - c",
        "        - [d.py](<b/c/d.py.md>)",
        "    - [e.py](<b/e.py.md>)",
    ]


def test_site_files_are_docbots_own_a_users_file_is_never_touched(git_repo: GitRepo, tmp_path: Path) -> None:
    sample(git_repo)
    own = git_repo.write("docs/api/src/_category_.json", '{"label": "Mine"}\n')
    report = document(git_repo, tmp_path, "docusaurus")
    docs = git_repo.path / "docs/api"

    assert own.read_text() == '{"label": "Mine"}\n'
    refused = "docs/api/src/_category_.json"
    assert (refused, f"page {refused} {NOT_OURS}") in [(o.path, o.reason) for o in report.skipped]
    labels = {}
    for path in sorted(docs.rglob("_category_.json")):
        if path == own:
            continue
        assert path.read_text().splitlines()[0] == CATEGORY_FIRST_LINE
        labels[path.relative_to(docs).as_posix()] = json.loads(path.read_text())["label"]
    assert labels == {"_category_.json": "API documentation", "src/shapes/_category_.json": "shapes"}

    # Switching generator removes docbot's files of the old one, and leaves the user's.
    document(git_repo, tmp_path, "mkdocs")
    assert sorted(p.relative_to(docs).as_posix() for p in docs.rglob("_category_.json")) == [
        "src/_category_.json"
    ]
    assert (docs / "SUMMARY.md").read_text().startswith(NAV_MARKER)
    document(git_repo, tmp_path, "none")
    assert not (docs / "SUMMARY.md").exists()
    assert own.read_text() == '{"label": "Mine"}\n'


def test_a_users_summary_md_is_refused_and_kept(tmp_path: Path) -> None:
    (tmp_path / "docs/api").mkdir(parents=True)
    (tmp_path / "docs/api/SUMMARY.md").write_text("- [Mine](x.md)\n")
    page = ("docs/api/a.py.md", f"{marker_line('a.py')}\n\n# a\n")

    record = FilesPublisher(tmp_path).publish(DocsPlan("docs/api", (page,), site="mkdocs"), RunReport())

    assert ("docs/api/SUMMARY.md", NOT_OURS) in record.refused
    assert (tmp_path / "docs/api/SUMMARY.md").read_text() == "- [Mine](x.md)\n"
    assert (tmp_path / "docs/api/a.py.md").is_file()


def test_docusaurus_pages_get_title_and_sidebar_label_in_their_front_matter() -> None:
    front = '---\ndocbot:\n  source: "src/a b.py"\n---\n\n# page\n'
    legacy = f"{marker_line('c.py')}\n\n# c\n"
    pages = (("docs/api/src/a b.py.md", front), ("docs/api/c.py.md", legacy))

    dressed = dict(dress_pages("docusaurus", "docs/api", pages))

    meta = yaml.safe_load(dressed["docs/api/src/a b.py.md"].split("---\n")[1])
    assert meta["title"] == "src/a b.py" and meta["sidebar_label"] == "a b.py"
    assert meta["docbot"] == {"source": "src/a b.py"}
    assert dressed["docs/api/c.py.md"] == legacy, "a page without front matter is left as it is"
    assert dict(dress_pages("mkdocs", "docs/api", pages)) == dict(pages)
    assert dress_pages("docusaurus", "docs/api", tuple(dressed.items())) == tuple(dressed.items())


def test_the_docs_pull_request_carries_the_site_files(tmp_path: Path, git_repo: GitRepo) -> None:
    git_repo.write("src/a.py", "def a():\n    return 1\n")
    git_repo.commit("first")
    world = GitHubWorld(git_repo.path, tmp_path / "origin.git")
    world.sync("main")
    world.fake.start()
    try:
        api = GitHubApi(
            "ghs_actions_token", world.fake.full_name, base_url=world.fake.url, sleep=lambda s: None
        )
        pages = (("docs/api/src/a.py.md", f"{marker_line('src/a.py')}\n\n# a\n"),)
        publisher = GitHubPublisher(api, Target("pull_request", branch="main"), head_sha="f" * 40)
        publisher.publish(DocsPlan("docs/api", pages, site="docusaurus"), RunReport())
        files = world.files_at("docbot/main")
        api.close()
    finally:
        world.fake.stop()
    assert json.loads(files["docs/api/_category_.json"])["label"] == "API documentation"
    assert json.loads(files["docs/api/src/_category_.json"])["label"] == "src"


def pages_workflow() -> dict[str, Any]:
    (block,) = [b for b in readme_blocks("yaml") if "deploy-pages" in b]
    loaded = yaml.safe_load(block)
    assert isinstance(loaded, dict)
    return loaded


def test_the_readmes_pages_workflow_parses_and_names_real_inputs() -> None:
    workflow = pages_workflow()
    steps = workflow["jobs"]["site"]["steps"]
    (docbot,) = [s for s in steps if str(s.get("uses", "")).startswith("OWNER/docbot")]
    assert set(docbot["with"]) <= set(ACTION_INPUTS)
    assert docbot["with"]["mode"] == "none" and docbot["with"]["site"] == "mkdocs"
    runs = " ".join(str(s.get("run", "")) for s in steps)
    assert "mkdocs build --strict" in runs
    lock = (ROOT / "requirements-dev.lock").read_text()
    for pin in re.findall(r"(mkdocs[\w-]*==[\d.]+)", runs):
        assert f"{pin} " in lock, f"{pin} is not the version the tests build with"
    assert [s["uses"].split("@")[0] for s in steps if "uses" in s][-2:] == [
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    ]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


@pytest.mark.parametrize("site", ["none", "mkdocs", "docusaurus"])
def test_site_is_a_setting_of_every_source(site: str) -> None:
    assert ACTION_INPUTS["site"] == "site"
    assert load_settings({"site": site}).site == site
    assert load_settings(env={"DOCBOT_SITE": site}).site == site


def test_site_files_are_told_by_name_and_first_line_only() -> None:
    assert is_site_file("docs/api/SUMMARY.md", NAV_MARKER + "\n\n- [x](x.md)\n")
    assert is_site_file("docs/api/a/_category_.json", CATEGORY_FIRST_LINE + '\n "label": "a"}\n')
    assert not is_site_file("docs/api/NAV.md", NAV_MARKER)
    assert not is_site_file("docs/api/_category_.json", '{"customProps": {"generator": "docbot"}}')
    assert not is_site_file("docs/api/SUMMARY.md", "- [Mine](x.md)")
