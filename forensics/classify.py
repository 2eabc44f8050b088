"""Classify every run: run the registered detectors over the span table, pick each run's decisive span.

``classify(spans)`` returns a :class:`Classification` with two Arrow tables: ``findings``
(``FINDING_SCHEMA``, one row per detector hit) and ``runs`` (``RUN_SCHEMA``, one row per run).
A run's decisive finding is the one whose decisive span started earliest; ties go to the more
severe finding, then to the detector name, so results never depend on execution order.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from forensics.detectors.base import DETECTOR_OUTPUT, Context, Detector, Stages
from forensics.detectors.preparation import prepare
from forensics.detectors.registry import all_detectors, findings_of, get
from forensics.errors import InputError
from forensics.hints import counted_findings, hint_findings
from forensics.policy import Policy, resolve_policy
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA, SEVERITIES, SPAN_SCHEMA, STRENGTHS

if TYPE_CHECKING:
    import pandas as pd

_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # low=0 ... critical=3


@dataclass(frozen=True)
class Classification:
    """What ``classify`` returns: the findings and the runs, both Arrow tables."""

    findings: pa.Table
    runs: pa.Table
    policy_version: str
    #: Seconds per stage, in the order they ran, when ``classify(..., profile=True)`` (or
    #: ``FORENSICS_PROFILE=1``) asked for them; otherwise empty. Lines starting with spaces are
    #: parts of the line above them.
    timings: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    #: The same stages' CPU seconds (the process's, all threads): the work, where the wall clock on
    #: a machine other jobs share also counts the waiting.
    cpu_timings: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def timing_report(self) -> str:
        """The stage timings as a table (empty when none were taken): wall clock, then CPU."""
        if not self.timings:
            return ""
        width = max(len(k) for k in self.timings)
        lines = [
            f"{k:<{width}}  {v:7.3f} s" + (f"   CPU {self.cpu_timings[k]:7.3f} s" if k in self.cpu_timings else "")
            for k, v in self.timings.items()
        ]
        return "classify stages (wall clock):\n" + "\n".join(lines)

    def to_polars(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """``(findings, runs)`` as polars DataFrames."""
        findings = pl.from_arrow(self.findings)
        runs = pl.from_arrow(self.runs)
        assert isinstance(findings, pl.DataFrame) and isinstance(runs, pl.DataFrame)
        return findings, runs

    def to_pandas(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(findings, runs)`` as pandas DataFrames."""
        return self.findings.to_pandas(), self.runs.to_pandas()

    def _summary(self) -> tuple[int, int, list[tuple[str, int]]]:
        runs = self.runs
        n_ok = int(pa.compute.sum(runs.column("ok").cast(pa.int64())).as_py() or 0) if runs.num_rows else 0
        primary = pl.DataFrame(pl.from_arrow(runs.select(["primary_class"])))
        counts = (
            primary.drop_nulls()
            .group_by("primary_class")
            .len()
            .sort(["len", "primary_class"], descending=[True, False])
            .rows()
            if runs.num_rows
            else []
        )
        return runs.num_rows, n_ok, [(str(c), int(n)) for c, n in counts]

    def __repr__(self) -> str:
        n, n_ok, counts = self._summary()
        parts = ", ".join(f"{c}={k}" for c, k in counts) or "none"
        return (
            f"<Classification: {n} runs, {n - n_ok} failed, {n_ok} ok; "
            f"{self.findings.num_rows} findings; primary classes: {parts}; policy {self.policy_version}>"
        )

    def _repr_html_(self) -> str:
        import html

        n, n_ok, counts = self._summary()
        rows = "".join(f"<tr><td>{html.escape(c)}</td><td>{k}</td></tr>" for c, k in counts)
        head = (
            f"<p><b>Classification</b>: {n} runs, {n - n_ok} failed, {n_ok} ok, "
            f"{self.findings.num_rows} findings (policy <code>{html.escape(self.policy_version)}</code>)</p>"
        )
        table = f"<table><tr><th>primary class</th><th>runs</th></tr>{rows}</table>" if rows else ""
        return head + table


