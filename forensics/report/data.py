"""The report's tables: gathering a window of batches, runs, findings and spans from the store (or
from classifier output), and the summaries drawn from them (class counts, top detectors, worst runs,
the nightly trend, batch problems).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import polars as pl
import pyarrow as pa

from forensics.errors import InputError
from forensics.hints import counted_findings, hint_findings
from forensics.urls import display_url

#: Severity ranks: the worst runs are those with the most severe finding first.
SEVERITY_RANK: Final = {"critical": 4, "high": 3, "medium": 2, "low": 1}


@dataclass
class ReportData:
    """The tables a report is made of (store rows or in-memory classifier output)."""

    runs: pl.DataFrame
    findings: pl.DataFrame
    batches: pl.DataFrame | None = None
    spans: pl.DataFrame | None = None
    #: For reloading a run's spans: batch outputs (spans.parquet) and input paths by content hash.
    span_sources: dict[str, list[str]] = field(default_factory=dict)
    source_label: str = "tables"


def _frame(value: Any, what: str) -> pl.DataFrame:
    if isinstance(value, pl.DataFrame):
        return value
    if isinstance(value, pa.Table):
        df = pl.from_arrow(value)
        if isinstance(df, pl.DataFrame):
            return df
    raise InputError(f"`{what}` must be a pyarrow Table or a polars DataFrame, found {type(value).__name__}",
                     hint="pass the tables forensics.classify() or forensics.store.read_* returned.")


def gather(
    source: Any,
    *,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    run_id: str | None = None,
) -> ReportData:
    """Collect a report's tables from a store (or URL) or from ``{"runs":..., "findings":...}``."""
    from forensics import store as st

    if isinstance(source, Mapping):
        runs = _frame(source["runs"], "runs")
        findings = _frame(source["findings"], "findings")
        spans = _frame(source["spans"], "spans") if source.get("spans") is not None else None
        if run_id is not None:
            runs = runs.filter(pl.col("run_id") == run_id)
            findings = findings.filter(pl.col("run_id") == run_id)
        return ReportData(runs=runs, findings=findings, spans=spans, source_label="in-memory tables")
    if hasattr(source, "runs") and hasattr(source, "findings") and not isinstance(source, st.Store):
        return gather({"runs": source.runs, "findings": source.findings}, run_id=run_id)

    store, owned = (source, False) if isinstance(source, st.Store) else (st.open_store(source), True)
    try:
        runs = st.read_runs(store, since=since, until=until, run_id=run_id)
        findings = st.read_findings(store, since=since, until=until, run_id=run_id)
        batches = st.read_batches(store)
        sources = _span_sources(store)
        label = display_url(store.url)
    finally:
        if owned:
            store.close()
    runs, findings = _latest_per_run(runs, findings)
    if run_id is not None and runs.height == 0:
        raise InputError(f"run `{run_id}` is not in the store {label}",
                         hint="check the id (forensics.store.read_runs lists them) or the --db URL.")
    used = runs["batch_id"].unique().to_list() if "batch_id" in runs.columns else []
    if since is not None or until is not None or run_id is not None:
        batches = batches.filter(pl.col("id").is_in(used) | pl.lit(run_id is None) & _in_window(batches, since, until))
    return ReportData(runs=runs, findings=findings, batches=batches, span_sources=sources, source_label=label)


def _in_window(batches: pl.DataFrame, since: Any, until: Any) -> pl.Expr:
    from forensics.store import _since

    cond = pl.lit(True)
    lo, hi = _since(since), _since(until)
    if lo is not None:
        cond = cond & (pl.col("started_at") >= lo)
    if hi is not None:
        cond = cond & (pl.col("started_at") < hi)
    return cond


def _latest_per_run(runs: pl.DataFrame, findings: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per run: the newest batch's result (a run classified under two policies, or
    present in two inputs, is reported once)."""
    if runs.height == 0:
        return runs, findings
    latest = runs.sort("batch_id").unique("run_id", keep="last", maintain_order=True).sort("start_time", "run_id")
    keep = latest.select("run_id", "batch_id")
    return latest, findings.join(keep, on=["run_id", "batch_id"], how="semi")


def _span_sources(store: Any) -> dict[str, list[str]]:
    """``{input_sha256: [spans.parquet of its batch, the input file]}``: where a run's spans are."""
    import sqlalchemy as sa

    from forensics.store import batch_inputs, batches

    out: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(batch_inputs.c.sha256, batch_inputs.c.path, batches.c.counts).join(
                batches, batches.c.id == batch_inputs.c.batch_id
            )
        ).all()
    for sha, path, counts in rows:
        spans_parquet = ((counts or {}).get("outputs") or {}).get("spans")
        out[sha] = [p for p in (spans_parquet, path) if p]
    return out


