"""forensics.load: paths, sniffing errors, finalisation and the accounting."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import orjson
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from realdata import DATA, shared_file

import forensics
from forensics.errors import InputError, UnknownFormatError
from forensics.load import finalize
from forensics.schema import SPAN_SCHEMA

SUPPORT = DATA / "jsonl" / "support_bot.jsonl"


def _sdk(span_id: str, parent: str | None, trace: str = "1" * 32, **extra: object) -> dict[str, object]:
    span: dict[str, object] = {
        "name": span_id, "context": {"trace_id": trace, "span_id": span_id}, "kind": "SpanKind.INTERNAL",
        "parent_id": parent, "start_time": "2025-01-01T00:00:00Z", "end_time": "2025-01-01T00:00:01Z",
        "status": {"status_code": "OK"}, "attributes": {},
    }
    span.update(extra)
    return span


def _write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    return path


class TestPaths:
    def test_directory_walk_skips_labels_and_reports_unknown_files(self, tmp_path: Path) -> None:
        shutil.copy(SUPPORT, tmp_path / "a.jsonl")
        (tmp_path / "labels.jsonl").write_text('{"run_id": "x"}\n')
        (tmp_path / "notes.json").write_text('{"hello": 1}')
        (tmp_path / "README.md").write_text("not a log")
        result = forensics.load(tmp_path)
        by_name = {Path(f.path).name: f for f in result.report.files}
        assert set(by_name) == {"a.jsonl", "notes.json"}
        assert by_name["a.jsonl"].rows == 4
        assert by_name["notes.json"].chosen_by == "skipped"
        assert "no registered loader recognises" in (by_name["notes.json"].problem or "")
        assert "keys: hello" in (by_name["notes.json"].problem or "")
        assert not result.report.ok and len(result.report.problems) == 1

    def test_an_explicit_unknown_file_raises_naming_file_and_formats(self, tmp_path: Path) -> None:
        path = tmp_path / "weird.json"
        path.write_text('{"hello": 1}')
        with pytest.raises(UnknownFormatError) as err:
            forensics.load(path)
        text = str(err.value)
        assert "weird.json" in text and "keys: hello" in text
        assert "Hint:" in text and "`otlp-json`" in text and "`jsonl`" in text

    def test_empty_and_binary_files_say_what_they_are(self, tmp_path: Path) -> None:
        (tmp_path / "empty.jsonl").write_text("")
        with pytest.raises(UnknownFormatError, match="the file is empty"):
            forensics.load(tmp_path / "empty.jsonl")
        (tmp_path / "blob.json").write_bytes(bytes(range(256)))
        with pytest.raises(UnknownFormatError, match="not JSON"):
            forensics.load(tmp_path / "blob.json")

    def test_globs_gzip_and_lists(self, tmp_path: Path) -> None:
        with gzip.open(tmp_path / "one.jsonl.gz", "wb") as fh:
            fh.write(SUPPORT.read_bytes())
        shutil.copy(SUPPORT, tmp_path / "two.jsonl")
        result = forensics.load(str(tmp_path / "*.jsonl*"))
        # The same run in two files: the second copy's spans are identical copies (re-sent, harmless)
        # and say where the first is.
        assert result.spans.num_rows == 4
        assert result.report.quarantined == 4
        assert set(result.quarantine["reason"].to_pylist()) == {"resent-span-copy"}
        # (The start line agent.start is held for an end line (jsonl_pairs) and added last: rows keep no file order.)
        assert any("one.jsonl.gz:1" in detail for detail in result.quarantine["detail"].to_pylist())
        assert forensics.load([tmp_path / "two.jsonl"]).spans.num_rows == 4

    def test_missing_paths_and_empty_globs(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="no such file"):
            forensics.load(tmp_path / "nope.json")
        with pytest.raises(InputError, match="matches no file"):
            forensics.load(str(tmp_path / "*.nothing"))
        with pytest.raises(InputError, match="no loader named `otlp`"):
            forensics.load(SUPPORT, format="otlp")


class TestFinalize:
    def test_agent_is_inherited_from_the_nearest_agent_ancestor(self, tmp_path: Path) -> None:
        records = [
            _sdk("a000000000000001", None, attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "orchestrator"}),
            _sdk("a000000000000002", "a000000000000001"),
            _sdk("a000000000000003", "a000000000000002", attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "billing"}),
        ]
        # A deep chain under billing: inheritance must reach 40 levels down.
        parent = "a000000000000003"
        for depth in range(40):
            sid = f"b{depth:015x}"
            records.append(_sdk(sid, parent))
            parent = sid
        records.append(_sdk("c000000000000001", "ffffffffffffffff"))  # parent not in the file
        df = forensics.load(_write_jsonl(tmp_path / "tree.jsonl", records), format="otel-sdk-json").to_polars()
        agent = dict(zip(df["span_id"], df["agent"], strict=True))
        assert agent["a000000000000002"] == "orchestrator"
        assert agent["a000000000000003"] == "billing"
        assert agent[parent] == "billing"
        assert agent["c000000000000001"] is None  # no known ancestor: nobody owns it

    def test_end_before_start_is_quarantined_with_the_times(self, tmp_path: Path) -> None:
        records = [_sdk("d000000000000001", None), _sdk("d000000000000002", None, end_time="2024-12-31T23:59:59Z")]
        result = forensics.load(_write_jsonl(tmp_path / "t.jsonl", records), format="otel-sdk-json")
        assert result.spans["span_id"].to_pylist() == ["d000000000000001"]
        q = result.quarantine.to_pylist()[0]
        assert q["reason"] == "end-before-start" and q["source_line"] == 2
        assert "2024-12-31 23:59:59" in q["detail"]
        assert json.loads(q["raw"])["span_id"] == "d000000000000002"
        account = result.report.files[0]
        assert (account.records_read, account.rows, account.quarantined) == (2, 1, 1)

    def test_finalize_on_an_empty_table(self) -> None:
        spans, quarantined = finalize(SPAN_SCHEMA.empty_table())
        assert spans.num_rows == 0 and quarantined.num_rows == 0


def test_exports_to_polars_and_pandas() -> None:
    result = forensics.load(SUPPORT)
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 4
    assert str(frame["start_time"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(result.to_polars(), pl.DataFrame)
    assert result.spans.schema == SPAN_SCHEMA
    text = repr(result)
    assert "4 spans in 1 runs" in text and "4 read = 4 rows + 0 quarantined + 0 merged" in text
    assert "<table>" in result._repr_html_()


def test_every_real_otel_family_file_is_sniffed_to_its_loader() -> None:
    expected = {
        "otlp_json/opentelemetry-proto_examples_trace.json": "otlp-json",
        "otlp_json/opentelemetry-proto_examples_logs.json": "otlp-json",
        "otlp_json/otlp2parquet_testdata_traces.jsonl": "otlp-json",
        "otlp_json/monocle_ms-travel-agent-openai_sample_trace.json": "otel-sdk-json",
        "multiagent_frameworks/monocle_langgraph_lg-travel-agent_trace.json": "otel-sdk-json",
    }
    for relative, fmt in expected.items():
        result = forensics.load(shared_file(relative))
        assert result.report.files[0].format == fmt, relative
        assert result.report.files[0].balanced
        assert result.report.quarantined == 0, (relative, result.quarantine.to_pylist())


def test_a_bad_line_late_in_a_big_jsonl_keeps_its_absolute_line_number(tmp_path: Path) -> None:
    records = [_sdk(f"{i:016x}", None if i % 10 == 0 else f"{i - i % 10:016x}", trace=f"{i // 10:032x}") for i in range(400)]
    path = _write_jsonl(tmp_path / "big.jsonl", records)
    with path.open("ab") as fh:
        fh.write(b"{broken\n")
    result = forensics.load(path)
    assert result.spans.num_rows == 400
    assert result.spans["source_line"].to_pylist() == list(range(1, 401))
    assert result.quarantine["source_line"].to_pylist() == [401]
    assert result.report.files[0].records_read == 401


def test_package_functions_stay_functions_after_their_modules_are_imported() -> None:
    import forensics.classify as classify_module  # noqa: F401  (importing the submodule must not shadow)

    result = forensics.load(SUPPORT)
    for _ in range(2):
        assert forensics.classify(result.spans).runs.num_rows == 1
    assert callable(forensics.classify) and callable(forensics.evaluate) and callable(forensics.load)


def test_a_corrupt_gzip_file_says_so_not_empty(tmp_path: Path) -> None:
    path = tmp_path / "night.jsonl.gz"
    path.write_bytes(gzip.compress(SUPPORT.read_bytes())[:40] + b"\x00garbage" * 10)
    with pytest.raises(UnknownFormatError, match="cannot be read") as err:
        forensics.load(path)
    assert "empty" not in str(err.value)


def test_a_gzip_stream_corrupted_midway_keeps_what_came_before(tmp_path: Path) -> None:
    import os

    lines = b"".join(
        orjson.dumps({"ts": "2025-06-10T02:13:00Z", "level": "info", "trace_id": "r1", "span_id": f"s{i}",
                      "event": "step", "blob": os.urandom(96).hex()}) + b"\n"
        for i in range(20_000)
    )  # ~5 MB that does not compress away, so damage midway leaves megabytes readable before it
    blob = bytearray(gzip.compress(lines))
    blob[len(blob) // 2: len(blob) // 2 + 64] = b"\x00" * 64
    path = tmp_path / "night.jsonl.gz"
    path.write_bytes(bytes(blob))
    result = forensics.load(path, format="jsonl")
    assert result.report.files[0].reasons.get("unreadable-file") == 1
    assert 1_000 < result.report.rows < 20_000  # the lines before the damage were read
    assert result.report.balanced


def test_a_bad_option_is_an_input_error_not_a_loader_bug(tmp_path: Path) -> None:
    records = [_sdk(f"{i:016x}", None, trace=f"{i:032x}") for i in range(50)]
    path = _write_jsonl(tmp_path / "big.jsonl", records)
    with pytest.raises(forensics.InputError) as caught:
        forensics.load(path, format="jsonl", options={"field_map": {"no_such_column": "x"}})
    assert not isinstance(caught.value, forensics.InternalError)
    assert "field_map names an unknown column `no_such_column`" in caught.value.message
    assert caught.value.where is not None and caught.value.where.endswith("big.jsonl")


#: What the library used to split over worker processes (issue 15): a file this big was read by
#: spawned processes, which re-import a script that has no main guard and crash it.
OLD_PROCESS_THRESHOLD = 64 * 1024 * 1024


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_script_without_a_main_guard_loads_a_big_file(tmp_path: Path) -> None:
    """A plain script calling forensics.load at top level (no ``if __name__ == "__main__":``) on a
    file over the size the library once split across processes: it must finish, exit 0, with
    every row (a spawned process re-importing the script crashed it with multiprocessing's
    "bootstrapping phase" error). ``FORENSICS_WORKERS=2`` asks for workers as the old code read it."""
    import subprocess
    import sys

    template = orjson.dumps(_sdk("{span}", None, trace="{trace}", attributes={
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 812,
        "input.value": "x" * 400}))
    path = tmp_path / "night.jsonl"
    spans = 0
    with path.open("wb") as fh:
        while fh.tell() <= OLD_PROCESS_THRESHOLD + 4 * 1024 * 1024:
            fh.write(b"".join(template.replace(b"{span}", b"%016x" % (spans + k)).replace(b"{trace}", b"%032x" % ((spans + k) // 30)) + b"\n"
                              for k in range(10_000)))
            spans += 10_000
    script = tmp_path / "plain_script.py"
    script.write_text("import forensics\n"
                      f"result = forensics.load({str(path)!r})\n"
                      "print(result.spans.num_rows, result.report.quarantined)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=280, cwd=tmp_path,
                          env={**__import__("os").environ, "FORENSICS_WORKERS": "2"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "bootstrapping phase" not in done.stderr
    assert done.stdout.split() == [str(spans), "0"]


@pytest.mark.parametrize(
    ("patch", "column", "found"),
    [
        ({"name": 5}, "name", "int 5"),  # a number where the span's name belongs
        ({"attributes": {"gen_ai.usage.input_tokens": 99999999999999999999}}, "input_tokens",
         "int 99999999999999999999"),  # wider than int64
    ],
)
def test_a_value_its_column_cannot_hold_is_quarantined_not_raised(
    tmp_path: Path, patch: dict[str, object], column: str, found: str
) -> None:
    def span(n: int, **extra: object) -> str:
        record = {"name": "step", "context": {"trace_id": "0x" + "1" * 32, "span_id": f"0x{n:016x}"},
                  "kind": "SpanKind.INTERNAL", "parent_id": None,
                  "start_time": "2026-01-01T00:00:00.000000Z", "end_time": "2026-01-01T00:00:01.000000Z",
                  "status": {"status_code": "OK"}, "attributes": {}, "resource": {"attributes": {}}}
        record.update(extra)
        return json.dumps(record)

    path = tmp_path / "spans.jsonl"
    path.write_text(span(1) + "\n" + span(2, **patch) + "\n" + span(3) + "\n")
    result = forensics.load(path)
    assert result.spans.num_rows == 2
    assert sorted(result.spans.column("span_id").to_pylist()) == ["0000000000000001", "0000000000000003"]
    [bad] = result.quarantine.to_pylist()
    assert (bad["reason"], bad["source_line"]) == ("invalid-value", 2)
    assert f"`{column}`" in bad["detail"] and found in bad["detail"] and "Hint:" in bad["detail"]
    assert result.report.balanced


def _finalize_case(ids: dict[str, str]) -> tuple[pa.Table, pa.Table]:
    """Two runs sharing a span id, an agent chain, a duplicate, a span ending before it starts, a
    transfer tool and a run with one session id; ``ids`` names each span id's text."""
    def row(line: int, run: str, sid: str, parent: str | None, **kw: object) -> dict[str, object]:
        base = {"run_id": run, "span_id": ids[sid], "parent_id": ids.get(parent) if parent else None,
                "kind": "llm", "status": "ok", "source_format": "t", "source_file": "f", "source_line": line,
                "start_time": 1_000 + line, "end_time": 2_000 + line}
        return {f.name: {**base, **kw}.get(f.name) for f in SPAN_SCHEMA}

    rows = [
        row(1, "r1", "a", None, kind="agent", name="planner", session_id="s-1"),
        row(2, "r1", "b", "a"),
        row(3, "r1", "c", "b", kind="tool", tool="transfer_to_writer"),
        row(4, "r1", "b", "a"),  # the same span id again in the run
        row(5, "r2", "b", "d"),  # the same id in another run is another span
        row(6, "r2", "d", None, kind="agent", agent="critic"),
        row(7, "r2", "e", "x", start_time=5_000, end_time=4_000),  # ends before it starts
        row(8, "r2", "f", "x"),  # its parent is no span of the run
    ]
    return finalize(pa.Table.from_pylist(rows, schema=SPAN_SCHEMA))


