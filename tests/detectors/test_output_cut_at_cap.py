"""An output as long as its request's cap was cut there: context_overflow, finish reason or not.

Traces that record no finish reason still record the request's output cap beside the output's token
count (conventions output_cap). Written in each framework's own shape:

* the OpenAI Agents SDK's trace export (``trace`` / ``trace.span`` objects; a ``generation`` span's
  ``model_config`` is ``model_settings.to_json_dict()``, ``usage`` ``input_tokens``/``output_tokens``:
  src/agents/tracing/span_data.py GenerationSpanData, src/agents/models/openai_chatcompletions.py);
* an OpenInference LLM span (OTLP JSON) whose ``llm.invocation_parameters`` is the request's
  parameters as a JSON string, beside ``llm.token_count.completion`` (the smolagents instrumentation
  writes the model's kwargs there, ``max_tokens`` among them).

Near misses: an output below its cap (finished on its own); a count above the cap (no single
request's output: a total over steps); a cut answer asked again with a higher cap that finished.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl

import forensics
from forensics.conventions.output_cap import OUTPUT_CAP

TRACE = "trace_4b1f0c2a9d8e7f6a5b4c3d2e1f0a9b8c"


def _agents_span(sid: str, parent: str | None, start: int, end: int, data: dict[str, object]) -> dict[str, object]:
    return {
        "object": "trace.span", "id": f"span_{sid}", "trace_id": TRACE,
        "parent_id": f"span_{parent}" if parent else None,
        "started_at": f"2026-11-20T22:47:{start:02d}.000000+00:00", "ended_at": f"2026-11-20T22:47:{end:02d}.000000+00:00",
        "span_data": data, "error": None,
    }  # fmt: skip


def _generation(sid: str, start: int, end: int, max_tokens: int, prompt: int, completion: int) -> dict[str, object]:
    return _agents_span(sid, "a00000000000000000000001", start, end, {
        "type": "generation", "input": None, "output": None, "model": "gpt-4.1-mini-2025-04-14",
        "model_config": {"temperature": 0.0, "max_tokens": max_tokens, "parallel_tool_calls": None, "tool_choice": None},
        "usage": {"input_tokens": prompt, "output_tokens": completion},
    })  # fmt: skip


def _agents_run(tmp_path: Path, generations: list[dict[str, object]]) -> pl.DataFrame:
    trace = {"object": "trace", "id": TRACE, "workflow_name": "Summary batch", "group_id": None, "metadata": {}}
    agent = _agents_span("a00000000000000000000001", None, 0, 59, {
        "type": "agent", "name": "Summariser", "handoffs": [], "tools": [], "output_type": "str",
    })  # fmt: skip
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in [trace, *generations, agent]))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings


def test_a_generation_whose_output_reached_its_max_tokens_was_cut(tmp_path: Path) -> None:
    cut = _generation("b00000000000000000000001", 1, 20, 4096, 7940, 4096)
    found = _agents_run(tmp_path, [cut]).filter(pl.col("detector") == "context_overflow")
    assert found["decisive_span_id"].to_list() == ["span_b00000000000000000000001"]
    assert "4096-token cap" in found["explanation"][0]


def test_near_miss_an_output_below_its_cap_or_above_it_was_not_cut(tmp_path: Path) -> None:
    below = _generation("b00000000000000000000001", 1, 20, 4096, 7940, 4095)
    assert "context_overflow" not in _agents_run(tmp_path, [below])["detector"].to_list()
    # More than the cap is no one request's output (a total over several calls): not read as cut.
    above = _generation("b00000000000000000000001", 1, 20, 4096, 7940, 5200)
    assert "context_overflow" not in _agents_run(tmp_path, [above])["detector"].to_list()


def test_near_miss_a_cut_answer_asked_again_with_a_higher_cap_lost_nothing(tmp_path: Path) -> None:
    cut = _generation("b00000000000000000000001", 1, 20, 4096, 7940, 4096)
    again = _generation("b00000000000000000000002", 21, 50, 16384, 7940, 6120)
    assert "context_overflow" not in _agents_run(tmp_path, [cut, again])["detector"].to_list()
    # Asked again with the same cap and cut again: still cut.
    twice = _generation("b00000000000000000000002", 21, 50, 4096, 7940, 4096)
    assert "context_overflow" in _agents_run(tmp_path, [cut, twice])["detector"].to_list()


def _otlp(spans: list[dict[str, object]]) -> dict[str, object]:
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "analyst"}}]},
            "scopeSpans": [{"scope": {"name": "openinference.instrumentation.smolagents"}, "spans": spans}]}]}  # fmt: skip


def _attr(k: str, v: object) -> dict[str, object]:
    return {"key": k, "value": {"intValue": str(v)} if isinstance(v, int) else {"stringValue": str(v)}}


def _oi_span(sid: str, parent: str | None, name: str, start: int, end: int, attrs: dict[str, object]) -> dict[str, object]:
    return {
        "traceId": "bd8ec9a1f80385ed3d7c9ec7081a0001", "spanId": sid, "parentSpanId": parent or "", "name": name,
        "kind": 1, "startTimeUnixNano": str(1_750_000_000_000_000_000 + start * 10**9),
        "endTimeUnixNano": str(1_750_000_000_000_000_000 + end * 10**9),
        "attributes": [_attr(k, v) for k, v in attrs.items()], "status": {"code": 1},
    }  # fmt: skip


def _oi_run(tmp_path: Path, completion: int) -> list[str]:
    root = _oi_span("1000000000000001", None, "CodeAgent.run", 0, 30, {
        "openinference.span.kind": "AGENT", "input.value": "Summarise the quarterly tickets.", "output.value": "Done.",
    })  # fmt: skip
    llm = _oi_span("2000000000000001", "1000000000000001", "OpenAIServerModel.generate", 1, 9, {
        "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini-2024-07-18",
        "llm.invocation_parameters": json.dumps({"max_tokens": 512, "temperature": 0.2}),
        "llm.token_count.prompt": 3080, "llm.token_count.completion": completion,
        "output.value": "Thought: I will read the CSV.\nCode:\n```py\nimport csv\nrows = list(csv.DictReader(",
    })  # fmt: skip
    path = tmp_path / "spans.json"
    path.write_text(json.dumps(_otlp([root, llm])))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_an_openinference_call_whose_completion_reached_its_invocation_max_tokens_was_cut(tmp_path: Path) -> None:
    assert "context_overflow" in _oi_run(tmp_path, 512)


def test_near_miss_an_openinference_completion_under_its_cap(tmp_path: Path) -> None:
    assert "context_overflow" not in _oi_run(tmp_path, 231)


def test_the_cap_is_read_under_each_frameworks_name_for_it() -> None:
    written = {
        # OpenInference llm.invocation_parameters: a JSON string inside the attributes' JSON.
        '"llm.invocation_parameters":"{\\"max_tokens\\": 512, \\"temperature\\": 0.2}"': "512",
        '"llm.invocation_parameters":"{\\"max_completion_tokens\\": 2000}"': "2000",
        '"gen_ai.request.max_tokens": 700': "700",
        '"ai.settings.maxTokens": 700': "700",
        '"ai.settings.maxOutputTokens": 900': "900",
        '"modelParameters": {"max_tokens": "1024", "temperature": "0"}': "1024",
        '"invocation_params": {"model": "gpt-4o", "max_tokens": 256}': "256",
        '"generationConfig": {"maxOutputTokens": 8192}': "8192",
        '"options": {"num_predict": 128}': "128",
    }
    for text, cap in written.items():
        m = re.search(OUTPUT_CAP, text)
        assert m is not None and m.group(1) == cap, text
    # No number, no cap: a null setting, a schema property, Ollama's -1 (no limit), a token count.
    for text in ('"max_tokens": null', '"max_tokens": {"type": "integer"}', '"num_predict": -1',
                 '"gen_ai.usage.output_tokens": 512', '"llm.token_count.completion": 512'):  # fmt: skip
        assert re.search(OUTPUT_CAP, text) is None, text


def _langfuse_run(tmp_path: Path, completion: int) -> list[str]:
    """A Langfuse export (``trace`` and its ``observations``): the OpenAI integration's GENERATION
    keeps the request's parameters in ``modelParameters`` and the usage in ``usage``."""
    tid = "5a0c2f7e-1b3d-4c5e-8f9a-0b1c2d3e4f50"
    trace = {"id": tid, "name": "extract-line-items", "timestamp": "2025-01-29T11:52:07.330Z", "sessionId": None,
             "input": {"args": ["INV-1"]}, "output": {"status": "ok"}, "metadata": None, "scores": []}  # fmt: skip

    def obs(oid: str, parent: str | None, type_: str, name: str, start: str, end: str, **kw: object) -> dict[str, object]:
        return {"id": oid, "traceId": tid, "parentObservationId": parent, "type": type_, "name": name,
                "startTime": f"2025-01-29T11:52:{start}Z", "endTime": f"2025-01-29T11:52:{end}Z", "level": "DEFAULT",
                "statusMessage": None, "model": None, "modelParameters": None,
                "usage": {"input": 0, "output": 0, "total": 0, "unit": "TOKENS"}, **kw}  # fmt: skip

    root = "70b41510-90f0-4a3f-89d4-ee867b026901"
    observations = [
        obs(root, None, "SPAN", "extract-line-items", "07.330", "31.910", input="INV-1", output="{'status': 'ok'}"),
        obs("6012889a-3db7-4a31-846a-c611f235fe01", root, "GENERATION", "OpenAI-generation", "12.540", "31.230",
            model="gpt-4-turbo-2024-04-09", modelParameters={"temperature": 0, "max_tokens": 1024},
            input=[{"role": "user", "content": "Extract every invoice line item as JSON."}],
            output={"role": "assistant", "content": '{"line_items": [{"sku": "BRK-1000", "qty": 1}'},
            usage={"input": 5210, "output": completion, "total": 5210 + completion, "unit": "TOKENS"}),
    ]  # fmt: skip
    path = tmp_path / "langfuse.json"
    path.write_text(json.dumps({"trace": trace, "observations": observations}))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_a_langfuse_generation_whose_output_reached_its_model_parameters_max_tokens_was_cut(tmp_path: Path) -> None:
    assert "context_overflow" in _langfuse_run(tmp_path, 1024)


