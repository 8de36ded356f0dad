"""The ``docbot`` command: one job per subcommand, ``--json`` on anything that reports."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from docbot import __version__, estimate, events, languages, metrics, pipeline, style, symbols
from docbot import shard as shard_mod
from docbot.cache import Cache, CacheStats, open_cache
from docbot.changes import FileChange
from docbot.chunking import DEFAULT_MAX_LINES, DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP, split_source
from docbot.config import ZERO_SHA, PublishSettings, Settings, env_typos, load_settings
from docbot.docstrings import STYLES
from docbot.errors import ConfigError, DocbotError
from docbot.events import RunSpec, Skip
from docbot.git import Git
from docbot.interrupt import EXIT_INTERRUPTED, interrupted_message, signals_interrupt
from docbot.llm.base import Provider
from docbot.llm.providers import open_provider
from docbot.plural import agree, count
from docbot.progress import NO_PROGRESS, LogProgress, Progress, RichProgress
from docbot.publish.files import FilesPublisher
from docbot.publish.paths import docs_dir_problem, report_path_problem, unwritable_problem
from docbot.report import PublishRecord, RunReport

EXIT_OK, EXIT_FAILED_FILES, EXIT_ERROR = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # 128 + SIGPIPE: what the shell reports for a reader that left


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    overrides = {
        "repo": getattr(args, "repo", None),
        "cache": getattr(args, "cache", None),
        "cache_path": getattr(args, "cache_path", None),
        **extra,
    }
    for warning in env_typos(os.environ):
        print(f"docbot: warning: {warning}", file=sys.stderr)
    return load_settings(overrides, os.environ)


def _git(repo: Path) -> Git:
    git = Git(repo)
    if not git.is_repo():
        raise ConfigError(f"{repo} is not a git repository; pass --repo PATH to one")
    return git


def document(
    spec: RunSpec,
    settings: Settings,
    *,
    git: Git,
    cache: Cache,
    provider: Provider,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: Progress = NO_PROGRESS,
    wall: Callable[[], float] = time.time,
) -> RunReport:
    """``docbot run``'s job: document ``spec`` and write the pages into the working tree.

    Args:
        clock, sleep: the run's time, and how it waits between polls of a batch.
        wall: epoch seconds, for the record of when the system block was last sent (``pipeline.run``).

    Returns:
        The run's report, with the pages written, deleted and refused.
    """
    from docbot.llm.batch import open_batches  # loads anthropic (2 s): only the commands that send do

    batches = open_batches(
        provider, settings.llm, event=spec.event, everything=spec.everything, clock=clock, sleep=sleep
    )
    result = pipeline.run(
        spec, settings, git=git, cache=cache, provider=provider, clock=clock, batches=batches,
        progress=progress, wall=wall,
    )  # fmt: skip
    assert not isinstance(result, Skip), "a local run documents docs-only changes too"
    if settings.shard is not None:  # a shard fills the cache; the final job writes the pages
        record = PublishRecord(
            notes=(f"Shard {settings.shard}: documented into the cache, nothing written.",)
        )
    else:
        try:
            record = FilesPublisher(settings.repo).publish(result.plan, result.report)
        except OSError as exc:  # reading the docs folder or pruning an emptied one (page writes fail alone)
            raise ConfigError(write_failure(settings.repo, settings.out_dir, exc)) from None
    return result.report.published(record)


def write_failure(repo: Path, out_dir: str, exc: OSError) -> str:
    """The one line for a page that could not be written: which file, why, and that nothing paid is lost."""
    where = Path(exc.filename) if exc.filename else repo / out_dir
    shown = where.relative_to(repo.resolve()) if where.is_relative_to(repo.resolve()) else where
    return (
        f"--out {out_dir}: cannot write {shown} ({exc.strerror or exc}); the answers are cached, "
        "so a run after the fix pays nothing again"
    )


def cache_location(settings: Settings) -> str:
    """Where the run's cache lives, as a person would look for it."""
    backend = settings.cache.backend
    if backend == "sqlite":
        return f"sqlite at {settings.cache.sqlite_path()}"
    if backend == "dynamodb":
        return (
            f"dynamodb table {settings.cache.cache_table} ({settings.cache.cache_region or 'default region'})"
        )
    return "none"


