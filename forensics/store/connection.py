"""Opening the store: the URL, the engine per dialect, the Alembic migrations applied on every
open, and the recovery of batches whose owner died while they were ``running``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from forensics.errors import StoreError
from forensics.store.schema import batches
from forensics.urls import display_url

#: Environment variable naming the store's URL (or a SQLite file path) when none is given.
DB_ENV: Final = "FORENSICS_DB"
DEFAULT_SQLITE_FILE: Final = "forensics.db"

#: A running batch whose owner cannot be checked (another host) is presumed dead after this long
#: without a heartbeat.
DEFAULT_STALE_AFTER: Final = timedelta(hours=2)

#: The Alembic scripts shipped with the package (``forensics/migrations``).
MIGRATIONS_DIR: Final = Path(__file__).parent.parent / "migrations"


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


def _now() -> datetime:
    return datetime.now(UTC)



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