def _as_spans(spans: Any) -> pl.DataFrame:
    """Accept an Arrow table, a polars DataFrame/LazyFrame or anything with ``.spans`` (LoadResult)."""
    if hasattr(spans, "spans") and not isinstance(spans, pl.DataFrame | pa.Table):
        spans = spans.spans
    if isinstance(spans, pl.LazyFrame):
        spans = spans.collect()
    if isinstance(spans, pa.Table):
        df = pl.from_arrow(spans)
        assert isinstance(df, pl.DataFrame)
    elif isinstance(spans, pl.DataFrame):
        df = spans
    else:
        raise InputError(
            f"classify() needs a span table, got {type(spans).__name__}",
            hint="pass a pyarrow Table or polars DataFrame with the SPAN_SCHEMA columns, "
            "or the result of forensics.load().",
        )
    missing = [f.name for f in SPAN_SCHEMA if f.name not in df.columns]
    if missing:
        raise InputError(
            f"the span table lacks column(s) {', '.join(f'`{m}`' for m in missing)}",
            hint="build it with forensics.load(), or add the SPAN_SCHEMA columns "
            "(forensics.schema.SPAN_SCHEMA documents each).",
        )
    # Cast to the documented types, so a table built by hand behaves like a loaded one (a column
    # already of its type is passed through untouched).
    target = _span_dtypes()
    return df.select([pl.col(c) if df.schema[c] == t else pl.col(c).cast(t) for c, t in target.items()])


_ARROW_TO_POLARS: dict[pa.DataType, pl.DataType] = {
    pa.string(): pl.String(),
    pa.int64(): pl.Int64(),
    pa.float64(): pl.Float64(),
    pa.bool_(): pl.Boolean(),
    pa.timestamp("ns", tz="UTC"): pl.Datetime("ns", "UTC"),
}


@functools.cache
def _span_dtypes() -> dict[str, pl.DataType]:
    """SPAN_SCHEMA as polars types. Mapped directly: polars' first Arrow conversion in a process
    costs about 0.4 s of set-up, which a span table that is already a polars frame need not pay."""
    out: dict[str, pl.DataType] = {}
    for f in SPAN_SCHEMA:
        mapped = _ARROW_TO_POLARS.get(f.type)
        if mapped is None:  # a type added to the schema later: let polars map it
            target = pl.from_arrow(pa.schema([f]).empty_table())
            assert isinstance(target, pl.DataFrame)
            mapped = target.schema[f.name]
        out[f.name] = mapped
    return out


def _resolve_detectors(detectors: Iterable[str | type[Detector]] | None) -> list[type[Detector]]:
    if detectors is None:
        return all_detectors()
    out = [get(d) if isinstance(d, str) else d for d in detectors]
    return sorted(out, key=lambda d: d.name)


def classify(
    spans: Any,
    policy: Policy | str | Path | None = None,
    detectors: Iterable[str | type[Detector]] | None = None,
    fleet: pl.DataFrame | None = None,
    profile: bool = False,
) -> Classification:
    """Run the detectors over a span table; return the findings and one row per run.

    ``spans``: a ``pyarrow.Table`` / polars DataFrame with the ``SPAN_SCHEMA`` columns, or a
    ``LoadResult`` (anything with ``.spans``). ``policy``: a :class:`Policy`, a policy file path,
    or None for the shipped defaults. ``detectors``: names (or classes) to run; default all.
    ``fleet``: the runs fleet-relative budgets compare with
    (:func:`forensics.detectors.runaway_cost.fleet_facts` of the whole fleet), when ``spans`` is one
    part of it (a dataset bucket, a Spark partition); default: the runs in ``spans``.
    ``profile``: time every stage (preparation steps, each convention, each detector, the
    findings and runs tables, attribution) into ``Classification.timings``; the detectors are
    then collected one at a time, so each one's time is its own. ``FORENSICS_PROFILE=1`` does
    the same and prints the report to standard error.
    """
    to_stderr = os.environ.get("FORENSICS_PROFILE", "") not in ("", "0")
    st = Stages(profile or to_stderr)
    pol = resolve_policy(policy)
    df = _as_spans(spans)
    st.lap("span table checked and cast")
    # What reads only the span table (no prepared column) runs on a side thread while prepare and
    # the detectors work (polars releases the GIL); when profiling, each is computed where its
    # stage is timed.
    side = None if st.enabled else ThreadPoolExecutor(max_workers=1, thread_name_prefix="forensics-side")
    try:
        return _classify(df, pol, st, side, detectors, fleet, to_stderr)
    finally:
        if side is not None:
            side.shutdown(wait=True, cancel_futures=True)


