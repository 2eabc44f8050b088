"""The results store: batches, runs and findings in any SQLAlchemy database.

SQLite (a file, zero setup) by default; PostgreSQL is the tested team setup. The schema is owned by
the Alembic migrations shipped in ``forensics/migrations`` and applied on every open.

Guarantees, each tested with real processes:

* **Per-batch transactions.** A batch row is committed as ``running`` first; then the input
  claims, runs, findings and the flip to ``succeeded`` are ONE transaction. A crash or a kill in
  between leaves the previous state intact, and the next open marks the orphaned batch ``failed``.
* **Idempotent.** An input is claimed by its content hash and the policy version (a unique
  constraint), so rerunning the same night stores nothing new; ``force=True`` deletes the earlier
  rows of those inputs and writes them anew in the same transaction.
* **No double counting under concurrency.** The claim is an ``INSERT .. ON CONFLICT DO NOTHING``
  inside the data transaction: PostgreSQL makes a second writer wait on the first one's
  uncommitted claim row, SQLite serialises writers (``BEGIN IMMEDIATE`` + busy timeout); whoever
  loses stores nothing for the contested inputs.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import polars as pl
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

from forensics.errors import InputError, InternalError, StoreError
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA
from forensics.urls import display_url

#: Environment variable naming the store's URL (or a SQLite file path) when none is given.
DB_ENV: Final = "FORENSICS_DB"
DEFAULT_SQLITE_FILE: Final = "forensics.db"

#: Test-only hook: when set to a file path, ``write_batch`` creates that file after the rows are
#: inserted and then sleeps (``FORENSICS_TEST_PAUSE_SECONDS``, default 600) inside the still-open
#: transaction, so a test can SIGKILL the process at the worst moment or race a second writer
#: against it. Never set it in production.
TEST_PAUSE_ENV: Final = "FORENSICS_TEST_PAUSE_IN_WRITE"
TEST_PAUSE_SECONDS_ENV: Final = "FORENSICS_TEST_PAUSE_SECONDS"

#: A running batch whose owner cannot be checked (another host) is presumed dead after this long
#: without a heartbeat.
DEFAULT_STALE_AFTER: Final = timedelta(hours=2)

BATCH_STATUSES: Final = ("running", "succeeded", "failed", "skipped")

MIGRATIONS_DIR: Final = Path(__file__).with_name("migrations")

# --------------------------------------------------------------------------------------------
# Table definitions. The migrations create exactly these (tests compare them with Alembic's
# autogenerate); keep both in step when the schema changes.
# --------------------------------------------------------------------------------------------

metadata = sa.MetaData()

_TS = sa.DateTime(timezone=True)
_JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

batches = sa.Table(
    "batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", _TS, nullable=False),
    sa.Column("finished_at", _TS),
    sa.Column("heartbeat_at", _TS),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("policy_version", sa.Text),
    sa.Column("toolkit_version", sa.String(32)),
    sa.Column("forced", sa.Boolean, nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("hostname", sa.Text),
    sa.Column("command", sa.Text),
    sa.Column("inputs", _JSON_DOC),
    sa.Column("counts", _JSON_DOC),
    sa.Column("problems", _JSON_DOC),
    sa.Column("error", sa.Text),
    sa.CheckConstraint(
        "status IN ('running', 'succeeded', 'failed', 'skipped')", name="ck_batches_status"
    ),
)
sa.Index("ix_batches_status", batches.c.status)
sa.Index("ix_batches_started_at", batches.c.started_at)

batch_inputs = sa.Table(
    "batch_inputs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("policy_version", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("format", sa.Text),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("claimed_at", _TS, nullable=False),
    sa.UniqueConstraint("sha256", "policy_version", name="uq_batch_inputs_sha256_policy"),
)
sa.Index("ix_batch_inputs_batch_id", batch_inputs.c.batch_id)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), primary_key=True),
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("input_sha256", sa.String(64), nullable=False),
    sa.Column("session_id", sa.Text),
    sa.Column("source_format", sa.Text),
    sa.Column("source_file", sa.Text),
    sa.Column("start_time", _TS),
    sa.Column("end_time", _TS),
    sa.Column("duration_ms", sa.Float),
    sa.Column("agents", sa.Text, nullable=False),
    sa.Column("span_count", sa.BigInteger, nullable=False),
    sa.Column("error_count", sa.BigInteger, nullable=False),
    sa.Column("input_tokens", sa.BigInteger),
    sa.Column("output_tokens", sa.BigInteger),
    sa.Column("cost_usd", sa.Float),
    sa.Column("reported_outcome", sa.Text, nullable=False),
    sa.Column("classes", sa.Text, nullable=False),
    sa.Column("primary_class", sa.Text),
    sa.Column("decisive_span_id", sa.Text),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("policy_version", sa.Text, nullable=False),
    # Added by migration 0002 (rows written before it are backfilled there).
    sa.Column("strength", sa.Text),
    sa.Column("declared_outcome", sa.Text, nullable=False, server_default="unknown"),
    sa.Column("unexplained_failure", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("decisive_agent", sa.Text),
    sa.Column("decisive_step", sa.BigInteger),
)
sa.Index("ix_runs_run_id", runs.c.run_id)
sa.Index("ix_runs_start_time", runs.c.start_time)
sa.Index("ix_runs_primary_class_start_time", runs.c.primary_class, runs.c.start_time)
sa.Index("ix_runs_session_id", runs.c.session_id)
sa.Index("ix_runs_input_sha256_policy", runs.c.input_sha256, runs.c.policy_version)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("input_sha256", sa.String(64), nullable=False),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("session_id", sa.Text),
    sa.Column("failure_class", sa.Text, nullable=False),
    sa.Column("detector", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("evidence_span_ids", sa.Text, nullable=False),
    sa.Column("decisive_span_id", sa.Text),
    sa.Column("decisive_time", _TS),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("policy_version", sa.Text, nullable=False),
    sa.Column("strength", sa.Text, nullable=False),  # migration 0002
)
sa.Index("ix_findings_batch_run", findings.c.batch_id, findings.c.run_id)
sa.Index("ix_findings_run_id", findings.c.run_id)
sa.Index("ix_findings_class_time", findings.c.failure_class, findings.c.decisive_time)
sa.Index("ix_findings_detector", findings.c.detector)
sa.Index("ix_findings_input_sha256_policy", findings.c.input_sha256, findings.c.policy_version)

#: Columns stored as JSON text (Arrow list<string> in the result schemas).
_LIST_COLUMNS: Final = {"agents", "classes", "evidence_span_ids"}
_RUN_COLUMNS: Final = tuple(f.name for f in RUN_SCHEMA)
_FINDING_COLUMNS: Final = tuple(f.name for f in FINDING_SCHEMA)


# --------------------------------------------------------------------------------------------
# Opening
# --------------------------------------------------------------------------------------------


@dataclass
class Store:
    """An open results store (an engine with the schema at the newest migration)."""

    engine: Engine
    url: str
    #: Batches found stuck in ``running`` with their owner gone and marked failed by this open.
    recovered: list[int] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite, so writers queue
        up front instead of failing when they upgrade a read lock); commits on success."""
        with self.engine.connect().execution_options(forensics_immediate=True) as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resolve_url(url: str | None = None) -> str:
    """The store URL: ``url``, else ``$FORENSICS_DB``, else ``forensics.db`` in the cwd.

    A value without ``://`` is a SQLite file path.
    """
    raw = url or os.environ.get(DB_ENV) or DEFAULT_SQLITE_FILE
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser().resolve()}"


