"""Spans read through SQLAlchemy from a database table or query: a Phoenix-style spans table, a
home-grown one, or rows shaped like our own span table.

How a database enters :func:`forensics.load`: the "path" is a SQLAlchemy URL
(``sqlite:///traces.db``, ``postgresql+psycopg://user@host/db``), recognised by :func:`is_url`;
a SQLite database file named by path is recognised by its header and read the same way.
Options (``load(url, format="sql", options={...})``):

* ``table``: a table name (reflected, so the name is quoted by SQLAlchemy, never pasted into
  SQL), with ``schema`` optionally; or ``query``: a SELECT run as text with ``params`` bound by
  the driver (``options={"query": "select * from spans where start_time >= :since",
  "params": {"since": ...}}``). Neither: the table ``spans`` if it exists, else the one table
  that has a span-id column.
* ``column_map``: span-table column → result column name(s), overriding
  :data:`DEFAULT_COLUMN_MAP` (which covers Phoenix's ``spans`` columns, OTel-ish names and our
  own span-table columns).
* ``chunk_rows`` (default 50,000): rows fetched per round trip. Results stream
  (``stream_results`` = a server-side cursor on PostgreSQL, ``yield_per`` everywhere), so a table
  larger than memory is read in chunks.

Each result row is one span (``source_line`` = its 1-based position in the result). The
``attributes`` column may be JSON text or a JSON/JSONB value, flat or nested (Phoenix stores
``{"llm": {"model_name": ...}}``): nested objects are flattened to dotted keys and mapped through
the shared OTel/OpenInference conventions. Result columns no span column takes are kept in
``attributes`` under ``@<column>``; nothing is lost. Phoenix keeps trace ids in a ``traces`` table
(``spans.trace_rowid``): read by table name, the two are joined when ``spans`` has no trace id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from ..errors import InputError
from ..normalize import as_float, as_int, as_text
from ..schema import KINDS
from ..semconv import OPENINFERENCE_KINDS
from ..urls import display_url
from .base import Loader, Sample, Source, SpanSink
from .otel_common import (
    RecordError,
    field_value,
    finish_row,
    json_text,
    span_id,
    status_of,
    time_ns,
    trace_id,
)

#: Span column → result columns that may hold it, first present wins (case-insensitive).
DEFAULT_COLUMN_MAP: Mapping[str, tuple[str, ...]] = {
    "run_id": ("run_id", "trace_id", "traceid", "context.trace_id"),
    "span_id": ("span_id", "spanid", "context.span_id"),
    "parent_id": ("parent_id", "parent_span_id", "parentspanid"),
    "session_id": ("session_id", "thread_id"),
    "name": ("name", "span_name", "spanname"),
    "kind": ("kind", "span_kind", "spankind"),
    "agent": ("agent", "agent_name"),
    "tool": ("tool", "tool_name"),
    "handoff_to": ("handoff_to",),
    "start_time": ("start_time", "starttime", "timestamp"),
    "end_time": ("end_time", "endtime"),
    "duration_ns": ("duration_ns", "duration"),
    "status": ("status", "status_code", "statuscode"),
    "error_type": ("error_type",),
    "error_message": ("error_message", "status_message", "statusmessage"),
    "model": ("model", "model_name"),
    "input_tokens": ("input_tokens", "llm_token_count_prompt", "prompt_tokens"),
    "output_tokens": ("output_tokens", "llm_token_count_completion", "completion_tokens"),
    "cost_usd": ("cost_usd", "cost"),
    "input": ("input",),
    "output": ("output",),
    "attributes": ("attributes", "span_attributes", "spanattributes"),
    "events": ("events",),
}

_URL_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9]*)(\+[A-Za-z0-9_]+)?://")
#: URL schemes that name files or web resources, not databases.
_NOT_DATABASES = frozenset({"http", "https", "file", "s3", "gs", "gcs", "az", "abfs", "ftp", "sftp", "hf"})
SQLITE_MAGIC = b"SQLite format 3\x00"


def is_url(text: str) -> bool:
    """True when ``text`` is a SQLAlchemy database URL (``dialect[+driver]://...``), not a path."""
    match = _URL_RE.match(str(text))
    return match is not None and match.group("scheme").lower() not in _NOT_DATABASES




class SqlLoader(Loader):
    name = "sql"
    description = "Spans from a database table or query through SQLAlchemy (options: table|query, params, column_map, chunk_rows)"
    sniffs = "a SQLAlchemy URL (sqlite:///x.db, postgresql+psycopg://...) or a SQLite database file"
    suffixes = (".db", ".sqlite", ".sqlite3")

    def __init__(self, table: str | None = None, query: str | None = None, params: Mapping[str, Any] | None = None,
                 column_map: Mapping[str, str | Sequence[str]] | None = None, chunk_rows: int = 50_000,
                 schema: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        if table is not None and query is not None:
            raise InputError("both `table` and `query` were given to the sql loader",
                             hint="pass one of them: options={'table': 'spans'} or options={'query': 'select ...'}")
        if chunk_rows < 1:
            raise InputError(f"`chunk_rows` must be at least 1, found {chunk_rows}", hint="e.g. chunk_rows=50_000")
        merged: dict[str, tuple[str, ...]] = dict(DEFAULT_COLUMN_MAP)
        for column, names in (column_map or {}).items():
            if column not in DEFAULT_COLUMN_MAP:
                raise InputError(f"column_map names an unknown span column `{column}`",
                                 hint=f"use one of: {', '.join(sorted(DEFAULT_COLUMN_MAP))}")
            merged[column] = (names,) if isinstance(names, str) else tuple(names)
        self.column_map = merged
        self.table = table
        self.query = query
        self.params = dict(params or {})
        self.chunk_rows = chunk_rows
        self.schema = schema
        #: Chunks fetched by the last read (tests and benchmarks look at it).
        self.chunks = 0

    def sniff(self, sample: Sample) -> float:
        if is_url(sample.path):
            return 1.0
        return 0.9 if sample.head.startswith(SQLITE_MAGIC) else 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.exc import SQLAlchemyError

        url = source.path if is_url(source.path) else f"sqlite:///{source.path}"
        where = display_url(url)
        _require_sqlite_file(url, where)
        try:
            engine = create_engine(url)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise InputError(f"cannot open the database: {exc}", where=where,
                             hint="check the URL (dialect+driver://user@host/db) and that its driver is installed") from None
        if engine.dialect.name == "sqlite":
            from sqlalchemy import event

            event.listen(engine, "connect", _tolerant_sqlite_text)
        try:
            with engine.connect() as conn:
                stmt = self._statement(conn, where)
                result = conn.execution_options(stream_results=True, yield_per=self.chunk_rows).execute(stmt, self.params)
                names = list(result.keys())
                picks = self._resolve(names, where)
                ordinal = 0
                self.chunks = 0
                for chunk in result.mappings().partitions():
                    self.chunks += 1
                    for record in chunk:
                        ordinal += 1
                        self._row(ordinal, record, picks, sink)
        except SQLAlchemyError as exc:
            raise InputError(f"the database read failed: {type(exc).__name__}: {str(exc).splitlines()[0]}", where=where,
                             hint="check the table or query, and that the server is reachable") from None
        except (NotUtf8Error, UnicodeDecodeError) as exc:
            # Row values that are not UTF-8 are quarantined row by row (see _plain); this is the
            # schema itself (a table or column name, or SQLite's own message about a schema it
            # cannot parse): nothing can be selected by name.
            raise InputError(f"the database's schema holds text that is not UTF-8: {exc}", where=where,
                             hint="SQLite does not enforce UTF-8; rename the table or column, or pass "
                                  "options={'query': ...} naming what to read") from None
        finally:
            engine.dispose()

    # -- what to select -----------------------------------------------------------------------

    def _statement(self, conn: Any, where: str) -> Any:
        from sqlalchemy import MetaData, Table, inspect, select, text
        from sqlalchemy.exc import NoSuchTableError

        if self.query is not None:
            return text(self.query)
        table_name = self.table or self._find_table(conn, where)
        meta = MetaData()
        if conn.dialect.name == "sqlite":
            _require_text_types(conn, table_name, self.schema)
        try:
            table = Table(table_name, meta, autoload_with=conn, schema=self.schema)
        except NoSuchTableError:
            tables = inspect(conn).get_table_names(schema=self.schema)
            raise InputError(f"no table named `{table_name}` in the database", where=where,
                             hint=f"tables there: {', '.join(tables) or '(none)'}") from None
        _require_text_names([table.name, *(c.name for c in table.columns)])
        if conn.dialect.name == "sqlite":
            # SQLite stores any value in any column: a column declared DATETIME or NUMERIC (what
            # an unknown declared type reflects as) may hold text that SQLAlchemy's result
            # processors would crash on. Take the values as stored; the row mapping converts them.
            table = _untyped(table)
        lower = {c.name.lower(): c for c in table.columns}
        has_trace = any(n in lower for n in self.column_map["run_id"])
        if not has_trace and "trace_rowid" in lower and inspect(conn).has_table("traces", schema=self.schema):
            # Phoenix: spans.trace_rowid → traces.id; traces.trace_id is the run.
            if conn.dialect.name == "sqlite":
                _require_text_types(conn, "traces", self.schema)
            traces = Table("traces", meta, autoload_with=conn, schema=self.schema)
            if conn.dialect.name == "sqlite":
                traces = _untyped(traces)
            return select(traces.c.trace_id.label("trace_id"), table).join_from(
                table, traces, table.c.trace_rowid == traces.c.id)
        return select(table)

    def _find_table(self, conn: Any, where: str) -> str:
        from sqlalchemy import inspect

        inspector = inspect(conn)
        tables = inspector.get_table_names(schema=self.schema)
        _require_text_names(tables)
        if "spans" in tables:
            return "spans"
        span_cols = set(self.column_map["span_id"])
        candidates = [t for t in tables
                      if span_cols & {c["name"].lower() for c in inspector.get_columns(t, schema=self.schema)}]
        if len(candidates) == 1:
            return candidates[0]
        raise InputError(
            "no `table` or `query` given and the database has " + (
                f"several span-like tables: {', '.join(candidates)}" if candidates else "no table with a span-id column"),
            where=where, hint=f"pass options={{'table': ...}} or {{'query': ...}}; tables there: {', '.join(tables) or '(none)'}")

    def _resolve(self, names: list[str], where: str) -> dict[str, str]:
        by_lower = {n.lower(): n for n in names}
        picks: dict[str, str] = {}
        for column, candidates in self.column_map.items():
            for candidate in candidates:
                if candidate.lower() in by_lower:
                    picks[column] = by_lower[candidate.lower()]
                    break
        for required in ("run_id", "span_id"):
            if required not in picks:
                raise InputError(
                    f"the result has no column for `{required}` (looked for {', '.join(self.column_map[required])}); "
                    f"its columns are: {', '.join(names)}", where=where,
                    hint=f"pass options={{'column_map': {{'{required}': '<column>'}}}}")
        return picks

    # -- one row ------------------------------------------------------------------------------

    def _row(self, ordinal: int, record: Mapping[Any, Any], picks: dict[str, str], sink: SpanSink) -> None:
        try:
            row = sql_row(record, picks)
        except RecordError as exc:
            sink.quarantine(ordinal, exc.reason, exc.detail, dict(record))
            return
        sink.add(row, ordinal)


class NotUtf8(bytes):
    """SQLite text that is not UTF-8 (SQLite does not enforce it), kept as its bytes so the row
    holding it is quarantined as ``invalid-utf8`` instead of the driver failing the whole read."""


class NotUtf8Error(Exception):
    """A schema name (table, column) that is not UTF-8."""


def _decode_sqlite_text(raw: bytes) -> str | NotUtf8:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return NotUtf8(raw)


def _tolerant_sqlite_text(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.text_factory = _decode_sqlite_text


def _require_text_names(names: Iterable[Any]) -> None:
    for name in names:
        if isinstance(name, NotUtf8):
            raise NotUtf8Error(repr(bytes(name))[:80])


def _require_text_types(conn: Any, table: str, schema: str | None) -> None:
    """SQLite keeps a column's declared type as written, in any bytes: one that is not UTF-8 (read
    as :class:`NotUtf8`) crashed SQLAlchemy's type reflection with a TypeError (a text pattern
    matched against bytes, sqlalchemy/dialects/sqlite/base.py ``_resolve_type_affinity``). Say so
    before reflecting."""
    from sqlalchemy import text

    if schema is None:
        rows = conn.execute(text("SELECT name, type FROM pragma_table_info(:t)"), {"t": table}).all()
    else:
        rows = conn.execute(text("SELECT name, type FROM pragma_table_info(:t, :s)"), {"t": table, "s": schema}).all()
    for name, declared in rows:
        if isinstance(declared, NotUtf8):
            raise NotUtf8Error(f"the declared type of column {str(name)!r:.60}: {bytes(declared)!r:.80}")


def _untyped(table: Any) -> Any:
    """``table`` with every column's SQL type forgotten (values come back as the driver read them)."""
    from sqlalchemy.types import NullType

    for column in table.columns:
        column.type = NullType()
    return table


def _require_sqlite_file(url: str, where: str) -> None:
    """SQLite creates a missing database file on connect: a typo would leave an empty file behind
    and report "no table". Say what is wrong instead, and create nothing."""
    import os

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:" \
            and not database.startswith("file:") and not os.path.exists(database):
        raise InputError(f"no SQLite database at {database}", where=where,
                         hint="check the path; sqlite:///relative/path.db or sqlite:////absolute/path.db")


def _when(value: Any, label: str) -> int | None:
    if isinstance(value, datetime):
        text = value.isoformat()
        return time_ns(text if value.tzinfo else text + "+00:00", label)  # naive = UTC
    return time_ns(value, label)


def _json_value(value: Any, label: str, expect: type) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str | bytes):
        try:
            value = json_text(value, label)
        except orjson.JSONDecodeError:
            raise RecordError("invalid-attribute", f"`{label}`: expected JSON, found {value!r:.60}") from None
    if not isinstance(value, expect):
        raise RecordError("invalid-attribute", f"`{label}`: expected a JSON {expect.__name__}, found {type(value).__name__}")
    return value


def _flatten(attrs: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    stack: list[tuple[str, dict[str, Any]]] = [("", attrs)]
    while stack:
        prefix, node = stack.pop()
        for key, item in node.items():
            if isinstance(item, dict) and item:
                stack.append((f"{prefix}{key}.", item))
            else:
                flat[f"{prefix}{key}"] = item
    return flat


def _kind(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    text = str(raw)
    if text in KINDS:
        return text
    return OPENINFERENCE_KINDS.get(text.upper(), text)  # unknown words reach the sink, kept as @kind


def _plain(value: Any) -> Any:
    """Driver types JSON and our converters do not know: UUID (PostgreSQL uuid), Decimal (numeric),
    bytes (bytea ids)."""
    if isinstance(value, NotUtf8):
        raise RecordError("invalid-utf8", f"a text value is not UTF-8: {bytes(value)[:60]!r}; expected UTF-8 text. "
                          "Hint: SQLite does not enforce UTF-8; fix the writer's encoding")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


def sql_row(record: Mapping[Any, Any], picks: dict[str, str]) -> dict[str, Any]:
    """One result row → one span-table row, through the resolved column picks."""
    value = {column: _plain(record[name]) for column, name in picks.items()}
    start = _when(value.get("start_time"), picks.get("start_time", "start_time"))
    end = _when(value.get("end_time"), picks.get("end_time", "end_time"))
    if end is None and start is not None and value.get("duration_ns") is not None:
        end = start + field_value("invalid-value", picks["duration_ns"], as_int, value["duration_ns"])
    raw_status = value.get("status")
    row: dict[str, Any] = {
        "run_id": trace_id(value.get("run_id"), picks["run_id"]),
        "span_id": span_id(value.get("span_id"), picks["span_id"]),
        "parent_id": span_id(value.get("parent_id"), picks.get("parent_id", "parent_id")),
        "start_time": start,
        "end_time": end,
        "status": status_of(raw_status.upper() if isinstance(raw_status, str) and raw_status.upper() in
                            ("OK", "ERROR", "UNSET") else raw_status),
        "kind": _kind(value.get("kind")),
        "input_tokens": field_value("invalid-value", picks.get("input_tokens", ""), as_int, value.get("input_tokens")),
        "output_tokens": field_value("invalid-value", picks.get("output_tokens", ""), as_int, value.get("output_tokens")),
        "cost_usd": field_value("invalid-value", picks.get("cost_usd", ""), as_float, value.get("cost_usd")),
    }
    for column in ("session_id", "name", "agent", "tool", "handoff_to", "error_type", "error_message", "model",
                   "input", "output"):
        row[column] = as_text(value.get(column))
    message_col = picks.get("error_message")
    # Phoenix's status_message on a span that did not fail is not an error message: it stays in
    # attributes under its column name.
    keep_message_col = (row["error_message"] is not None and row["status"] != "error"
                        and (message_col or "").lower() != "error_message")
    if keep_message_col:
        row["error_message"] = None
    attrs = _flatten(_json_value(value.get("attributes"), picks.get("attributes", "attributes"), dict) or {})
    events_raw = _json_value(value.get("events"), picks.get("events", "events"), list) or []
    events = [{"name": e.get("name"), "time": _when(e.get("timestamp", e.get("time")), "events.timestamp"),
               "attributes": e.get("attributes") or {}} for e in events_raw if isinstance(e, dict)]
    rest = finish_row(row, attrs, events)
    if row.get("kind") is None:
        row["kind"] = "unknown"
    used = set(picks.values())
    if keep_message_col and message_col is not None:
        used.discard(message_col)
    for name, item in record.items():
        if name not in used:
            rest["@" + name] = item.isoformat() if isinstance(item, datetime) else item
    row["attributes"] = rest
    return row

