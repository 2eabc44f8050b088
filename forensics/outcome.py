"""Declared outcomes: the run's own verdict, where its log carries one.

A loader that finds a verdict in the log (a benchmark ``reward``, ``success``/``is_success``, an
evaluator's score, a task status, an ``is_correct``) writes it on the run's ROOT span (the span
with no parent; on each root when a run has several) under the attributes key ``"@outcome"``::

    {"verdict": "success" | "failure" | "unknown", "score": <number or null>,
     "field": "<where it was read, e.g. reward>", "value": <the raw value>}

``unknown`` is written when the log holds an evaluation whose direction is not known (a
Langfuse ``toxicity`` of 0.8, a ``hallucination`` of 1: higher is worse there, so a number alone
is no verdict); the raw value is kept so a reader can decide. Benchmark ANSWERS
(``ground_truth``, ``mistake_agent``, ``mistake_step``, ``mistake_reason``, expected outputs)
are never read here: they are labels, not the run's verdict.

The classifier reads it back with :func:`declared_outcomes` (one row per run).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import polars as pl

#: The attributes key the verdict is written under, on root spans.
OUTCOME_KEY: Final = "@outcome"
VERDICTS: Final = ("success", "failure", "unknown")

#: Boolean verdict keys a run record may carry, read in this order (first present wins).
BOOLEAN_KEYS: Final = ("success", "is_success", "succeeded", "passed", "is_passed", "resolved", "is_resolved",
                       "is_correct", "correct")
#: Status keys whose words say how the task ended (smolagents' RunResult ``state``, a task ``status``).
STATUS_KEYS: Final = ("state", "status", "task_status", "outcome")
#: Benchmark answers: never read as a verdict, whatever their shape.
ANSWER_KEYS: Final = frozenset({"ground_truth", "mistake_agent", "mistake_step", "mistake_reason", "expected_output",
                                "expected", "reference", "reference_outputs"})

_SUCCESS_WORDS: Final = frozenset({"success", "succeeded", "successful", "pass", "passed", "resolved", "correct",
                                   "true", "yes"})
_FAILURE_WORDS: Final = frozenset({"failure", "failed", "fail", "error", "errored", "incorrect", "unresolved", "false",
                                   "no", "max_steps_error", "timeout", "timed_out",
                                   # A run stopped by its turn or step limit, its task not done: smolagents'
                                   # RunResult.state max_steps_error (above); the Claude Agent SDK's result
                                   # subtypes error_max_turns and error_during_execution (ResultMessage.subtype);
                                   # Letta's stop_reason max_steps (letta/schemas/letta_stop_reason.py); the
                                   # OpenAI Agents SDK's MaxTurnsExceeded (src/agents/exceptions.py).
                                   "max_turns", "error_max_turns", "max_turns_exceeded", "max_steps",
                                   "error_during_execution"})
#: A run stopped from outside before it finished: no verdict on the task, and no failure of the agent.
#: Letta's stop_reason and run status ``cancelled`` (letta/schemas/letta_stop_reason.py: StopReasonType
#: .cancelled -> RunStatus.cancelled, the run cancelled through the API); the OpenAI Assistants run
#: status ``cancelled`` (openai-python src/openai/types/beta/threads/run_status.py, after the client's
#: cancel call); a state that names the user (``cancelled_by_user``) says who stopped it.
CANCELLED_WORDS: Final = frozenset({"cancelled", "canceled", "cancelled_by_user", "canceled_by_user", "user_cancelled",
                                    "user_canceled", "stopped_by_user", "aborted_by_user", "interrupted_by_user",
                                    "user_interrupted"})
#: A run state that says the run ended normally, its task not judged (Letta's RunStatus completed also
#: covers a run stopped at max_steps: letta_stop_reason.py StopReasonType.run_status).
ENDED_WORDS: Final = frozenset({"completed", "complete", "finished", "done"})
#: Evaluator names whose score rises with success (a score named otherwise is kept, verdict unknown).
POSITIVE_SCORE_NAMES: Final = ("correctness", "correct", "is_correct", "success", "task_success", "resolved",
                               "pass", "passed", "accuracy", "exact_match", "reward")
#: tau-bench's own success band (tau_bench/types.py REWARD_SUCCESS_MIN/MAX): reward within 1e-6 of 1.
REWARD_TOLERANCE: Final = 1e-6


def outcome_attribute(verdict: str, score: float | None, field: str, value: Any) -> dict[str, Any]:
    """The ``@outcome`` value a loader puts in a root span's attributes."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, found {verdict!r}")
    return {"verdict": verdict, "score": score, "field": field, "value": value}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _word(value: str) -> str:
    return value.strip().lower().replace(" ", "_").replace("-", "_")


def cancelled_by(value: Any) -> str | None:
    """For a run-state word that says the run was cancelled: who cancelled it (``user`` when the word
    names the user, else ``unknown``); None for any other value."""
    if not isinstance(value, str) or _word(value) not in CANCELLED_WORDS:
        return None
    return "user" if "user" in _word(value) else "unknown"


def state_status(value: Any) -> str | None:
    """The status a run's own state word gives its root span: ``error`` for a failure or a
    cancellation (the run did not report success), ``ok`` for success or a normal end; None for a
    word that says neither (``running``, a value that is no word)."""
    if not isinstance(value, str):
        return None
    if cancelled_by(value) is not None or word_verdict(value) == "failure":
        return "error"
    if word_verdict(value) == "success" or _word(value) in ENDED_WORDS:
        return "ok"
    return None


