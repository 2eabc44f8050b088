"""The same classifier on Apache Spark: whole groups of spans handed to ``forensics.classify``.

``classify_spark(spans_df)`` repartitions the span DataFrame by its grouping key, so every run
(and every session, when an enabled detector looks across a session) lands whole in one Spark
partition, then ``mapInArrow`` hands each partition, as one Arrow table, to the very function
the single-machine path calls, :func:`forensics.classify.classify`. One call per partition, not
per run: per-call overhead (policy compilation, polars planning) would dominate at a million runs.

What crosses the network: the span rows, once, in the repartition shuffle (a run's spans are
not together in the input); the results (findings and runs, a few hundred bytes per run) come
back to the driver for the store. Nothing else is shuffled.

Time: Spark timestamps are microseconds and ours are nanoseconds. Spans travel through Spark
with ``start_time``/``end_time`` as ``bigint`` nanoseconds (Parquet nanos are read as longs,
``spark.sql.legacy.parquet.nanosAsLong``), results with ``decisive_time``/``start_time``/
``end_time`` as ``bigint`` nanoseconds, and become ``timestamp[ns, UTC]`` again in Arrow, so
the results are identical to the single-machine ones to the nanosecond.

Cluster use: ``spark-submit --master ... forensics/spark.py --dataset DIR`` or ``forensics spark
--dataset DIR`` (the CLI sub-command; :func:`main` here is its alias); the dataset must be on storage every executor and the driver see
(a shared or mounted filesystem), and agent-forensics must be installed on the executors.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from forensics.errors import ForensicsError, InputError, MissingDependencyError
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA, SPAN_COLUMNS, SPAN_SCHEMA, empty_table

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from forensics.classify import Classification
    from forensics.dataset import AppendResult, DateFilter

#: What every session we build sets (``spark_session(**conf)`` overrides any of them).
SPARK_DEFAULTS: Final[Mapping[str, str]] = {
    "spark.app.name": "agent-forensics",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Our Parquet holds nanosecond timestamps; Spark reads them as longs instead of refusing them.
    "spark.sql.legacy.parquet.nanosAsLong": "true",
}

#: The column telling findings rows from runs rows in the one tagged output of a pass.
TABLE_TAG: Final = "_table"
#: Columns that are ``timestamp[ns, UTC]`` in Arrow and ``bigint`` nanoseconds in Spark.
_TIME_COLUMNS: Final = frozenset({"start_time", "end_time", "decisive_time"})


class SparkUnavailableError(ForensicsError):
    """Spark cannot start here (no Java runtime)."""


# --------------------------------------------------------------------------------------------
# Session
# --------------------------------------------------------------------------------------------


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise MissingDependencyError("pyspark", "spark", "running the classifier on Spark") from None


def java_available() -> bool:
    """Whether a Java runtime is on PATH or under JAVA_HOME (Spark's JVM needs one)."""
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is not None or bool(home and (Path(home) / "bin" / "java").exists())


def require_spark() -> None:
    """Raise :class:`MissingDependencyError` without pyspark, :class:`SparkUnavailableError`
    without a Java runtime; return quietly when Spark can start."""
    _require_pyspark()
    if not java_available():
        raise SparkUnavailableError(
            "no Java runtime: Spark runs in a JVM and `java` is not on PATH (nor JAVA_HOME set)",
            hint="install one (Debian/Ubuntu: apt-get install default-jre-headless; Java 17 or 21) "
                 "or set JAVA_HOME.",
        )


def active_spark() -> SparkSession | None:
    """The active SparkSession, if any (a caller's session is reused and never stopped by us)."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


def spark_session(master: str | None = "local[2]", **conf: str) -> SparkSession:
    """A SparkSession with :data:`SPARK_DEFAULTS` (UI off, Arrow on, UTC, nanos as longs) and
    ``conf`` on top (pass Spark keys with ``**{"spark.executor.memory": "4g"}``).

    ``master=None`` leaves the master to ``spark-submit`` (or Spark's default). Workers run the
    same Python as the driver unless ``PYSPARK_PYTHON`` says otherwise (another interpreter
    would lack pyarrow and forensics). Returns the active session when there is one (with only
    ``conf`` applied to it: a caller's settings are not overridden by the defaults).
    """
    require_spark()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        # A caller's session keeps its settings; only what is asked for here is set (runtime
        # options; static ones such as the master are the caller's).
        for key, value in conf.items():
            active.conf.set(key, value)
        return active
    builder = SparkSession.builder
    if master is not None:
        builder = builder.master(master)
    for key, value in {**SPARK_DEFAULTS, **conf}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


# --------------------------------------------------------------------------------------------
# Schemas between Arrow and Spark
# --------------------------------------------------------------------------------------------


def _spark_type(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t) or pa.types.is_int64(t):
        return "bigint"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_float64(t):
        return "double"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_list(t):
        return f"array<{_spark_type(t.value_type)}>"
    raise ForensicsError(f"no Spark type for Arrow {t}", hint="a schema column was added without a Spark mapping.")


def _tagged_schema() -> pa.Schema:
    """One Arrow schema holding both result tables (shared columns have the same type in both),
    times as int64 nanoseconds."""
    fields: dict[str, pa.Field] = {TABLE_TAG: pa.field(TABLE_TAG, pa.string())}
    for f in list(FINDING_SCHEMA) + list(RUN_SCHEMA):
        t = pa.int64() if f.name in _TIME_COLUMNS else f.type
        fields.setdefault(f.name, pa.field(f.name, t))
    return pa.schema(list(fields.values()))


TAGGED_SCHEMA: Final = _tagged_schema()
TAGGED_DDL: Final = ", ".join(f"`{f.name}` {_spark_type(f.type)}" for f in TAGGED_SCHEMA)


def _tag(table: pa.Table, name: str) -> pa.Table:
    """``table`` in the tagged schema: its columns (times as int64 ns), the rest null."""
    n = table.num_rows
    cols = []
    for f in TAGGED_SCHEMA:
        if f.name == TABLE_TAG:
            cols.append(pa.array([name] * n, pa.string()))
        elif f.name in table.column_names:
            cols.append(table.column(f.name).cast(f.type))
        else:
            cols.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(cols, schema=TAGGED_SCHEMA)


def _untag(tagged: pa.Table, name: str, schema: pa.Schema) -> pa.Table:
    import pyarrow.compute as pc

    rows = tagged.filter(pc.equal(tagged.column(TABLE_TAG), name))
    return pa.Table.from_arrays([rows.column(f.name).cast(f.type) for f in schema], schema=schema)


def spans_to_spark(spark: SparkSession, spans: pa.Table) -> DataFrame:
    """A span table as a Spark DataFrame, times as ``bigint`` nanoseconds (exact)."""
    table = spans.select(list(SPAN_COLUMNS))
    for name in ("start_time", "end_time"):
        i = table.schema.get_field_index(name)
        table = table.set_column(i, pa.field(name, pa.int64()), table.column(i).cast(pa.int64()))
    return spark.createDataFrame(table)


# --------------------------------------------------------------------------------------------
# The per-partition function
# --------------------------------------------------------------------------------------------


def grouping_scope(detectors: Sequence[Any]) -> str:
    """``session`` when any enabled detector looks across a session, else ``run``: the grouping
    is derived from what detectors declare, never written per detector."""
    return "session" if any(d.scope == "session" for d in detectors) else "run"


def _grouping_key(scope: str) -> Column:
    from pyspark.sql import functions as F

    run_key = F.concat(F.lit("run:"), F.col("run_id"))
    if scope == "session":
        # load() fills a run's session on all its spans, so the per-row key keeps runs whole.
        return F.coalesce(F.col("session_id"), run_key)
    return run_key


def _span_table(batches: Iterable[pa.RecordBatch]) -> pa.Table | None:
    """Spark's batches of one partition as one SPAN_SCHEMA table (times back to ns)."""
    parts = [b for b in batches if b.num_rows]
    if not parts:
        return None
    table = pa.Table.from_batches(parts).select(list(SPAN_COLUMNS))
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in SPAN_SCHEMA], schema=SPAN_SCHEMA)


#: forensics.detectors.runaway_cost.fleet_facts as a Spark schema.
FLEET_DDL: Final = "`run_id` string, `task` string, `agent` string, `tokens` bigint, `cost` double"


def _fleet_partition(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Per-run fleet facts of one partition (its runs are whole: partitions are by session or run)."""
    import polars as pl

    from forensics.detectors.runaway_cost import fleet_facts

    spans = _span_table(batches)
    if spans is None:
        return
    frame = pl.from_arrow(spans)
    assert isinstance(frame, pl.DataFrame)
    yield from fleet_facts(frame).to_arrow().to_batches()


def _fleet(grouped: DataFrame, policy: Any) -> Any:
    """The whole input's fleet facts on the driver (one small row per run), so every partition
    judges fleet-relative budgets against the same fleet as a single-machine run; None when the
    policy needs none."""
    if not policy.fleet_factor or (policy.max_tokens_per_run and policy.max_cost_usd_per_run):
        return None
    import polars as pl

    table = grouped.mapInArrow(_fleet_partition, FLEET_DDL).toArrow()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.cast({"tokens": pl.Int64, "cost": pl.Float64})


def _partition_classifier(policy: Any, detectors: list[str], fleet: Any = None
                          ) -> Callable[[Iterable[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function run on the executors (shipped with the resolved policy, not its path: the
    file need not exist there, and with the fleet's facts when fleet budgets need them)."""

    def classify_partition(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from forensics.classify import classify

        spans = _span_table(batches)
        if spans is None:
            return
        result = classify(spans, policy=policy, detectors=detectors, fleet=fleet)
        del spans
        yield from _tag(result.findings, "findings").to_batches()
        yield from _tag(result.runs, "runs").to_batches()

    return classify_partition


# --------------------------------------------------------------------------------------------
# classify_spark
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SparkClassification:
    """What :func:`classify_spark` returns: one lazy pass producing both tables.

    ``tagged`` holds findings and runs rows (``_table`` says which); ``findings`` and ``runs``
    are views of it. Each Spark action on a view reruns the pass: ``to_arrow()`` collects both
    in one; call ``persist()`` before using both views on the cluster.
    """

    tagged: DataFrame
    policy_version: str
    scope: str

    @property
    def findings(self) -> DataFrame:
        """FINDING_SCHEMA columns; ``decisive_time`` as bigint nanoseconds."""
        from pyspark.sql import functions as F

        return self.tagged.filter(F.col(TABLE_TAG) == "findings").select(*FINDING_SCHEMA.names)

    @property
    def runs(self) -> DataFrame:
        """RUN_SCHEMA columns; ``start_time``/``end_time`` as bigint nanoseconds."""
        from pyspark.sql import functions as F

        return self.tagged.filter(F.col(TABLE_TAG) == "runs").select(*RUN_SCHEMA.names)

    def persist(self) -> SparkClassification:
        """Keep the pass's output on the executors, so both views read it instead of recomputing."""
        return SparkClassification(self.tagged.persist(), self.policy_version, self.scope)

    def to_arrow(self) -> Classification:
        """Both tables on the driver, exactly as ``forensics.classify.classify`` returns them."""
        from forensics.classify import Classification

        tagged = self.tagged.toArrow()
        findings = _untag(tagged, "findings", FINDING_SCHEMA)
        runs = _untag(tagged, "runs", RUN_SCHEMA).sort_by("run_id")
        return Classification(findings=findings, runs=runs, policy_version=self.policy_version)


#: Spans per partition when the count is derived: a Python worker peaks at about 250 MB + 2 KB per
#: span of its partition (docs/SPARK_SIZING.md), so 400,000 spans is about 1 GB per task.
SPANS_PER_PARTITION: Final = 400_000


def default_partitions(spans: DataFrame) -> int:
    """Partitions for ``spans`` when none are given: one per :data:`SPANS_PER_PARTITION` spans,
    and at least two per core of the cluster so no core idles at the end. Counting is cheap on
    Parquet (footers) and bounds memory per task whatever the night's size; a fixed number
    (Spark's shuffle partitions) would put 3.6M spans, ~7 GB, in each of 8 tasks at 30M spans."""
    cores = spans.sparkSession.sparkContext.defaultParallelism
    return max(2 * cores, -(-spans.count() // SPANS_PER_PARTITION))


def classify_spark(spans: DataFrame, policy: Any = None, *, partitions: int | None = None,
                   detectors: Iterable[Any] | None = None) -> SparkClassification:
    """Classify a Spark DataFrame of spans (SPAN_SCHEMA columns; times as bigint nanoseconds, or
    Spark timestamps, which hold microseconds) with the single-machine classifier.

    Spans are repartitioned into ``partitions`` (default: :func:`default_partitions`) by the
    grouping key (a session, or a run when no enabled detector is session-scoped), and each
    partition is classified in one ``forensics.classify.classify`` call.
    """
    _require_pyspark()
    from forensics.classify import _resolve_detectors
    from forensics.policy import resolve_policy

    pol = resolve_policy(policy)
    chosen = _resolve_detectors(detectors)
    missing = [c for c in SPAN_COLUMNS if c not in spans.columns]
    if missing:
        raise InputError(
            f"the span DataFrame lacks column(s) {', '.join(f'`{m}`' for m in missing)}",
            hint="build it with forensics.spark.spans_to_spark(spark, forensics.load(...).spans), or read a "
                 "dataset's spans (classify_dataset_spark).",
        )
    scope = grouping_scope(chosen)
    n = partitions or default_partitions(spans)
    grouped = spans.select(*SPAN_COLUMNS).repartition(n, _grouping_key(scope))
    fleet = _fleet(grouped, pol)
    tagged = grouped.mapInArrow(_partition_classifier(pol, [d.name for d in chosen], fleet), TAGGED_DDL)
    return SparkClassification(tagged, pol.version, scope)


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------


def read_spans_spark(root: str | os.PathLike[str], *, date: DateFilter = None,
                     spark: SparkSession | None = None) -> DataFrame:
    """The committed spans of a dataset as a Spark DataFrame (only the date's partitions are
    listed: uncommitted files of a crashed append are never read)."""
    from forensics import dataset

    return _read_parts(Path(root), dataset.files(root, "spans", date=date), spark or spark_session())


def _read_parts(root: Path, parts: Sequence[Any], session: SparkSession) -> DataFrame:
    session.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
    if not parts:
        return spans_to_spark(session, empty_table(SPAN_SCHEMA))
    # File paths, not the directory: Spark must not discover partitions itself (it would find
    # uncommitted files and type `date` as a date).
    df = session.read.parquet(*[str(root / p.path) for p in parts]).select(*SPAN_COLUMNS)
    types = dict(df.dtypes)
    if types["start_time"] != "bigint":
        raise ForensicsError(
            f"Spark read start_time as {types['start_time']}, not bigint nanoseconds", where=str(root),
            hint="set spark.sql.legacy.parquet.nanosAsLong=true on the session (spark_session() does).",
        )
    return df


def classify_dataset_spark(root: str | os.PathLike[str], *, date: DateFilter = None, policy: Any = None,
                           spark: SparkSession | None = None, partitions: int | None = None,
                           write: bool = True, allow_redacted: bool = False,
                           detectors: Iterable[Any] | None = None) -> Classification:
    """Classify a dataset's spans (one night with ``date``) on Spark; with ``write`` append the
    findings and runs to ``ROOT/findings`` and ``ROOT/runs`` in one atomic commit (driver-side).
    Returns the Arrow tables (for the store step). Rerunning on the same committed spans under
    the same policy does not write the results twice (see ``dataset.write_results``)."""
    return _classify_dataset(root, date=date, policy=policy, spark=spark, partitions=partitions, write=write,
                             allow_redacted=allow_redacted, detectors=detectors)[0]


def _classify_dataset(root: str | os.PathLike[str], *, date: DateFilter, policy: Any, spark: SparkSession | None,
                      partitions: int | None, write: bool, allow_redacted: bool,
                      detectors: Iterable[Any] | None) -> tuple[Classification, AppendResult | None]:
    from forensics import dataset

    dataset.refuse_redacted(root, allow_redacted)
    parts = dataset.files(root, "spans", date=date)
    # Exactly these files are read and named as the results' source: an append meanwhile is
    # neither read nor claimed.
    source = dataset.spans_read_key(root, parts=parts)
    df = _read_parts(Path(root), parts, spark or spark_session())
    result = classify_spark(df, policy, partitions=partitions, detectors=detectors).to_arrow()
    written = dataset.write_results(result, root, source=source) if write else None
    return result, written


def classify_tables_spark(tables: Iterable[pa.Table], policy: Any = None, *, workdir: str | os.PathLike[str],
                          spark: SparkSession | None = None, partitions: int | None = None) -> Classification:
    """Classify span tables (a night's buckets) on Spark through a temporary dataset in clear
    under ``workdir`` (deleted after): what ``forensics classify --engine spark`` does."""
    from forensics import dataset

    scratch = Path(tempfile.mkdtemp(prefix=".forensics-spark-", dir=workdir))
    try:
        with dataset.DatasetWriter(scratch, redact=False) as writer:
            for table in tables:
                writer.add(table, "spans")
        return classify_dataset_spark(scratch, policy=policy, spark=spark, partitions=partitions, write=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Storing a dataset's classification (`forensics spark --db`, spark-submit)
# --------------------------------------------------------------------------------------------


def store_classification(result: Classification, db: str | None, *, root: str | os.PathLike[str],
                         date: DateFilter = None, force: bool = False) -> dict[str, Any]:
    """Store a dataset's classification as one batch: each span source file is an input whose
    identity is (the committed part files read, the file), so rerunning on unchanged data skips
    and new appends are stored."""
    import polars as pl

    from forensics import dataset
    from forensics.nightly.intake import skip_already_stored
    from forensics.store import InputFile, finish_batch, open_store, start_batch, write_batch

    read_set = dataset.spans_read_key(root, date)
    runs = pl.from_arrow(result.runs.select(["source_file"]))
    assert isinstance(runs, pl.DataFrame)
    sources = sorted(s for s in runs.get_column("source_file").unique().to_list() if s is not None)
    inputs = [InputFile(path=s, sha256=hashlib.sha256(f"{read_set}\n{s}".encode()).hexdigest(), format="dataset")
              for s in sources]
    store = open_store(db)
    try:
        inputs, _ = skip_already_stored(store, inputs, result.policy_version, force=force)
        handle = start_batch(store, policy_version=result.policy_version, inputs=inputs, force=force)
        if not any(i.status == "pending" for i in inputs):
            finish_batch(handle, status="skipped", inputs=inputs, counts={"inputs": len(inputs), "runs": 0})
            return {"batch_id": handle.id, "status": "skipped", "runs": 0, "findings": 0,
                    "classifier_version": handle.classifier_version, "reclassified": 0}
        written = write_batch(handle, runs_table=result.runs, findings_table=result.findings, inputs=inputs,
                              counts={"dataset": str(root), "engine": "spark"})
        # An input another classifier version stored is reclassified, its rows replaced (forensics.store).
        return {"batch_id": written.batch_id, "status": written.status, "runs": written.runs,
                "findings": written.findings, "classifier_version": handle.classifier_version,
                "reclassified": written.reclassified_inputs}
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m forensics.spark ...`` and ``spark-submit forensics/spark.py ...``: a thin alias of
    ``forensics spark ...`` (the CLI owns the options, the messages and the exit codes)."""
    from forensics.cli import main as cli_main

    try:
        cli_main(["spark", *(sys.argv[1:] if argv is None else argv)])
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
