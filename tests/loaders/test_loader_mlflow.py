"""mlflow: MLflow trace JSON v3 and v2. No real trace JSON is committed where we could copy it
(FIELDS.md §7), so the fixtures are hand-written from MLflow's documented ``Trace.to_json()``
shapes (v3 checked against a Databricks inference-table trace quoted in a public write-up: base64
ids, JSON-encoded ``mlflow.spanType``); each quirk has its file, malformed variants quarantine."""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from loader_fuzz import check_damaged_file
from realdata import DATA, real_samples

import forensics
from forensics.loaders import registry

HERE = DATA / "mlflow"


def b64hex(text: str) -> str:
    return base64.b64decode(text).hex()


def load(path: Path) -> tuple[forensics.LoadResult, pl.DataFrame]:
    result = forensics.load(path)
    account = result.report.files[0]
    assert (account.format, account.chosen_by) == ("mlflow", "sniffed")
    assert account.records_read == account.rows + account.quarantined + account.merged
    return result, result.to_polars().with_columns(pl.col("start_time", "end_time").dt.epoch("ns"))


def test_v3_base64_ids_json_encoded_types_and_metadata() -> None:
    _, df = load(HERE / "v3_trace.json")
    assert df.height == 5
    # tr-<hex> and the base64 span trace id are the same OTel trace id.
    assert set(df["run_id"]) == {"0af7651916cd43dd8448eb211c80319c"} == {b64hex("CvdlGRbNQ92ESOshHIAxnA==")}
    assert set(df["session_id"]) == {"chat-session-5"}
    rows = {r["name"]: r for r in df.iter_rows(named=True)}
    root = rows["support_agent"]
    assert (root["span_id"], root["parent_id"], root["kind"], root["agent"]) == (b64hex("t61rcWkgMzE="), None, "agent", "support_agent")
    assert root["input"] == '{"question":"refund order 17"}'  # spanInputs decoded, re-rendered as JSON text
    assert root["output"] == "Your refund is on its way"  # a JSON-encoded string becomes the plain string
    assert (root["start_time"], root["end_time"]) == (1751371200000000000, 1751371203000000000)
    info = json.loads(root["attributes"])["@trace_info"]
    assert (info["state"], info["trace_metadata"]["mlflow.trace.user"]) == ("ERROR", "alice")
    # The id the MLflow UI and API know (mlflow/tracing/constant.py TRACE_REQUEST_ID_PREFIX "tr-" +
    # the OTel trace id, mlflow/tracing/utils generate_mlflow_trace_id_from_otel_trace_id) stays on the root.
    assert info["trace_id"] == "tr-" + root["run_id"]
    chat = rows["Completions"]
    assert (chat["kind"], chat["model"], chat["input_tokens"], chat["output_tokens"]) == ("llm", "gpt-4o-mini", 200, 40)
    assert chat["parent_id"] == b64hex("t61rcWkgMzE=")
    assert json.loads(chat["attributes"])["temperature"] == 0.5
    tool = rows["issue_refund"]
    assert (tool["kind"], tool["tool"], tool["status"], tool["error_type"]) == ("tool", "issue_refund", "error", "PaymentError")
    assert tool["error_message"] == "PaymentError: card declined"
    assert rows["search_policies"]["kind"] == "retriever"
    parser = rows["parse_answer"]
    assert (parser["kind"], parser["status"], parser["span_id"]) == ("chain", "unset", "aaaaaaaaaaaaaaaa")
    assert json.loads(parser["attributes"])["custom.flag"] is True
    # Tokens come from the model call only; the trace-level tokenUsage is a roll-up kept in the info.
    assert df["input_tokens"].sum() == 200


