"""Every input the fuzzers ever broke a loader with, replayed through the fuzzing oracle.

``tests/fuzz_regressions/<loader>/<input>`` holds the input as found (or as rebuilt from the
sample it was found in), ``<input>.note`` one line saying what it broke and where it was fixed.
Each input is loaded as its loader and by sniffing; :mod:`fuzz.oracle` says what must hold
(docs/FUZZING.md). Fast: no fuzzing here, just the replay.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fuzz import run, seeds
from fuzz.oracle import OracleViolation, check_file

from forensics.errors import InputError
from forensics.load import LoadResult
from forensics.loaders import names

REGRESSIONS = seeds.regression_inputs()

#: Crashes found but not fixed yet ("<loader>/<input>": where the fix belongs). Strict: the day the
#: fix lands the replay passes, this xfail fails, and the entry must be removed (the input stays, as
#: a regression). Empty: the six Parquet and SQLite crashes once kept here were fixed in d953cb0, cfcbe54.
OPEN: dict[str, str] = {}


def _replays() -> list[object]:
    out: list[object] = []
    for loader, path in REGRESSIONS:
        key = f"{loader}/{path.name}"
        marks = [pytest.mark.xfail(strict=True, raises=OracleViolation, reason=OPEN[key])] if key in OPEN else []
        out.append(pytest.param(loader, path, id=key, marks=marks))
    return out


def test_the_regression_directory_has_content() -> None:
    assert REGRESSIONS, f"no crash inputs under {seeds.REGRESSIONS}: the replay below would check nothing"


@pytest.mark.parametrize(("loader", "path"), _replays())
def test_kept_crash_input_now_passes_the_oracle(loader: str, path: Path) -> None:
    assert loader in names(), f"{path} is kept for `{loader}`, which is no longer a registered loader"
    outcomes = check_file(path, loader)  # raises OracleViolation with the loader's traceback
    assert [o.mode for o in outcomes] == ["given", "sniffed", "tight-limits"]


@pytest.mark.parametrize(("loader", "path"), REGRESSIONS, ids=[f"{lo}/{p.name}" for lo, p in REGRESSIONS])
def test_kept_crash_input_has_a_one_line_note(loader: str, path: Path) -> None:
    note = path.with_name(path.name + seeds.NOTE_SUFFIX)
    assert note.is_file(), f"{path} has no {note.name} saying what it found"
    lines = [line for line in note.read_text().splitlines() if line.strip()]
    assert len(lines) == 1 and len(lines[0]) > 20, f"{note}: one line saying what broke and where it was fixed"


def test_every_open_entry_names_a_kept_input() -> None:
    kept = {f"{loader}/{path.name}" for loader, path in REGRESSIONS}
    assert set(OPEN) <= kept


def test_no_note_without_its_input() -> None:
    notes = sorted(seeds.REGRESSIONS.rglob("*" + seeds.NOTE_SUFFIX))
    orphans = [n for n in notes if not n.with_name(n.name.removesuffix(seeds.NOTE_SUFFIX)).is_file()]
    assert not orphans


def test_monocle_model_entity_without_a_name_loads_without_a_model() -> None:
    # Read by hand from the input: six spans; the first (75ff99c4bfd36cb0, span.type inference) has
    # entity.2.type "model.llm.gpt-4.1-mini" but its entity.2.name line was dropped; the third
    # (46122867abbc6f11) still names "gpt-4.1-mini".
    path = seeds.REGRESSIONS / "otel-sdk-json" / "monocle-model-entity-without-name.json"
    given, sniffed, _ = check_file(path, "otel-sdk-json")
    assert given.result is not None and sniffed.result is not None
    assert sniffed.result.report.files[0].format == "otel-sdk-json"
    rows = {r["span_id"]: r for r in given.result.spans.to_pylist()}
    assert len(rows) == 6 and given.result.quarantine.num_rows == 0
    nameless = rows["75ff99c4bfd36cb0"]
    assert (nameless["kind"], nameless["model"]) == ("llm", None)
    attributes = json.loads(nameless["attributes"])
    assert attributes["entity.2.type"] == "model.llm.gpt-4.1-mini" and "entity.2.name" not in attributes
    assert rows["46122867abbc6f11"]["model"] == "gpt-4.1-mini"


@pytest.mark.parametrize("loader", names())  # from tests/ alone: ../shared only adds seeds
def test_every_registered_loader_has_seeds_to_fuzz_from(loader: str) -> None:
    files = seeds.seed_files(loader)
    generated = seeds.generated_seeds(loader, files)
    assert files or generated, f"`{loader}` has no seed input: the fuzzer would start from nothing"
    assert all(f.stat().st_size > 0 for f in files)


def test_budget_split_keeps_the_whole_run_within_the_total() -> None:
    # 16 loaders, 2 at a time, 90 s: 8 rounds of 11 s, of which 5 go to starting the process.
    each = run.seconds_each(90, 16, 2)
    assert each == 6
    assert 8 * (each + run.STARTUP_SECONDS) <= 90
    assert run.seconds_each(5, 40, 1) == 1  # never zero: libFuzzer reads 0 as "no limit"


def test_dictionary_holds_the_seed_keys_escaped(tmp_path: Path) -> None:
    seed_dir = tmp_path / "seeds"
    seed_dir.mkdir()
    (seed_dir / "a.jsonl").write_text('{"span_id": "x", "attrs": {"k\\"ey": 1}}\n')
    (seed_dir / "b.bin").write_bytes(b"\x1f\x8b\x08\x00\xff")
    out = tmp_path / "d.dict"
    run.write_dictionary([seed_dir], out)
    lines = out.read_text().splitlines()
    assert '"\\x22span_id\\x22"' in lines and '"\\x22k\\x22ey\\x22"' in lines and '"\\x22x\\x22"' in lines


def test_any_agent_gzip_corrupt_from_its_first_block_is_one_unreadable_file_record() -> None:
    # The input's deflate stream is broken in its first block header: nothing decompresses at all
    # (zlib: "invalid code lengths set"), so there is no record to keep, only the file to report.
    path = seeds.REGRESSIONS / "any-agent" / "corrupt-gzip-big-id-scan.json.gz"
    with pytest.raises(zlib.error, match="invalid code lengths set"):
        zlib.decompressobj(31).decompress(path.read_bytes())
    given, sniffed, _ = check_file(path, "any-agent")
    assert given.result is not None and given.result.spans.num_rows == 0
    [row] = given.result.quarantine.to_pylist()
    assert row["reason"] == "unreadable-file" and "invalid code lengths set" in row["detail"]
    assert sniffed.error is not None and "cannot be read" in sniffed.error.message


def test_claude_code_line_whose_type_is_an_object_is_an_event_like_any_unknown_type(tmp_path: Path) -> None:
    # The kept input is the fuzzer's (11 damaged lines); this is its one decisive line, by hand.
    kept = seeds.REGRESSIONS / "claude-code" / "object-type-field.jsonl"
    assert b'{"type":{"role":"user","content":["bare string block"]}}' in kept.read_bytes()
    path = tmp_path / "session.jsonl"
    path.write_text('{"type":"user","timestamp":"2025-08-01T09:00:01Z","sessionId":"s1","uuid":"u1",'
                    '"message":{"role":"user","content":"hello"}}\n'
                    '{"type":{"role":"user"},"sessionId":"s1","uuid":"u2","timestamp":"2025-08-01T09:00:02Z"}\n')
    given, _, _ = check_file(path, "claude-code")
    assert given.result is not None and given.result.quarantine.num_rows == 0
    rows = {r["span_id"]: r for r in given.result.spans.to_pylist()}
    assert rows["u1"]["kind"] == "human"
    assert (rows["u2"]["kind"], rows["u2"]["name"]) == ("event", '{"role":"user"}')


def test_langsmith_dotted_order_beyond_2200_is_quarantined_not_an_overflow() -> None:
    # Line 1 of the input, by hand: run c0000000-...-0001, no start_time, dotted_order starting
    # "40501002T120000000001Z" (the year 4050, past int64 nanoseconds); lines 2-3 are not JSON.
    path = seeds.REGRESSIONS / "langsmith" / "dotted-order-year-4050.json"
    given, sniffed, _ = check_file(path, "langsmith")
    for outcome in (given, sniffed):
        assert outcome.result is not None and outcome.result.spans.num_rows == 0
        rows = sorted(outcome.result.quarantine.select(["source_line", "reason", "detail"]).to_pylist(),
                      key=lambda r: r["source_line"])
        assert [(r["source_line"], r["reason"]) for r in rows] == [
            (1, "invalid-dotted-order"), (2, "invalid-json"), (3, "invalid-json")]
        assert "'40501002T120000' is outside 1970..2200" in rows[0]["detail"]


def test_openhands_event_whose_source_is_an_object_is_an_unknown_event() -> None:
    # By hand: element 1 of the array (id 0) has "source": {"command": "pytest", ...} and neither
    # `action` nor `observation`; the array is cut inside its element at line 26 (id 3).
    path = seeds.REGRESSIONS / "openhands" / "object-source-field.json"
    given, sniffed, _ = check_file(path, "openhands")
    assert given.result is not None and given.result.spans.num_rows == 0
    reasons = sorted((r["source_line"], r["reason"]) for r in given.result.quarantine.to_pylist())
    assert reasons == [(1, "unknown-event"), (26, "truncated")]
    assert sniffed.error is not None  # a first event without a string `source` is not recognisably OpenHands


def _given(loader: str, name: str) -> LoadResult:
    outcome = check_file(seeds.REGRESSIONS / loader / name, loader)[0]
    assert outcome.result is not None, outcome.error
    return outcome.result


@pytest.mark.parametrize(("loader", "name"), [
    ("openinference", "corrupt-parquet-footer.parquet"),
    ("otel-clickhouse", "corrupt-parquet-page.parquet"),
    ("otel-clickhouse", "invalid-utf8-column-name.parquet"),
])
def test_damaged_parquet_is_one_unreadable_file_record(loader: str, name: str) -> None:
    result = _given(loader, name)
    assert result.spans.num_rows == 0
    [row] = result.quarantine.to_pylist()
    assert row["reason"] == "unreadable-file" and "Parquet" in row["detail"]


def test_parquet_row_with_invalid_utf8_is_quarantined_and_the_other_row_kept() -> None:
    # Independently of the loader: of the two rows, pyarrow finds row 2's `name` not UTF-8.
    path = seeds.REGRESSIONS / "openinference" / "invalid-utf8-string-column.parquet"
    table = pq.read_table(path)
    assert table.num_rows == 2
    table.slice(0, 1).validate(full=True)
    with pytest.raises(pa.ArrowInvalid, match="Invalid UTF8"):
        table.slice(1, 1).validate(full=True)
    result = _given("openinference", path.name)
    assert result.spans.num_rows == 1
    assert [(r["source_line"], r["reason"]) for r in result.quarantine.to_pylist()] == [(2, "invalid-utf8")]


def test_sqlite_schema_that_is_not_utf8_is_an_input_error() -> None:
    path = seeds.REGRESSIONS / "sql" / "non-utf8-table-name.db"
    assert b"spa\x92\x8c\x8c\x8fans" in path.read_bytes()  # the table name, by hand
    for outcome in check_file(path, "sql"):
        assert isinstance(outcome.error, InputError) and "not UTF-8" in outcome.error.message


def test_sqlite_column_of_unknown_declared_type_is_read_as_stored() -> None:
    # By hand (sqlite3): CREATE TABLE spans (... span_kind tett ...); row 1 has end_time stored as
    # the blob b"Z2025-04-01T10:00:02Z", row 2 is all NULL.
    result = _given("sql", "unknown-declared-type.db")
    assert result.spans.num_rows == 0
    assert [(r["source_line"], r["reason"]) for r in result.quarantine.to_pylist()] == [
        (1, "invalid-time"), (2, "missing-run-id")]
