"""context_collapse: a person's instruction lost when the conversation was compacted, then broken.

A coding agent whose context fills up compacts it: Claude Code writes a ``system`` line with
``subtype: "compact_boundary"`` ("Conversation compacted", ``compactMetadata.trigger`` auto or
manual, ``preTokens``) and continues from one user message holding a model-written summary
(``isCompactSummary: true``, opening "This session is being continued from a previous conversation
that ran out of context. The conversation is summarized below:"; src/services/compact/compact.ts,
the loader reads both: loaders/claude_code.py, the boundary as an event span named
``compact_boundary`` and the summary as one named ``compact_summary``). Everything before the boundary is gone from the model's context except what
the summary kept.

So a prohibition a person gave before the boundary ("do not modify anything under third_party/")
that the summary does not restate is lost; a write to that very path afterwards is the collapse
(TAXONOMY context_collapse: the agent dropped a prior decision). A rule the summary kept, or a path
never touched after the boundary, is not this. A shell change a person forbade ("IMPORTANT:
.env.production points at the live database. Never run prisma migrate against it") that the summary
does not forbid again, then run (a migration applied to production), is the same loss.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.detectors.base import Context, Detector, empty_findings, finding, hms, txt
from forensics.detectors.registry import register

#: The summary's span: the event the loader makes of the isCompactSummary line (a person's turn does not
#: say it), or a person's turn that opens with the summary's words (a transcript that lost the flag).
_SUMMARY: Final = (pl.col("kind") == "event") & (pl.col("call") == "compact_summary")
#: The summary's opening, where no boundary line was kept (Claude Code's compact summary message).
SUMMARY_OPENING: Final = r"^\s*This session is being continued from a previous conversation"
#: A prohibition on changing something: "do not modify", "don't touch", "never edit", "must not change".
_PROHIBITION: Final = re.compile(
    r"(?i)\b(?:do\s+not|don'?t|never|must\s+not|mustn'?t|should\s+not|shouldn'?t|no)\s+(?:\w+\s+){0,2}?"
    r"(?:modify|modifying|edit|editing|change|changing|touch|touching|write|writing|delete|deleting|remove|removing"
    r"|alter|altering|update|updating|rewrite|rewriting)\b((?:[^.!?\n]|[.!?](?=\S))*)"
)
#: A path (something with a slash) or a file name with an extension, in the prohibition's clause.
_PATH: Final = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)+[\w.-]*|[\w-]+\.[A-Za-z0-9]{1,5})(?![\w/])")
#: Tool names that write: Claude Code's Edit, MultiEdit, Write, NotebookEdit; str_replace_editor ...
_WRITES: Final = r"(?i)edit|write|patch|replace|delete|remove|move|rename|create|apply"


def protected_paths(text: str) -> list[str]:
    """The paths a person's text forbids changing (each prohibition's clause, its path tokens)."""
    out: list[str] = []
    for m in _PROHIBITION.finditer(text):
        out += [p.rstrip("/") for p in _PATH.findall(m.group(1)) if p.rstrip("/")]
    return out


def _kept(path: str, summary: str) -> bool:
    """The summary restates a prohibition about this path."""
    return any(path.lower() in m.group(1).lower() for m in _PROHIBITION.finditer(summary))


def _forbidden_and_run(after: pl.DataFrame, said_before: list[str], summary: str) -> tuple[str, object, str, str] | None:
    """``(span_id, t, call, what)`` of the first shell call after the boundary whose change a
    person's turn before it forbade (shell_commands._forbidden) and the summary does not forbid."""
    from forensics.detectors.shell_commands import _forbidden, command_line, destructive_reason

    for sid, t, call, args in after.filter(pl.col("kind") == "tool").select("span_id", "t", "call", "args").iter_rows():
        line = command_line(args or "")
        found = destructive_reason(line) if line else None
        if found is not None and _forbidden(found[1], said_before) and not _forbidden(found[1], [summary]):
            return sid, t, call, found[0]
    return None


def compaction_bounds(s: pl.LazyFrame) -> pl.DataFrame:
    """Each run's first compaction (``run_id, b_seq, b_t``): Claude Code's compact_boundary event or
    the isCompactSummary turn that opens with its summary, whichever comes first."""
    return (
        s.filter(
            ((pl.col("kind") == "event") & (pl.col("call") == "compact_boundary"))
            | _SUMMARY
            | ((pl.col("kind") == "human") & pl.col("output").str.contains(SUMMARY_OPENING).fill_null(False))
        )
        .group_by("run_id")
        .agg(pl.col("seq").min().alias("b_seq"), pl.col("t").min().alias("b_t"))
        .collect()
    )


