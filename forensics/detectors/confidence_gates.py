"""What gates a low-confidence step: a person's review, or a guardrail that was given the confidence."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.confidence_bars import STATED_BAR
from forensics.conventions.registry import Q as _Q

#: Words of a guardrail input that carries the step's certainty (a confidence, a score, a probability).
_CERTAINTY = r"(?i)confiden|score|probab|certaint"


def blind_guardrail() -> pl.Expr:
    """A guardrail span whose recorded input holds no confidence, score or probability: it checked
    something else (the amount, the wording), so it cannot have gated the step's low confidence.
    TAXONOMY's ungated_low_confidence asks for a human review between the step and the action; a
    guardrail stands in for one only where it judged the certainty. A guardrail with no recorded input
    is given the benefit of the doubt."""
    text = pl.col("args")
    return (pl.col("kind") == "guardrail") & text.is_not_null() & ~text.str.contains(_CERTAINTY).fill_null(False)


#: A decision step's own word for how sure it is, in its structured output: the key (``confidence``,
#: ``confidence_score``, ``confidence_level``, ``certainty``, or one naming what it is sure of:
#: ``intent_confidence``, ``route_confidence``) and its value, a number or a word. A router or
#: classifier written with LangChain's ``with_structured_output`` returns the schema's fields as
#: the model call's tool-call arguments (langchain_core/language_models/chat_models.py
#: with_structured_output: bind_tools + PydanticToolsParser / JsonOutputKeyToolsParser), recorded
#: as the run's outputs (LangSmith) or the output messages (OpenInference ``output.value``); a
#: LangGraph router node returns it as its state update. Quotes may be escaped (arguments as a JSON
#: string).
#: A key's quote in JSON (maybe escaped) or a Python repr (a smolagents tool's ``str(dict)`` result).
_K = r"""\\?["']"""
_STATED: Final = rf"{_K}([A-Za-z_]*confidence[A-Za-z_]*|certainty){_K}\s*:\s*{_K}?([A-Za-z][A-Za-z ]*|-?[0-9]*\.?[0-9]+)"
#: A classifier's score for the label it chose: ``score`` or ``probability`` beside the decision
#: in the same object (Hugging Face ``text-classification`` / ``zero-shot-classification`` pipelines
#: answer ``{"label": ..., "score": ...}``; a router's ``{"intent": ..., "score": ...}``). A score
#: with no decision beside it (a search hit's relevance) is not the step's certainty.
_DECISION_THEN_SCORE: Final = (
    rf"{_Q}(?:label|route|intent|category|class|decision|destination|classification|next){_Q}\s*:\s*{_Q}[^\"\\]*{_Q}"
    rf"\s*,\s*{_Q}(?:score|probability|prob){_Q}\s*:\s*(-?[0-9]*\.?[0-9]+)"
)
_SCORE_THEN_DECISION: Final = (
    rf"{_Q}(?:score|probability|prob){_Q}\s*:\s*(-?[0-9]*\.?[0-9]+)\s*,\s*"
    rf"{_Q}(?:label|route|intent|category|class|decision|destination|classification|next){_Q}\s*:"
)
#: A tool whose name says it decides: a classifier or router run as a tool.
_DECIDING_TOOL: Final = r"(?i)classif|(^|[^a-z])rout(e|er|ing)([^a-z]|$)|intent|triage|categori"
#: Keys that state the bar, not the certainty: the step's own threshold beside its confidence.
_BAR_KEY: Final = r"(?i)threshold|min|required|cutoff|gate|target"
_OWN_BAR: Final = (
    rf"(?i){_K}(?:confidence_threshold|threshold|min_confidence|minimum_confidence|required_confidence|confidence_cutoff)"
    rf"{_K}\s*:\s*{_K}?([0-9]*\.?[0-9]+)"
)
#: The bar the step was told in its own prompt (a router's instructions: "if your confidence is
#: below 0.8, route to a human", "only act when confidence is at least 80%"): read from the model
#: call's input where its output states no bar.
_PROMPT_BAR: Final = (
    r"(?i)confidence[^.\n]{0,40}?(?:below|under|less than|lower than|<|at least|above|over|>=|>|threshold(?: of| is)?:?)"
    r"\s*(0?\.[0-9]+|[0-9]{1,3}(?:\.[0-9]+)?\s*%)"
)
#: A certainty given as a word: clearly low.
_LOW_WORD: Final = r"(?i)^\s*(?:very\s+)?low\s*$|^\s*uncertain\s*$|^\s*unsure\s*$"


def _fraction(e: pl.Expr) -> pl.Expr:
    """A level or bar given out of 100 (above 1, up to 100) as a fraction."""
    return pl.when((e > 1) & (e <= 100)).then(e / 100).otherwise(e)


def run_bars(s: pl.LazyFrame) -> pl.LazyFrame:
    """The confidence bar each run's own configuration states: ``run_id, run_bar``: the first (in
    the run's order) of a bar in a span's attributes (``stated_bar``: Langfuse metadata, an
    application's attribute), under a key naming the bar in a span's input (``match_threshold``:
    the Langfuse v2 ``@observe`` input of a step called with its bar; the run's root input), or set
    by a model call's prompt ("confirm with the patient when the match confidence is below 0.9": a
    smolagents ToolCallingAgent's system prompt lists its tools' descriptions, huggingface/smolagents
    src/smolagents/prompts/toolcalling_agent.yaml ``{{tool.description}}``)."""
    args = pl.col("args")
    return (
        # Only the spans that can state one (a literal scan) go through the regexes.
        s.filter(
            pl.col("stated_bar").is_not_null()
            | args.str.contains("onfidence", literal=True).fill_null(False)
            | args.str.contains("hreshold", literal=True).fill_null(False)
        )
        .select(
            "run_id", "seq",
            pl.coalesce(
                pl.col("stated_bar"),
                pl.col("args").str.extract(STATED_BAR, 1).cast(pl.Float64, strict=False),
                pl.when(pl.col("kind") == "llm")
                .then(pl.col("args").str.extract(_PROMPT_BAR, 1).str.replace(r"\s*%$", ""))
                .cast(pl.Float64, strict=False),
            ).alias("run_bar"),
        )
        .filter(pl.col("run_bar").is_not_null() & (pl.col("run_bar") > 0) & (pl.col("run_bar") <= 100))
        .sort("run_id", "seq")
        .group_by("run_id")
        .agg(_fraction(pl.col("run_bar")).first())
    )


def low_confidence_steps(s: pl.LazyFrame, gate: float) -> pl.LazyFrame:
    """The steps that reported confidence below their gate: ``run_id, low_id, low_seq, low_kind,
    low_call, low_text, confidence, gate, said`` (:func:`_stated_confidences`, the low ones)."""
    low = _stated_confidences(s, gate).filter(pl.col("_low")).drop("_low")
    # A step whose result holds a low step's below it (a smolagents Step span's observations are
    # its tool's result; a pipeline's output its components') carried the confidence up: the step
    # that reported it is the inner one.
    inner = low.select("run_id", pl.col("parent_k").alias("span_k")).drop_nulls()
    return low.join(inner, on=["run_id", "span_k"], how="anti").drop("span_k", "parent_k")


def sure_steps(s: pl.LazyFrame, gate: float) -> pl.LazyFrame:
    """The steps that reported confidence at or above their gate, read as :func:`low_confidence_steps`
    reads the low ones: ``run_id, sure_seq, sure_call, sure_text``. A low step done again by the same
    call that then came out sure (an invoice re-extracted with a stronger processor: Document AI's
    per-field ``confidence``, each processor version its own model) was not the decision acted on."""
    return _stated_confidences(s, gate).filter(~pl.col("_low")).select(
        "run_id", pl.col("low_seq").alias("sure_seq"), pl.col("low_call").alias("sure_call"),
        pl.col("low_text").alias("sure_text"),
    )  # fmt: skip


def _stated_confidences(s: pl.LazyFrame, gate: float) -> pl.LazyFrame:
    """Every step that stated how sure it was, with its gate and ``_low`` (below it): the columns of
    :func:`low_confidence_steps` and ``span_k, parent_k``. The preparation's ``confidence`` (a ``confidence``
    key in the span's attributes or output, any step's: a matcher tool's result); and a decision
    step (a model call, a chain or graph node, an agent: not a tool's result, whose "confidence" is
    about the data it returned, unless the tool is named for deciding) whose structured output states
    its confidence (_STATED), as a percentage (a value above 1 and up to 100 is out of 100), or as a
    word that says low. The gate is the first stated of: the step's own threshold beside its
    confidence (_OWN_BAR), the bar its own prompt set (a model call: _PROMPT_BAR), a bar in its own
    input or configuration (a matcher called with ``match_threshold``: STATED_BAR, ``stated_bar``),
    the bar the run's configuration states (:func:`run_bars`), else the policy's ``gate``.
    ``low_text`` is the step's input and output: what it was about (the entity it matched)."""
    out = pl.col("output")
    base = s.filter(pl.col("confidence").is_not_null()).with_columns(
        pl.col("confidence").alias("_number"), pl.col("confidence").round(2).cast(pl.String).alias("_value"),
    )
    stated = (
        s.filter(
            (
                pl.col("kind").is_in(["llm", "chain", "agent"])
                | ((pl.col("kind") == "tool") & pl.col("call").str.contains(_DECIDING_TOOL).fill_null(False))
            )
            & out.str.contains("(?i)confiden|certaint|score|prob").fill_null(False)
        )
        .with_columns(
            pl.coalesce(
                out.str.extract(_STATED, 1),
                pl.when(out.str.contains(_DECISION_THEN_SCORE) | out.str.contains(_SCORE_THEN_DECISION)).then(pl.lit("score")),
            ).alias("_key"),
            pl.coalesce(
                out.str.extract(_STATED, 2), out.str.extract(_DECISION_THEN_SCORE, 1), out.str.extract(_SCORE_THEN_DECISION, 1)
            ).str.strip_chars().alias("_value"),
        )
        .filter(pl.col("_key").is_not_null() & ~pl.col("_key").str.contains(_BAR_KEY))
        .with_columns(pl.col("_value").cast(pl.Float64, strict=False).alias("_number"))
        .drop("_key")
    )
    own_bar = pl.coalesce(
        out.str.extract(_OWN_BAR, 1),
        pl.when(pl.col("kind") == "llm").then(pl.col("args").str.extract(_PROMPT_BAR, 1).str.replace(r"\s*%$", "")),
        pl.col("args").str.extract(STATED_BAR, 1),
    ).cast(pl.Float64, strict=False)
    return (
        pl.concat([base, stated], how="diagonal_relaxed")
        .unique(["run_id", "span_id"], keep="first", maintain_order=True)
        .join(run_bars(s), on="run_id", how="left")
        .with_columns(
            _fraction(pl.col("_number")).alias("_level"),
            pl.coalesce(_fraction(own_bar), _fraction(pl.col("stated_bar")), "run_bar", pl.lit(gate)).alias("_gate"),
        )
        .with_columns(
            (
                ((pl.col("_number") >= 0) & (pl.col("_number") <= 100) & (pl.col("_level") < pl.col("_gate"))).fill_null(False)
                | pl.col("_value").str.contains(_LOW_WORD).fill_null(False)
            ).alias("_low")
        )
        # A sure step states a number in range at or above its gate; nothing else is read as sure.
        .filter(pl.col("_low") | ((pl.col("_number") >= 0) & (pl.col("_number") <= 100)).fill_null(False))
        .select(
            "run_id", pl.col("span_id").alias("low_id"), pl.col("seq").alias("low_seq"),
            pl.col("kind").alias("low_kind"), pl.col("call").alias("low_call"),
            pl.concat_str([pl.col("args").fill_null(""), out.fill_null("")], separator="\n").alias("low_text"),
            pl.col("_level").alias("confidence"), pl.col("_gate").alias("gate"), pl.col("_value").alias("said"),
            "span_k", "parent_k", "_low",
        )
    )
