"""mlflow: a LangChain-autolog model call's model, from the callback's keyword arguments.

MLflow's LangChain tracer records a chat model's ``on_chat_model_start`` keyword arguments as the
CHAT_MODEL span's attributes (mlflow/mlflow mlflow/langchain/langchain_tracer.py: ``attributes=kwargs``,
with ``kwargs.update({"metadata": metadata})``): LangChain's ``invocation_params`` (the model's request
parameters: ``model``, ``model_name``, Bedrock's ``model_id``) and the run's ``metadata``, whose
``ls_model_name`` LangChain's ``BaseChatModel._get_ls_params`` fills. No ``mlflow.llm.model`` key is set
there, so the model was only in those.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import forensics

_TRACE = "5a6b7c8d9e0f11223344556677889900"


def _id(n: int) -> str:
    return base64.b64encode(n.to_bytes(8, "big")).decode()


def _span(n: int, parent: int | None, name: str, span_type: str, **attributes: Any) -> dict[str, Any]:
    attrs = {"mlflow.traceRequestId": json.dumps("tr-" + _TRACE), "mlflow.spanType": json.dumps(span_type)}
    attrs.update({k: json.dumps(v) for k, v in attributes.items()})
    return {"trace_id": base64.b64encode(bytes.fromhex(_TRACE)).decode(), "span_id": _id(n),
            "parent_span_id": _id(parent) if parent is not None else None, "name": name,
            "start_time_unix_nano": 1751371200_000000000 + n * 1_000_000_000,
            "end_time_unix_nano": 1751371200_000000000 + (n + 1) * 1_000_000_000,
            "events": [], "status": {"code": "STATUS_CODE_OK", "message": ""}, "attributes": attrs}  # fmt: skip


def _models(tmp_path: Path, **model_attrs: Any) -> dict[str, str | None]:
    spans = [
        _span(1, None, "RunnableSequence", "CHAIN", **{"mlflow.spanInputs": {"question": "Is invoice 7 right?"}}),
        _span(2, 1, "ChatBedrock", "CHAT_MODEL", **model_attrs),
        _span(3, 1, "format_answer", "CHAIN", invocation_params={"model": "not-a-model-call"}),
    ]
    doc = {"info": {"trace_id": "tr-" + _TRACE, "state": "OK", "request_time": "2025-07-01T12:00:00.000Z",
                    "trace_metadata": {"mlflow.trace_schema.version": "3"}, "tags": {}, "assessments": []},
           "data": {"spans": spans}}  # fmt: skip
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(doc))
    result = forensics.load(path)
    assert result.report.files[0].format == "mlflow"
    return {r["name"]: r["model"] for r in result.spans.to_pylist()}


def test_the_model_of_a_chat_model_span_comes_from_its_invocation_params(tmp_path: Path) -> None:
    models = _models(tmp_path, invocation_params={"model_id": "anthropic.claude-3-5-sonnet", "temperature": 0},
                     metadata={"ls_provider": "amazon_bedrock", "ls_model_name": "claude-alias"})  # fmt: skip
    # The request's own name first, over LangChain's tracing metadata.
    assert models["ChatBedrock"] == "anthropic.claude-3-5-sonnet"


def test_the_model_falls_back_to_the_run_metadata_ls_model_name(tmp_path: Path) -> None:
    models = _models(tmp_path, invocation_params={"temperature": 0}, metadata={"ls_model_name": "gpt-4.1-mini"})
    assert models["ChatBedrock"] == "gpt-4.1-mini"


def test_near_miss_a_chain_span_with_invocation_params_is_no_model_call(tmp_path: Path) -> None:
    models = _models(tmp_path, metadata={"ls_provider": "openai"})
    # Neither key names a model on the model call; the chain's parameters name none of its own.
    assert models["ChatBedrock"] is None and models["format_answer"] is None
