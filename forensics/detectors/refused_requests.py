"""A request to a person that the messaging API refused: an escalation nobody ever received.

Slack's Web API answers every method with HTTP 200 and a JSON body whose ``ok`` says whether it
worked; a failure is ``{"ok": false, "error": "<code>"}`` (api.slack.com/web, "Evaluating
responses"; ``chat.postMessage`` answers ``is_archived``, ``channel_not_found``, ``not_in_channel``
...). python-slack-sdk raises ``SlackApiError`` on it, but a tool that returns the body (or a
framework that stringifies it: the OpenAI Agents SDK's function span holds ``str(result)``,
``{'ok': False, 'error': 'is_archived'}``) hands the refusal back as data. A request for a
person's decision posted so reached nobody: no one could acknowledge it, however the run went on.

Read here, as unacknowledged_escalation's escalations, when the refused call asked a person for a
decision: a tool named as an approval request (unguarded_action's ``APPROVAL_REQUEST``:
``request-approval``, ``ask_for_approval``), or a message post (``chat.postMessage``'s own
arguments, ``channel`` and ``text``) whose text asks for an approval. A later call of the same tool
that was not refused delivered the request after all (the agent re-posted it elsewhere).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Q

#: A Web API body saying the call did not work: ``"ok": false`` (JSON, or Python's ``False`` in a
#: stringified dict) beside an ``error`` code.
_NOT_OK: Final = r"""(?i)(?:\\?"|')ok(?:\\?"|')\s*:\s*false\b"""
_ERROR_CODE: Final = r"""(?i)(?:\\?"|')error(?:\\?"|')\s*:\s*(?:\\?"|')([a-z_]+)"""
#: chat.postMessage's arguments: the channel and the text posted to it.
_POST_ARGS: Final = (rf"(?i){Q}channel{Q}\s*:", rf"(?i){Q}text{Q}\s*:")
#: A message asking for an approval: the word beside a request for it ("Approval needed", "PTO
#: exception request ... with manager approval", "please approve"); not one reporting a decision
#: made ("request approved"). Read in the arguments as normalised (``args``: JSON with its
#: whitespace taken out, so no word boundaries).
_ASKS_APPROVAL: Final = (r"(?i)approv(?:al|e(?:[^d]|$))", r"(?i)request|needed|required|please")


def _refused() -> pl.Expr:
    out = pl.col("output")
    return (out.str.contains(_NOT_OK) & out.str.contains(_ERROR_CODE)).fill_null(False)


def _all(col: str, patterns: tuple[str, ...]) -> pl.Expr:
    """Every one of ``patterns`` found in ``col``. Each test reads only the texts every test before
    it matched (the others blanked: a row one test failed is false whatever the next finds), not
    every tool call's arguments (all_horizontal computed each regex over all of them: 0.21 of
    refused_requests' 0.30 CPU s at the bench night's 229k tool calls)."""
    text = pl.col(col)
    held = text.str.contains(patterns[0]).fill_null(False)
    for p in patterns[1:]:
        held = held & pl.when(held).then(text).otherwise(pl.lit("")).str.contains(p).fill_null(False)
    return held


def refused_requests(spans: pl.LazyFrame, cols: tuple[str, ...]) -> pl.LazyFrame:
    """``cols`` plus ``queue_note`` of the tool calls asking a person for a decision whose result is
    a Web API refusal, with no later call of the same tool in the run that was not refused."""
    from forensics.detectors.unguarded_action import APPROVAL_REQUEST

    tools = spans.filter((pl.col("kind") == "tool") & ~pl.col("failed"))
    asks = pl.col("call").str.contains(APPROVAL_REQUEST).fill_null(False) | (
        _all("args", (*_POST_ARGS, *_ASKS_APPROVAL))
    )
    # The name and argument tests first (cheap, and most nights match nothing): the result regexes
    # then read those calls, and the later calls of their runs only.
    refused = tools.filter(asks).filter(_refused()).collect()
    later = tools.filter(pl.col("run_id").is_in(refused.get_column("run_id").unique().implode())).filter(~_refused())
    delivered = (
        refused.lazy()
        .select("run_id", "span_id", "seq", "call")
        .join(later.select("run_id", "call", pl.col("seq").alias("_d_seq")), on=["run_id", "call"])
        .filter(pl.col("_d_seq") > pl.col("seq"))
        .select("run_id", "span_id")
    )
    return refused.lazy().join(delivered, on=["run_id", "span_id"], how="anti").select(
        *cols,
        pl.format(
            " (the messaging API refused it: {}; nobody received it)",
            pl.col("output").str.extract(_ERROR_CODE, 1),
        ).alias("queue_note"),
    )