def word_verdict(value: Any) -> str:
    """success / failure / unknown for a bool, a 0/1 number or a status word."""
    if isinstance(value, bool):
        return "success" if value else "failure"
    number = _number(value)
    if number is not None:
        return "success" if number == 1 else "failure" if number == 0 else "unknown"
    if isinstance(value, str):
        word = _word(value)
        if word in _SUCCESS_WORDS:
            return "success"
        if word in _FAILURE_WORDS:
            return "failure"
    return "unknown"


def reward_outcome(value: Any, field: str = "reward") -> dict[str, Any] | None:
    """A benchmark reward: success when it is 1 (within 1e-6, tau-bench's band), else failure;
    a reward outside [0, 1] has no known scale: unknown. The reward is kept as the score."""
    number = _number(value)
    if number is None:
        return None
    if abs(number - 1.0) <= REWARD_TOLERANCE:
        verdict = "success"
    elif 0.0 <= number < 1.0:
        verdict = "failure"
    else:
        verdict = "unknown"
    return outcome_attribute(verdict, number, field, value)


def record_outcome(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any] | None:
    """The verdict a run record carries at its top level, or None.

    Read in order: ``reward`` (see :func:`reward_outcome`); a boolean key (:data:`BOOLEAN_KEYS`);
    a status key (:data:`STATUS_KEYS`) whose word says success or failure (``success``,
    ``failed``, smolagents' ``max_steps_error``; any other word is not a verdict and is skipped),
    or says the run was cancelled (:data:`CANCELLED_WORDS`): verdict unknown, with ``cancelled_by``
    (``user`` or ``unknown``), so a run its user stopped is neither a success nor a failure the agent
    hid. ``prefix`` is put before the field name (``info.`` for a key read inside ``info``)."""
    if "reward" in record:
        found = reward_outcome(record["reward"], prefix + "reward")
        if found is not None:
            return found
    for key in BOOLEAN_KEYS:
        if key in record and record[key] is not None:
            raw = record[key]
            verdict = word_verdict(raw)
            if verdict != "unknown":
                return outcome_attribute(verdict, 1.0 if verdict == "success" else 0.0, prefix + key, raw)
    for key in STATUS_KEYS:
        raw = record.get(key)
        if isinstance(raw, str):
            verdict = word_verdict(raw)
            if verdict != "unknown":
                return outcome_attribute(verdict, None, prefix + key, raw)
            who = cancelled_by(raw)
            if who is not None:
                return outcome_attribute("unknown", None, prefix + key, raw) | {"cancelled_by": who}
    return None


def scores_outcome(field: str, scores: Mapping[str, Any]) -> dict[str, Any] | None:
    """Named evaluator scores (``{name: value}``) → one verdict.

    A score named like success (:data:`POSITIVE_SCORE_NAMES`, first found wins) gives the
    verdict: a bool, a 0/1 number, or a pass/fail word; a number strictly between 0 and 1 keeps
    its score with verdict unknown. Scores with other names (toxicity, hallucination, relevance:
    their direction is not known) are kept as the value with verdict unknown. None when empty."""
    if not scores:
        return None
    lowered = {str(name).lower(): name for name in scores}
    for wanted in POSITIVE_SCORE_NAMES:
        if wanted in lowered:
            name = lowered[wanted]
            raw = scores[name]
            number = _number(raw)
            verdict = word_verdict(raw)
            score = number if number is not None else (1.0 if verdict == "success" else 0.0 if verdict == "failure" else None)
            return outcome_attribute(verdict, score, f"{field}.{name}", raw)
    return outcome_attribute("unknown", None, field, dict(scores))


def with_outcome(attributes: dict[str, Any], outcome: dict[str, Any] | None) -> dict[str, Any]:
    """``attributes`` with ``@outcome`` set (unchanged when there is none)."""
    if outcome is not None:
        attributes[OUTCOME_KEY] = outcome
    return attributes


def declared_outcome_expr() -> pl.Expr:
    """The ``@outcome.verdict`` of a span's attributes (null when it has none)."""
    return pl.col("attributes").str.json_path_match("$['@outcome'].verdict")


def declared_score_expr() -> pl.Expr:
    """The ``@outcome.score`` of a span's attributes, as a float (null when none)."""
    return pl.col("attributes").str.json_path_match("$['@outcome'].score").cast(pl.Float64, strict=False)


def declared_outcomes(spans: pl.DataFrame) -> pl.DataFrame:
    """One row per run of ``spans``: ``run_id``, ``declared_outcome`` (success, failure or
    unknown) and ``declared_score`` (float or null), from the ``@outcome`` of its root spans.

    Several roots that disagree: failure wins over success (one failed part fails the run);
    a run with no ``@outcome`` is unknown."""
    schema = {"run_id": pl.String(), "declared_outcome": pl.String(), "declared_score": pl.Float64()}
    if spans.is_empty():
        return pl.DataFrame(schema=schema)
    runs = spans.select("run_id").unique(maintain_order=True)
    roots = (
        spans.lazy()
        .filter(pl.col("parent_id").is_null() & pl.col("attributes").is_not_null()
                & pl.col("attributes").str.contains("@outcome", literal=True))
        .select("run_id", declared_outcome_expr().alias("verdict"), declared_score_expr().alias("score"))
        .filter(pl.col("verdict").is_in(VERDICTS))
        .group_by("run_id")
        .agg(
            pl.when((pl.col("verdict") == "failure").any()).then(pl.lit("failure"))
            .when((pl.col("verdict") == "success").any()).then(pl.lit("success"))
            .otherwise(pl.lit("unknown")).alias("declared_outcome"),
            pl.col("score").drop_nulls().first().alias("declared_score"),
        )
        .collect()
    )
    return (
        runs.join(roots, on="run_id", how="left")
        .with_columns(pl.col("declared_outcome").fill_null("unknown"))
        .cast(schema)  # type: ignore[arg-type,unused-ignore]
    )