def setup_rows(report: RunReport, settings: Settings) -> list[tuple[str, str]]:
    """The rows that say what the run used: provider and model, the cache, the output folder."""
    model = f" ({report.model})" if report.model else ""
    return [
        ("Provider", f"{report.provider or settings.llm.provider_name}{model}"),
        ("Cache", cache_location(settings)),
        ("Output folder", str(settings.repo / settings.out_dir)),
    ]


def print_summary(report: RunReport, console: Console, setup: Sequence[tuple[str, str]] = ()) -> None:
    table = Table(title="docbot run", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, value in [*setup, *report.summary_rows()]:
        table.add_row(label, escape(value))
    console.print(table)
    for outcome in report.failed:
        console.print(f"[red]failed[/red] {outcome.path}: {outcome.reason}")
    if report.cache_error:
        console.print(f"[yellow]cache unavailable, ran uncached:[/yellow] {report.cache_error}")
    for outcome in report.cache_not_stored:
        console.print(f"[yellow]not cached[/yellow] {escape(outcome.path)}: {escape(outcome.reason)}")


def _progress() -> Progress:
    """A live bar on a terminal; plain lines every 30 s otherwise. Both on stderr: stdout stays the
    summary or the ``--json`` report."""
    if sys.stderr.isatty():
        return RichProgress(Console(stderr=True))
    return LogProgress(lambda line: print(line, file=sys.stderr, flush=True))


def _run_spec(args: argparse.Namespace, git: Git) -> RunSpec:
    if args.staged and args.worktree:
        raise ConfigError("--staged documents the index and --worktree the working tree; pass one")
    if args.worktree:
        if args.base or args.head or args.all:
            raise ConfigError(
                "--worktree documents the working tree against HEAD; drop --base, --head, --all"
            )
        return RunSpec(head=git.snapshot_worktree(), base="HEAD", force=args.force)
    if not args.staged:
        return RunSpec(head=args.head or "HEAD", base=args.base, everything=args.all, force=args.force)
    if args.head or args.base or args.all:
        raise ConfigError("--staged compares the staged files with HEAD; drop --head, --base and --all")
    base = "HEAD" if git.try_resolve("HEAD") else ZERO_SHA
    return RunSpec(head=git.commit_index(), base=base, force=args.force)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(
        args,
        out_dir=args.out,
        report_path=args.report,
        provider=args.provider,
        model=args.model,
        max_concurrency=args.max_concurrency,
        chunk_max_lines=args.chunk_max_lines,
        batch=args.batch,
        metrics=args.metrics,
        shard=args.shard,
        shard_reports=args.shard_reports,
        publish_only=args.publish_only or None,
        site=args.site,
        max_run_minutes=args.max_run_minutes,
    )
    git = _git(settings.repo)
    spec = _run_spec(args, git)
    settings = style.resolved(settings, style.worktree_reader(settings.repo))
    # Both targets are checked before anything is paid for, not when the work is done.
    root = settings.repo.resolve()
    if problem := docs_dir_problem(root, settings.out_dir) or unwritable_problem(root, settings.out_dir):
        raise ConfigError(f"--out {settings.out_dir}: {problem}")
    if settings.report_path and (problem := report_path_problem(settings.report_path)):
        raise ConfigError(f"--report: {problem}")
    # --staged and --worktree say what to document; a pre-commit hook's unstaged edits are not news.
    left_out = [] if args.worktree or args.staged or args.head else uncommitted(git, settings)
    provider = open_provider(settings.llm)
    with closing(open_cache(settings.cache)) as cache:
        progress = NO_PROGRESS if args.quiet else _progress()  # --quiet: failures only, no progress
        report = document(spec, settings, git=git, cache=cache, provider=provider, progress=progress)
    status = EXIT_FAILED_FILES if report.failed else EXIT_OK
    if settings.report_path:
        try:
            report.write(settings.report_path)
        except OSError as exc:  # the pages are written; say why the report is not
            print(f"docbot: error: --report {settings.report_path}: {exc.strerror or exc}", file=sys.stderr)
            status = EXIT_ERROR
    if settings.metrics is not None:
        problem = metrics.send(
            settings.metrics, report.to_json(), repository=settings.repo.resolve().name, trigger="cli",
            region=settings.cache.cache_region,
        )  # fmt: skip
        if problem:
            print(f"docbot: warning: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    elif args.quiet:
        for outcome in report.failed:
            print(f"docbot: failed {outcome.path}: {outcome.reason}", file=sys.stderr)
    else:
        print_summary(report, Console(), setup_rows(report, settings))
    if left_out and not args.quiet:
        print(uncommitted_hint(left_out), file=sys.stderr)
    if args.staged and (report.written_pages or report.deleted_pages):
        # A pre-commit hook: stop the commit so the author reviews and stages the new pages.
        print(f"docbot: pages under {settings.out_dir} changed; review and stage them", file=sys.stderr)
        return EXIT_FAILED_FILES
    return status


def cmd_plan(args: argparse.Namespace) -> int:
    """The partition a matrix of ``--shards N`` jobs would document, to size N."""
    if not 1 <= args.shards <= shard_mod.MAX_SHARDS:
        raise ConfigError(f"--shards {args.shards}: use 1 to {shard_mod.MAX_SHARDS}")
    settings = _settings(args, out_dir=args.out)
    spec = RunSpec(head=args.head or "HEAD", base=args.base, everything=args.all)
    git = _git(settings.repo)
    selection = pipeline.selection_of(spec, settings, git=git)
    plan = shard_mod.plan_json(selection.files, args.shards)
    if args.json:
        print(json.dumps(plan, indent=2))
        return EXIT_OK
    table = Table(
        title=f"docbot plan: {count(plan['files'], 'file')}, {count(plan['chunks'], 'chunk')}",
        title_justify="left",
    )
    for column in ("shard", "files", "chunks"):
        table.add_column(column, justify="right")
    for part in plan["shards"]:
        table.add_row(str(part["shard"]), str(len(part["files"])), str(part["chunks"]))
    Console().print(table)
    return EXIT_OK


def uncommitted(git: Git, settings: Settings) -> list[str]:
    """Uncommitted paths a commit-to-commit run leaves out (not docbot's own pages or report)."""
    own = {settings.out_dir.rstrip("/") + "/"}
    if settings.report_path is not None:
        report = (settings.repo / settings.report_path).resolve()
        if report.is_relative_to(settings.repo.resolve()):
            own.add(report.relative_to(settings.repo.resolve()).as_posix())
    return [p for p in git.uncommitted_paths() if not any(p == o or p.startswith(o) for o in own)]


def uncommitted_hint(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return (
        f"docbot: {count(len(paths), 'uncommitted change')} {agree(len(paths), 'was', 'were')} not "
        f"documented ({shown}): docbot compares "
        "commits. Commit them, or pass --worktree to document the working tree against HEAD."
    )


def repo_relative(repo: Path, name: str) -> str:
    """A file named on the command line as the repository path it stands for.

    Relative names are the repository's (pre-commit passes them so); an absolute name, or one whose
    symlinks lead elsewhere, must still land inside the repository, or the check would pass over it and
    report green.

    Raises:
        ConfigError: the file is outside the repository.
    """
    root = repo.resolve()
    full = (root / name).resolve()  # an absolute `name` replaces the root, as intended
    if not full.is_relative_to(root) or full == root:
        raise ConfigError(f"{name}: not a file inside the repository {repo}; name files inside it")
    return full.relative_to(root).as_posix()


def cmd_check(args: argparse.Namespace) -> int:
    from docbot.action.runner import ActionLog
    from docbot.check import check

    settings = _settings(args, out_dir=args.out)
    git = _git(settings.repo)
    paths = [repo_relative(settings.repo, f) for f in args.files]
    result = check(settings, git, paths=paths)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    elif os.environ.get("GITHUB_ACTIONS") == "true":
        log = ActionLog(sys.stdout)
        for f in result.findings:
            log.command("error", f.message, file=f.source, title=f"docbot check: {f.kind} page")
    else:
        for f in result.findings:
            print(f"{f.source}: {f.kind}: {f.message}")
    if result.ok:
        print(
            f"docbot check: {count(result.pages, 'page')} in {result.out_dir} {agree(result.pages)} current",
            file=sys.stderr,
        )
    else:
        print(
            f"docbot check: {count(len(result.findings), 'page')} in {result.out_dir} "
            f"{agree(len(result.findings))} not current",
            file=sys.stderr,
        )
    return EXIT_OK if result.ok else EXIT_FAILED_FILES


def cmd_docstrings(args: argparse.Namespace) -> int:
    from docbot.docstrings import write_back

    settings = _settings(args, provider=args.provider, model=args.model)
    git = _git(settings.repo)
    settings = style.resolved(settings, style.worktree_reader(settings.repo))
    spec = RunSpec(head=args.head or "HEAD", base=args.base, everything=args.all)
    provider = open_provider(settings.llm)
    with closing(open_cache(settings.cache)) as cache:
        result = write_back(
            spec, settings, git=git, cache=cache, provider=provider, update=args.update, style=args.style
        )
    if args.write:
        for f in result.files:
            if f.new != f.old:
                # Bytes: the text keeps its own line endings (CRLF stays CRLF) and encoding.
                (settings.repo / f.path).write_bytes(f.new.encode("utf-8"))
    else:
        sys.stdout.write(result.diff())
    for f in result.files:
        if f.refused:
            print(f"docbot: {f.path}: {f.refused}", file=sys.stderr)
    for path, reason in result.failed:
        print(f"docbot: {path}: failed: {reason}", file=sys.stderr)
    written = sum(len(f.edits) for f in result.files)
    verb = "written" if args.write else "proposed"
    print(
        f"docbot: {count(written, 'docstring')} {verb} in "
        f"{count(sum(1 for f in result.files if f.edits), 'file')}",
        file=sys.stderr,
    )
    return EXIT_FAILED_FILES if result.failed else EXIT_OK


def cmd_estimate(args: argparse.Namespace) -> int:
    settings = _settings(args, provider=args.provider, model=args.model, batch=args.batch)
    spec = RunSpec(head=args.head or "HEAD", base=args.base, everything=args.all, force=args.force)
    git = _git(settings.repo)
    provider = open_provider(settings.llm)
    from docbot.llm.batch import open_batches  # loads anthropic (2 s): only the commands that send do

    batches = open_batches(provider, settings.llm, event=spec.event, everything=spec.everything)
    with closing(open_cache(settings.cache)) as cache:
        quote = estimate.estimate_run(
            spec, settings, git=git, cache=cache, provider=provider, batches=batches
        )
    if args.json:
        print(estimate.dumps(quote))
        return EXIT_OK
    table = Table(title=f"docbot estimate ({escape(quote.model)})", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, value in quote.rows():
        table.add_row(label, escape(value))
    Console().print(table)
    return EXIT_OK


def cmd_changes(args: argparse.Namespace) -> int:
    git = _git(Path(args.repo))
    spec: RunSpec | Skip
    if args.event:
        # What a GitHub event would document: the same resolution the Action uses.
        try:
            payload = json.loads(Path(args.payload).read_text(encoding="utf-8")) if args.payload else {}
        except (OSError, ValueError) as exc:
            raise ConfigError(f"--payload {args.payload}: cannot read the event JSON ({exc})") from exc
        request = events.from_event(args.event, payload, sha=args.head)
        spec = events.plan_run(request, PublishSettings(mode="none"))
    else:
        spec = RunSpec(head=args.head, base=args.base, everything=args.all)
    if isinstance(spec, Skip):
        print(f"docbot: nothing to document: {spec.reason}", file=sys.stderr)
        changes: list[FileChange] = []
    else:
        span, changes = pipeline.list_changes(spec, git)
        for notice in span.notices:
            print(f"docbot: {notice}", file=sys.stderr)
    if args.json:
        print(json.dumps([c.to_json() for c in changes], indent=2))
    else:
        for c in changes:
            extra = f" (from {c.old_path})" if c.old_path else ""
            ranges = ",".join(f"{a}-{b}" for a, b in c.changed_lines)
            skip = f" [skipped: {c.skip_reason}]" if c.skip_reason else ""
            print(f"{c.status:9} {c.path}{extra}{' [binary]' if c.binary else ''} {ranges}{skip}")
    return EXIT_OK


def read_source(path: Path) -> str:
    """The text of one file for ``docbot chunks``, or an error that says what is wrong with it.

    Bytes, then decode: ``read_text()`` would turn CR and CRLF into LF, and the line numbers would no
    longer be the ones ``docbot run`` uses.

    Raises:
        ConfigError: the file is missing, unreadable, binary or not UTF-8.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder; name one source file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if b"\0" in data[:8192]:  # git's test for binary content
        raise ConfigError(f"{path}: a binary file, not source code")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); "
            "docbot reads source as UTF-8"
        ) from None


def cmd_chunks(args: argparse.Namespace) -> int:
    path = Path(args.file)
    language = args.language or languages.language_for(path.name)
    if language is None or not symbols.supported(language):
        raise ConfigError(
            f"{path}: no parser for this file type; supported: {', '.join(languages.languages())} "
            "(or pass --language)"
        )
    for flag, value, low in (("--max-lines", args.max_lines, 1), ("--max-tokens", args.max_tokens, 100)):
        if value < low:
            raise ConfigError(f"{flag} {value}: must be at least {low}")
    if args.overlap < 0:
        raise ConfigError(f"--overlap {args.overlap}: must be 0 or more")
    source = read_source(path)
    if not args.language:
        language = languages.language_of(path.name, source) or language
    syms, chunks = split_source(
        str(path),
        language,
        source,
        max_lines=args.max_lines,
        max_tokens=args.max_tokens,
        overlap=args.overlap,
    )
    if args.json:
        data = {
            "language": language,
            "symbols": [s.to_json() for s in syms],
            "chunks": [c.to_json() for c in chunks],
        }
        print(json.dumps(data, indent=2))
    else:
        for c in chunks:
            extra = f", context from {c.context_start}" if c.context_start < c.start else ""
            extra += " [over budget: one indivisible line]" if c.oversized else ""
            size = f"{count(len(c.symbols), 'symbol')}, ~{count(c.tokens, 'token')}"
            print(f"chunk {c.index}: lines {c.start}-{c.end}, {size}{extra}")
            for s in c.symbols:
                print(f"  {'  ' * s.depth}{s.kind} {s.name} ({s.start}-{s.end})")
    return EXIT_OK


def cmd_cache(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {
        "cache_table": args.table,
        "cache_region": args.region,
        "cache_endpoint_url": args.endpoint_url,
    }
    # `init` is for the shared table (SQLite creates its file on first use); `--table` implies DynamoDB.
    if args.cache is None and (args.action == "init" or args.table):
        overrides["cache"] = "dynamodb"
    settings = _settings(args, **overrides)
    if args.action == "init":
        c = settings.cache
        if c.backend != "dynamodb":
            raise ConfigError(f"cache init: only the dynamodb backend needs it, not {c.backend!r}")
        from docbot.cache.dynamodb import init_table

        data: dict[str, object] = init_table(
            c.cache_table, region=c.cache_region, endpoint_url=c.cache_endpoint_url
        )
    elif settings.cache.backend == "sqlite" and not settings.cache.sqlite_path().exists():
        # Nothing was ever cached there: say so without creating the file (and its folders) to say it.
        where = settings.cache.sqlite_path()
        empty = CacheStats(backend="sqlite", location=str(where), entries=0)
        data = empty.to_json() if args.action == "stats" else {"backend": "sqlite", "purged": 0}
    else:
        cache = open_cache(settings.cache)
        try:
            if cache.backend == "none":
                raise ConfigError(f"cache {args.action}: the 'none' backend holds nothing")
            if not cache.available:
                raise ConfigError(cache.error or f"the {cache.backend} cache is unavailable")
            if args.action == "stats":
                data = cache.stats().to_json()
            else:
                data = {"backend": cache.backend, "purged": cache.purge()}
        finally:
            cache.close()
    print(json.dumps(data, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in data.items()))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docbot", description="Document what changed in a git repository, cheaply and reliably."
    )
    parser.add_argument("--version", action="version", version=f"docbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cache_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--cache", help="cache backend: sqlite (default), dynamodb[:TABLE] or none")
        p.add_argument("--cache-path", help="SQLite cache file (default: ~/.cache/docbot/cache.sqlite3)")

    def revision_flags(p: argparse.ArgumentParser, *, head: str, every: str) -> None:
        # What to document: the repository and the range of commits, or every file at head.
        p.add_argument("--repo", default=".", help="the git repository (default: .)")
        p.add_argument("--base", help="base revision (default: HEAD's parent; 40 zeros: everything)")
        p.add_argument("--head", help=head)
        p.add_argument("--all", action="store_true", help=every)

    at_head = "head revision (default: HEAD)"
    every_file = "every file at head, not just changes"

    run = sub.add_parser("run", help="document the changes between two revisions and write the pages")
    revision_flags(run, head=at_head, every="document every file at head, not just changes")
    run.add_argument(
        "--staged",
        action="store_true",
        help="document the staged changes against HEAD; exits 1 when pages changed (pre-commit)",
    )
    run.add_argument(
        "--worktree",
        action="store_true",
        help="document the working tree (uncommitted and untracked files) against HEAD",
    )
    run.add_argument(
        "--force", action="store_true", help="ask the provider again even where the cache has an answer"
    )
    run.add_argument("--out", help="docs folder inside the repository (default: docs/api)")
    run.add_argument("--report", help="write the RunReport JSON here")
    run.add_argument("--site", help="none (default), mkdocs (SUMMARY.md nav) or docusaurus (_category_.json)")
    run.add_argument("--provider", help="auto (default), offline, anthropic, bedrock or vertex")
    run.add_argument("--model", help="model id for the anthropic provider")
    run.add_argument("--max-concurrency", help="parallel provider requests (default: 32)")
    run.add_argument("--chunk-max-lines", help="line budget of one chunk (default: 2000)")
    run.add_argument("--batch", help="auto (default), always or never: the Message Batches API at half price")
    run.add_argument(
        "--max-run-minutes", help="time budget: after it no new request starts, the rest fails 'time budget'"
    )
    run.add_argument("--json", action="store_true", help="print the RunReport JSON instead of the table")
    run.add_argument(
        "--quiet", action="store_true", help="print nothing but failures (exit status: 0 ok, 1 failed files)"
    )
    run.add_argument("--metrics", help="none (default) or cloudwatch[:NAMESPACE]: send the run's metrics")
    run.add_argument("--shard", help="K/N: document only shard K of N into the cache, write no pages")
    run.add_argument("--shard-reports", help="final job: glob of the shards' report files to merge")
    run.add_argument(
        "--publish-only", action="store_true", help="final job: no model requests, only what the cache holds"
    )
    cache_flags(run)
    run.set_defaults(func=cmd_run)

    quote = sub.add_parser(
        "estimate", help="what `run` with the same flags would cost, before any request (a range)"
    )
    revision_flags(quote, head=at_head, every=every_file)
    quote.add_argument("--force", action="store_true", help="as if nothing were cached")
    quote.add_argument("--provider", help="auto (default), offline or anthropic")
    quote.add_argument("--model", help="model id for the anthropic provider")
    quote.add_argument("--batch", help="auto (default), always or never: price as the run would send")
    quote.add_argument("--json", action="store_true", help="print the estimate as JSON")
    cache_flags(quote)
    quote.set_defaults(func=cmd_estimate)

    plan = sub.add_parser("plan", help="how --shard K/N would split a run: files and chunks per shard")
    revision_flags(plan, head=at_head, every=every_file)
    plan.add_argument("--out", help="docs folder inside the repository (default: docs/api)")
    plan.add_argument("--shards", type=int, required=True, help="the number of shard jobs N")
    plan.add_argument("--json", action="store_true")
    plan.set_defaults(func=cmd_plan)

    chk = sub.add_parser("check", help="fail when a page is stale, missing or orphaned (no model calls)")
    chk.add_argument("files", nargs="*", help="check only these sources or pages (pre-commit's files)")
    chk.add_argument("--repo", default=".", help="the git repository (default: .)")
    chk.add_argument("--out", help="docs folder inside the repository (default: docs/api)")
    chk.add_argument("--json", action="store_true", help="print the findings as JSON")
    chk.set_defaults(func=cmd_check)

    ds = sub.add_parser(
        "docstrings", help="write docstrings for public symbols without one (a diff by default)"
    )
    revision_flags(
        ds, head="head revision whose changed files are documented (default: HEAD)", every=every_file
    )
    shown = ds.add_mutually_exclusive_group()
    shown.add_argument("--diff", action="store_true", help="print a unified diff (the default)")
    shown.add_argument("--write", action="store_true", help="apply the docstrings to the working tree")
    ds.add_argument("--update", action="store_true", help="also rewrite docstrings whose parameters changed")
    ds.add_argument(
        "--style", default="auto", choices=STYLES, help="Python docstring style (default: detected)"
    )
    ds.add_argument("--provider", help="auto (default), offline or anthropic")
    ds.add_argument("--model", help="model id for the anthropic provider")
    cache_flags(ds)
    ds.set_defaults(func=cmd_docstrings)

    changes = sub.add_parser("changes", help="list what changed between two revisions")
    changes.add_argument("--repo", default=".")
    changes.add_argument("--base", help="base revision (default: HEAD's parent; 40 zeros: everything)")
    changes.add_argument("--head", default="HEAD")
    changes.add_argument("--all", action="store_true", help="every file at head")
    changes.add_argument(
        "--event",
        help="resolve the range as the Action would for this GitHub event (push, pull_request, ...)",
    )
    changes.add_argument("--payload", help="the event's webhook payload JSON (with --event)")
    changes.add_argument("--json", action="store_true")
    changes.set_defaults(func=cmd_changes)

    chunks = sub.add_parser("chunks", help="show the symbols and chunks of one file")
    chunks.add_argument("file")
    chunks.add_argument("--language", help="override detection by file ending")
    chunks.add_argument(
        "--max-lines", type=int, default=DEFAULT_MAX_LINES, help="line budget of one chunk (default: 2000)"
    )
    chunks.add_argument(
        "--max-tokens",
        type=int,
        default=DEFAULT_MAX_TOKENS,
        help="estimated-token budget of one chunk, header included (default: 4000)",
    )
    chunks.add_argument(
        "--overlap", type=int, default=DEFAULT_OVERLAP, help="context lines before each chunk (default: 100)"
    )
    chunks.add_argument("--json", action="store_true")
    chunks.set_defaults(func=cmd_chunks)

    cache = sub.add_parser("cache", help="create (DynamoDB), inspect or empty the cache")
    cache.add_argument("action", choices=["init", "stats", "purge"])
    cache.add_argument("--table", help="DynamoDB table (implies --cache dynamodb; default: doc-cache-prod)")
    cache.add_argument("--region", help="AWS region of the table (default: AWS_REGION)")
    cache.add_argument("--endpoint-url", help="DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB or AWS)")
    cache.add_argument("--json", action="store_true")
    cache_flags(cache)
    cache.set_defaults(func=cmd_cache)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        try:
            with signals_interrupt():
                code: int = args.func(args)
        except DocbotError as exc:
            print(f"docbot: error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM through signals_interrupt
            print(f"docbot: {interrupted_message(exc)}", file=sys.stderr)
            return EXIT_INTERRUPTED
        sys.stdout.flush()  # a reader that left (`| head`) is found here, not at interpreter exit
    except BrokenPipeError:
        return reader_gone()
    return code


def reader_gone() -> int:
    """The reader of stdout closed the pipe (``docbot chunks F | head``): stop quietly, as ``cat`` does.

    Python flushes stdout once more at exit and would print a second BrokenPipeError there, so stdout
    is pointed at devnull first. The status is the shell's for a death by SIGPIPE.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