def _sqlite_engine(url: str) -> Engine:
    # 60 s busy timeout: a second nightly job waits for the first one's write instead of failing.
    engine = sa.create_engine(url, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (pysqlite's implicit BEGIN is too late
        # to take the write lock, which turns a wait into a SQLITE_BUSY failure).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if ":memory:" not in url and url != "sqlite://":
            # WAL: notebooks can read while the nightly job writes.
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("forensics_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _generic_engine(url: str) -> Engine:
    return sa.create_engine(url, pool_pre_ping=True)


_ENGINE_FACTORIES: Final[dict[str, Callable[[str], Engine]]] = {"sqlite": _sqlite_engine}


def open_store(
    url: str | None = None, *, migrate: bool = True, stale_after: timedelta = DEFAULT_STALE_AFTER
) -> Store:
    """Open (and create or upgrade) the results store at ``url``.

    ``url`` is any SQLAlchemy URL (``sqlite:///nightly.db``,
    ``postgresql+psycopg://user@host/db``) or a SQLite file path; default ``$FORENSICS_DB`` or
    ``./forensics.db``. Alembic migrations are applied, then batches left ``running`` by a process
    that is gone are marked ``failed``.
    """
    resolved = resolve_url(url)
    try:
        sa_url = sa.engine.make_url(resolved)
    except sa.exc.ArgumentError as exc:
        raise StoreError(
            f"`{resolved}` is not a database URL",
            hint="use a SQLite file path or a SQLAlchemy URL such as postgresql+psycopg://user@host/db.",
        ) from exc
    backend = sa_url.get_backend_name()
    if backend == "postgresql" and sa_url.get_driver_name() in ("psycopg", "psycopg2", ""):
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            from forensics.errors import MissingDependencyError

            raise MissingDependencyError("psycopg", "postgres", "a PostgreSQL store") from exc
        if sa_url.get_driver_name() == "" or sa_url.drivername == "postgresql":
            resolved = sa_url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite" and sa_url.database not in (None, "", ":memory:") and not str(sa_url.database).startswith("file:"):
        # Zero setup: `--db sqlite:///out/forensics.db` works before out/ exists.
        parent = Path(str(sa_url.database)).expanduser().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the directory `{parent}` for the SQLite store: {exc}",
                             hint="choose a writable path for --db, or create the directory first.") from exc
    factory = _ENGINE_FACTORIES.get(backend, _generic_engine)
    try:
        engine = factory(resolved)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise StoreError(f"cannot create an engine for `{display_url(resolved)}`: {exc}",
                         hint="check the URL's dialect and driver name.") from exc
    store = Store(engine=engine, url=resolved)
    try:
        if migrate:
            upgrade(store)
        store.recovered = recover_stale_batches(store, stale_after=stale_after)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise StoreError(
            f"cannot open the results store `{display_url(resolved)}`: {exc.orig}",
            hint="check that the database server is running and the URL, user and password are right.",
        ) from exc
    return store




def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The newest migration shipped with this package."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def upgrade(store: Store, revision: str = "head") -> None:
    """Apply the shipped Alembic migrations up to ``revision`` (``alembic upgrade head``)."""
    from alembic import command

    if revision == "head" and current_revision(store) == head_revision():
        # Already current: no write transaction, so opening never queues behind a running job.
        return
    with store.engine.connect().execution_options(forensics_immediate=True) as conn:
        command.upgrade(_alembic_config(conn), revision)


def current_revision(store: Store) -> str | None:
    """The schema's Alembic revision (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# --------------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _toolkit_version() -> str:
    from forensics import __version__

    return __version__


@dataclass(frozen=True)
class InputFile:
    """One input of a batch: where it is, what it holds, and what reading it gave."""

    path: str
    sha256: str
    size_bytes: int | None = None
    format: str | None = None
    #: ``stored`` | ``skipped`` (already stored) | ``claimed-elsewhere`` | ``failed`` | ``pending``
    status: str = "pending"
    counts: Mapping[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "format": self.format,
            "status": self.status,
            "counts": dict(self.counts),
        }


@dataclass(frozen=True)
class Problem:
    """Something wrong with one input: the file, a stable reason code and the full message.

    ``level`` is ``error`` when the file contributed nothing (it could not be read at all) and
    ``warning`` when some of its records were quarantined but the rest were stored.
    """

    file: str
    reason: str
    detail: str
    level: str = "error"

    def as_json(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason, "detail": self.detail, "level": self.level}


@dataclass
class BatchHandle:
    """A batch row committed as ``running``; pass it to :func:`write_batch` or :func:`fail_batch`."""

    store: Store
    id: int
    policy_version: str
    force: bool
    _last_beat: float = field(default_factory=time.monotonic)

    def heartbeat(self, min_interval: float = 30.0) -> None:
        """Tell other processes this batch's owner is alive (call between files; writes at most
        every ``min_interval`` seconds, so it rarely queues behind another job's write)."""
        if time.monotonic() - self._last_beat < min_interval:
            return
        self._last_beat = time.monotonic()
        with self.store.write() as conn:
            conn.execute(
                batches.update().where(batches.c.id == self.id).values(heartbeat_at=_now())
            )


def start_batch(
    store: Store,
    *,
    policy_version: str,
    inputs: Sequence[InputFile] = (),
    force: bool = False,
    command: str | None = None,
) -> BatchHandle:
    """Commit a new batch row in status ``running`` (its own transaction) and return its handle."""
    now = _now()
    with store.write() as conn:
        batch_id = conn.execute(
            batches.insert()
            .values(
                started_at=now,
                heartbeat_at=now,
                status="running",
                policy_version=policy_version,
                toolkit_version=_toolkit_version(),
                forced=force,
                pid=os.getpid(),
                hostname=socket.gethostname(),
                command=command if command is not None else " ".join(sys.argv),
                inputs=[i.as_json() for i in inputs],
                counts={},
                problems=[],
            )
            .returning(batches.c.id)
        ).scalar_one()
    return BatchHandle(store=store, id=int(batch_id), policy_version=policy_version, force=force)


def stored_hashes(store: Store, hashes: Iterable[str], policy_version: str) -> dict[str, int]:
    """``{sha256: batch_id}`` for the given content hashes already stored under this policy."""
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    out: dict[str, int] = {}
    with store.engine.connect() as conn:
        for chunk in _chunks(wanted, 500):
            rows = conn.execute(
                sa.select(batch_inputs.c.sha256, batch_inputs.c.batch_id).where(
                    batch_inputs.c.sha256.in_(chunk), batch_inputs.c.policy_version == policy_version
                )
            )
            out.update({r.sha256: int(r.batch_id) for r in rows})
    return out


@dataclass(frozen=True)
class WriteResult:
    """What one :func:`write_batch` stored."""

    batch_id: int
    status: str
    stored_inputs: tuple[str, ...]
    #: Inputs another batch claimed first (a concurrent job); nothing of theirs was stored here.
    claimed_elsewhere: tuple[str, ...]
    runs: int
    findings: int
    #: Rows of earlier batches deleted by a forced rerun.
    replaced_runs: int = 0
    replaced_findings: int = 0


def write_batch(
    batch: BatchHandle,
    *,
    runs_table: pa.Table,
    findings_table: pa.Table,
    inputs: Sequence[InputFile],
    problems: Sequence[Problem] = (),
    counts: Mapping[str, Any] | None = None,
) -> WriteResult:
    """Store one batch's results atomically and flip the batch to ``succeeded``.

    ``runs_table`` (RUN_SCHEMA) and ``findings_table`` (FINDING_SCHEMA) hold the results of the
    ``inputs`` whose status is ``pending``; each run is attributed to the input holding its
    ``source_file``, each finding to its run's input. In one transaction: claim the inputs (unique
    content hash + policy version), drop results of inputs claimed by someone else, delete the
    earlier rows of forced inputs, insert runs and findings in bulk, record the batch. On any
    error the transaction rolls back, the batch is marked ``failed`` and the error re-raised.
    """
    store = batch.store
    try:
        pending = [i for i in inputs if i.status == "pending"]
        runs_df = _attach_inputs(runs_table, pending)
        findings_df = _findings_with_inputs(findings_table, runs_df)
        with store.write() as conn:
            replaced_runs = replaced_findings = 0
            hashes = sorted({i.sha256 for i in pending})
            if batch.force and hashes:
                replaced_runs, replaced_findings = _delete_inputs(conn, hashes, batch.policy_version)
            claimed = _claim(conn, batch, pending)
            runs_df = runs_df.filter(pl.col("input_sha256").is_in(sorted(claimed)))
            findings_df = findings_df.filter(pl.col("input_sha256").is_in(sorted(claimed)))
            _bulk_insert(conn, runs, _db_rows(runs_df, batch.id, _RUN_COLUMNS))
            _bulk_insert(conn, findings, _db_rows(findings_df, batch.id, _FINDING_COLUMNS))
            final_inputs = [_final_input(i, claimed) for i in inputs]
            stored = tuple(i.path for i in final_inputs if i.status == "stored")
            elsewhere = tuple(i.path for i in final_inputs if i.status == "claimed-elsewhere")
            all_counts = {
                "inputs": len(inputs),
                "stored_inputs": len(stored),
                "skipped_inputs": sum(i.status in ("skipped", "claimed-elsewhere") for i in final_inputs),
                "failed_inputs": sum(i.status == "failed" for i in final_inputs),
                "runs": runs_df.height,
                "findings": findings_df.height,
                "replaced_runs": replaced_runs,
                "replaced_findings": replaced_findings,
                "findings_by_class": _class_counts(findings_df),
                **(dict(counts) if counts else {}),
            }
            status = _final_status(final_inputs)
            conn.execute(
                batches.update()
                .where(batches.c.id == batch.id)
                .values(
                    status=status,
                    finished_at=_now(),
                    heartbeat_at=_now(),
                    inputs=[i.as_json() for i in final_inputs],
                    counts=all_counts,
                    problems=[p.as_json() for p in problems],
                    error=_all_failed_message(final_inputs) if status == "failed" else None,
                )
            )
            _test_pause()
    except BaseException as exc:
        # BaseException: a KeyboardInterrupt mid-write must also leave the batch marked failed.
        fail_batch(batch, exc, inputs=inputs, problems=problems)
        if _is_database_error(exc):
            raise StoreError(
                f"writing batch {batch.id} failed and was rolled back: {exc}",
                hint="the batch is marked failed and nothing of it was stored; fix the cause and rerun.",
            ) from exc
        raise
    return WriteResult(
        batch_id=batch.id,
        status=status,
        stored_inputs=stored,
        claimed_elsewhere=elsewhere,
        runs=runs_df.height,
        findings=findings_df.height,
        replaced_runs=replaced_runs,
        replaced_findings=replaced_findings,
    )


def _is_database_error(exc: BaseException) -> bool:
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return True
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def finish_batch(
    batch: BatchHandle,
    *,
    status: str,
    inputs: Sequence[InputFile],
    problems: Sequence[Problem] = (),
    counts: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Close a batch that stores no rows (every input skipped, or none could be read)."""
    if status not in BATCH_STATUSES or status == "running":
        raise InternalError(f"finish_batch: status must be succeeded, failed or skipped, not {status!r}")
    with batch.store.write() as conn:
        conn.execute(
            batches.update()
            .where(batches.c.id == batch.id)
            .values(
                status=status,
                finished_at=_now(),
                heartbeat_at=_now(),
                inputs=[i.as_json() for i in inputs],
                counts=dict(counts or {}),
                problems=[p.as_json() for p in problems],
                error=error,
            )
        )


def fail_batch(
    batch: BatchHandle,
    error: BaseException | str,
    *,
    inputs: Sequence[InputFile] | None = None,
    problems: Sequence[Problem] = (),
) -> None:
    """Mark a batch ``failed`` with the error (in a fresh transaction; its rows were rolled back)."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    values: dict[str, Any] = {
        "status": "failed",
        "finished_at": _now(),
        "error": text,
        "problems": [p.as_json() for p in problems],
    }
    if inputs is not None:
        values["inputs"] = [i.as_json() for i in inputs]
    with batch.store.write() as conn:
        conn.execute(
            batches.update()
            .where(batches.c.id == batch.id, batches.c.status == "running")
            .values(**values)
        )


def _final_input(i: InputFile, claimed: set[str]) -> InputFile:
    if i.status != "pending":
        return i
    from dataclasses import replace

    return replace(i, status="stored" if i.sha256 in claimed else "claimed-elsewhere")


def _final_status(final_inputs: Sequence[InputFile]) -> str:
    statuses = {i.status for i in final_inputs}
    if "stored" in statuses:
        return "succeeded"
    if statuses & {"skipped", "claimed-elsewhere"}:
        return "skipped"
    return "failed"


def _all_failed_message(final_inputs: Sequence[InputFile]) -> str:
    failed = [i.path for i in final_inputs if i.status == "failed"]
    return f"no input could be read ({len(failed)} failed); see problems"


def _class_counts(findings_df: pl.DataFrame) -> dict[str, int]:
    if findings_df.is_empty():
        return {}
    counted = findings_df.group_by("failure_class").len().sort("failure_class")
    return dict(zip(counted["failure_class"].to_list(), counted["len"].to_list(), strict=True))


def _claim(conn: Connection, batch: BatchHandle, pending: Sequence[InputFile]) -> set[str]:
    """Insert claim rows; return the hashes this batch won (others already hold the rest)."""
    if not pending:
        return set()
    now = _now()
    seen: dict[str, InputFile] = {}
    for i in pending:
        seen.setdefault(i.sha256, i)
    rows = [
        {
            "batch_id": batch.id,
            "sha256": i.sha256,
            "policy_version": batch.policy_version,
            "path": i.path,
            "format": i.format,
            "size_bytes": i.size_bytes,
            "claimed_at": now,
        }
        for i in seen.values()
    ]
    insert = _INSERT_IGNORING_CONFLICTS.get(conn.dialect.name)
    if insert is None:
        # Generic fallback: a conflicting insert raises IntegrityError and the batch fails: safe,
        # never double counted, just not as graceful.
        conn.execute(batch_inputs.insert(), rows)
        return set(seen)
    result = conn.execute(
        insert(batch_inputs)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["sha256", "policy_version"])
        .returning(batch_inputs.c.sha256)
    )
    return {r[0] for r in result}


def _pg_insert(table: sa.Table) -> Any:
    from sqlalchemy.dialects.postgresql import insert

    return insert(table)


def _sqlite_insert(table: sa.Table) -> Any:
    from sqlalchemy.dialects.sqlite import insert

    return insert(table)


_INSERT_IGNORING_CONFLICTS: Final[dict[str, Callable[[sa.Table], Any]]] = {
    "postgresql": _pg_insert,
    "sqlite": _sqlite_insert,
}


def _delete_inputs(conn: Connection, hashes: Sequence[str], policy_version: str) -> tuple[int, int]:
    """Delete every earlier row of these inputs under this policy (a forced rerun)."""
    n_runs = n_findings = 0
    for chunk in _chunks(list(hashes), 500):
        n_findings += conn.execute(
            findings.delete().where(
                findings.c.input_sha256.in_(chunk), findings.c.policy_version == policy_version
            )
        ).rowcount
        n_runs += conn.execute(
            runs.delete().where(runs.c.input_sha256.in_(chunk), runs.c.policy_version == policy_version)
        ).rowcount
        conn.execute(
            batch_inputs.delete().where(
                batch_inputs.c.sha256.in_(chunk), batch_inputs.c.policy_version == policy_version
            )
        )
    return n_runs, n_findings


def _test_pause() -> None:
    flag = os.environ.get(TEST_PAUSE_ENV)
    if flag:
        Path(flag).write_text(str(os.getpid()))
        time.sleep(float(os.environ.get(TEST_PAUSE_SECONDS_ENV, "600")))


def _chunks(items: list[str], n: int) -> Iterable[list[str]]:
    for start in range(0, len(items), n):
        yield items[start : start + n]


# --------------------------------------------------------------------------------------------
# Arrow -> rows
# --------------------------------------------------------------------------------------------


def _path_keys(path: str) -> list[str]:
    p = Path(path)
    # The loader records paths relative to the cwd when they are under it (display_path).
    keys = {path, str(p), os.path.abspath(path), os.path.relpath(path)}
    try:
        keys.add(str(p.resolve()))
    except OSError:
        pass
    return sorted(keys)


def _attach_inputs(runs_table: pa.Table, inputs: Sequence[InputFile]) -> pl.DataFrame:
    """Runs as a polars frame with ``input_sha256`` from the input holding ``source_file``."""
    df = pl.from_arrow(runs_table)
    assert isinstance(df, pl.DataFrame)
    mapping = pl.DataFrame(
        [(k, i.sha256) for i in inputs for k in _path_keys(i.path)],
        schema={"source_file": pl.String, "input_sha256": pl.String},
        orient="row",
    ).unique("source_file", keep="first")
    out = df.join(mapping, on="source_file", how="left")
    if out.height and out["input_sha256"].null_count():
        orphans = out.filter(pl.col("input_sha256").is_null())["source_file"].unique().to_list()[:5]
        raise InternalError(
            f"runs name source files that are not inputs of this batch: {orphans}",
            hint="every run's source_file must be one of the paths given to the batch.",
        )
    return out


def _findings_with_inputs(findings_table: pa.Table, runs_df: pl.DataFrame) -> pl.DataFrame:
    df = pl.from_arrow(findings_table)
    assert isinstance(df, pl.DataFrame)
    out = df.join(runs_df.select("run_id", "input_sha256"), on="run_id", how="left")
    if out.height and out["input_sha256"].null_count():
        orphans = out.filter(pl.col("input_sha256").is_null())["run_id"].unique().to_list()[:5]
        raise InternalError(f"findings name runs that are not in the runs table: {orphans}")
    return out


def _db_rows(df: pl.DataFrame, batch_id: int, columns: Sequence[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and row tuples ready for executemany (timestamps as datetimes, lists as JSON)."""
    exprs: list[pl.Expr] = [pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"), pl.col("input_sha256")]
    for name in columns:
        dtype = df.schema[name]
        if name in _LIST_COLUMNS:
            # JSON text via a struct round-trip: columnar, and the same escaping as any JSON encoder.
            exprs.append(
                pl.struct(pl.col(name).fill_null([]).alias("v")).struct.json_encode()
                .str.slice(5).str.head(-1).alias(name)
            )
        elif isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.cast_time_unit("us").alias(name))
        else:
            exprs.append(pl.col(name))
    out = df.select(exprs)
    names = out.columns
    return names, out.rows()


def _bulk_insert(conn: Connection, table: sa.Table, rows: tuple[list[str], list[tuple[Any, ...]]]) -> None:
    names, data = rows
    if not data:
        return
    writer = _BULK_WRITERS.get(conn.dialect.name, _bulk_insert_generic)
    writer(conn, table, names, data)


def _bulk_insert_generic(conn: Connection, table: sa.Table, names: list[str], data: list[tuple[Any, ...]]) -> None:
    conn.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in data])


def _bulk_insert_sqlite(conn: Connection, table: sa.Table, names: list[str], data: list[tuple[Any, ...]]) -> None:
    # The driver's executemany directly: SQLAlchemy's per-row parameter processing costs more
    # than the insert itself at a night's volume. Datetimes go in as SQLAlchemy's SQLite format.
    ts_cols = [i for i, n in enumerate(names) if isinstance(table.c[n].type, sa.DateTime)]
    if ts_cols:
        data = [_sqlite_ts_row(row, ts_cols) for row in data]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    conn.exec_driver_sql(sql, data)


def _sqlite_ts_row(row: tuple[Any, ...], ts_cols: list[int]) -> tuple[Any, ...]:
    out = list(row)
    for i in ts_cols:
        v = out[i]
        if v is not None:
            out[i] = v.strftime("%Y-%m-%d %H:%M:%S.%f")
    return tuple(out)


def _bulk_insert_postgres(conn: Connection, table: sa.Table, names: list[str], data: list[tuple[Any, ...]]) -> None:
    # COPY: the fastest way into PostgreSQL, inside the same transaction as everything else.
    dbapi = conn.connection.driver_connection
    with dbapi.cursor() as cur:  # type: ignore[union-attr]
        with cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)


_BULK_WRITERS: Final[dict[str, Callable[[Connection, sa.Table, list[str], list[tuple[Any, ...]]], None]]] = {
    "sqlite": _bulk_insert_sqlite,
}


def _register_postgres_writer() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:  # pragma: no cover
        return
    _BULK_WRITERS["postgresql"] = _bulk_insert_postgres


_register_postgres_writer()


# --------------------------------------------------------------------------------------------
# Recovery of batches left running
# --------------------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    if Path("/proc/self/stat").exists():
        try:
            # A zombie (killed, not yet reaped by its parent) is gone for our purposes.
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_stale_batches(store: Store, *, stale_after: timedelta = DEFAULT_STALE_AFTER) -> list[int]:
    """Mark ``failed`` every ``running`` batch whose owner is gone; return their ids.

    On this host the owner's pid is checked; for another host's batch, a heartbeat older than
    ``stale_after`` means gone. Their rows were never committed (one transaction), so only the
    status changes.
    """
    host = socket.gethostname()
    now = _now()
    with store.engine.connect() as conn:
        running = conn.execute(
            sa.select(batches.c.id, batches.c.pid, batches.c.hostname, batches.c.heartbeat_at).where(
                batches.c.status == "running"
            )
        ).all()
    dead: list[tuple[int, str]] = []
    for row in running:
        beat = _as_utc(row.heartbeat_at)
        silent = beat is not None and now - beat > stale_after
        if row.hostname == host and row.pid is not None and row.pid != os.getpid():
            if not _pid_alive(int(row.pid)):
                dead.append((row.id, f"process {row.pid} on {host} ended without finishing the batch "
                                     "(killed or crashed); nothing of it was stored"))
            elif silent:
                # The pid is alive but silent for too long: most likely reused by another process.
                dead.append((row.id, f"no heartbeat from process {row.pid} on {host} since {beat} "
                                     f"(over {stale_after}; the pid now belongs to another process); nothing stored"))
            continue
        if row.hostname != host and silent and beat is not None:
            dead.append((row.id, f"no heartbeat from process {row.pid} on {row.hostname} since "
                                 f"{beat.isoformat()} (over {stale_after}); presumed dead, nothing stored"))
    for batch_id, reason in dead:
        with store.write() as conn:
            conn.execute(
                batches.update()
                .where(batches.c.id == batch_id, batches.c.status == "running")
                .values(status="failed", finished_at=now, error=reason)
            )
    return [b for b, _ in dead]


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Reading back
# --------------------------------------------------------------------------------------------


def _since(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InputError(
                f"`{value}` is not a date or time",
                hint="use ISO 8601, e.g. 2026-11-20 or 2026-11-20T02:00:00+00:00.",
            ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _frame(conn: Connection, query: sa.Select[Any], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    result = conn.execute(query)
    names = list(result.keys())
    data = result.all()
    cols: list[Sequence[Any]] = list(zip(*data, strict=True)) if data else [() for _ in names]
    series = []
    for name, values in zip(names, cols, strict=True):
        dtype = schema[name]
        if isinstance(dtype, pl.Datetime):
            s = pl.Series(name, [_as_utc(v) for v in values], dtype=pl.Datetime("us", "UTC"))
            series.append(s.dt.cast_time_unit("ns"))
        elif isinstance(dtype, pl.List):
            s = pl.Series(name, values, dtype=pl.String)
            series.append(s.str.json_decode(dtype))
        elif dtype == pl.String and name in ("inputs", "counts", "problems"):
            series.append(pl.Series(name, [json.dumps(v) if v is not None else None for v in values],
                                    dtype=pl.String))
        else:
            series.append(pl.Series(name, values, dtype=dtype))
    return pl.DataFrame(series)


def _arrow_schema_to_polars(schema: pa.Schema) -> dict[str, pl.DataType]:
    empty = pl.from_arrow(schema.empty_table())
    assert isinstance(empty, pl.DataFrame)
    return dict(empty.schema)


_RUN_PL: Final = {"batch_id": pl.Int64(), "input_sha256": pl.String(), **_arrow_schema_to_polars(RUN_SCHEMA)}
_FINDING_PL: Final = {"batch_id": pl.Int64(), "input_sha256": pl.String(),
                      **_arrow_schema_to_polars(FINDING_SCHEMA)}
_BATCH_PL: Final[dict[str, pl.DataType]] = {
    "id": pl.Int64(), "started_at": pl.Datetime("ns", "UTC"), "finished_at": pl.Datetime("ns", "UTC"),
    "heartbeat_at": pl.Datetime("ns", "UTC"), "status": pl.String(), "policy_version": pl.String(),
    "toolkit_version": pl.String(), "forced": pl.Boolean(), "pid": pl.Int64(), "hostname": pl.String(),
    "command": pl.String(), "inputs": pl.String(), "counts": pl.String(), "problems": pl.String(),
    "error": pl.String(),
}


def _store_of(store: Store | str | None) -> tuple[Store, bool]:
    if isinstance(store, Store):
        return store, False
    return open_store(store), True


def _read(store: Store | str | None, query: sa.Select[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run one read query on ``store`` (a Store, a URL, or None for the default), closing what it opened."""
    st, owned = _store_of(store)
    try:
        with st.engine.connect() as conn:
            return _frame(conn, query, schema)
    finally:
        if owned:
            st.close()


def _window(query: sa.Select[Any], column: sa.ColumnElement[Any], since: datetime | str | None,
            until: datetime | str | None) -> sa.Select[Any]:
    """``since <= column < until``, each bound only when given (dates or ISO times)."""
    lo, hi = _since(since), _since(until)
    if lo is not None:
        query = query.where(column >= lo)
    if hi is not None:
        query = query.where(column < hi)
    return query


def _equal(query: sa.Select[Any], pairs: Iterable[tuple[sa.ColumnElement[Any], Any]]) -> sa.Select[Any]:
    """``column == value`` for every pair whose value is given (None means no filter)."""
    for column, value in pairs:
        if value is not None:
            query = query.where(column == value)
    return query


def read_runs(
    store: Store | str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    run_id: str | None = None,
    *,
    batch_id: int | None = None,
    policy_version: str | None = None,
) -> pl.DataFrame:
    """Stored runs (RUN_SCHEMA columns + ``batch_id``, ``input_sha256``), oldest first.

    ``since``/``until`` bound the run's ``start_time`` (``until`` exclusive); dates or ISO times.
    """
    q = _window(sa.select(*[runs.c[n] for n in _RUN_PL]), runs.c.start_time, since, until)
    q = _equal(q, [(runs.c.run_id, run_id), (runs.c.batch_id, batch_id), (runs.c.policy_version, policy_version)])
    return _read(store, q.order_by(runs.c.start_time, runs.c.run_id, runs.c.batch_id), _RUN_PL)


def read_findings(
    store: Store | str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    run_id: str | None = None,
    *,
    batch_id: int | None = None,
    policy_version: str | None = None,
) -> pl.DataFrame:
    """Stored findings (FINDING_SCHEMA columns + ``batch_id``, ``input_sha256``).

    ``since``/``until`` bound the start time of the finding's run, so a night's findings come with
    the same filter as its runs.
    """
    q = sa.select(*[findings.c[n] for n in _FINDING_PL])
    if since is not None or until is not None:
        q = q.join(runs, sa.and_(runs.c.batch_id == findings.c.batch_id, runs.c.run_id == findings.c.run_id))
        q = _window(q, runs.c.start_time, since, until)
    q = _equal(q, [(findings.c.run_id, run_id), (findings.c.batch_id, batch_id),
                   (findings.c.policy_version, policy_version)])
    return _read(store, q.order_by(findings.c.id), _FINDING_PL)


def read_batches(
    store: Store | str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    *,
    status: str | None = None,
) -> pl.DataFrame:
    """Batch records, oldest first; ``inputs``, ``counts`` and ``problems`` as JSON text."""
    q = _window(sa.select(*[batches.c[n] for n in _BATCH_PL]), batches.c.started_at, since, until)
    q = _equal(q, [(batches.c.status, status)])
    return _read(store, q.order_by(batches.c.id), _BATCH_PL)


def get_batch(store: Store, batch_id: int) -> dict[str, Any]:
    """One batch record as a dict (JSON columns decoded)."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(batches).where(batches.c.id == batch_id)).mappings().one_or_none()
    if row is None:
        raise StoreError(f"no batch {batch_id} in the store", hint="`forensics report` lists the batches.")
    return dict(row)


def table_counts(store: Store) -> dict[str, int]:
    """Row counts of every table (for tests and the summary)."""
    with store.engine.connect() as conn:
        return {
            t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
            for t in (batches, batch_inputs, runs, findings)
        }


def class_trend(
    store: Store | str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    *,
    every: str = "1d",
) -> pl.DataFrame:
    """Findings and affected runs per failure class per period (``every``: a polars duration,
    ``1d`` = per night by the runs' start time): the data behind the fleet trend chart."""
    st, owned = _store_of(store)
    try:
        runs_df = read_runs(st, since=since, until=until)
        finds = read_findings(st, since=since, until=until)
    finally:
        if owned:
            st.close()
    return trend_from_frames(runs_df, finds, every=every)


def trend_from_frames(runs_df: pl.DataFrame, finds: pl.DataFrame, *, every: str = "1d") -> pl.DataFrame:
    """:func:`class_trend` over frames already read (runs and findings with ``batch_id``)."""
    schema: dict[str, pl.DataType] = {"period": pl.Datetime("ns", "UTC"), "failure_class": pl.String(),
                                      "findings": pl.UInt32(), "runs": pl.UInt32(), "runs_in_period": pl.UInt32()}
    if finds.is_empty() or runs_df.is_empty():
        return pl.DataFrame(schema=schema)
    starts = runs_df.select("batch_id", "run_id", pl.col("start_time").dt.truncate(every).alias("period"))
    totals = starts.group_by("period").agg(pl.len().alias("runs_in_period"))
    return (
        finds.join(starts, on=["batch_id", "run_id"], how="inner")
        .group_by("period", "failure_class")
        .agg(pl.len().alias("findings"), pl.col("run_id").n_unique().alias("runs"))
        .join(totals, on="period", how="left")
        .sort("period", "failure_class")
        .cast(schema)  # type: ignore[arg-type,unused-ignore]
    )
