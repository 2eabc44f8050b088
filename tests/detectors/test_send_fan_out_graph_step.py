"""A LangGraph Send fan-out read from the graph's own metadata, whatever max_concurrency let run at once.

LangGraph gives every task's run ``metadata`` ``langgraph_step``, ``langgraph_node`` and
``langgraph_checkpoint_ns`` ("<node>:<task id>"), and names the run after the node
(langchain-ai/langgraph ``libs/langgraph/langgraph/pregel/_algo.py`` prepare_single_task). A
conditional edge returning ``[Send("analyst", s) for s in shards]`` runs the node once per Send, all
in the next superstep (LangGraph docs, low-level concepts: Send), and the config's
``max_concurrency`` caps how many run at once: with 4 at a time, 12 sent analysts never overlap more
than 4, but all 12 carry one ``langgraph_step``. openinference-instrumentation-langchain exports the
metadata as the ``metadata`` JSON string of each span (Arize-ai/openinference
``openinference-instrumentation-langchain`` _tracer.py), a Phoenix export one span per line.
Near misses: a supervisor routing the analyst in turn, one superstep each; a Send over 12 shards to a
plain function node (no model call: data parallelism, no sub-agents).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

import forensics

T0 = datetime(2025, 11, 3, 14, 0, tzinfo=UTC)
TRACE = "0c3f" + "0" * 27 + "1"


def _at(s: float) -> str:
    return (T0 + timedelta(seconds=s)).isoformat()


def _span(sid: str, parent: str | None, name: str, kind: str, start: float, end: float, attrs: dict[str, Any]) -> str:
    return json.dumps({"name": name, "context": {"trace_id": TRACE, "span_id": sid}, "span_kind": kind,
                       "parent_id": parent, "start_time": _at(start), "end_time": _at(end), "status_code": "OK",
                       "status_message": "", "attributes": {"openinference.span.kind": kind, **attrs},
                       "events": []})  # fmt: skip


def _meta(step: int, node: str, task: str) -> dict[str, Any]:
    return {"metadata": json.dumps({"langgraph_step": step, "langgraph_node": node,
                                    "langgraph_triggers": ["__pregel_push"], "langgraph_path": ["__pregel_push", 0],
                                    "langgraph_checkpoint_ns": f"{node}:{task}"})}  # fmt: skip


def _graph(tmp_path: Path, *, in_turn: bool = False, with_model: bool = True, n: int = 12) -> pl.DataFrame:
    lines = [
        _span("a000000000000000", None, "LangGraph", "CHAIN", 0, 2000, {"input.value": "Audit the 12 shards."}),
        _span("b000000000000000", "a000000000000000", "planner", "CHAIN", 0.1, 5, _meta(1, "planner", "p0")),
        _span("b100000000000000", "b000000000000000", "ChatOpenAI", "LLM", 0.2, 4.9,
              {"llm.model_name": "gpt-4.1", "llm.token_count.prompt": 900, "llm.token_count.completion": 300}),
    ]  # fmt: skip
    for i in range(n):
        # Four at a time (max_concurrency=4): a batch starts when the one before has ended.
        start = 5.1 + (100.0 * i if in_turn else 60.0 * (i // 4) + 0.01 * (i % 4))
        step = 2 + i if in_turn else 2
        sid = f"c{i:015x}"
        lines.append(_span(sid, "a000000000000000", "analyst", "CHAIN", start, start + 50, _meta(step, "analyst", f"t{i}")))
        if with_model:
            lines.append(_span(f"d{i:015x}", sid, "ChatOpenAI", "LLM", start + 0.1, start + 49,
                               {"llm.model_name": "gpt-4.1", "llm.token_count.prompt": 60_000,
                                "llm.token_count.completion": 800}))  # fmt: skip
    path = tmp_path / "graph.openinference.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))


def test_twelve_analysts_sent_in_one_superstep_four_at_a_time_are_a_fan_out_of_the_planner(tmp_path: Path) -> None:
    found = _graph(tmp_path).filter(pl.col("detector") == "fan_out")
    assert found.height == 1
    assert found.get_column("decisive_span_id").item() == "b000000000000000"
    assert "planner started 12 sub-agents against a limit of 8" in found.get_column("explanation").item()


def test_near_miss_the_analyst_routed_in_turn_one_superstep_each_is_no_fan_out(tmp_path: Path) -> None:
    found = _graph(tmp_path, in_turn=True)
    assert "fan_out" not in found.get_column("detector").to_list()


def test_near_miss_a_send_to_a_plain_function_node_is_no_fan_out(tmp_path: Path) -> None:
    found = _graph(tmp_path, with_model=False)
    assert "fan_out" not in found.get_column("detector").to_list()


def test_near_miss_eight_sent_is_within_the_limit(tmp_path: Path) -> None:
    found = _graph(tmp_path, n=8)
    assert "fan_out" not in found.get_column("detector").to_list()
