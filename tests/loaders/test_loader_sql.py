"""The sql loader against SQLite and a real PostgreSQL server on loopback: a Phoenix-style spans
table (trace ids joined from `traces`), a table shaped like our span table, a home-grown table
through a column map, a query with bound parameters, chunked streaming and malformed rows."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import forensics
from forensics.errors import InputError
from forensics.load import finalize, load_file
from forensics.loaders.base import Source, SpanSink
from forensics.loaders.sql import SqlLoader, display_url, is_url

sys.path.insert(0, str(Path(__file__).parents[1]))
from pg import SKIP_REASON, PostgresServer, find_bindir

T0 = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
TRACE_A = "a" * 32
TRACE_B = "b" * 32
TYPED_TRACE = uuid.UUID("12345678-1234-5678-1234-567812345678")


@pytest.fixture(scope="module")
def pg_server():
    if find_bindir() is None:
        pytest.skip(SKIP_REASON)
    with PostgresServer() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'traces.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        server.reset()
        url = server.url
    _fill(url)
    return url


def _fill(url: str) -> None:
    """Hand-written rows: what each table holds is spelled out here and asserted below."""
    meta = sa.MetaData()
    traces = sa.Table("traces", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("trace_id", sa.String))
    spans = sa.Table(
        "spans", meta,
        sa.Column("id", sa.Integer, primary_key=True), sa.Column("trace_rowid", sa.Integer),
        sa.Column("span_id", sa.String), sa.Column("parent_id", sa.String), sa.Column("name", sa.String),
        sa.Column("span_kind", sa.String), sa.Column("start_time", sa.DateTime(timezone=True)),
        sa.Column("end_time", sa.DateTime(timezone=True)), sa.Column("attributes", sa.JSON),
        sa.Column("events", sa.JSON), sa.Column("status_code", sa.String), sa.Column("status_message", sa.String),
        sa.Column("cumulative_error_count", sa.Integer), sa.Column("llm_token_count_prompt", sa.Integer),
        sa.Column("llm_token_count_completion", sa.Integer),
    )
    own = sa.Table(
        "my_spans", meta,
        sa.Column("run_id", sa.String), sa.Column("span_id", sa.String), sa.Column("parent_id", sa.String),
        sa.Column("kind", sa.String), sa.Column("agent", sa.String), sa.Column("tool", sa.String),
        sa.Column("status", sa.String), sa.Column("error_message", sa.String),
        sa.Column("start_time", sa.DateTime(timezone=True)), sa.Column("end_time", sa.DateTime(timezone=True)),
        sa.Column("input_tokens", sa.Integer), sa.Column("attributes", sa.Text),
    )
    homegrown = sa.Table(
        "steps", meta, sa.Column("job", sa.String), sa.Column("step", sa.String), sa.Column("parent_step", sa.String),
        sa.Column("label", sa.String), sa.Column("began", sa.String), sa.Column("state", sa.String),
    )
    bulk = sa.Table("bulk", meta, sa.Column("trace_id", sa.String), sa.Column("span_id", sa.String),
                    sa.Column("seq", sa.Integer))
    broken = sa.Table(
        "broken", meta, sa.Column("trace_id", sa.String), sa.Column("span_id", sa.String),
        sa.Column("start_time", sa.String), sa.Column("attributes", sa.Text), sa.Column("status_code", sa.String),
    )
    typed = sa.Table("typed", meta, sa.Column("trace_id", sa.Uuid), sa.Column("span_id", sa.LargeBinary),
                     sa.Column("cost", sa.Numeric(10, 4)), sa.Column("input_tokens", sa.Numeric(10, 0)))
    engine = sa.create_engine(url)
    meta.create_all(engine)
    t = T0
    with engine.begin() as conn:
        conn.execute(traces.insert(), [{"id": 1, "trace_id": TRACE_A}, {"id": 2, "trace_id": TRACE_B}])
        # executemany takes its columns from the first row: give every row every column.
        conn.execute(spans.insert(), _complete(spans, [
            {"id": 1, "trace_rowid": 1, "span_id": "1000000000000001", "parent_id": None, "name": "Planner",
             "span_kind": "AGENT", "start_time": t, "end_time": t + timedelta(seconds=5),
             "attributes": {"openinference": {"span": {"kind": "AGENT"}}, "session": {"id": "sess-1"}},
             "events": [], "status_code": "OK", "status_message": "", "cumulative_error_count": 1},
            {"id": 2, "trace_rowid": 1, "span_id": "1000000000000002", "parent_id": "1000000000000001",
             "name": "ChatOpenAI", "span_kind": "LLM", "start_time": t + timedelta(seconds=1),
             "end_time": t + timedelta(seconds=2),
             "attributes": {"llm": {"model_name": "gpt-4o"}, "output": {"value": "use search"}},
             "events": [], "status_code": "OK", "status_message": "", "cumulative_error_count": 0,
             "llm_token_count_prompt": 10, "llm_token_count_completion": 3},
            {"id": 3, "trace_rowid": 1, "span_id": "1000000000000003", "parent_id": "1000000000000001",
             "name": "search", "span_kind": "TOOL", "start_time": t + timedelta(seconds=2),
             "end_time": t + timedelta(seconds=4), "attributes": {"tool": {"name": "search"}},
             "events": [{"name": "exception", "timestamp": "2025-06-01T12:00:04+00:00",
                         "attributes": {"exception.type": "ValueError", "exception.message": "boom"}}],
             "status_code": "ERROR", "status_message": "boom", "cumulative_error_count": 1},
            {"id": 4, "trace_rowid": 2, "span_id": "2000000000000001", "parent_id": None, "name": "Writer",
             "span_kind": "AGENT", "start_time": t, "end_time": t + timedelta(seconds=3), "attributes": {},
             "events": [], "status_code": "UNSET", "status_message": "still running?", "cumulative_error_count": 0},
            {"id": 5, "trace_rowid": 2, "span_id": "2000000000000002", "parent_id": "2000000000000001",
             "name": "transfer_to_reviewer", "span_kind": "TOOL", "start_time": t + timedelta(seconds=1),
             "end_time": t + timedelta(seconds=2), "attributes": {"tool": {"name": "transfer_to_reviewer"}},
             "events": [], "status_code": "OK", "status_message": "", "cumulative_error_count": 0},
        ]))
        conn.execute(own.insert(), _complete(own, [
            {"run_id": "run-1", "span_id": "s1", "parent_id": None, "kind": "agent", "agent": "Alpha",
             "tool": None, "status": "ok", "start_time": t, "end_time": t + timedelta(seconds=2),
             "attributes": json.dumps({"team": "red"})},
            {"run_id": "run-1", "span_id": "s2", "parent_id": "s1", "kind": "tool", "agent": None, "tool": "grep",
             "status": "error", "error_message": "no match", "start_time": t, "end_time": t + timedelta(seconds=1),
             "input_tokens": None, "attributes": None},
            {"run_id": "run-2", "span_id": "s1", "parent_id": None, "kind": "agent", "agent": "Beta", "tool": None,
             "status": "ok", "start_time": t, "end_time": t, "input_tokens": 7, "attributes": "{}"},
        ]))
        conn.execute(homegrown.insert(), [
            {"job": "job-9", "step": "1", "parent_step": None, "label": "fetch", "began": "2025-06-01T12:00:00Z",
             "state": "ok"},
            {"job": "job-9", "step": "2", "parent_step": "1", "label": "parse", "began": "2025-06-01T12:00:01Z",
             "state": "error"},
        ])
        conn.execute(typed.insert(), [{"trace_id": TYPED_TRACE, "span_id": bytes.fromhex("00ff00ff00ff00ff"),
                                       "cost": Decimal("0.0125"), "input_tokens": Decimal(42)}])
        conn.execute(bulk.insert(), [{"trace_id": TRACE_A, "span_id": f"{i:016x}", "seq": i} for i in range(1, 11)])
        conn.execute(broken.insert(), [
            {"trace_id": TRACE_A, "span_id": None, "start_time": None, "attributes": None, "status_code": "OK"},
            {"trace_id": TRACE_A, "span_id": "e2", "start_time": "not a time", "attributes": None, "status_code": "OK"},
            {"trace_id": TRACE_A, "span_id": "e3", "start_time": None, "attributes": "{not json", "status_code": "OK"},
            {"trace_id": TRACE_A, "span_id": "e4", "start_time": None, "attributes": None, "status_code": "MAYBE"},
            {"trace_id": TRACE_A, "span_id": "e5", "start_time": "2025-06-01 12:00:00", "attributes": "{}",
             "status_code": "OK"},
        ])
    engine.dispose()


def _complete(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{c.name: row.get(c.name) for c in table.columns} for row in rows]


def _load(url: str, **options: Any) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """Read through the same path forensics.load uses, then finalise."""
    account, table, quarantine = load_file(url, "sql", options=options)
    spans, late = finalize(table)
    assert account.records_read == account.rows + account.quarantined + account.merged
    return account, spans.to_pylist(), quarantine.to_pylist() + late.to_pylist()


def test_url_detection_and_display() -> None:
    assert is_url("sqlite:///x.db") and is_url("postgresql+psycopg://u:secret@h:5432/db")
    assert not is_url("traces/x.jsonl") and not is_url("https://example.com/x.json") and not is_url("C:/x.json")
    assert display_url("postgresql+psycopg://u:secret@h:5432/db") == "postgresql+psycopg://u:***@h:5432/db"


def test_phoenix_spans_table_joined_with_traces(db_url: str) -> None:
    account, rows, quarantine = _load(db_url)  # no table, no query: `spans` is found
    assert account.format == "sql" and not quarantine
    by_id = {r["span_id"]: r for r in rows}
    assert len(by_id) == 5
    planner, llm, tool = by_id["1000000000000001"], by_id["1000000000000002"], by_id["1000000000000003"]
    assert planner["run_id"] == TRACE_A and by_id["2000000000000001"]["run_id"] == TRACE_B
    assert (planner["kind"], planner["agent"], planner["session_id"]) == ("agent", "Planner", "sess-1")
    assert (llm["kind"], llm["model"], llm["input_tokens"], llm["output_tokens"], llm["output"]) == (
        "llm", "gpt-4o", 10, 3, "use search")
    assert (llm["agent"], llm["session_id"]) == ("Planner", "sess-1")  # inherited / filled per run
    assert (tool["kind"], tool["tool"], tool["status"], tool["error_type"], tool["error_message"]) == (
        "tool", "search", "error", "ValueError", "boom")
    assert tool["start_time"] == T0 + timedelta(seconds=2) and tool["end_time"] == T0 + timedelta(seconds=4)
    handoff = by_id["2000000000000002"]
    assert (handoff["kind"], handoff["handoff_to"], handoff["agent"]) == ("handoff", "reviewer", "Writer")
    writer = json.loads(by_id["2000000000000001"]["attributes"])
    # A status message on a span that did not fail is kept, not made an error.
    assert by_id["2000000000000001"]["error_message"] is None and writer["@status_message"] == "still running?"
    assert json.loads(planner["attributes"])["@cumulative_error_count"] == 1
    assert [r["source_line"] for r in rows] == [1, 2, 3, 4, 5]


def test_rows_shaped_like_the_span_table(db_url: str) -> None:
    _, rows, quarantine = _load(db_url, table="my_spans")
    assert not quarantine
    by_key = {(r["run_id"], r["span_id"]): r for r in rows}
    assert set(by_key) == {("run-1", "s1"), ("run-1", "s2"), ("run-2", "s1")}
    grep = by_key[("run-1", "s2")]
    assert (grep["kind"], grep["tool"], grep["agent"], grep["status"], grep["error_message"]) == (
        "tool", "grep", "Alpha", "error", "no match")
    assert json.loads(by_key[("run-1", "s1")]["attributes"]) == {"team": "red"}
    assert by_key[("run-2", "s1")]["input_tokens"] == 7


def test_query_with_bound_parameters(db_url: str) -> None:
    query = "select * from my_spans where agent = :agent"
    _, rows, _ = _load(db_url, query=query, params={"agent": "Beta"})
    assert [(r["run_id"], r["agent"]) for r in rows] == [("run-2", "Beta")]
    # A value that would break a string-formatted query is only a value here.
    _, rows, _ = _load(db_url, query=query, params={"agent": "x' OR '1'='1"})
    assert rows == []


def test_table_names_are_never_pasted_into_sql(db_url: str) -> None:
    with pytest.raises(InputError, match="no table named") as err:
        _load(db_url, table="my_spans; DROP TABLE my_spans")
    assert "my_spans" in str(err.value.hint)
    _, rows, _ = _load(db_url, table="my_spans")
    assert len(rows) == 3  # still there


def test_home_grown_table_through_a_column_map(db_url: str) -> None:
    column_map = {"run_id": "job", "span_id": "step", "parent_id": "parent_step", "name": "label",
                  "start_time": "began", "status": "state"}
    _, rows, _ = _load(db_url, table="steps", column_map=column_map)
    by_id = {r["span_id"]: r for r in rows}
    assert {r["run_id"] for r in rows} == {"job-9"}
    # Decimal ids become hex, as in every loader (schema: span_id).
    two = by_id["0000000000000002"]
    assert (two["parent_id"], two["name"], two["status"]) == ("0000000000000001", "parse", "error")
    assert by_id["0000000000000001"]["start_time"] == T0


def test_driver_types_uuid_numeric_bytes(db_url: str) -> None:
    _, rows, quarantine = _load(db_url, table="typed")
    assert not quarantine
    (row,) = rows
    # PostgreSQL returns a UUID object, SQLite the 32 hex digits it stores: the same id either way.
    assert uuid.UUID(row["run_id"]) == TYPED_TRACE
    assert row["span_id"] == "00ff00ff00ff00ff"  # bytea / BLOB as hex
    assert (row["cost_usd"], row["input_tokens"]) == (0.0125, 42)


def test_streams_in_chunks(db_url: str) -> None:
    sink = SpanSink("sql", display_url(db_url))
    loader = SqlLoader(table="bulk", chunk_rows=3)
    loader.read(Source(db_url, sink), sink)
    assert (sink.rows, loader.chunks) == (10, 4)  # 3 + 3 + 3 + 1
    table = sink.table()
    assert [json.loads(a)["@seq"] for a in table.column("attributes").to_pylist()] == list(range(1, 11))


def test_malformed_rows_are_quarantined_with_reasons(db_url: str) -> None:
    account, rows, quarantine = _load(db_url, table="broken")
    assert sorted((q["source_line"], q["reason"]) for q in quarantine) == [
        (1, "missing-span-id"), (2, "invalid-time"), (3, "invalid-attribute"), (4, "invalid-status")]
    assert [r["span_id"] for r in rows] == ["e5"]
    assert (account.rows, account.quarantined) == (1, 4)


def test_unreachable_database_is_an_input_error() -> None:
    with pytest.raises(InputError, match="database read failed") as err:
        _load("postgresql+psycopg://nobody:pw@127.0.0.1:1/none", table="spans")
    assert "pw" not in str(err.value)  # the password never reaches a message


def test_missing_sqlite_file_is_an_input_error_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    with pytest.raises(InputError, match="no SQLite database"):
        _load(f"sqlite:///{missing}", table="spans")
    assert not missing.exists()


def test_sqlite_file_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "phoenix.db"
    _fill(f"sqlite:///{path}")
    result = forensics.load(path)
    assert result.report.files[0].format == "sql" and result.report.files[0].chosen_by == "sniffed"
    assert result.spans.num_rows == 5


def test_forensics_load_takes_a_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    _fill(url)
    result = forensics.load(url, format="sql", options={"table": "my_spans"})
    assert result.spans.num_rows == 3


def test_sqlite_values_as_stored_whatever_the_declared_type(tmp_path: Path) -> None:
    """SQLite keeps any value in any column: text in a DATETIME or an unknown-type (NUMERIC)
    column, and text that is not UTF-8. Each row is a span or quarantined with its reason; the
    read never crashes."""
    import sqlite3

    path = tmp_path / "typed.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE spans (trace_id TEXT, span_id TEXT, name TEXT, span_kind WEIRDTYPE, "
                "start_time DATETIME, end_time DATETIME, status_code TEXT)")
    con.execute("INSERT INTO spans VALUES ('aa', '01', 'ok row', 'LLM', '2025-04-01T10:00:00Z', "
                "'2025-04-01T10:00:02Z', 'OK')")
    con.execute("INSERT INTO spans VALUES ('aa', '02', 'kind in an unknown type', 'TOOL', "
                "'2025-04-01T10:00:03Z', 'not a time', 'OK')")
    con.execute("INSERT INTO spans VALUES ('aa', '03', CAST(X'6E6F7420C3' AS TEXT), 'LLM', "
                "'2025-04-01T10:00:04Z', '2025-04-01T10:00:05Z', 'OK')")
    con.commit()
    con.close()
    result = forensics.load(path, format="sql")
    assert result.spans.column("span_id").to_pylist() == ["0000000000000001"]  # hex ids padded to 64 bits
    assert result.spans.column("kind").to_pylist() == ["llm"]
    reasons = dict(zip(result.quarantine.column("source_line").to_pylist(),
                       result.quarantine.column("reason").to_pylist(), strict=True))
    assert reasons == {2: "invalid-time", 3: "invalid-utf8"}
    detail = result.quarantine.column("detail").to_pylist()[1]
    assert "not UTF-8" in detail and "b'not \\xc3'" in detail
    assert result.report.files[0].records_read == 3 and result.report.balanced
