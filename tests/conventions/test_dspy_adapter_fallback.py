"""DSPy's ChatAdapter falls back to JSONAdapter when its parse fails.

stanfordnlp/dspy dspy/adapters/chat_adapter.py ``ChatAdapter.__call__``: ``try: return
super().__call__(...) except Exception as e: if isinstance(e, ContextWindowExceededError): raise e;
return JSONAdapter()(lm, lm_kwargs, signature, demos, inputs)``. The OpenInference DSPy instrumentor
(openinference-instrumentation-dspy ``_AdapterCallWrapper``) wraps only the base ``Adapter.__call__``
and names its span ``<class>.__call__``: the ChatAdapter span has ended in error (its parse raised
``AdapterParseError``) when the override calls JSONAdapter, so the ``JSONAdapter.__call__`` span is
its next sibling under the same ``Predict(...).forward`` span, and the Predict span ends OK.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.base import prepare
from forensics.detectors.handling import failure_handling
from forensics.policy import resolve_policy

_PARSE = "dspy.utils.exceptions.AdapterParseError"
_Q = '{"request": "Hold a room near the venue for 2 nights, budget 150 EUR"}'


def _predict(pid: str, t: float, *, parent: str = "root", chat_fails: bool = False,
             json_adapter: str | None = None, status: str = "ok", chat: bool = True) -> list[dict[str, object]]:
    """One ReAct step: the Predict span, its ChatAdapter call (unless ``chat`` is False: a
    predictor configured with JSONAdapter) and (``json_adapter`` = 'ok' or 'error') the JSONAdapter
    call after it."""
    err = {"status": "error", "error_type": _PARSE,
           "error_message": "Adapter ChatAdapter failed to parse the LM response."}
    rows = [
        span(pid, t, t + 5, parent_id=parent, kind="chain", name="Predict(StringSignature).forward",
             status=status, **({"error_type": _PARSE} if status == "error" else {})),
    ]
    if chat:
        rows += [
            span(f"{pid}c", t + 0.1, t + 2, parent_id=pid, kind="chain", name="ChatAdapter.__call__",
                 **(err if chat_fails else {})),
            span(f"{pid}m", t + 0.2, t + 1.9, parent_id=f"{pid}c", kind="llm", name="LM.__call__",
                 model="gpt-4o-mini"),
        ]
    if json_adapter:
        rows += [
            span(f"{pid}j", t + 2.1, t + 4.8, parent_id=pid, kind="chain", name="JSONAdapter.__call__",
                 **(err | {"error_message": "Adapter JSONAdapter failed to parse the LM response."}
                    if json_adapter == "error" else {})),
            span(f"{pid}n", t + 2.2, t + 4.7, parent_id=f"{pid}j", kind="llm", name="LM.__call__", model="gpt-4o-mini"),
        ]
    return rows


def _react(*steps: list[dict[str, object]], status: str = "ok") -> list[dict[str, object]]:
    return [
        span("root", 0, 40, kind="chain", name="ReAct.forward", input=_Q, status=status,
             output='{"answer": "Held room HX-4411 at Hotel Tivoli for 2 nights."}' if status == "ok" else None,
             **({"error_type": _PARSE} if status == "error" else {})),
        *[row for step in steps for row in step],
        span("t1", 30, 31, parent_id="root", kind="tool", name="Tool.__call__", tool="hold_room",
             input='{"hotel": "Tivoli", "nights": 2}', output='{"hold_id": "HX-4411"}'),
    ]


def _handled(rows: list[dict[str, Any]], span_id: str) -> tuple[str | None, str | None]:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return {d["span_id"]: (d["handled_by"], d["handled_span_id"]) for d in failure_handling(ctx).to_dicts()}[span_id]


def test_json_adapter_after_a_failed_chat_adapter_is_its_fallback() -> None:
    rows = _react(_predict("p1", 1, chat_fails=True, json_adapter="ok"))
    found = detectors(run(*rows))
    assert "swallowed_error" not in found
    assert "unhandled_error" not in found
    assert _handled(rows, "p1c") == ("fallback", "p1j")


def test_near_miss_a_json_adapter_call_of_another_predict_is_no_fallback() -> None:
    # The failed ChatAdapter span's own Predict has no JSONAdapter after it; a later Predict
    # configured with JSONAdapter answered another step: the failure stays unrecovered.
    later = _predict("p2", 10, json_adapter="ok", chat=False)
    found = detectors(run(*_react(_predict("p1", 1, chat_fails=True), later)))
    assert "swallowed_error" in found


def test_near_miss_the_fallback_failed_too() -> None:
    # JSONAdapter re-raises its own parse error (no fallback of a fallback): the ChatAdapter
    # failure is not recovered by it, and the Predict and ReAct spans end in error.
    rows = _react(_predict("p1", 1, chat_fails=True, json_adapter="error", status="error"), status="error")
    assert _handled(rows[:-1], "p1c")[0] != "fallback"