def test_v2_request_id_hex_context_status_code_and_events() -> None:
    _, df = load(HERE / "v2_trace.json")
    assert df.height == 3
    assert set(df["run_id"]) == {"5fb397be34d26b515fb397be34d26b51"}
    assert set(df["session_id"]) == {"s-v2"}  # from info.tags.session_id
    rows = {r["name"]: r for r in df.iter_rows(named=True)}
    assert Counter(df["kind"]) == {"chain": 1, "tool": 1, "llm": 1}
    assert rows["weather_chain"]["span_id"] == "000000003ade68b1"
    tool = rows["get_weather"]
    assert (tool["parent_id"], tool["status"], tool["error_type"]) == ("000000003ade68b1", "error", "ConnectionError")
    assert tool["error_message"] == "ConnectionError: weather API unreachable"
    assert (tool["start_time"], tool["end_time"]) == (1719835200200000000, 1719835200700000000)
    info = json.loads(rows["weather_chain"]["attributes"])["@trace_info"]
    assert info["request_id"] == "tr-4d2f0c8e9b7a4c1d8e6f5a4b3c2d1e0f"
    assert info["@data"]["response"] == '"sunny"'
    assert json.loads(rows["ChatModel"]["attributes"])["invocation_params"] == {"model_name": "gpt-3.5-turbo"}


def test_jsonl_one_trace_per_line() -> None:
    _, df = load(HERE / "traces.jsonl")
    assert df.select("run_id", "kind", "status", "session_id").rows() == [
        ("11111111111111111111111111111111", "agent", "ok", "multi"),
        ("33333333333333333333333333333333", "embedding", "unset", None),
    ]
    assert df["span_id"].to_list() == ["2222222222222222", "4444444444444444"]


def test_malformed_records_quarantined_with_specific_reasons() -> None:
    result, df = load(HERE / "malformed.jsonl")
    account = result.report.files[0]
    assert (account.records_read, account.rows, account.quarantined) == (9, 1, 8)
    assert df["name"].to_list() == ["fine"]
    q = pl.from_arrow(result.quarantine).select("source_line", "reason").sort("source_line", "reason")
    assert q.rows() == [(2, "invalid-json"), (3, "invalid-id"), (3, "invalid-status"), (3, "invalid-time"),
                        (3, "missing-span-id"), (4, "not-an-mlflow-trace"), (5, "not-an-mlflow-trace"), (6, "truncated")]


def test_sniffing_claims_no_real_sample_and_takes_its_own() -> None:
    for path in sorted(HERE.glob("*")):
        scores = registry.sniff_scores(str(path))
        assert max(scores, key=scores.__getitem__) == "mlflow", (path, scores)
    for path in real_samples():  # ../shared/formats, or the copies in tests/data without it
        assert registry.sniff_scores(str(path)).get("mlflow", 0.0) == 0.0, path


def test_file_larger_than_the_sniffing_head(tmp_path: Path) -> None:
    doc = json.loads((HERE / "v3_trace.json").read_text())
    doc["data"]["spans"][0]["attributes"]["mlflow.spanInputs"] = json.dumps("x" * 100_000)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    _, df = load(path)
    assert df.height == 5


@pytest.mark.parametrize("path", [HERE / "v3_trace.json", HERE / "v2_trace.json", HERE / "traces.jsonl"], ids=lambda p: p.name)
def test_damaged_files_account_for_every_record(path: Path, tmp_path: Path) -> None:
    check_damaged_file(path, "mlflow", tmp_path)


def test_mlflow_model_and_cost_keys(tmp_path: Path) -> None:
    """MLflow's own keys name a call's model and price: SpanAttributeKey.MODEL ``mlflow.llm.model`` and
    LLM_COST ``mlflow.llm.cost`` ``{input_cost, output_cost, total_cost}`` (mlflow/tracing/constant.py),
    JSON-encoded like every MLflow attribute. The model fills the column; the cost's total fills
    ``cost_usd`` and its split stays in the attributes."""
    trace = json.loads((HERE / "v3_trace.json").read_text())
    chat = next(s for s in trace["data"]["spans"] if s["name"] == "Completions")
    attrs = chat["attributes"]
    del attrs["model"]
    attrs["mlflow.llm.model"] = json.dumps("gpt-4.1-2025-04-14")
    attrs["mlflow.llm.cost"] = json.dumps({"input_cost": 0.0004, "output_cost": 0.00032, "total_cost": 0.00072})
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(trace))
    _, df = load(path)
    row = df.filter(pl.col("name") == "Completions").row(0, named=True)
    assert (row["model"], row["cost_usd"]) == ("gpt-4.1-2025-04-14", 0.00072)
    assert json.loads(row["attributes"])["mlflow.llm.cost"]["output_cost"] == 0.00032
    # A span without them keeps no cost (the others carry none).
    assert df.filter(pl.col("name") != "Completions")["cost_usd"].null_count() == df.height - 1
