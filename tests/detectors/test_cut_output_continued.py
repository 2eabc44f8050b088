"""A cut output the SDK continued lost nothing: no context_overflow.

The Vercel AI SDK's generateText with continueSteps (packages/ai/core/generate-text/generate-text.ts)
answers a step that finished with ``length`` and made no tool call with a ``continue`` step: the next
``ai.generateText.doGenerate`` under the same ``ai.generateText`` span, whose text is appended to the
cut one. Spans below in ReadableSpan.to_json() shape with the SDK's telemetry attributes. Near
misses: no continuation step (the output stays cut); the continuation was cut too; a tool call came
between (the cut step was not continued, the loop went on to the tool's result).
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

TRACE = "0x5b0c1beb0e23cd0ac04b3cdc7b315ce0"
ROOT = "1d0668c8e6b907f5"


def _span(sid: str, parent: str | None, name: str, start: int, attrs: dict[str, object]) -> dict[str, object]:
    return {
        "name": name,
        "context": {"trace_id": TRACE, "span_id": f"0x{sid}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL",
        "parent_id": f"0x{parent}" if parent else None,
        "start_time": f"2026-11-10T08:45:{start:02d}.000000Z", "end_time": f"2026-11-10T08:45:{start + 5:02d}.000000Z",
        "status": {"status_code": "UNSET"},
        "attributes": attrs, "events": [], "links": [],
        "resource": {"attributes": {"service.name": "release-notes"}, "schema_url": ""},
    }  # fmt: skip


def _step(sid: str, start: int, finish: str, prompt: int, completion: int) -> dict[str, object]:
    return _span(sid, ROOT, "ai.generateText.doGenerate", start, {
        "ai.operationId": "ai.generateText.doGenerate", "ai.model.id": "gpt-4o-mini", "ai.model.provider": "openai.chat",
        "ai.settings.maxTokens": 700, "ai.response.finishReason": finish, "ai.usage.promptTokens": prompt,
        "ai.usage.completionTokens": completion, "gen_ai.system": "openai.chat", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.max_tokens": 700, "gen_ai.response.finish_reasons": [finish],
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.usage.input_tokens": prompt,
        "gen_ai.usage.output_tokens": completion,
    })  # fmt: skip


def _tool(sid: str, start: int) -> dict[str, object]:
    return _span(sid, ROOT, "ai.toolCall", start, {
        "ai.operationId": "ai.toolCall", "ai.toolCall.name": "listMergedPRs", "ai.toolCall.id": "call_1",
        "ai.toolCall.args": "{}", "ai.toolCall.result": "[4121, 4125]",
    })  # fmt: skip


def _detectors(tmp_path: Path, steps: list[dict[str, object]]) -> list[str]:
    root = _span(ROOT, None, "ai.generateText", 0, {
        "ai.operationId": "ai.generateText", "ai.model.id": "gpt-4o-mini", "ai.settings.maxSteps": 4,
        "ai.prompt": json.dumps({"system": "Write release notes for the merged PRs.", "prompt": "PRs: #4121 #4125"}),
        "ai.response.finishReason": "stop", "ai.response.text": "## v5.12.0\n\n### Features\n- ...",
    })  # fmt: skip
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in [*steps, root]))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_a_cut_step_continued_to_a_normal_finish_is_no_overflow(tmp_path: Path) -> None:
    steps = [_step("a000000000000001", 10, "length", 4481, 700), _step("a000000000000002", 20, "stop", 4641, 477)]
    assert "context_overflow" not in _detectors(tmp_path, steps)


def test_near_miss_not_continued_continued_into_another_cut_or_past_a_tool_call(tmp_path: Path) -> None:
    cut = _step("a000000000000001", 10, "length", 4481, 700)
    assert "context_overflow" in _detectors(tmp_path, [cut])
    again = _step("a000000000000002", 20, "length", 4641, 700)
    assert "context_overflow" in _detectors(tmp_path, [cut, again])
    after_tool = [cut, _tool("b000000000000001", 16), _step("a000000000000002", 30, "stop", 4641, 477)]
    assert "context_overflow" in _detectors(tmp_path, after_tool)


# --- Anthropic through OpenInference: a prefilled continuation, or a new turn acting on the cut text ---
# openinference-instrumentation-anthropic (_wrappers.py) writes each request's messages flattened as
# llm.input_messages.<i>.message.role / .content and the Messages API response as output.value, its
# stop_reason "max_tokens" when the output hit the request's cap (anthropic-sdk-python types/message.py).
# Anthropic's continuation sends the cut text back as the last assistant turn (a prefill) for the model
# to go on from; a request that ends on a new user turn asks something else.

OI_TRACE = "7e1f0c2a9b3d4e5f8a6b1c2d3e4f5a6b"
OI_ROOT = "9a0b1c2d3e4f5a6b"


def _oi(sid: str, kind: str, name: str, start: int, attrs: dict[str, object]) -> dict[str, object]:
    return {
        "name": name, "context": {"trace_id": OI_TRACE, "span_id": sid}, "span_kind": kind,
        "parent_id": None if sid == OI_ROOT else OI_ROOT,
        "start_time": f"2026-10-02T14:20:{start:02d}.000000+00:00", "end_time": f"2026-10-02T14:20:{start + 4:02d}.000000+00:00",
        "status_code": "OK", "status_message": "", "attributes": {"openinference.span.kind": kind, **attrs}, "events": [],
    }  # fmt: skip


def _claude(sid: str, start: int, roles: list[str], stop: str, completion: int, content: list[dict[str, object]]) -> dict[str, object]:
    prompt = 1800 + 1400 * (len(roles) - 2)  # each later request also carries the turns before it
    turns: dict[str, object] = {}
    for i, role in enumerate(roles):
        turns[f"llm.input_messages.{i}.message.role"] = role
        turns[f"llm.input_messages.{i}.message.content"] = f"turn {i}"
    out = {"id": f"msg_{sid}", "type": "message", "role": "assistant", "content": content, "stop_reason": stop,
           "usage": {"input_tokens": prompt, "output_tokens": completion}}
    return _oi(sid, "LLM", "Messages", start, {
        "llm.provider": "anthropic", "llm.system": "anthropic", "llm.model_name": "claude-sonnet-4-20250514",
        "llm.invocation_parameters": json.dumps({"max_tokens": 2048}), **turns,
        "output.value": json.dumps(out), "output.mime_type": "application/json",
        "llm.token_count.prompt": prompt, "llm.token_count.completion": completion,
    })  # fmt: skip


def _oi_detectors(tmp_path: Path, spans: list[dict[str, object]]) -> list[str]:
    root = _oi(OI_ROOT, "AGENT", "changelog_writer", 0, {
        "input.value": "Write the 4.2 changelog and post it to the docs site.", "output.value": "Posted the 4.2 changelog.",
    })  # fmt: skip
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in [*spans, root]))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


CUT_TEXT = [{"type": "text", "text": "# 4.2 changelog\n\n## Breaking\n- The `sync` command now"}]
CUT = _claude("c000000000000001", 2, ["system", "user"], "max_tokens", 2048, CUT_TEXT)
POST = _oi("d000000000000001", "TOOL", "post_docs_page", 14, {
    "tool.name": "post_docs_page", "input.value": json.dumps({"body": CUT_TEXT[0]["text"]}),
    "output.value": json.dumps({"id": "p-31", "status": "published"}),
})  # fmt: skip


def test_a_new_user_turn_that_posts_the_cut_text_is_no_continuation(tmp_path: Path) -> None:
    use = [{"type": "tool_use", "id": "toolu_1", "name": "post_docs_page", "input": {"body": CUT_TEXT[0]["text"]}}]
    post_it = _claude("c000000000000002", 8, ["system", "user", "assistant", "user"], "tool_use", 120, use)
    assert "context_overflow" in _oi_detectors(tmp_path, [CUT, post_it, POST])


def test_near_miss_a_prefilled_continuation_or_a_new_turn_with_no_tool_lost_nothing(tmp_path: Path) -> None:
    rest = [{"type": "text", "text": " syncs only changed files.\n\n## Fixes\n- ..."}]
    prefill = _claude("c000000000000002", 8, ["system", "user", "assistant"], "end_turn", 300, rest)
    assert "context_overflow" not in _oi_detectors(tmp_path, [CUT, prefill])
    # "continue" as a user turn, answered in text: the caller asked for the rest, nothing acted on the cut.
    go_on = _claude("c000000000000002", 8, ["system", "user", "assistant", "user"], "end_turn", 300, rest)
    assert "context_overflow" not in _oi_detectors(tmp_path, [CUT, go_on])
