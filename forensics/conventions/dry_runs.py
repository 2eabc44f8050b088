"""A dry run: a call told, or saying, that it only previewed its change.

Tools that change something for good commonly take a flag that makes them report what they would
do and do nothing, and the call's own arguments say whether it was on:

- a JSON argument ``dry_run`` / ``dryRun`` / ``dry-run`` (a team's own tools: ``drop_partitions(...,
  dry_run=True)``), AWS's ``DryRun`` (the EC2 API: "Checks whether you have the required permissions
  for the action, without actually making the request"), or ``preview``, set true;
- a command line with ``--dry-run`` (kubectl ``--dry-run=client|server``: "the object is not
  persisted", ``none`` sends it; helm, rsync, git push ``--dry-run``).

The call's result can say so too: the tool's JSON result ``"dry_run": true`` or ``"mode": "dry_run"``
(a Strands tool's result is that JSON inside the ``{"text": ...}`` content block its span records, so
its quotes come escaped), or kubectl's printer suffix ``(dry run)`` / ``(server dry run)``.

A flag that is off (``"dry_run": false``, ``--dry-run=none``), or absent where the service defaults it
off, is no dry run: the change happened. ``dry_run`` marks the calls that were one;
``unguarded_irreversible`` reads it: a dry run did not act.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, published, register

#: The flag on, as a JSON key of the call's arguments (its input; quotes escaped where the
#: arguments are a JSON string inside JSON).
DRY_RUN_ARGUMENT: Final = (
    r"""(?i)\\?["'](?:dry[_-]?run|preview)\\?["']\s*:\s*(?:true|\\?["']true\\?["'])"""
    # A command line's option (kubectl --dry-run, --dry-run=client|server; not =none or =false).
    r"|--dry-?run(?:$|[^=]|=(?:client|server|true))"
)
#: The result saying it was a dry run: its own JSON flag or mode (quotes possibly escaped: the JSON
#: of a tool result carried as a string in a content block), or kubectl's "(server dry run)".
DRY_RUN_RESULT: Final = (
    r"""(?i)\\?["']?dry[_-]?run\\?["']?\s*[:=]\s*true\b"""
    r"""|\\?["']mode\\?["']\s*:\s*\\?["'](?:dry[_-]?run|preview)\\?["']"""
    r"|\((?:server |client )?dry run\)"
)


#: Literal needles first (a cheap scan): only texts holding one go through the regexes.
_NEEDLES: Final = ("ry_run", "ry-run", "ryRun", "ryrun", "ry run", "review")
#: The needles as one regex: the engine's multi-literal search reads each text once, where a
#: literal scan per needle read it six times.
_HELD: Final = "|".join(re.escape(n) for n in _NEEDLES)


def _extract() -> list[pl.Expr]:
    """``_cv_dry_run``: an acting step (a tool, a chain, an unknown step) whose arguments turned its
    dry-run flag on, or whose result says it was one."""
    acting = pl.col("kind").is_in(["tool", "unknown", "chain"])

    def said(col: str, pattern: str) -> pl.Expr:
        # The acting steps' texts are taken out first and scanned once for the needles; the texts
        # holding none are blanked (neither pattern matches an empty text) before the regex. Every
        # span's input and output scanned six times each, then masked, cost 0.39 CPU s at 584k
        # spans; this 0.05 s, the same rows.
        def test(e: pl.Expr) -> pl.Expr:
            return pl.when(e.str.contains(_HELD)).then(e).otherwise(pl.lit("")).str.contains(pattern)

        return on_rows(acting, pl.col(col), test).fill_null(False)

    return [(said("input", DRY_RUN_ARGUMENT) | said("output", DRY_RUN_RESULT)).alias("_cv_dry_run")]


register(
    Convention(
        name="dry_runs",
        signals=(
            Signal(
                "a call's arguments with its dry-run flag on: a JSON key dry_run / dryRun / dry-run / DryRun / preview set true "
                "(a Strands execute_tool span's gen_ai.tool.message content, a Chat Completions tool call's function.arguments, "
                "a smolagents tool's kwargs), or a command line's --dry-run (=client, =server; not =none); a result saying it was one: "
                "\"dry_run\": true or \"mode\": \"dry_run\" (escaped inside a Strands {\"text\": ...} content block), kubectl's "
                "'(server dry run)'. A flag that is off, or absent where the service defaults it off, is no dry run",
                "Strands Agents; OpenAI Chat Completions transcripts; Claude Code Bash (kubectl, helm, git push); AWS EC2 API (DryRun)",
                "strands-agents/sdk-python src/strands/telemetry/tracer.py (start_tool_call_span: gen_ai.tool.message content = "
                "serialize(tool['input']); end_tool_call_span: gen_ai.choice message = serialize(tool_result['content'])); "
                "kubernetes/kubectl reference (--dry-run: none, server, client; 'without persisting the resource'); "
                "AWS EC2 API reference (DryRun: 'without actually making the request')",
                "dry_run (unguarded_irreversible: a dry run did not act)",
            ),
        ),
        extract=_extract,
        status=published("_cv_dry_run", "dry_run"),
        columns={"dry_run": "a call told by its own arguments to only preview its change (dry-run flag on), or whose result says it was a dry run"},
    )
)
