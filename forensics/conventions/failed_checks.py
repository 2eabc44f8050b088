"""A check that failed and let the work through: the framework's gate said no, and passed it on anyway.

A validator or a refinement loop is a defined path only while its verdict decides what happens
next. Two frameworks say in their own spans that the verdict was "failed" and that nothing was done
about it:

- **Guardrails AI** (OpenInference instrumentation): every validator run after the model's output
  is a ``SequentialValidatorService.after_run_validator`` span with ``validator_name``,
  ``validator_on_fail`` (the validator's ``on_fail_descriptor.name``: REASK, FIX, FILTER, REFRAIN,
  NOOP, EXCEPTION, FIX_REASK, CUSTOM) and ``output.value`` the validation outcome, ``pass`` or
  ``fail`` (Arize-ai/openinference python/instrumentation/openinference-instrumentation-guardrails
  ``_wrap_guard_call.py`` ``_PostValidationWrapper``). NOOP is the one action that leaves the output
  as it was (guardrails-ai/guardrails ``guardrails/types/on_fail.py`` OnFailAction.NOOP: "take no
  corrective action"; the guard's ``validation_passed`` is false and the unvalidated text is the
  result). The others re-ask, fix, filter, refrain or raise: each a path.
- **DSPy Refine**: ``Refine.forward`` runs its module up to N times, scores each prediction with its
  reward function, stops at the first reward at or above ``threshold``, and otherwise asks
  ``OfferFeedback`` for advice before the next attempt; after the last attempt it returns the best
  prediction whatever its reward (stanfordnlp/dspy ``dspy/predict/refine.py``). MLflow's DSPy
  callback writes the OfferFeedback call as a ``Predict.forward`` span whose ``signature`` attribute
  (and input) names ``target_threshold`` and ``reward_value`` (mlflow/mlflow ``mlflow/dspy/callback.py``
  on_module_start: a Predict's span carries ``_get_span_attribute_for_module``'s signature, its inputs the kwargs). Where the reward function is traced too (``@mlflow.trace``: a child of the
  Refine span whose output is a bare number), the refinement gave up when its last reward is below
  the threshold it told OfferFeedback, or, the threshold not recorded, no higher than a reward it
  already found below the threshold (one that was followed by OfferFeedback): Refine stops at the
  first reward that reaches it, so a last reward below it means none did. Untraced rewards say
  nothing either way (no finding).

``check_let_through`` marks the validator span, or the Refine span: ``failed_check_passed_on``
(missing_fallback) reads it with what followed.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, on_rows, register, where_contains

#: The validator's name and on-fail action, as the instrumentation writes them.
_VALIDATOR: Final = rf"{Q}validator_name{Q}\s*:\s*{Q}([^\"\\]+)"
_ON_FAIL: Final = rf"{Q}validator_on_fail{Q}\s*:\s*{Q}([A-Za-z_]+)"
#: OfferFeedback's two reward fields (its signature attribute, or its inputs).
_FEEDBACK_FIELDS: Final = ("target_threshold", "reward_value")
#: The threshold Refine told OfferFeedback (a JSON input, or the adapter's ``[[ ## field ## ]]`` block).
_THRESHOLD: Final = rf"(?:{Q}target_threshold{Q}\s*:\s*{Q}?|\[\[ ## target_threshold ## \]\]\s*(?:\\n|\n)\s*)(-?[0-9]*\.?[0-9]+)"
#: A reward: a span whose whole output is one number.
_NUMBER: Final = r"^\s*\"?(-?[0-9]*\.?[0-9]+)\"?\s*$"


def _extract() -> list[pl.Expr]:
    attrs = where_contains("attributes", "validator_on_fail")
    feedback_attrs = where_contains("attributes", _FEEDBACK_FIELDS[0])
    feedback_input = where_contains("input", _FEEDBACK_FIELDS[0])
    return [
        (
            (attrs.str.extract(_ON_FAIL, 1).str.to_uppercase() == "NOOP")
            & (pl.col("output").str.strip_chars().str.strip_chars('"').str.to_lowercase() == "fail")
        )
        .fill_null(False)
        .alias("_cv_noop_fail"),
        attrs.str.extract(_VALIDATOR, 1).alias("_cv_validator"),
        (
            feedback_attrs.str.contains(_FEEDBACK_FIELDS[1], literal=True).fill_null(False)
            | feedback_input.str.contains(_FEEDBACK_FIELDS[1], literal=True).fill_null(False)
        ).alias("_cv_offer_feedback"),
        feedback_input.str.extract(_THRESHOLD, 1).cast(pl.Float64, strict=False).alias("_cv_target_threshold"),
        # Short outputs only (a number is a few bytes): the regex reads those rows, not every output.
        on_rows(pl.col("output").str.len_bytes() < 32, pl.col("output"), lambda e: e.str.extract(_NUMBER, 1))
        .cast(pl.Float64, strict=False)
        .alias("_cv_reward"),
    ]


def _structure(df: pl.DataFrame) -> pl.DataFrame:
    noop = pl.col("_cv_noop_fail")
    said_noop = pl.format("validator {} failed with on_fail NOOP", pl.col("_cv_validator").fill_null("?"))
    if not df.select(pl.col("_cv_offer_feedback").any()).item():
        return df.with_columns(
            noop.alias("check_let_through"), pl.when(noop).then(said_noop).otherwise(pl.lit(None, pl.String)).alias("check_said")
        )
    # The refinement loops: the parents of the OfferFeedback calls. A call is the outermost span that
    # names the fields (the Predict span; its adapter and model call under it name them too).
    marked = df.filter(pl.col("_cv_offer_feedback")).select("run_key", "span_k", "parent_k", "_cv_target_threshold")
    outermost = marked.filter(~pl.col("parent_k").is_in(marked.get_column("span_k").implode()).fill_null(False))
    kids = df.select("run_key", "span_k", "parent_k", "seq", "_cv_reward").filter(pl.col("parent_k").is_not_null())
    loops = (
        kids.join(outermost.select("span_k"), on="span_k", how="semi")
        .group_by("parent_k")
        .agg(pl.col("seq").max().alias("_last_feedback"))
    )
    # The threshold Refine told OfferFeedback, where the call's inputs were recorded whole.
    thresholds = marked.group_by("run_key").agg(pl.col("_cv_target_threshold").max().alias("_threshold"))
    rewards = kids.filter(pl.col("_cv_reward").is_not_null()).join(loops, on="parent_k")
    # A reward followed by OfferFeedback was below the threshold; the last reward is the last attempt's.
    below = rewards.filter(pl.col("seq") < pl.col("_last_feedback")).group_by("parent_k").agg(
        pl.col("_cv_reward").max().alias("_known_below")
    )
    last = (
        rewards.sort("seq")
        .group_by("parent_k")
        .agg(
            pl.col("run_key").first(),
            pl.col("_cv_reward").last().alias("_last_reward"),
            pl.col("seq").last().alias("_last_reward_seq"),
            pl.len().alias("_n"),
        )
        .join(loops, on="parent_k")
        .join(below, on="parent_k", how="left")
        .join(thresholds, on="run_key", how="left")
        .filter(pl.col("_last_reward_seq") > pl.col("_last_feedback"))
        .filter(
            pl.when(pl.col("_threshold").is_not_null())
            .then(pl.col("_last_reward") < pl.col("_threshold"))
            .otherwise(pl.col("_last_reward") <= pl.col("_known_below"))
            .fill_null(False)
        )
        .select(
            pl.col("parent_k").alias("span_k"),
            pl.format(
                "refinement ran {} attempt(s) and its last reward {} stayed below {}",
                pl.col("_n"),
                pl.col("_last_reward"),
                pl.when(pl.col("_threshold").is_not_null())
                .then(pl.format("its threshold {}", pl.col("_threshold")))
                .otherwise(pl.format("a reward ({}) it had already found short of its threshold", pl.col("_known_below"))),
            ).alias("_refine_said"),
        )
    )
    df = df.join(last, on="span_k", how="left", maintain_order="left")
    gave_up = pl.col("_refine_said").is_not_null()
    return df.with_columns(
        (noop | gave_up).alias("check_let_through"),
        pl.when(noop).then(said_noop).otherwise(pl.col("_refine_said")).alias("check_said"),
    ).drop("_refine_said")


register(
    Convention(
        name="failed_checks",
        signals=(
            Signal(
                "a SequentialValidatorService.after_run_validator span with validator_on_fail NOOP and output.value 'fail' "
                "(the validation outcome)",
                "Guardrails AI (OpenInference instrumentation)",
                "Arize-ai/openinference python/instrumentation/openinference-instrumentation-guardrails/src/openinference/"
                "instrumentation/guardrails/_wrap_guard_call.py (_PostValidationWrapper: validator_name, validator_on_fail = "
                "on_fail_descriptor.name, OUTPUT_VALUE = validation_result.outcome); guardrails-ai/guardrails "
                "guardrails/types/on_fail.py (OnFailAction.NOOP: no corrective action, the output passed on unvalidated)",
                "check_let_through, check_said (failed_check_passed_on: a side-effecting act after it)",
            ),
            Signal(
                "a span (Refine.forward) with OfferFeedback calls among its children (a Predict span whose signature "
                "attribute or input names target_threshold and reward_value) and traced reward readings (children whose "
                "output is one number): the last reward, after the last OfferFeedback, below the target_threshold told, "
                "or no higher than a reward already followed by OfferFeedback",
                "DSPy Refine (MLflow DSPy autolog; reward function traced with @mlflow.trace)",
                "stanfordnlp/dspy dspy/predict/refine.py (Refine.forward: stop at reward >= threshold, else OfferFeedback "
                "and the next attempt; after N attempts return best_pred); mlflow/mlflow mlflow/dspy/callback.py "
                "(on_module_start, _get_span_attribute_for_module: a Predict span with its signature attribute, its inputs the kwargs)",
                "check_let_through, check_said on the Refine span (the refinement gave up and returned its best)",
            ),
        ),
        extract=_extract,
        structure=_structure,
        columns={
            "check_let_through": "a check that failed and let the work through unchanged: a Guardrails validator that "
            "failed with on_fail NOOP, a DSPy Refine that ran out of attempts below its threshold",
            "check_said": "what the failed check said (validator and action, or the refinement's attempts and rewards)",
        },
    )
)