@register
class InstructionLostAtCompaction(Detector):
    name = "instruction_lost_at_compaction"
    failure_class = "context_collapse"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "A person forbade changing a path ('do not modify anything under third_party/'), the "
        "conversation was then compacted (Claude Code's compact_boundary, its isCompactSummary "
        "summary) with a summary that does not restate the prohibition, and afterwards a writing "
        "tool call (Edit, Write, str_replace_editor ...) changed that path: the instruction was lost "
        "at the compaction and then broken. The same for a shell change a person forbade ('Never run prisma "
        "migrate against' .env.production: shell_commands) that the summary does not forbid again, run after it."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        bounds = compaction_bounds(s)
        if bounds.height == 0:
            return empty_findings()
        rows = (
            s.join(bounds.lazy(), on="run_id")
            .filter(
                (pl.col("kind") == "human")
                | _SUMMARY
                | ((pl.col("kind") == "tool") & ~pl.col("failed"))
            )
            .select("run_id", "span_id", "seq", "t", "kind", "call", "output", "args", "b_seq")
            .sort("run_id", "seq")
            .collect()
        )
        hits = []
        for (run,), g in rows.partition_by(["run_id"], as_dict=True).items():
            before = g.filter((pl.col("kind") == "human") & (pl.col("seq") < pl.col("b_seq")))
            after = g.filter(pl.col("seq") > pl.col("b_seq"))
            flagged = g.filter(pl.col("kind") == "event").get_column("output").drop_nulls().to_list()
            summaries = after.filter(pl.col("kind") == "human").get_column("output").drop_nulls().to_list()
            summary = next(iter(flagged), None) or next(
                (t for t in summaries if re.match(SUMMARY_OPENING, t)), summaries[0] if summaries else "")
            paths = {p for text in before.get_column("output").drop_nulls().to_list() for p in protected_paths(text)}
            lost = [p for p in paths if not _kept(p, summary)]
            # A shell change the person had forbidden (shell_commands: "Never run prisma migrate
            # against it", of .env.production) that the summary does not forbid again, then run.
            broken = _forbidden_and_run(after, before.get_column("output").drop_nulls().to_list(), summary)
            if broken is not None:
                hits.append((run, *broken))
                continue
            if not lost:
                continue
            writes = after.filter((pl.col("kind") == "tool") & pl.col("call").str.contains(_WRITES).fill_null(False))
            for sid, t, call, args in writes.select("span_id", "t", "call", "args").iter_rows():
                a = args or ""
                hit = next((p for p in lost if re.search(rf"(?:^|[\"/]){re.escape(p)}(?:[/\"]|$)", a)), None)
                if hit is not None:
                    hits.append((run, sid, t, call, f"changing {hit}"))
                    break
        if not hits:
            return empty_findings()
        found = pl.LazyFrame(
            hits,
            schema={"run_id": pl.String, "span_id": pl.String, "t": pl.Datetime("ns", "UTC"), "call": pl.String, "path": pl.String},
            orient="row",
        )
        return found.select(
            finding(
                "run_id",
                pl.concat_list("span_id"),
                "span_id",
                pl.format(
                    "a person forbade {} before the conversation was compacted; the summary did not keep "
                    "the rule, and afterwards tool {} did it at {}",
                    pl.col("path"),
                    txt(pl.col("call")),
                    hms("t"),
                ),
            )
        )


#: Shell commands that create something outside the workspace, each run making one more (read
#: whitespace-free, as the prepared ``args`` keep command lines): the GitHub CLI's ``gh pr create``,
#: ``gh issue create``, ``gh release create`` (each opens a new pull request, issue or release), a
#: package published (``npm publish``), an HTTP POST sent with curl.
_CREATES: Final = re.compile(
    r"^(?:gh(?:pr|issue|release|gist)create|(?:npm|pnpm|yarn)publish|curl\S*(?:-XPOST|--request\S?POST))"
)


def _creating_segments(args: str | None) -> set[str]:
    from forensics.detectors.shell_commands import command_line

    line = command_line(args or "")
    if not line:
        return set()
    return {seg for seg in re.split(r"&&|\|\||;|\||\n", re.sub(r"\s+", "", line)) if _CREATES.match(seg)}


@register
class RedoneAfterCompaction(Detector):
    name = "redone_after_compaction"
    failure_class = "context_collapse"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "A shell command that creates something outside the workspace (gh pr create, gh issue create, "
        "gh release create, npm publish, a curl POST) succeeded, the conversation was then compacted "
        "(Claude Code's compact_boundary and isCompactSummary summary), and afterwards the very same "
        "command ran again and succeeded: the summary lost that the step was done, and it was done twice "
        "(a second pull request, issue or post)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        bounds = compaction_bounds(s).drop("b_t")
        if bounds.height == 0:
            return empty_findings()
        calls = (
            s.join(bounds.lazy(), on="run_id")
            .filter((pl.col("kind") == "tool") & pl.col("succeeded") & pl.col("args").str.contains("create|publish|curl"))
            .select("run_id", "span_id", "seq", "t", "call", "args", "b_seq")
            .sort("run_id", "seq")
            .collect()
        )
        hits = []
        for (run,), g in calls.partition_by(["run_id"], as_dict=True).items():
            done: dict[str, tuple[str, object]] = {}
            for sid, seq, t, call, args, b_seq in g.select("span_id", "seq", "t", "call", "args", "b_seq").iter_rows():
                segs = _creating_segments(args)
                again = next((done[x] for x in segs if x in done and seq > b_seq), None)
                if again is not None:
                    hits.append((run, again[0], again[1], sid, t, call))
                    break
                if seq < b_seq:
                    done.update({x: (sid, t) for x in segs})
        if not hits:
            return empty_findings()
        found = pl.LazyFrame(
            hits,
            schema={"run_id": pl.String, "prev_id": pl.String, "prev_t": pl.Datetime("ns", "UTC"),
                    "span_id": pl.String, "t": pl.Datetime("ns", "UTC"), "call": pl.String},
            orient="row",
        )  # fmt: skip
        return found.select(
            finding(
                "run_id",
                pl.concat_list("prev_id", "span_id"),
                "span_id",
                pl.format(
                    "tool {} created something at {}; the conversation was then compacted, and at {} the same "
                    "command ran again: the summary lost that the step was done",
                    txt(pl.col("call")),
                    hms("prev_t"),
                    hms("t"),
                ),
            )
        )
