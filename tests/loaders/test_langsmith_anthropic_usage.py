"""LangSmith ``{post, patch}`` capture of a ChatAnthropic run: the tokens are read from the
LLMResult the patch carries.

Shape sources: langchain-ai/langchain ``libs/partners/anthropic/langchain_anthropic/chat_models.py``
(``_format_output``: ``llm_output`` is the Messages API response minus content/role/type, so its
``usage`` holds ``input_tokens``/``output_tokens`` and there is no ``token_usage``; the AIMessage gets
``usage_metadata``), and ``libs/core/langchain_core/tracers/base.py`` (``_complete_llm_run``: the
run's outputs are the ``LLMResult`` with each generation's message serialised by ``dumpd``, i.e.
``{lc, type: constructor, id, kwargs: {..., usage_metadata}}``). The post/patch envelope follows
``/work/shared/formats/langsmith/langsmith-sdk_py_wrap_openai_post_patch.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

RUN_ID = "5b0c1f7e-2d41-4c36-9a1e-0d6f3b8e9a21"


def _capture(outputs: dict[str, Any]) -> dict[str, Any]:
    post = {"id": RUN_ID, "trace_id": RUN_ID, "name": "ChatAnthropic", "run_type": "llm",
            "start_time": "2025-05-02T09:00:00.000000+00:00",
            "dotted_order": f"20250502T090000000000Z{RUN_ID}",
            "extra": {"metadata": {"ls_provider": "anthropic", "ls_model_name": "claude-3-5-haiku-20241022"},
                      "runtime": {"sdk": "langsmith-py"}},
            "inputs": {"messages": [[{"lc": 1, "type": "constructor",
                                      "id": ["langchain", "schema", "messages", "HumanMessage"],
                                      "kwargs": {"content": "Summarise the ticket.", "type": "human"}}]]},
            "session_name": "default", "tags": [], "events": [{"name": "start", "time": "2025-05-02T09:00:00.000000+00:00"}]}
    patch = {"id": RUN_ID, "trace_id": RUN_ID, "end_time": "2025-05-02T09:00:02.500000+00:00",
             "dotted_order": f"20250502T090000000000Z{RUN_ID}", "outputs": outputs, "error": None}
    return {"post": [post], "patch": [patch]}


def _message(usage: dict[str, Any] | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"content": "The customer was charged twice.", "additional_kwargs": {},
                              "response_metadata": {"id": "msg_01XFDUDYJgAACzvnptvVoYEL",
                                                    "model": "claude-3-5-haiku-20241022",
                                                    "stop_reason": "end_turn", "stop_sequence": None},
                              "type": "ai", "id": "run-5b0c1f7e-2d41-4c36-9a1e-0d6f3b8e9a21-0",
                              "tool_calls": [], "invalid_tool_calls": []}
    if usage is not None:
        kwargs["usage_metadata"] = usage
    return {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "AIMessage"],
            "kwargs": kwargs}


def _tokens(tmp_path: Path, outputs: dict[str, Any]) -> tuple[Any, Any]:
    f = tmp_path / "capture.json"
    f.write_text(json.dumps(_capture(outputs)))
    row = forensics.load(f).to_polars().row(0, named=True)
    return row["input_tokens"], row["output_tokens"]


def test_anthropic_usage_is_read_from_the_generations_message(tmp_path: Path) -> None:
    usage = {"input_tokens": 1203, "output_tokens": 88, "total_tokens": 1291,
             "input_token_details": {"cache_read": 0, "cache_creation": 0}}
    outputs = {"generations": [[{"text": "The customer was charged twice.", "generation_info": None,
                                 "type": "ChatGeneration", "message": _message(usage)}]],
               "llm_output": {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "model": "claude-3-5-haiku-20241022",
                              "stop_reason": "end_turn", "stop_sequence": None,
                              "usage": {"input_tokens": 1203, "output_tokens": 88},
                              "model_name": "claude-3-5-haiku-20241022"},
               "run": None, "type": "LLMResult"}
    assert _tokens(tmp_path, outputs) == (1203, 88)


def test_anthropic_llm_output_usage_alone_still_gives_tokens(tmp_path: Path) -> None:
    # An older langchain-anthropic (no usage_metadata on the message) still has the API's usage
    # in llm_output.
    outputs = {"generations": [[{"text": "ok", "type": "ChatGeneration", "message": _message(None)}]],
               "llm_output": {"model": "claude-3-5-haiku-20241022", "usage": {"input_tokens": 540, "output_tokens": 12}},
               "type": "LLMResult"}
    assert _tokens(tmp_path, outputs) == (540, 12)


def test_a_generation_with_no_usage_anywhere_leaves_tokens_null(tmp_path: Path) -> None:
    # Near-miss: nothing in the LLMResult names a count, so none is made up.
    outputs = {"generations": [[{"text": "ok", "type": "ChatGeneration", "message": _message(None)}]],
               "llm_output": {"model": "claude-3-5-haiku-20241022"}, "type": "LLMResult"}
    assert _tokens(tmp_path, outputs) == (None, None)
