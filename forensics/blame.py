"""Agent and step blame (Who&When): how often a run's decisive span belongs to the agent and step
the labels hold responsible (``mistake_agent``, ``mistake_step``), the baselines to beat, and the
held-out split. Class evaluation is :mod:`forensics.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import polars as pl

from forensics.classify import Classification

#: The benchmark's answers a loader may keep as run attributes (``run.<key>``): never read by a rule,
#: removed by :func:`without_labels` before scoring.
BLAME_LABEL_KEYS: tuple[str, ...] = ("mistake_agent", "mistake_step", "mistake_reason", "ground_truth")


#: The held-back part of a labelled set (chosen by :func:`blame_holdout` before any tuning).
HOLDOUT_SEED: str = "who-and-when-holdout-v1"


@dataclass(frozen=True)
class BlameEvaluation:
    """How often the run's decisive agent and step (``decisive_agent``, ``decisive_step`` of the
    runs table, named by forensics.attribution) are the human-chosen ones (exact step match)."""

    runs: pl.DataFrame  # run_id, mistake_agent, mistake_step, decisive_agent, decisive_step, rule, ...
    total: int
    flagged: int  # runs for which a decisive agent was named
    agent_correct: int
    step_correct: int
    both_correct: int

    @property
    def agent_accuracy(self) -> float | None:
        return self.agent_correct / self.total if self.total else None

    @property
    def step_accuracy(self) -> float | None:
        return self.step_correct / self.total if self.total else None

    def subset(self, run_ids: Any) -> BlameEvaluation:
        """The same figures over some of the runs (e.g. a held-back part)."""
        return _blame_figures(
            self.runs.filter(pl.col("run_id").is_in(pl.Series(list(run_ids), dtype=pl.String).implode()))
        )

    def format_text(self) -> str:
        def frac(k: int, n: int) -> str:
            return f"{k}/{n}" + (f" ({k / n:.1%})" if n else "")

        lines = [
            f"runs with a human-labeled mistake: {self.total}",
            f"runs given a decisive agent and step: {frac(self.flagged, self.total)}",
            "  of which named only because the benchmark says the run failed (no verdict in its log, "
            f"no detector fired): {int(self.runs['named_for_benchmark'].sum())}",
            f"agent accuracy (decisive_agent = mistake_agent): {frac(self.agent_correct, self.total)}",
            f"step accuracy (decisive_step = mistake_step): {frac(self.step_correct, self.total)}",
            f"both agent and step: {frac(self.both_correct, self.total)}",
        ]
        by_rule = (
            self.runs.group_by(pl.col("attribution_rule").fill_null("-"))
            .agg(
                pl.len().alias("runs"),
                pl.col("agent_match").sum().alias("agent"),
                pl.col("step_match").sum().alias("step"),
            )
            .sort("runs", "attribution_rule", descending=[True, False])
        )
        lines.append("by attribution rule:")
        for r in by_rule.iter_rows(named=True):
            lines.append(
                f"  {r['attribution_rule']:<20} runs {r['runs']:>4}  agent right {r['agent']:>3}  step right {r['step']:>3}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<BlameEvaluation: {self.total} runs, {self.flagged} attributed, agent {self.agent_correct}, "
            f"step {self.step_correct}, both {self.both_correct}>"
        )


def blame_labels_from_spans(spans: Any) -> pl.DataFrame:
    """``run_id, mistake_agent, mistake_step`` from the run attributes the ag2-history loader keeps
    (``run.mistake_agent``, ``run.mistake_step``); runs without them are left out. Only scorers
    call this: no rule reads these keys."""
    from forensics.classify import _as_spans

    df = _as_spans(spans)
    agent = pl.col("attributes").str.json_path_match("$['run.mistake_agent']")
    step = pl.col("attributes").str.json_path_match("$['run.mistake_step']")
    return (
        df.select(
            "run_id", agent.alias("mistake_agent"), step.cast(pl.Int64, strict=False).alias("mistake_step")
        )
        .filter(pl.col("mistake_agent").is_not_null() | pl.col("mistake_step").is_not_null())
        .unique("run_id", keep="first")
        .sort("run_id")
    )


def without_labels(spans: Any) -> pl.DataFrame:
    """A copy of the span table with the benchmark's answers (``run.mistake_agent``,
    ``run.mistake_step``, ``run.mistake_reason``, ``run.ground_truth``) removed from every span's
    attributes: classify this copy, score against :func:`blame_labels_from_spans` of the original."""
    from forensics.classify import _as_spans

    df = _as_spans(spans)
    keys = [f"run.{k}" for k in BLAME_LABEL_KEYS]
    has = pl.col("attributes").str.contains("run.(mistake_|ground_truth)").fill_null(False)
    labelled = df.filter(has)
    if labelled.height == 0:
        return df
    # Few rows carry them (a run's first step): decode those, drop the keys, encode again.
    cleaned = [
        None
        if a is None
        else orjson.dumps({k: v for k, v in orjson.loads(a).items() if k not in keys}).decode()
        for a in labelled.get_column("attributes").to_list()
    ]
    return _replace_attributes(df, has, cleaned)


def _replace_attributes(df: pl.DataFrame, mask: pl.Expr, cleaned: list[str | None]) -> pl.DataFrame:
    idx = df.with_row_index("_i").filter(mask).get_column("_i")
    new = df.get_column("attributes").scatter(idx, pl.Series(cleaned, dtype=pl.String))
    return df.with_columns(new.alias("attributes"))


def blame_holdout(run_ids: Any, seed: str = HOLDOUT_SEED) -> set[str]:
    """The held-back third of a labelled set: the runs whose ``sha256(seed:run_id)`` sorts first.
    Fixed before any tuning; depends only on the ids, so a file added later does not move others
    much and the choice never depends on labels or contents."""
    import hashlib

    ids = sorted({str(r) for r in run_ids}, key=lambda r: hashlib.sha256(f"{seed}:{r}".encode()).hexdigest())
    return set(ids[: len(ids) // 3])


def blame_baselines(spans: Any, labels: pl.DataFrame | None = None) -> pl.DataFrame:
    """``baseline, total, agent_correct, step_correct`` for label-free guesses: the run's most
    frequent agent (by steps, tool calls excluded, ties to the earliest) at its first step; the
    first step; the last step; the first step after the task (step 1)."""
    from forensics.classify import _as_spans

    df = _as_spans(spans)
    lab = blame_labels_from_spans(df) if labels is None else labels
    steps = df.sort("run_id", "start_time", "source_line", "span_id", nulls_last=True).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).over("run_id").alias("step"),
        pl.len().over("run_id").alias("n"),
    )
    freq = (
        steps.filter(pl.col("kind") != "tool")
        .group_by("run_id", "agent")
        .agg(pl.len().alias("c"), pl.col("step").min().alias("first"))
        .sort(["run_id", "c", "first"], descending=[False, True, False])
        .unique("run_id", keep="first")
        .select("run_id", pl.col("agent").alias("guess_agent"), pl.col("first").alias("guess_step"))
    )

    def at(step: pl.Expr) -> pl.DataFrame:
        return steps.filter(pl.col("step") == step).select(
            "run_id", pl.col("agent").alias("guess_agent"), pl.col("step").alias("guess_step")
        )

    guesses = {
        "most frequent agent": freq,
        "first step": at(pl.lit(0)),
        "last step": at(pl.col("n") - 1),
        "step 1 (first response)": at(pl.lit(1)),
    }
    rows = []
    for name, g in guesses.items():
        t = lab.join(g, on="run_id", how="left")
        rows.append(
            {
                "baseline": name,
                "total": t.height,
                "agent_correct": int((t["guess_agent"] == t["mistake_agent"]).fill_null(False).sum()),
                "step_correct": int((t["guess_step"] == t["mistake_step"]).fill_null(False).sum()),
            }
        )
    return pl.DataFrame(rows)


def evaluate_blame(
    classification: Classification, spans: Any, labels: pl.DataFrame | None = None
) -> BlameEvaluation:
    """Compare each run's ``decisive_agent`` and ``decisive_step`` (runs table) with a human-chosen
    responsible agent and step (the benchmark's metric: agent accuracy, exact step accuracy).
    Every labelled run failed (the benchmark says so): one the runs table left unnamed (its log
    carries no verdict and no detector fired) gets forensics.attribution's agent and step, counted
    in ``named_for_benchmark``.

    ``labels``: ``run_id, mistake_agent, mistake_step`` (step = 0-based position in the run's own
    order); by default read from the spans' run attributes (ag2-history). The attribution rule that
    named each run (forensics.attribution) is joined in for the per-rule breakdown.
    """
    from forensics.attribution import attribute
    from forensics.classify import _as_spans

    df = _as_spans(spans)
    lab = blame_labels_from_spans(df) if labels is None else labels
    _, runs = classification.to_polars()
    rules = attribute(without_labels(df), runs=lab.select("run_id")).select(
        "run_id",
        "attribution_rule",
        "attribution_evidence",
        pl.col("decisive_agent").alias("_attr_agent"),
        pl.col("decisive_step").alias("_attr_step"),
    )
    table = (
        lab.join(
            runs.select("run_id", "decisive_span_id", "primary_class", "decisive_agent", "decisive_step"),
            on="run_id",
            how="left",
        )
        .join(rules, on="run_id", how="left")
        .with_columns(
            # A labelled run failed (that is what the benchmark says): one its log gave no verdict
            # for and no detector flagged still gets the attribution's agent and step.
            pl.col("decisive_agent").is_null().alias("named_for_benchmark"),
            pl.coalesce("decisive_agent", "_attr_agent").alias("decisive_agent"),
            pl.coalesce("decisive_step", "_attr_step").alias("decisive_step"),
        )
        .with_columns(
            # The rule only explains runs whose step it named (a plumbing finding may have).
            pl.when(pl.col("_attr_step") == pl.col("decisive_step")).then(pl.col("attribution_rule")),
            pl.when(pl.col("_attr_step") == pl.col("decisive_step")).then(pl.col("attribution_evidence")),
            pl.col("named_for_benchmark") & pl.col("decisive_agent").is_not_null(),
        )
        .drop("_attr_step", "_attr_agent")
        .sort("run_id")
    )
    return _blame_figures(table)


def _blame_figures(table: pl.DataFrame) -> BlameEvaluation:
    table = table.with_columns(
        (pl.col("decisive_agent") == pl.col("mistake_agent")).fill_null(False).alias("agent_match"),
        (pl.col("decisive_step") == pl.col("mistake_step")).fill_null(False).alias("step_match"),
    )
    return BlameEvaluation(
        runs=table,
        total=table.height,
        flagged=int(table["decisive_agent"].is_not_null().sum()),
        agent_correct=int(table["agent_match"].sum()),
        step_correct=int(table["step_match"].sum()),
        both_correct=int((table["agent_match"] & table["step_match"]).sum()),
    )