def class_counts(data: ReportData) -> pl.DataFrame:
    """Per class: findings, runs affected, runs where it is the primary class (hints aside)."""
    f = counted_findings(data.findings)
    if f.height == 0:
        return pl.DataFrame(schema={"failure_class": pl.String, "findings": pl.UInt32, "runs": pl.UInt32,
                                    "primary": pl.UInt32})
    by = f.group_by("failure_class").agg(pl.len().alias("findings"), pl.col("run_id").n_unique().alias("runs"))
    prim = data.runs.filter(pl.col("primary_class").is_not_null()).group_by("primary_class").agg(
        pl.len().alias("primary")).rename({"primary_class": "failure_class"})
    return (by.join(prim, on="failure_class", how="left").with_columns(pl.col("primary").fill_null(0))
            .sort(["findings", "failure_class"], descending=[True, False]))


def hints_table(data: ReportData) -> pl.DataFrame:
    """The hints (forensics.hints: leads too thin to set a class, the run stays ok), one row each:
    ``run_id, detector, explanation``, so a reviewer sees them although no count holds them."""
    h = hint_findings(data.findings)
    if h.height == 0:
        return pl.DataFrame(schema={"run_id": pl.String, "detector": pl.String, "explanation": pl.String})
    return h.select("run_id", "detector", "explanation").sort("run_id", "detector")


#: Detectors listed (and drawn) under "Top detectors".
TOP_DETECTORS: Final = 10


def top_detectors(data: ReportData, n: int = TOP_DETECTORS) -> pl.DataFrame:
    """The ``n`` detectors that fired on the most runs, ranked as the chart ranks them (ties to
    the most severe, see :func:`forensics.charts.fleet.rank_detectors`): one table, one unit."""
    from forensics.charts.fleet import rank_detectors

    found = counted_findings(data.findings)
    if found.height == 0:
        return pl.DataFrame(schema={"detector": pl.String, "failure_class": pl.String, "severity": pl.String,
                                    "runs": pl.UInt32})  # fmt: skip
    return rank_detectors(found, n).select("detector", "failure_class", "severity", "runs")


def worst_runs(data: ReportData, n: int = 5) -> pl.DataFrame:
    """The ``n`` runs to look at first: most severe finding, then most findings, then cost (hints,
    which set no class, aside)."""
    f = counted_findings(data.findings)
    if f.height == 0:
        return data.runs.head(0).with_columns(pl.lit(0).alias("worst_severity"), pl.lit(0).alias("n_findings"))
    per_run = f.group_by("run_id").agg(
        pl.col("severity").replace_strict(SEVERITY_RANK, default=0, return_dtype=pl.Int64).max().alias("worst_severity"),
        pl.len().alias("n_findings"),
    )
    return (data.runs.join(per_run, on="run_id", how="inner")
            .sort(["worst_severity", "n_findings", "cost_usd", "run_id"], descending=[True, True, True, False],
                  nulls_last=True)
            .head(n))


#: The night of a run with no start time (it still counts, so the table adds up).
NO_NIGHT: Final = "(no start time)"


def nightly_trend(data: ReportData) -> pl.DataFrame:
    """Per night (by run start, UTC): its runs, then its findings per class, one column per class:
    the fleet trend as a table. Every night with a run is a row, a night of clean runs included,
    so the ``runs`` column adds up to the report's run count."""
    runs = data.runs
    if runs.height == 0:
        return pl.DataFrame()
    night = pl.col("start_time").dt.strftime("%Y-%m-%d").fill_null(NO_NIGHT).alias("night")
    per_night = runs.group_by(night).agg(runs=pl.len())
    if data.findings.height:
        found = data.findings.join(runs.select("run_id", night), on="run_id", how="inner")
        wide = found.group_by("night", "failure_class").len().pivot(
            on="failure_class", index="night", values="len", sort_columns=True
        )
        per_night = per_night.join(wide, on="night", how="left").fill_null(0)
    return per_night.sort("night")


def batch_problems(data: ReportData) -> pl.DataFrame:
    """Every problem (file + reason) recorded by the window's batches."""
    rows: list[dict[str, Any]] = []
    if data.batches is not None:
        for batch_id, problems in data.batches.select("id", "problems").iter_rows():
            for p in json.loads(problems or "[]") or []:
                rows.append({"batch_id": batch_id, "file": p.get("file"), "level": p.get("level"),
                             "reason": p.get("reason"), "detail": p.get("detail")})
    return pl.DataFrame(rows, schema={"batch_id": pl.Int64, "file": pl.String, "level": pl.String,
                                      "reason": pl.String, "detail": pl.String})
