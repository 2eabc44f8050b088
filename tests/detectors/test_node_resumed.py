"""redo_after_restart and LangGraph's resume: a thread resumed after an error replays the node where
execution stopped from its first line (LangGraph docs, durable execution: "StateGraph: the beginning
of the node where execution stopped"). The reads that node made before the failed call are made
again by design; a restart from scratch, or a side effect redone, is still a redo."""

from __future__ import annotations

from span_builder import concat, findings, span, spans

from forensics.classify import classify

_T = '{"order": "A-1"}'
_TIMEOUT = {"status": "error", "error_type": "ReadTimeout", "error_message": "ReadTimeout: read timed out"}


def _first_run(*, charged: bool = False):
    """Run 1 of thread th-1: node validate completes; node fulfil reads the order (and, with
    ``charged``, charges the card), then create_shipment times out and the node and graph fail."""
    rows = [
        span("g1", 0, 20, kind="chain", name="LangGraph", session_id="th-1", input=_T, **_TIMEOUT),
        span("v1", 1, 3, parent_id="g1", kind="chain", name="validate", session_id="th-1"),
        span("vt", 1.5, 2, parent_id="v1", kind="tool", tool="check_address", input=_T, output='{"ok": true}', session_id="th-1"),
        span("n1", 4, 19, parent_id="g1", kind="chain", name="fulfil", session_id="th-1", **_TIMEOUT),
        span("t1", 5, 6, parent_id="n1", kind="tool", tool="get_order", input=_T, output='{"status": "paid"}', session_id="th-1"),
    ]  # fmt: skip
    if charged:
        rows.append(span("c1", 7, 8, parent_id="n1", kind="tool", tool="send_email", input=_T,
                         output='{"message_id": "m-1"}', session_id="th-1"))  # fmt: skip
    rows.append(span("t2", 9, 18, parent_id="n1", kind="tool", tool="create_shipment", input=_T, session_id="th-1", **_TIMEOUT))
    return spans(*rows, run_id="run1")


def _second_run(*, from_scratch: bool = False, charged: bool = False):
    """Run 2 of the same thread: resumed (starts at node fulfil) or, with ``from_scratch``,
    re-invoked with the original input (validate runs again first)."""
    rows = [span("g2", 60, 80, kind="chain", name="LangGraph", session_id="th-1", input=_T, output="shipped")]
    if from_scratch:
        rows += [
            span("v2", 61, 62, parent_id="g2", kind="chain", name="validate", session_id="th-1"),
            span("vu", 61.2, 61.5, parent_id="v2", kind="tool", tool="check_address", input=_T, output='{"ok": true}', session_id="th-1"),
        ]  # fmt: skip
    rows += [
        span("n2", 63, 79, parent_id="g2", kind="chain", name="fulfil", session_id="th-1"),
        span("u1", 64, 65, parent_id="n2", kind="tool", tool="get_order", input=_T, output='{"status": "paid"}', session_id="th-1"),
    ]  # fmt: skip
    if charged:
        rows.append(span("c2", 66, 67, parent_id="n2", kind="tool", tool="send_email", input=_T,
                         output='{"message_id": "m-2"}', session_id="th-1"))  # fmt: skip
    rows.append(span("u2", 70, 71, parent_id="n2", kind="tool", tool="create_shipment", input=_T,
                     output='{"shipment": "S-9"}', session_id="th-1"))  # fmt: skip
    return spans(*rows, run_id="run2")


def _redo(c) -> list[dict]:
    return [f for f in findings(c, "redo_after_restart") if f["run_id"] == "run2"]


def test_redo_after_restart_near_miss_a_resumed_node_rereads_what_it_read_before_failing() -> None:
    # Run 2 starts at fulfil, the node that failed, and reads the order again before the shipment.
    assert _redo(classify(concat(_first_run(), _second_run()))) == []


def test_redo_after_restart_fires_when_the_thread_restarted_from_scratch() -> None:
    # validate had completed in run 1; run 2 ran it again: the graph was restarted, not resumed.
    (f,) = _redo(classify(concat(_first_run(), _second_run(from_scratch=True))))
    assert f["decisive_span_id"] == "vu"


def test_redo_after_restart_fires_on_a_side_effect_the_resumed_node_made_again() -> None:
    # The e-mail sent before the timeout is sent a second time when the node replays.
    (f,) = _redo(classify(concat(_first_run(charged=True), _second_run(charged=True))))
    assert f["decisive_span_id"] == "c2"
