"""Engines: what classifies a night's span buckets (``local``: bucket by bucket in this process;
``spark``: PySpark). The store and write steps after them are shared.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import polars as pl
import pyarrow as pa

from forensics.errors import InputError
from forensics.nightly.buckets import SpanBuckets
from forensics.nightly.intake import Progress
from forensics.registry import Registry
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA, empty_table

#: ``engine(spans, policy, progress, workdir) -> (runs, findings)``.
Engine = Callable[["SpanBuckets", Any, Progress, Path | None], tuple[pa.Table, pa.Table]]


def fleet_facts_of(policy: Any) -> Callable[[pl.DataFrame], pl.DataFrame] | None:
    """What gives a bucket's per-run facts for fleet-relative budgets (a run is judged against
    the whole night, whichever bucket holds it); None when the policy needs none."""
    from forensics.detectors.runaway_cost import fleet_facts
    from forensics.policy import resolve_policy

    pol = resolve_policy(policy)
    if not pol.fleet_factor or (pol.max_tokens_per_run and pol.max_cost_usd_per_run):
        return None
    return fleet_facts


def _fleet(spans: SpanBuckets, policy: Any) -> pl.DataFrame | None:
    """The night's per-run facts for fleet-relative budgets: taken while the night was finalised
    (:meth:`SpanBuckets.refinalize`), else read from the buckets; None when the policy needs none."""
    facts = fleet_facts_of(policy)
    if facts is None:
        return None
    if spans.facts is not None:
        return spans.facts
    parts = []
    for bucket in spans.buckets():
        frame = pl.from_arrow(bucket)
        assert isinstance(frame, pl.DataFrame)
        parts.append(facts(frame))
    return pl.concat(parts) if parts else None


def classify_local(spans: SpanBuckets, policy: Any, tick: Progress, workdir: Path | None) -> tuple[pa.Table, pa.Table]:
    """Bucket by bucket in this process: peak memory is one bucket."""
    from forensics.classify import classify

    runs_parts: list[pa.Table] = []
    findings_parts: list[pa.Table] = []
    fleet = _fleet(spans, policy)
    for k, bucket in enumerate(spans.buckets()):
        tick("classify", k, spans.n, None)
        result = classify(bucket, policy=policy, fleet=fleet)
        runs_parts.append(result.runs)
        findings_parts.append(result.findings)
        del bucket, result
    tick("classify", spans.n, spans.n, None)
    runs_t = pa.concat_tables(runs_parts) if runs_parts else empty_table(RUN_SCHEMA)
    findings_t = pa.concat_tables(findings_parts) if findings_parts else empty_table(FINDING_SCHEMA)
    return runs_t, findings_t


def classify_on_spark(spans: SpanBuckets, policy: Any, tick: Progress, workdir: Path | None
                      ) -> tuple[pa.Table, pa.Table]:
    """On Spark (master from $FORENSICS_SPARK_MASTER, default local[2]) through a temporary
    dataset in clear under ``workdir``."""
    from forensics.spark import active_spark, classify_tables_spark, spark_session

    existing = active_spark()
    session = spark_session(master=os.environ.get("FORENSICS_SPARK_MASTER", "local[2]"))
    try:
        tick("classify", 0, 1, "spark")
        result = classify_tables_spark(spans.buckets(), policy, workdir=workdir or tempfile.gettempdir(),
                                       spark=session)
        tick("classify", 1, 1, None)
    finally:
        if existing is None:
            session.stop()  # started here: a CLI run ends its JVM; a caller's session is left alone
    return result.runs, result.findings


#: Engines by name; a plugin adds one through the entry-point group ``forensics.engines``.
ENGINES: Registry[Engine] = Registry("classification engine", "forensics.engines", named_by_entry_point=True)
ENGINES.register(classify_local, name="local")
ENGINES.register(classify_on_spark, name="spark")


def _spark_preflight() -> None:
    from forensics.spark import require_spark

    require_spark()


#: What an engine checks before the night is loaded, so a missing runtime fails in a second, not
#: after an hour of loading.
PREFLIGHTS: Final[dict[str, Callable[[], None]]] = {"spark": _spark_preflight}


def engine_named(name: str) -> Engine:
    """The engine registered as ``name``, checked ready to run (see :data:`PREFLIGHTS`), or an
    :class:`InputError` naming the engines there are."""
    if name not in ENGINES:
        raise InputError(f"no classification engine named `{name}`",
                         hint=f"engines: {', '.join(f'`{n}`' for n in ENGINES)}.")
    engine = ENGINES.get(name)
    PREFLIGHTS.get(name, lambda: None)()
    return engine
