"""A provider whose answers are hostile Markdown: HTML, JSX braces, backticks, pipes, mentions, long lines.

It answers every symbol of every chunk (a real ``Provider``), so the pages it produces carry hostile
text from the model beside the hostile docstrings of the sample sources.
"""

from __future__ import annotations

from docbot.docs import ChunkDoc, SymbolDoc, Usage
from docbot.llm.base import DocRequest, OverviewRequest

HOSTILE = (
    'Returns ReturnType<typeof createOctokit>["rest"] or {value} | *bold* _under_ @octocat '
    "<script>alert(1)</script> <img src=x onerror=alert(1)> <!-- comment --> {/* jsx */} "
    "`code with <tag> and {brace}` ``a ` tick`` a stray ` tick & &amp; \\ back [link](javascript:x) "
    + "very-long-"
    * 60
)


class HostileProvider:
    """Answers each chunk's symbols with ``HOSTILE`` text in every field, naming a sibling in backticks."""

    name = "hostile"
    model = "hostile-1"
    prompt_version = "hostile-1"

    def __init__(self, leave_out: frozenset[str] = frozenset()) -> None:
        self.leave_out = leave_out  # symbols left unanswered: their pages show their docstrings

    def failed_usage(self) -> Usage:
        return Usage()

    def document(self, request: DocRequest) -> ChunkDoc:
        names = [s.name for s in request.chunk.symbols]
        symbols = tuple(
            SymbolDoc(
                name=s.id,
                summary=f"{HOSTILE} See `{names[0]}`.",
                description=f"# Not a heading\n\n- not a list\n1. nor this\n:::note\n\n{HOSTILE}",
                params=tuple((p.split(":")[0].strip() or "x", HOSTILE) for p in s.params[:2]),
                returns=HOSTILE,
                raises=("Error<T>", "{oops}"),
                example=f"```\nuse({s.name!r}) // ``` <b>{{x}}</b>\n```",
            )
            for s in request.chunk.symbols
            if s.name not in self.leave_out
        )
        overview = f"{HOSTILE} Overview." if request.want_overview else None
        return ChunkDoc(overview=overview, symbols=symbols, model=self.model)

    def overview(self, request: OverviewRequest) -> ChunkDoc:
        """The file's overview, asked once per file like Claude's: hostile too."""
        return ChunkDoc(overview=f"{HOSTILE} Overview.", symbols=(), model=self.model)
