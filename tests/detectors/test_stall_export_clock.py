"""stall on a hung tool that was never exported, told apart from a run still in progress.

The OpenTelemetry SDK exports a span only once it has ended (opentelemetry-python
``BatchSpanProcessor.on_end`` queues ended spans; its worker exports them every ``schedule_delay``,
5 s by default). A tool call that hung, and the agent span waiting on it, are never exported; the
model call that asked for the tool, which ended, is, naming the agent span as its parent. A run
still working when the file was cut looks the same, so the file's own clock decides: other runs of
the same export, exported minutes later, show that this one went quiet. The files are OTLP/JSON
``ExportTraceServiceRequest`` documents (one request per line, as the collector's file exporter
writes them) with GenAI semantic-convention spans.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

BASE = 1_764_000_000_000_000_000  # ns


def _attr(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def _span(trace: str, sid: str, parent: str, name: str, start_s: float, end_s: float, attrs: dict[str, str]) -> dict[str, Any]:
    return {"traceId": trace * 32, "spanId": sid, "parentSpanId": parent, "name": name, "kind": 1,
            "startTimeUnixNano": str(BASE + int(start_s * 1e9)), "endTimeUnixNano": str(BASE + int(end_s * 1e9)),
            "attributes": [_attr(k, v) for k, v in attrs.items()], "status": {}}  # fmt: skip


def _chat(trace: str, sid: str, parent: str, start_s: float, end_s: float, out: list[Any]) -> dict[str, Any]:
    return _span(trace, sid, parent, "chat gpt-4o", start_s, end_s,
                 {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                  "gen_ai.output.messages": json.dumps(out)})  # fmt: skip


def _hung_run(trace: str) -> list[dict[str, Any]]:
    """The model asked for fetch_invoice_pdf at 2.4 s; the tool and the agent span never ended."""
    ask = [{"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "fetch_invoice_pdf",
                                            "arguments": {"invoice": "INV-5531"}}], "finish_reason": "tool_call"}]  # fmt: skip
    return [_chat(trace, f"{trace}c00000000000001", f"{trace}a00000000000001", 0.2, 2.4, ask)]


def _finished_run(trace: str, start_s: float, end_s: float) -> list[dict[str, Any]]:
    reply = [{"role": "assistant", "parts": [{"type": "text", "content": "Invoice INV-5530 is attached."}],
              "finish_reason": "stop"}]  # fmt: skip
    root = f"{trace}a00000000000001"
    return [
        _span(trace, root, "", "invoke_agent billing", start_s, end_s,
              {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "billing",
               "gen_ai.output.messages": json.dumps(reply)}),  # fmt: skip
        _chat(trace, f"{trace}c00000000000001", root, start_s + 0.1, end_s - 0.1, reply),
    ]


def _request(spans: list[dict[str, Any]]) -> str:
    return json.dumps({"resourceSpans": [{"resource": {"attributes": [_attr("service.name", "billing-agent")]},
                                          "scopeSpans": [{"scope": {"name": "billing"}, "spans": spans}]}]})  # fmt: skip


def _classify(lines: list[list[dict[str, Any]]], tmp_path: Path) -> pl.DataFrame:
    path = tmp_path / "export.otlp.jsonl"
    path.write_text("\n".join(_request(spans) for spans in lines) + "\n")
    return pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))


def _stalls(found: pl.DataFrame) -> pl.DataFrame:
    return found.filter(pl.col("detector") == "stall") if found.height else found


def test_a_run_that_went_quiet_while_the_export_went_on_stalled(tmp_path: Path) -> None:
    # The hung run's request is exported at 7 s; the process went on exporting other runs for 15 min.
    found = _classify([_hung_run("a"), _finished_run("b", 880, 905)], tmp_path)
    stall = _stalls(found)
    assert stall.get_column("decisive_span_id").to_list() == ["ac00000000000001"]
    assert "the export went on for" in stall.get_column("explanation").item()


def test_near_miss_a_run_still_in_progress_when_the_file_was_cut(tmp_path: Path) -> None:
    # The batch processor exported the finished model call 5 s in; the file was cut 4 s later.
    assert _stalls(_classify([_hung_run("a"), _finished_run("b", 3, 9)], tmp_path)).height == 0


def test_near_miss_the_root_arrives_later_in_the_file(tmp_path: Path) -> None:
    # The model call went out in the first batch; the tool and the agent span, ended, in the next.
    tool = _span("a", "at00000000000001", "aa00000000000001", "execute_tool fetch_invoice_pdf", 2.5, 3.1,
                 {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "fetch_invoice_pdf",
                  "gen_ai.tool.call.result": '{"url": "https://files.example.com/INV-5531.pdf"}'})  # fmt: skip
    root = _span("a", "aa00000000000001", "", "invoke_agent billing", 0, 4.2,
                 {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "billing",
                  "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [
                      {"type": "text", "content": "Here is INV-5531: https://files.example.com/INV-5531.pdf"}]}])})  # fmt: skip
    assert _stalls(_classify([_hung_run("a"), [tool, root], _finished_run("b", 880, 905)], tmp_path)).height == 0


def test_a_run_alone_in_its_file_with_parents_never_exported_stalled(tmp_path: Path) -> None:
    # An incident's trace pulled alone (a tool that hung, a pod that was OOM-killed): only the
    # finished children are there, and nothing after them.
    stall = _stalls(_classify([_hung_run("a")], tmp_path))
    assert stall.get_column("decisive_span_id").to_list() == ["ac00000000000001"]
    assert "only run in its file" in stall.get_column("explanation").item()


def test_the_parent_named_as_never_ended_is_the_same_every_time(tmp_path: Path) -> None:
    # Two parents never ended (the agent span and the tool span, with work exported under each).
    ask = [{"role": "assistant", "parts": [{"type": "text", "content": "Fetching it."}], "finish_reason": "stop"}]
    spans = [_chat("a", f"ac0000000000000{i}", f"a{p}00000000000001", 0.2 + i, 0.9 + i, ask)
             for i, p in ((1, "d"), (2, "c"), (3, "b"), (4, "a"))]
    path = tmp_path / "export.otlp.jsonl"
    path.write_text(_request(spans) + "\n")
    table = forensics.load(path).spans
    said = set()
    for _ in range(8):
        found = pl.DataFrame(pl.from_arrow(forensics.classify(table).findings))
        said |= set(_stalls(found).get_column("explanation").to_list())
    assert len(said) == 1 and "span aa00000000000001 never ended" in said.pop()
