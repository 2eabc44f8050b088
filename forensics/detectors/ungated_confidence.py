"""missing_fallback's ungated_low_confidence: a step unsure of its decision, then an action on it.

TAXONOMY: "a side-effecting action taken right after a step that reported confidence below the
policy's gate, with no human review in between". Three parts, each read the same way in every
format we load:

* the low step (``confidence_gates.low_confidence_steps``): a confidence in a step's structured
  result (a tool's JSON or Python-repr result, a chain's or model call's output, an attribute)
  below the bar the step or the run's own configuration states, else the policy's
  ``confidence_gate``;
* the action (:func:`acting_steps`): a side-effecting or irreversible tool, or a step of a
  pipeline or hand-instrumented program that is not a tool span but is named for a change of the
  world and holds no work of its own (a Haystack custom component, named by the pipeline:
  conventions.components; a Langfuse v2 ``@observe`` function, exported as a plain SPAN);
* no gate between them: no person's review, no guardrail given the confidence
  (``confidence_gates.blind_guardrail``), and the unsure step not done again, about the same entity,
  by the same call that came out sure this time (``confidence_gates.sure_steps``: the action rests
  on the second answer).

An action on another entity than the one the step was unsure of is not that decision acted on
(:func:`about_another_entity`). Where a router component chose the action's branch after the
unsure step (a Haystack ``ConditionalRouter`` routing on the decision alone), the router is
decisive: the pipeline's branch was fixed there, and the action downstream ran with no further
decision; in an agent, the action is decisive (until it ran, a person could still be asked).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context, Detector, finding, hms, num, txt
from forensics.detectors.confidence_gates import blind_guardrail, low_confidence_steps, sure_steps
from forensics.detectors.registry import register
from forensics.policy import Threshold

#: Work a step holds: a step holding one of these is a container of the work, not the action.
_WORK: Final = ("tool", "llm", "agent", "chain", "retriever")
#: A step named for checking an act, not doing it (an OpenAI Agents SDK guardrail function traced as
#: a chain, ``refund_policy_guardrail``, whose output is its ``tripwire_triggered`` verdict).
_CHECK: Final = r"(?i)guardrail|(^|[^a-z])guard([^a-z]|$)"
#: An identifier in a JSON object or a Python repr: the value of a key ``id`` or ending in ``_id`` /
#: ``Id`` (``patient_id``, ``contactId``, ``claim_id``).
_ID_VALUE: Final = r"""\\?["'](?:[A-Za-z_]*_id|[A-Za-z]*Id|id)\\?["']\s*:\s*\\?["']?([A-Za-z0-9][A-Za-z0-9_.:\-]*)"""


def acting_steps(ctx: Context) -> pl.LazyFrame:
    """The steps that change the world: ``run_id, span_id, span_k, seq, t, call, args``. A tool the
    policy names side-effecting or irreversible (``is_side_effect``, ``is_irreversible``), and a
    step that is no tool span but acts (:func:`acting_components`)."""
    policy = ctx.policy
    cols = ("run_id", "span_id", "span_k", "seq", "t", "call", "args")
    tools = ctx.spans.lazy().filter(
        (pl.col("kind") == "tool") & (pl.col("is_side_effect") | pl.col("is_irreversible")).fill_null(False)
    )
    steps = acting_components(ctx, f"(?:{policy.side_effecting})|(?:{policy.irreversible})")
    return pl.concat([tools.select(cols), steps.select(cols)])


def acting_components(ctx: Context, words: str) -> pl.LazyFrame:
    """Chain steps that are no tool span but act, the spans' rows with ``call`` their own name: the
    name (a Haystack component's pipeline name, ``component``, else the span's name) matches
    ``words`` (the policy's tool vocabulary) and not tools.read_only nor a check (``_CHECK``: a
    guardrail), the step succeeded, it is not the run's root and holds no tool, model call, agent
    or step under it (a container is not the action: what it holds is judged)."""
    s = ctx.spans.lazy()
    label = pl.coalesce("component", "call")
    holders = s.filter(pl.col("kind").is_in(_WORK) & pl.col("parent_k").is_not_null()).select(
        "run_id", pl.col("parent_k").alias("span_k")
    ).unique()
    steps = s.filter((pl.col("kind") == "chain") & ~pl.col("is_root") & pl.col("succeeded") & ~pl.col("routes")).with_columns(
        label.alias("_label")
    )
    # The names are matched once each (a few hundred distinct names, not every step).
    named = (
        steps.select("_label").unique()
        .filter(
            pl.col("_label").str.contains(words).fill_null(False)
            & ~pl.col("_label").str.contains(ctx.policy.read_only).fill_null(False)
            & ~pl.col("_label").str.contains(_CHECK).fill_null(False)
        )
    )  # fmt: skip
    return (
        steps.join(named, on="_label", how="semi")
        .join(holders, on=["run_id", "span_k"], how="anti")
        .with_columns(pl.col("_label").alias("call"))
        .drop("_label")
    )


def about_another_entity(acted_text: pl.Expr | None = None) -> pl.Expr:
    """The action names entities (identifier values in its arguments, or in ``acted_text``:
    ``_ID_VALUE``), the unsure step names entities too, and none of the action's is among the step's:
    the step's confidence was about something else (a note's language, another customer). Where
    either names none, the two cannot be told apart and the action is taken as acting on the decision."""
    text = pl.col("args") if acted_text is None else acted_text
    acted = text.str.extract_all(_ID_VALUE).list.eval(pl.element().str.extract(_ID_VALUE, 1))
    judged = pl.col("low_text").str.extract_all(_ID_VALUE).list.eval(pl.element().str.extract(_ID_VALUE, 1))
    return (
        (acted.list.len() > 0) & (judged.list.len() > 0) & (acted.list.set_intersection(judged).list.len() == 0)
    ).fill_null(False)


@register
class UngatedLowConfidence(Detector):
    name = "ungated_low_confidence"
    failure_class = "missing_fallback"
    scope = "run"
    severity = "high"
    thresholds = (
        Threshold("confidence_gate", 0.5, "Confidence below this needs a human or guardrail before a "
                  "side-effecting action, where neither the step nor the run's configuration states its own bar.",
                  "a number between 0 and 1", lambda v: 0 <= v <= 1, (int, float)),
    )  # fmt: skip
    strength = "weak"
    description = (
        "A side-effecting action on what a step decided, taken after that step reported confidence below "
        "its bar (its own, its run's configuration's, else thresholds.confidence_gate), with no human review "
        "(nor a guardrail given the confidence) in between."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        # Found once per Context: unguarded_irreversible reads the same findings (an action taken
        # right after the unsure step is this rule's story), and as a plan they were computed again
        # there (0.24 CPU s at 584k spans).
        return ctx.once("ungated_low_confidence", lambda: self._ungated(ctx).collect()).lazy()

    def _ungated(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        low = low_confidence_steps(s, ctx.policy.confidence_gate)
        effects = acting_steps(ctx)
        reviews = s.filter(pl.col("is_review") & ~blind_guardrail()).select("run_id", pl.col("seq").alias("r_seq"))
        next_effect = (
            low.join(effects, on="run_id")
            .filter((pl.col("seq") > pl.col("low_seq")) & ~about_another_entity())
            .sort("run_id", "low_seq", "seq", "span_id")
            .group_by("run_id", "low_id")
            .agg(pl.all().first())
        )
        gated = (
            next_effect.join(reviews, on="run_id")
            .filter((pl.col("r_seq") > pl.col("low_seq")) & (pl.col("r_seq") < pl.col("seq")))
            .select("run_id", "low_id")
            .unique()
        )
        # A router that chose the action's branch after the unsure step: the branch was fixed there.
        routers = s.filter(pl.col("routes")).select("run_id", pl.col("span_id").alias("router_id"), pl.col("seq").alias("router_seq"))
        routed = (
            next_effect.join(routers, on="run_id")
            .filter((pl.col("router_seq") > pl.col("low_seq")) & (pl.col("router_seq") < pl.col("seq")))
            .sort("run_id", "low_id", "router_seq", "router_id")
            .group_by("run_id", "low_id")
            .agg(pl.col("router_id").first())
        )
        # The unsure step done again before the action by the same call, about the same entity, and
        # sure this time: the action rests on the second answer (an extraction re-run with a stronger
        # processor), as the app's own gate decided.
        redone_sure = (
            next_effect.join(sure_steps(s, ctx.policy.confidence_gate), on="run_id")
            .filter(
                (pl.col("sure_call") == pl.col("low_call"))
                & (pl.col("sure_seq") > pl.col("low_seq"))
                & (pl.col("sure_seq") < pl.col("seq"))
                & ~about_another_entity(pl.col("sure_text"))
            )
            .select("run_id", "low_id")
            .unique()
        )
        ungated = (
            next_effect.join(gated, on=["run_id", "low_id"], how="anti")
            .join(redone_sure, on=["run_id", "low_id"], how="anti")
            .join(routed, on=["run_id", "low_id"], how="left")
        )
        per_run = ungated.sort("run_id", "seq", "low_seq", "low_id").group_by("run_id").agg(pl.all().first())
        return per_run.select(
            finding(
                "run_id",
                pl.when(pl.col("router_id").is_not_null())
                .then(pl.concat_list("low_id", "router_id", "span_id"))
                .otherwise(pl.concat_list("low_id", "span_id")),
                # The ungated action (the low step stays evidence), or the router that sent the run to it.
                pl.coalesce("router_id", "span_id"),
                pl.format(
                    "{} {} reported confidence {} (gate {}) and side-effecting {} ran at {} with no human review or guardrail in between{}",
                    pl.col("low_kind"),
                    txt(pl.col("low_call")),
                    txt(pl.col("said")),
                    num(pl.col("gate"), 2),
                    txt(pl.col("call")),
                    hms("t"),
                    pl.when(pl.col("router_id").is_not_null())
                    .then(pl.lit(" (a router chose its branch on the decision alone)"))
                    .otherwise(pl.lit("")),
                ),
            )
        )
