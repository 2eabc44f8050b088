"""A create that found its object there returned it: "created": false beside the object's id.

Django's QuerySet.get_or_create returns (object, created), created False when the object already
existed, and upserting APIs answer the same way ({"id": ..., "created": false}). The object the call
was to create exists: the result is no write that did not happen (NOT_DONE_FLAG), unless the id is
missing or another flag says the write failed.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy


def _onboard(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        span("root", 0, 10, kind="agent", agent="onboard", name="invoke_agent onboard", input="onboard kim@x.example",
             output="Kim's account is ready and the workspace is provisioned."),
        span("l1", 0.1, 1, parent_id="root", kind="llm", model="gpt-4o", agent="onboard", output=""),
        span("t1", 1.1, 2, parent_id="root", kind="tool", tool="create_account", agent="onboard",
             input='{"email": "kim@x.example"}', output=json.dumps(result)),
        span("l2", 2.1, 3, parent_id="root", kind="llm", model="gpt-4o", agent="onboard", output=""),
        span("t2", 3.1, 4, parent_id="root", kind="tool", tool="provision_workspace", agent="onboard",
             input='{"account_id": "acc_1"}', output='{"workspace_id": "ws_1"}'),
    ]


def _shaped(rows: list[dict[str, Any]]) -> bool:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return bool(ctx.spans.filter(pl.col("span_id") == "t1").get_column("error_shaped").item())


def test_an_existing_object_returned_by_a_create_is_no_failed_write() -> None:
    # Firing (of the exception): the object's id beside created false.
    for result in ({"account_id": "acc_1", "created": False, "note": "existing account returned"},
                   {"id": 42, "created": False}):
        rows = _onboard(result)
        assert _shaped(rows) is False, result
        assert "error_as_data" not in detectors(run(*rows)), result


def test_created_false_with_no_object_or_another_failed_flag_is_still_a_failed_write() -> None:
    # Near-miss: no id (or a null one), or the same answer saying the e-mail was not sent.
    for result in ({"created": False, "reason": "quota exceeded"}, {"account_id": None, "created": False},
                   {"account_id": "acc_1", "created": False, "sent": False}):
        rows = _onboard(result)
        assert _shaped(rows) is True, result
        assert "error_as_data" in detectors(run(*rows)), result


def test_created_false_saying_the_object_already_exists_is_no_failed_write() -> None:
    # Firing (of the exception): the object named under its own key, and the result's words say it
    # was already there (an idempotent create the run called again).
    for result in ({"workspace": "ws_1", "created": False, "note": "already exists"},
                   {"account": "kim@x.example", "created": False, "status": "already_exists"}):
        rows = _onboard(result)
        assert _shaped(rows) is False, result
        assert "error_as_data" not in detectors(run(*rows)), result


def test_created_false_with_words_that_are_no_existence_is_still_a_failed_write() -> None:
    # Near-misses: the words say something else ("does not exist", a failure), no id beside them.
    for result in ({"workspace": "ws_1", "created": False, "note": "parent org does not exist"},
                   {"workspace": "ws_1", "created": False, "note": "quota exceeded"}):
        rows = _onboard(result)
        assert _shaped(rows) is True, result
        assert "error_as_data" in detectors(run(*rows)), result
