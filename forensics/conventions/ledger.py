"""Magentic-One's progress ledger, read from the text of the orchestrator's messages.

Each turn the orchestrator asks its model for a JSON ledger whose keys are
``is_request_satisfied``, ``is_in_loop``, ``is_progress_being_made``, ``next_speaker`` and
``instruction_or_question``, each ``{"reason": ..., "answer": ...}`` (autogen
``autogen_agentchat/teams/_group_chat/_magentic_one/_prompts.py`` ORCHESTRATOR_PROGRESS_LEDGER_PROMPT,
checked in ``_magentic_one_orchestrator.py``); logs show it in the orchestrator's message
("Updated Ledger: {...}"). A flat ``"key": value`` is read too.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, register

# The answer of a ledger key: nested {"reason": "...", "answer": X} (in either order) or flat. The
# nested object is read up to its "answer" key without crossing a brace (reasons are prose).


def _answer(key: str, value: str) -> str:
    return rf"{Q}{key}{Q}\s*:\s*(?:\{{[^{{}}]*?{Q}answer{Q}\s*:\s*)?{value}"


_BOOL: Final = r"(?:{Q})?(true|false|True|False)".replace("{Q}", Q)
_TEXT: Final = rf"{Q}((?:[^\"\\]|\\[^\"])*){Q}"


_COLUMNS: Final = {
    "ledger_satisfied": pl.Boolean(),
    "ledger_in_loop": pl.Boolean(),
    "ledger_progress": pl.Boolean(),
    "ledger_next_speaker": pl.String(),
    "ledger_instruction": pl.String(),
}


def _status(df: pl.DataFrame) -> pl.DataFrame:
    # Read on the few rows whose output names a ledger key (one literal scan), then scattered back.
    rows = df.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "output").filter(
        pl.col("output").str.contains("is_in_loop", literal=True)
    )
    text = pl.col("output")

    def flag(key: str) -> pl.Expr:
        v = text.str.extract(_answer(key, _BOOL), 1)
        return pl.when(v.is_not_null()).then(v.str.to_lowercase() == "true")

    found = rows.select(
        "_row",
        flag("is_request_satisfied").alias("ledger_satisfied"),
        flag("is_in_loop").alias("ledger_in_loop"),
        flag("is_progress_being_made").alias("ledger_progress"),
        text.str.extract(_answer("next_speaker", _TEXT), 1).alias("ledger_next_speaker"),
        text.str.extract(_answer("instruction_or_question", _TEXT), 1).alias("ledger_instruction"),
    )
    at = found.get_column("_row")
    return df.with_columns(
        pl.repeat(None, df.height, dtype=dtype, eager=True).alias(name).scatter(at, found.get_column(name))
        for name, dtype in _COLUMNS.items()
    )


register(
    Convention(
        name="magentic_one_ledger",
        signals=(
            Signal(
                "progress ledger JSON: is_request_satisfied, is_in_loop, is_progress_being_made, next_speaker, instruction_or_question",
                "AutoGen Magentic-One",
                "python/packages/autogen-agentchat/src/autogen_agentchat/teams/_group_chat/_magentic_one/_prompts.py, _magentic_one_orchestrator.py",
                "ledger_satisfied, ledger_in_loop, ledger_progress, ledger_next_speaker, ledger_instruction",
            ),
            Signal(
                "Orchestrator (termination condition) Max rounds (N) reached. / Max time (Ns) reached.; "
                "Replan counter exceeded... Terminating.; no ledger ever answering is_request_satisfied true",
                "autogen-magentic-one (LedgerOrchestrator)",
                "python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/base_orchestrator.py "
                "(_handle_broadcast), orchestrator.py (LedgerOrchestrator._select_next_agent)",
                "@outcome failure with field log, on a history that carries no verdict (ag2-history loader)",
            ),
        ),
        status=_status,
        columns={
            "ledger_satisfied": "the orchestrator's ledger says the request is satisfied (null: no ledger on the span)",
            "ledger_in_loop": "the orchestrator's ledger says the team is in a loop",
            "ledger_progress": "the orchestrator's ledger says progress is being made",
            "ledger_next_speaker": "the agent the ledger names to speak next",
            "ledger_instruction": "the instruction or question the ledger gives the next speaker",
        },
    )
)


#: Magentic-One's own end of a run (``autogen_magentic_one/agents/base_orchestrator.py``
#: ``_handle_broadcast``: ``Orchestrator (termination condition)`` "Max rounds (N) reached." / "Max time
#: (Ns) reached."; ``orchestrator.py`` ``LedgerOrchestrator._select_next_agent``: "Replan counter
#: exceeded... Terminating."): the team stopped without its ledger ever saying the request was satisfied.
_GAVE_UP: Final = r"^\s*(?:Max rounds \(\d+\) reached|Max time \([\d.]+s\) reached|Replan counter exceeded)"


#: The same messages as literal prefixes (a cheap scan over every span before any regex).
_GAVE_UP_PREFIXES: Final = ("Max rounds (", "Max time (", "Replan counter exceeded")


def log_declared_failures(df: pl.DataFrame) -> pl.DataFrame:
    """``run_id`` of the runs in a span table (any loader) whose own log declares a failure, read
    as :func:`log_declared_failure` reads one run's messages: only the spans whose output starts with
    one of the messages above or holds a ledger are looked at."""
    text = pl.col("output").fill_null("")
    gave_up = pl.any_horizontal(text.str.starts_with(p) for p in _GAVE_UP_PREFIXES)
    rows = df.select("run_id", "output").filter(
        gave_up | text.str.contains("is_request_satisfied", literal=True)
    )
    marks = rows.select(
        "run_id",
        gave_up=text.str.contains(_GAVE_UP),
        ledger=text.str.contains("is_request_satisfied", literal=True),
        satisfied=(
            text.str.extract(_answer("is_request_satisfied", _BOOL), 1).str.to_lowercase() == "true"
        ).fill_null(False),
    )
    return (
        marks.group_by("run_id")
        .agg(pl.col("gave_up").any(), pl.col("ledger").any(), pl.col("satisfied").any())
        .filter(pl.col("gave_up") | (pl.col("ledger") & ~pl.col("satisfied")))
        .select("run_id")
    )


def log_declared_failure(texts: list[str]) -> str | None:
    """For one run's message texts (a loader's per-record view): the reason its own log declares it
    failed, else None (an outcome convention read from the log, not from a benchmark's verdict):
    the orchestrator ran out of rounds, time or replans (the messages above), or its ledgers never
    once answered ``is_request_satisfied: true``. A run with no ledger and no such message declares
    nothing."""
    gave_up = re.compile(_GAVE_UP)
    satisfied = re.compile(_answer("is_request_satisfied", _BOOL))
    if any(gave_up.search(t) for t in texts):
        return "the orchestrator ran out of rounds, time or replans"
    answers = [m.group(1).lower() for t in texts if (m := satisfied.search(t)) is not None]
    if answers and "true" not in answers:
        return "no ledger of the orchestrator ever said the request was satisfied"
    return None
