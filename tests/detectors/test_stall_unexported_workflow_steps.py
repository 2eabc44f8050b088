"""A LlamaIndex workflow whose worker died: its run span never exported, its finished steps are.

The OpenInference LlamaIndex span handler opens every dispatcher span in the context of its open
parent dispatcher span, in the same process (Arize-ai/openinference
``python/instrumentation/openinference-instrumentation-llama-index/src/openinference/instrumentation/llama_index/_handler.py``
``_SpanHandler.new_span``: ``context=parent.context`` when ``parent_span_id`` is open, the span
named ``id_.partition("-")[0]``, ``Class.method``; ``prepare_to_exit_span`` ends it OK). A
workflow's steps are such spans under the workflow's run span. The OTel SDK exports a span only
when it ends (opentelemetry-python ``BatchSpanProcessor.on_end``), and Phoenix stores what the
exporter sent it: a process killed mid-workflow leaves the finished steps naming a run span that
was never exported. Phoenix's span export (one JSON object a line: ``context``, ``span_kind``,
``parent_id``, flattened ``attributes`` with ``session.id``) is written here by hand.

A later run of the same session that does the dead run's side effect again is a restart redoing
it (redo_after_restart, duplicate_side_effect).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

SESSION = "refund-sync-CASE-118"
ARGS = json.dumps({"order": "A-5521", "amount_cents": 4200})


def _span(trace: str, sid: str, parent: str | None, name: str, kind: str, start: str, end: str,
          **attrs: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "name": name, "context": {"trace_id": trace * 32, "span_id": sid}, "span_kind": kind,
        "parent_id": parent, "start_time": f"2026-03-04T09:{start}+00:00", "end_time": f"2026-03-04T09:{end}+00:00",
        "status_code": "OK", "status_message": "",
        "attributes": {"openinference.span.kind": kind, "session.id": SESSION, **attrs}, "events": [],
    }  # fmt: skip


def _steps(trace: str, run_span: str, minute: int) -> list[dict[str, Any]]:
    """The workflow's first two steps: a read, then a step whose model asks for the refund and the
    refund tool that ran."""
    m = f"{minute:02d}"
    step = f"{trace}2{'0' * 14}"
    return [
        _span(trace, f"{trace}1{'0' * 14}", run_span, "RefundWorkflow.load_case", "CHAIN", f"{m}:00.100", f"{m}:01.900",
              **{"input.value": '{"case": "CASE-118"}', "output.value": '{"order": "A-5521"}'}),
        _span(trace, step, run_span, "RefundWorkflow.issue_refund", "CHAIN", f"{m}:02.000", f"{m}:06.000"),
        _span(trace, f"{trace}3{'0' * 14}", step, "OpenAI.achat", "LLM", f"{m}:02.100", f"{m}:03.900",
              **{"llm.model_name": "gpt-4o-mini", "llm.token_count.prompt": 600, "llm.token_count.completion": 60,
                 "llm.output_messages.0.message.role": "assistant",
                 "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "create_refund",
                 "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": ARGS}),
        _span(trace, f"{trace}4{'0' * 14}", step, "create_refund", "TOOL", f"{m}:04.000", f"{m}:05.800",
              **{"tool.name": "create_refund", "input.value": ARGS, "output.value": '{"refund": "re_1"}'}),
    ]  # fmt: skip


def _finished(trace: str, minute: int) -> list[dict[str, Any]]:
    """A whole workflow run: its run span ended and was exported, a third step after the two."""
    root = f"{trace}0{'0' * 14}"
    m = f"{minute:02d}"
    return [
        _span(trace, root, None, "Workflow.run", "CHAIN", f"{m}:00.000", f"{m}:09.000",
              **{"input.value": '{"case": "CASE-118"}', "output.value": '{"status": "done"}'}),
        *_steps(trace, root, minute),
        _span(trace, f"{trace}5{'0' * 14}", root, "RefundWorkflow.notify_customer", "CHAIN", f"{m}:06.100", f"{m}:08.900",
              **{"input.value": '{"refund": "re_1"}', "output.value": '{"sent": true}'}),
    ]  # fmt: skip


def _classify(spans: list[dict[str, Any]], tmp_path: Path) -> pl.DataFrame:
    path = tmp_path / "spans.openinference.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in spans))
    return pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))


def _by(found: pl.DataFrame, detector: str) -> pl.DataFrame:
    return found.filter(pl.col("detector") == detector) if found.height else found


def test_steps_under_a_run_span_never_exported_stalled_and_the_restart_redid_the_refund(tmp_path: Path) -> None:
    # The worker died in the third step at 09:10; the session ran the workflow again at 09:17.
    killed = _steps("a", "a9" + "0" * 14, 10)
    found = _classify([*killed, *_finished("b", 17)], tmp_path)
    stall = _by(found, "stall")
    assert stall.get_column("run_id").to_list() == ["a" * 32]
    assert "a9" + "0" * 14 in stall.get_column("explanation").item()
    for detector in ("redo_after_restart", "duplicate_side_effect"):
        got = _by(found, detector)
        assert got.get_column("run_id").to_list() == ["b" * 32], detector
        assert got.get_column("decisive_span_id").to_list() == ["b4" + "0" * 14], detector


def test_near_miss_one_step_under_a_parent_from_another_process(tmp_path: Path) -> None:
    # A workflow run span whose parent is a web server's span in a service not exported to Phoenix
    # (a remote parent): one span of this process under it, finished; the export went on later.
    remote = _finished("a", 10)
    remote[0]["parent_id"] = "f" * 16
    found = _classify([*remote, *_finished("b", 30)], tmp_path)
    assert _by(found, "stall").height == 0


def test_near_miss_the_session_runs_a_finished_workflow_again(tmp_path: Path) -> None:
    # The first run ended and was exported: a later run of the same session issuing the same refund
    # is a new request (the earlier run did not fail), and no run hung.
    found = _classify([*_finished("a", 10), *_finished("b", 17)], tmp_path)
    for detector in ("stall", "redo_after_restart", "duplicate_side_effect"):
        assert _by(found, detector).height == 0, detector
