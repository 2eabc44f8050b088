"""any-agent: the two real AgentTrace files (expectations read from the files by hand), one
hand-written file per quirk (decimal ids incl. 128-bit, digit-string ids, arrays of traces,
handoffs), and malformed variants ending in the quarantine."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from loader_fuzz import check_damaged_file
from realdata import DATA, FORMATS, real_samples, shared_file

import forensics
from forensics.loaders import registry

HERE = DATA / "any_agent"


def load(path: Path) -> tuple[forensics.LoadResult, pl.DataFrame]:
    result = forensics.load(path)
    account = result.report.files[0]
    assert (account.format, account.chosen_by) == ("any-agent", "sniffed")
    assert account.records_read == account.rows + account.quarantined + account.merged
    return result, result.to_polars().with_columns(pl.col("start_time", "end_time").dt.epoch("ns"))


@pytest.mark.parametrize("name, trace, root, tools, tokens", [
    # By hand from the files: 128-bit decimal trace ids, the root invoke_agent's decimal span id,
    # the execute_tool names in order, and the call_llm input/output token counts.
    ("any-agent_OPENAI_trace.json", 100927429609276267646756448943279827607, 12324293800750531911,
     ["get_current_time", "write_file"], ([269, 359, 392], [16, 14, 46])),
    ("any-agent_SMOLAGENTS_trace.json", 193014249579837554382251753808266698816, 2377815918452923285,
     ["get_current_time", "write_file", "final_answer"], ([677, 782, 835], [16, 14, 57])),
])
def test_real_agent_trace(name: str, trace: int, root: int, tools: list[str], tokens: tuple[list[int], list[int]]) -> None:
    result, df = load(shared_file("multiagent_frameworks/" + name))
    assert result.quarantine.num_rows == 0
    assert df.height == len(tools) + 4  # 3 call_llm + the tools + 1 invoke_agent
    # The exact 128-bit id survives (orjson alone would round it to a float).
    assert set(df["run_id"]) == {format(trace, "032x")}
    assert Counter(df["kind"]) == {"llm": 3, "tool": len(tools), "agent": 1}
    root_row = df.filter(pl.col("parent_id").is_null()).row(0, named=True)
    assert root_row["span_id"] == format(root, "016x")
    assert (root_row["kind"], root_row["status"]) == ("agent", "unset")  # the file says unset
    assert json.loads(root_row["output"])["steps"][0]["number"] == 1  # from final_output
    assert set(df["parent_id"].drop_nulls()) == {format(root, "016x")}
    assert set(df["agent"]) == {"any_agent"}
    assert df.filter(pl.col("kind") == "tool").sort("start_time")["tool"].to_list() == tools
    llm = df.filter(pl.col("kind") == "llm").sort("start_time")
    assert (llm["input_tokens"].to_list(), llm["output_tokens"].to_list()) == tokens
    assert set(llm["model"]) == {"mistral/mistral-small-latest"}
    assert set(df.filter(pl.col("kind") != "agent")["status"]) == {"ok"}
    assert df["handoff_to"].null_count() == df.height
    assert df["start_time"].null_count() == 0 and df["end_time"].null_count() == 0


def test_openai_costs_sum_input_and_output_parts() -> None:
    _, df = load(shared_file("multiagent_frameworks/any-agent_OPENAI_trace.json"))
    llm = df.filter(pl.col("kind") == "llm").sort("start_time")
    expected = [2.69e-05 + 4.8e-06, 3.59e-05 + 4.2e-06, 3.92e-05 + 1.38e-05]
    assert llm["cost_usd"].to_list() == pytest.approx(expected)


def test_handoff_error_and_128_bit_trace_id() -> None:
    _, df = load(HERE / "trace_handoff.json")
    assert set(df["run_id"]) == {format((1 << 127) + 12345, "032x")}
    rows = {r["span_id"]: r for r in df.iter_rows(named=True)}
    root = rows[format(987654321, "016x")]
    assert (root["agent"], root["output"], root["status"]) == ("orchestrator", "Published the draft.", "unset")
    handoff = rows[format(222, "016x")]  # execute_tool transfer_to_writer, made a handoff by finalisation
    assert (handoff["kind"], handoff["handoff_to"], handoff["agent"]) == ("handoff", "writer", "orchestrator")
    writer = rows[format(333, "016x")]
    assert (writer["kind"], writer["agent"]) == ("agent", "writer")
    publish = rows[format(444, "016x")]
    assert (publish["status"], publish["error_type"], publish["agent"]) == ("error", "PermissionError", "writer")
    assert publish["error_message"] == "PermissionError: cannot write to /srv/site"
    assert publish["input"] == '{"path": "/srv/site"}'  # gen_ai.tool.args
    llm = rows[format(111, "016x")]
    assert llm["cost_usd"] == pytest.approx(0.0003 + 0.00008)
    assert json.loads(llm["attributes"])["@resource"]["attributes"] == {"service.name": "demo"}


def test_digit_string_ids_are_decimal_never_hex() -> None:
    _, df = load(HERE / "spans.jsonl")
    # "1234567890123456" has the 16 characters of a hex span id, but any-agent ids are decimal.
    assert set(df["run_id"]) == {format(1234567890123456, "032x")}
    assert df["span_id"].to_list() == [format(1234567890123456, "016x"), format(555, "016x")]
    assert df["parent_id"].to_list() == [None, format(1234567890123456, "016x")]


def test_array_of_agent_traces() -> None:
    _, df = load(HERE / "traces_array.json")
    assert df.select("run_id", "agent", "output").rows() == [
        (format(1, "032x"), "x", '{"answer":1}'),
        (format(2, "032x"), "y", None),
    ]


def test_malformed_records_quarantined_with_specific_reasons() -> None:
    result, df = load(HERE / "malformed.jsonl")
    account = result.report.files[0]
    assert (account.records_read, account.rows, account.quarantined) == (9, 1, 8)
    assert df["agent"].to_list() == ["a"]
    reasons = dict(pl.from_arrow(result.quarantine).select("source_line", "reason").iter_rows())
    assert reasons == {2: "invalid-json", 3: "missing-context", 4: "invalid-time", 5: "invalid-id",
                       6: "invalid-id", 7: "invalid-status", 8: "not-an-agent-trace", 9: "truncated"}


def test_sniffing_claims_no_other_real_sample() -> None:
    for path in sorted(HERE.glob("*.json*")):  # not the README beside the real copies
        scores = registry.sniff_scores(str(path))
        assert max(scores, key=scores.__getitem__) == "any-agent", (path, scores)
    for path in real_samples():  # ../shared/formats, or the copies in tests/data without it
        scores = registry.sniff_scores(str(path))
        mine = path.name.startswith("any-agent_")
        assert (max(scores, key=scores.__getitem__) == "any-agent") == mine, (path, scores)
        if not mine:
            assert scores.get("any-agent", 0.0) == 0.0, (path, scores)


def test_file_larger_than_the_sniffing_head(tmp_path: Path) -> None:
    # The first span alone is past the 64 KiB head: only `{"spans": [` and the decimal ids show.
    doc = json.loads((HERE / "trace_handoff.json").read_text())
    doc["spans"][0]["attributes"]["gen_ai.output"] = "x" * 100_000
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc, indent=2))
    _, df = load(path)
    assert df.height == 5
    assert set(df["run_id"]) == {format((1 << 127) + 12345, "032x")}


@pytest.mark.parametrize("path", [HERE / "trace_handoff.json", HERE / "spans.jsonl"] + (sorted((FORMATS / "multiagent_frameworks").glob("any-agent_*")) if FORMATS.exists() else []), ids=lambda p: p.name)
def test_damaged_files_account_for_every_record(path: Path, tmp_path: Path) -> None:
    check_damaged_file(path, "any-agent", tmp_path)