def test_near_miss_a_langfuse_generation_under_its_max_tokens(tmp_path: Path) -> None:
    assert "context_overflow" not in _langfuse_run(tmp_path, 812)


def _langsmith_run(tmp_path: Path, completion: int) -> list[str]:
    """A LangSmith run tree: the ChatOpenAI run's ``extra.invocation_params`` hold the request's
    ``max_tokens`` (LangChain's BaseChatModel passes its _get_invocation_params to the callbacks),
    the run its ``completion_tokens``."""
    tid = "32a7cae9-df32-4560-8500-2635f5bf0001"
    llm = {
        "id": "200764ca-b6bc-4b02-81b9-ef9654a40001", "name": "ChatOpenAI", "run_type": "llm",
        "start_time": "2026-11-19T02:13:07.025000", "end_time": "2026-11-19T02:13:38.505000",
        "extra": {"invocation_params": {"model": "gpt-4o", "model_name": "gpt-4o", "max_tokens": 2048, "temperature": 0.0,
                                        "_type": "openai-chat"},
                  "metadata": {"ls_model_name": "gpt-4o", "ls_provider": "openai", "ls_model_type": "chat"}},
        "error": None, "inputs": {"messages": [[{"content": "Summarise the contract clauses."}]]},
        "outputs": {"generations": [[{"text": "1. Term: 24 months. 2. Liability: capped at"}]]},
        "parent_run_id": tid, "trace_id": tid, "status": "success",
        "prompt_tokens": 9100, "completion_tokens": completion, "child_runs": [],
    }  # fmt: skip
    root = {
        "id": tid, "name": "summarise_contract", "run_type": "chain", "start_time": "2026-11-19T02:13:07.010000",
        "end_time": "2026-11-19T02:13:39.000000", "extra": {}, "error": None, "inputs": {"doc": "msa.pdf"},
        "outputs": {"summary": "1. Term: 24 months. 2. Liability: capped at"}, "parent_run_id": None,
        "trace_id": tid, "status": "success", "child_runs": [llm],
    }  # fmt: skip
    path = tmp_path / "langsmith.json"
    path.write_text(json.dumps(root))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_a_langsmith_chat_run_whose_completion_reached_its_invocation_max_tokens_was_cut(tmp_path: Path) -> None:
    assert "context_overflow" in _langsmith_run(tmp_path, 2048)


def test_near_miss_a_langsmith_chat_run_under_its_max_tokens(tmp_path: Path) -> None:
    assert "context_overflow" not in _langsmith_run(tmp_path, 1530)
