"""MLflow autologging names a model call's model by its request: the ``model`` argument in the inputs.

MLflow's OpenAI and Anthropic autologging trace ``create(**kwargs)``, and the span's inputs are those
keyword arguments ({"model": "gpt-4o-2024-08-06", "messages": [...]}); no ``model`` attribute is
written. With the model unnamed, a primary model that answered 529 and the other model the app then
called looked like one model called twice, and the fallback that answered was not seen: the 529
became a swallowed error in a clean run. Near miss: the primary fails and no other model is called,
yet the run reports success.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

T = 1761763267_600_000_000
OVERLOADED = "anthropic.InternalServerError: Error code: 529 - overloaded_error"


def _span(sid: str, parent: str | None, name: str, kind: str, start: float, end: float, inputs: object,
          outputs: object = None, error: str | None = None) -> dict[str, object]:
    attrs = {"mlflow.spanType": json.dumps(kind), "mlflow.spanInputs": json.dumps(inputs)}
    if outputs is not None:
        attrs["mlflow.spanOutputs"] = json.dumps(outputs)
    return {"trace_id": "CvdlGRbNQ92ESOshHIAxnA==", "span_id": sid, "parent_span_id": parent, "name": name,
            "start_time_unix_nano": T + int(start * 1e9), "end_time_unix_nano": T + int(end * 1e9),
            "events": [], "attributes": attrs,
            "status": {"code": "STATUS_CODE_ERROR", "message": error} if error else {"code": "STATUS_CODE_OK", "message": ""}}


def _trace(tmp_path: Path, fallback: bool) -> tuple[list[str | None], set[str]]:
    msgs = [{"role": "user", "content": "Draft a reply using kb-1182"}]
    spans = [
        _span("AAAAAAAAAAE=", None, "reply_drafter", "AGENT", 0, 4, {"ticket": "ZD-451002"}, "Draft saved for review."),
        _span("AAAAAAAAAAI=", "AAAAAAAAAAE=", "Messages", "CHAT_MODEL", 0.3, 1.2,
              {"model": "claude-3-5-sonnet-20241022", "messages": msgs}, error=OVERLOADED),
    ]
    if fallback:
        spans.append(_span("AAAAAAAAAAM=", "AAAAAAAAAAE=", "Completions", "CHAT_MODEL", 1.3, 3.3,
                           {"model": "gpt-4o-2024-08-06", "messages": msgs}, {"choices": [{"message": {"content": "Hi!"}}]}))
    trace = {"info": {"trace_id": "tr-0af7651916cd43dd8448eb211c80319c", "state": "OK", "trace_metadata": {}, "tags": {}},
             "data": {"spans": spans}}
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(trace))
    spans_table = forensics.load(path).spans
    findings, _ = forensics.classify(spans_table).to_polars()
    models = [m for m, k in zip(spans_table.column("model").to_pylist(), spans_table.column("kind").to_pylist(), strict=True) if k == "llm"]
    return models, set(findings["detector"].to_list())


def test_the_fallback_model_that_answered_recovers_the_primarys_529(tmp_path: Path) -> None:
    models, found = _trace(tmp_path, fallback=True)
    assert sorted(m or "" for m in models) == ["claude-3-5-sonnet-20241022", "gpt-4o-2024-08-06"]
    assert "swallowed_error" not in found


def test_near_miss_no_other_model_was_called_and_success_was_reported(tmp_path: Path) -> None:
    models, found = _trace(tmp_path, fallback=False)
    assert models == ["claude-3-5-sonnet-20241022"]
    assert "swallowed_error" in found