def _later(
    side: ThreadPoolExecutor | None, fn: Callable[[pl.DataFrame], pl.DataFrame], df: pl.DataFrame
) -> Callable[[], pl.DataFrame]:
    """``fn(df)``, started now on ``side`` (or computed when asked, without one)."""
    if side is None:
        return lambda: fn(df)
    return side.submit(fn, df).result


def _classify(
    df: pl.DataFrame,
    pol: Policy,
    st: Stages,
    side: ThreadPoolExecutor | None,
    detectors: Iterable[str | type[Detector]] | None,
    fleet: pl.DataFrame | None,
    to_stderr: bool,
) -> Classification:
    from forensics.conventions.ledger import log_declared_failures
    from forensics.detectors.runaway_cost import FLEET_KEY, fleet_facts

    use_fleet = bool(pol.fleet_factor and not (pol.max_tokens_per_run and pol.max_cost_usd_per_run))
    # The fleet budgets compare with: the caller's, else this table's (computed only when used).
    fleet_of = None
    if use_fleet:
        fleet_of = _later(side, fleet_facts, df) if fleet is None else _later(None, lambda _: fleet, df)
    declared_of = _later(side, declared_outcomes, df)
    by_log_of = _later(side, log_declared_failures, df)
    ctx = prepare(df, pol, st)
    if fleet_of is not None:
        ctx.cached(FLEET_KEY, fleet_of().lazy())
    st.lap("fleet facts")
    chosen = _resolve_detectors(detectors)
    if st.enabled:
        parts = []
        for d in chosen:
            with st.stage(f"  detector {d.name}"):
                parts.append(_detector_findings(d, ctx).collect())
    else:
        parts = _run_detectors(chosen, ctx)
    st.lap("detectors")
    raw = (
        pl.concat(parts, how="vertical")
        if parts
        else pl.DataFrame(
            schema={
                **DETECTOR_OUTPUT,
                "detector": pl.String,
                "failure_class": pl.String,
                "severity": pl.String,
                "strength": pl.String,
            }
        )
    )
    findings = _finish_findings(raw, ctx)
    st.lap("findings table")
    declared = declared_of()
    st.lap("declared outcomes")
    runs = _runs_table(findings, ctx, declared)
    st.lap("runs table")
    runs = _attributed(runs, df, by_log_of().get_column("run_id"))
    st.lap("attribution")
    result = Classification(
        findings=findings.select([f.name for f in FINDING_SCHEMA]).to_arrow().cast(FINDING_SCHEMA),
        runs=runs.to_arrow().cast(RUN_SCHEMA),
        policy_version=pol.version,
    )
    st.lap("to Arrow")
    if not st.enabled:
        return result
    timings = {**st.seconds, "total": sum(v for k, v in st.seconds.items() if not k.startswith(" "))}
    cpu = {**st.cpu_seconds, "total": sum(v for k, v in st.cpu_seconds.items() if not k.startswith(" "))}
    result = Classification(result.findings, result.runs, result.policy_version, timings, cpu)
    if to_stderr:
        print(result.timing_report(), file=sys.stderr)
    return result