@pytest.mark.parametrize("style", ["otel hex", "other text", "mixed case"])
def test_finalize_reads_ids_the_same_whether_they_are_otel_hex_or_any_text(style: str) -> None:
    """OTel span ids in hex are compared by their 64-bit value (no dictionary of the texts); any
    other text (or one upper-case id: 'B...' is not 'b...') through one dictionary. Same results."""
    names = "abcdefx"
    if style == "otel hex":
        ids = {n: f"{i + 10:016x}" for i, n in enumerate(names)}
    elif style == "other text":
        ids = {n: f"span-{n}" for n in names}
    else:
        ids = {n: f"{i + 10:016x}" for i, n in enumerate(names)} | {"f": "00000000000000FF"}
    spans, quarantined = _finalize_case(ids)
    assert spans.column("source_line").to_pylist() == [1, 2, 3, 5, 6, 8]
    # agent from the nearest agent ancestor (the agent span's own name), per run
    assert spans.column("agent").to_pylist() == ["planner", "planner", "planner", "critic", "critic", None]
    assert spans.column("kind").to_pylist() == ["agent", "llm", "handoff", "llm", "agent", "llm"]
    assert spans.column("handoff_to").to_pylist() == [None, None, "writer", None, None, None]
    assert spans.column("session_id").to_pylist() == ["s-1", "s-1", "s-1", None, None, None]
    assert quarantined.column("reason").to_pylist() == ["duplicate-span-id", "end-before-start"]
    assert quarantined.column("source_line").to_pylist() == [4, 7]
    assert "first seen at f:2" in quarantined.column("detail")[0].as_py()