def _run_detectors(chosen: list[type[Detector]], ctx: Context) -> list[pl.DataFrame]:
    """Every detector's findings, in ``chosen``'s order. The detectors run side by side on threads:
    much of a detector's work is eager (shared intermediates materialised through ``ctx.cached``,
    small collects deciding what to look at next) and single-threaded, so one after another they
    leave cores idle; polars releases the GIL while it computes."""
    if len(chosen) < 2:
        return [_detector_findings(d, ctx).collect() for d in chosen]
    workers = min(len(chosen), max(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="forensics-detector") as pool:
        return list(pool.map(lambda d: _detector_findings(d, ctx).collect(), chosen))


def _detector_findings(d: type[Detector], ctx: Context) -> pl.LazyFrame:
    """One detector's findings with its identity; ``strength`` is the finding's own (``finding(...,
    strength=)``), else the detector's default; a hint of a detector the policy promotes
    (``[strength] promote``) is a weak finding."""
    default = getattr(d, "strength", "strong")
    if default not in STRENGTHS:
        raise InputError(
            f"detector `{d.name}` declares strength {default!r}",
            hint=f"set the class attribute `strength` to one of: {', '.join(STRENGTHS)}.",
        )
    # Once per Context: a rule that reads this detector's findings gets the same frame (findings_of).
    lf = findings_of(ctx, d).lazy()
    own = pl.col("strength") if "strength" in lf.collect_schema().names() else pl.lit(None, dtype=pl.String)
    strength = pl.coalesce(own.cast(pl.String), pl.lit(default))
    if d.name in ctx.policy.promote_hints:
        strength = pl.when(strength == "hint").then(pl.lit("weak")).otherwise(strength)
    return lf.select(
        *[pl.col(c).cast(t) for c, t in DETECTOR_OUTPUT.items()],
        pl.lit(d.name).alias("detector"),
        pl.lit(d.failure_class).alias("failure_class"),
        pl.lit(d.severity).alias("severity"),
        strength.alias("strength"),
    )


def _attributed(runs: pl.DataFrame, spans: pl.DataFrame, by_log: pl.Series) -> pl.DataFrame:
    """``decisive_agent`` and ``decisive_step`` from forensics.attribution for every run that
    failed (its own verdict, or its log's: forensics.conventions.ledger.log_declared_failures) or
    that a detector flagged; a run it cannot name keeps the decisive finding's span's agent and
    position. A run whose outcome is unknown and that nothing flagged gets none: naming a culprit in
    a run that may have succeeded would be a false alarm. ``by_log``: the runs whose log declares a
    failure (log_declared_failures of ``spans``)."""
    from forensics.attribution import _attribute

    need = runs.filter(
        (pl.col("declared_outcome") == "failure") | ~pl.col("ok") | pl.col("run_id").is_in(by_log.implode())
    ).select("run_id")
    if need.height == 0:
        return runs
    # A run a detector's finding already names keeps it unless an evidence rule names a step (a
    # fallback prior is weaker than a finding); attribution skips such runs early when they hold
    # nothing an evidence rule reads.
    found = need.join(runs.filter(pl.col("decisive_step").is_not_null()).select("run_id"), on="run_id", how="semi")
    named = _attribute(spans, runs=need, evidence_only=found).select(
        "run_id", pl.col("decisive_agent").alias("_agent"), pl.col("decisive_step").alias("_step")
    )
    return (
        runs.join(named, on="run_id", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("_agent", "decisive_agent").alias("decisive_agent"),
            pl.coalesce("_step", "decisive_step").alias("decisive_step"),
        )
        .drop("_agent", "_step")
    )


#: The ``@outcome`` verdict on a root span's attributes (contract item 1; forensics.outcome writes it).
_OUTCOME_PATH = "$['@outcome'].verdict"


def declared_outcomes(spans: pl.DataFrame) -> pl.DataFrame:
    """``run_id, declared_outcome``: each run's own verdict from the ``@outcome`` attribute of its
    root span(s) (a failure on any root wins over a success); ``unknown`` when none says.

    Only root spans whose attributes contain ``@outcome`` (a literal scan) are JSON-parsed. When
    ``forensics.outcome`` (the loaders' side of the contract) is installed, its reader is used.
    """
    shared: Callable[[pl.DataFrame], pl.DataFrame] | None
    try:
        from forensics.outcome import declared_outcomes as shared  # type: ignore[import-not-found,unused-ignore,no-redef]
    except ImportError:
        shared = None
    if shared is not None:
        out = shared(spans)
        return out.select("run_id", pl.col("declared_outcome").cast(pl.String)).filter(
            pl.col("declared_outcome").is_in(["success", "failure"])
        )
    roots = spans.filter(
        pl.col("parent_id").is_null() & pl.col("attributes").str.contains("@outcome", literal=True).fill_null(False)
    )
    verdict = pl.col("attributes").str.json_path_match(_OUTCOME_PATH).str.to_lowercase()
    said = (
        roots.select("run_id", verdict.alias("v"))
        .filter(pl.col("v").is_in(["success", "failure"]))
        .group_by("run_id")
        .agg((pl.col("v") == "failure").any().alias("_fail"))
        .select(
            "run_id",
            pl.when(pl.col("_fail")).then(pl.lit("failure")).otherwise(pl.lit("success")).alias("declared_outcome"),
        )
    )
    return said


def _finish_findings(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    from forensics.detectors.base import HASH_SEED

    # Spans are looked up by 64-bit keys (the run's key and a hash of the span id): joins
    # against millions of span rows on integers, not strings.
    runs = ctx.runs.select("run_id", "run_key", "scope_key", "session_id")
    f = raw.with_row_index("_f").join(runs, on="run_id", how="left")
    span_k = pl.struct("run_key", pl.col("decisive_span_id").hash(HASH_SEED).alias("span_h")).hash(HASH_SEED)
    times = f.select("_f", span_k.alias("span_k")).join(
        ctx.spans.select(
            "span_k",
            pl.col("t").alias("decisive_time"),
            pl.col("seq").alias("decisive_seq"),
            pl.col("agent").alias("decisive_agent"),
            pl.col("is_root").alias("decisive_is_root"),
        ),
        on="span_k",
    )
    # Evidence in time order: explode, look each id up, re-aggregate (no Python per row).
    # Session-scoped evidence may name spans of other runs in the session; span ids are only
    # unique within a run, so the finding's own run wins a clash.
    ev = (
        f.select("_f", "run_key", "scope_key", "evidence_span_ids")
        .explode("evidence_span_ids")
        .with_columns(pl.col("evidence_span_ids").hash(HASH_SEED).alias("span_h"))
        .join(
            ctx.spans.select("span_h", pl.col("run_key").alias("_rk"), "t", "seq"),
            on="span_h",
            how="left",
        )
        .join(
            ctx.runs.select(pl.col("run_key").alias("_rk"), pl.col("scope_key").alias("_scope")),
            on="_rk",
            how="left",
        )
        .filter(pl.col("_rk").is_null() | (pl.col("_scope") == pl.col("scope_key")))
        .with_columns((pl.col("_rk") == pl.col("run_key")).fill_null(False).alias("_own"))
        .sort("_f", "_own", descending=[False, True])
        .unique(["_f", "evidence_span_ids"], keep="first", maintain_order=True)
        .sort("_f", "t", "seq", "evidence_span_ids", nulls_last=True)
        .group_by("_f", maintain_order=True)
        .agg(pl.col("evidence_span_ids").drop_nulls())
    )
    out = (
        f.drop("evidence_span_ids")
        .join(ev, on="_f", how="left")
        .join(times, on="_f", how="left")
        .with_columns(
            pl.col("evidence_span_ids").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("severity").replace_strict(_SEVERITY_RANK, return_dtype=pl.Int64).alias("_sev"),
            pl.lit(ctx.policy.version).alias("policy_version"),
        )
        .sort(
            ["run_id", "decisive_time", "_sev", "detector", "decisive_span_id", "explanation"],
            descending=[False, False, True, False, False, False],
            nulls_last=True,
        )
    )
    return out.select([f.name for f in FINDING_SCHEMA] + ["_sev", "decisive_seq", "decisive_agent", "decisive_is_root"])


def _runs_table(findings: pl.DataFrame, ctx: Context, declared: pl.DataFrame) -> pl.DataFrame:
    # Hints are shown (findings table, report) but set no class: a run with only hints is ok, its
    # strength "hint" so the runs table still says a reviewer has something to look at.
    hinted = hint_findings(findings).select("run_id", pl.lit("hint").alias("_hint")).unique("run_id")
    findings = counted_findings(findings)
    # The decisive finding: earliest decisive span (by time, then order in the run), then most
    # severe, then detector name. A run's root as decisive span (a limit the whole graph raised
    # at its end) starts first by construction: it yields to a finding inside the run.
    decisive = (
        findings.sort(
            ["run_id", "decisive_is_root", "decisive_time", "decisive_seq", "_sev", "detector"],
            descending=[False, False, False, False, True, False],
            nulls_last=True,
        )
        .group_by("run_id", maintain_order=True)
        .agg(
            pl.col("failure_class").first().alias("primary_class"),
            pl.col("decisive_span_id").first(),
            # Until attribution (forensics.attribution) names them: the decisive span's agent and
            # its position in the run's order (start time, source line).
            pl.col("decisive_agent").first(),
            pl.col("decisive_seq").first().cast(pl.Int64).alias("decisive_step"),
            # A run is as strong as its strongest finding: one whose findings are all weak is weak.
            pl.when((pl.col("strength") == "strong").any())
            .then(pl.lit("strong"))
            .otherwise(pl.lit("weak"))
            .alias("strength"),
        )
    )
    classes = (
        findings.group_by("run_id", "failure_class")
        .agg(pl.col("_sev").max(), pl.col("decisive_time").min())
        .sort(
            ["run_id", "_sev", "decisive_time", "failure_class"],
            descending=[False, True, False, False],
            nulls_last=True,
        )
        .group_by("run_id", maintain_order=True)
        .agg(pl.col("failure_class").alias("classes"))
    )
    runs = (
        ctx.runs.join(decisive, on="run_id", how="left")
        .join(classes, on="run_id", how="left")
        .join(declared, on="run_id", how="left")
        .join(hinted, on="run_id", how="left")
        .with_columns(pl.col("declared_outcome").fill_null("unknown"), pl.coalesce("strength", "_hint").alias("strength"))
        .with_columns(
            ((pl.col("declared_outcome") == "failure") & pl.col("primary_class").is_null()).alias(
                "unexplained_failure"
            ),
            pl.when(pl.col("reported_outcome") == "open")
            .then(None)
            .otherwise(pl.col("last_end"))
            .alias("end_time"),
            pl.col("classes").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("primary_class").is_null().alias("ok"),
            pl.when(pl.col("_has_in")).then(pl.col("input_tokens")).alias("input_tokens"),
            pl.when(pl.col("_has_out")).then(pl.col("output_tokens")).alias("output_tokens"),
            pl.when(pl.col("_has_cost")).then(pl.col("cost_usd")).alias("cost_usd"),
            pl.lit(ctx.policy.version).alias("policy_version"),
        )
        .with_columns(
            # Multiply, not divide: polars divides a one-row column exactly but a longer one by the
            # reciprocal, so a run's duration would depend on how many runs share its table (a
            # Spark partition or a dataset bucket holding one run). One multiplication everywhere.
            ((pl.col("end_time") - pl.col("start_time")).dt.total_microseconds() * 0.001).alias(
                "duration_ms"
            ),
        )
        .sort("run_id")
    )
    return runs.select([f.name for f in RUN_SCHEMA])
