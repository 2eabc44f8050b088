"""error_as_data: an empty reply of an endpoint its server marked deprecated, read as "none found".

The server's own headers say the endpoint is deprecated: ``Deprecation: @1754006400`` (RFC 9745),
``Sunset`` (RFC 8594), ``Link: <...>; rel="successor-version"``; a tool that returns the HTTP reply
with its headers hands them back beside the empty body (forensics/detectors/deprecated_replies.py).
The run's shape: a smolagents ToolCallingAgent whose tool returns the reply as its result
(src/smolagents/tools.py; openinference-instrumentation-smolagents ends the span OK with it).

Near misses: the successor queried after it; an answer that names the deprecation; a deprecated
endpoint that still returned data; an empty reply with no deprecation header (an honest "none").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import tool_steps_run

from forensics.classify import classify
from forensics.load import load

_TRACE = "dep0000000000000000000000000000a1"
V1 = {"path": "/v1/orders", "params": {"status": "delayed", "region": "EU"}}
V2 = {"path": "/v2/orders", "params": {"status": "delayed", "region": "EU"}}
HEADERS = {"Deprecation": "@1751328000", "Sunset": "Wed, 31 Dec 2025 23:59:59 GMT", "Link": '</v2/orders>; rel="successor-version"'}
EMPTY = json.dumps({"status": 200, "headers": HEADERS, "body": {"orders": [], "total": 0}})
FILLED = json.dumps({"status": 200, "headers": {}, "body": {"orders": [{"id": "PO-5512", "delay_days": 4}], "total": 1}})
CLAIM = "There are no delayed EU orders right now."


def _smol(tmp_path: Path, calls: list[tuple[str, dict[str, Any], str]], answer: str) -> pl.DataFrame:
    path = tmp_path / "smol_orders.json"
    path.write_text(json.dumps(tool_steps_run(_TRACE, "Which EU orders are delayed?", calls, answer, service="ops-desk", prefix="6")))
    return load(path).to_polars()


def _found(spans: pl.DataFrame) -> dict[str, str]:
    f = classify(spans).to_polars()[0]
    return dict(zip(f["detector"].to_list(), f["decisive_span_id"].to_list(), strict=True))


def test_deprecated_endpoints_empty_reply_read_as_none(tmp_path: Path) -> None:
    assert _found(_smol(tmp_path, [("orders_api_get", V1, EMPTY)], CLAIM)) == {"error_as_data": "c600000000000000"}


def test_near_miss_successor_queried_or_deprecation_told(tmp_path: Path) -> None:
    rerun = "One delayed EU order: PO-5512 (4 days late)."
    assert _found(_smol(tmp_path, [("orders_api_get", V1, EMPTY), ("orders_api_get", V2, FILLED)], rerun)) == {}
    told = "The /v1 orders endpoint is deprecated and returned nothing; I could not check delays there."
    assert _found(_smol(tmp_path, [("orders_api_get", V1, EMPTY)], told)) == {}
    still = json.dumps({"status": 200, "headers": HEADERS, "body": {"orders": [{"id": "PO-5512", "delay_days": 4}], "total": 1}})
    assert _found(_smol(tmp_path, [("orders_api_get", V1, still)], "One delayed EU order: PO-5512.")) == {}
    plain = json.dumps({"status": 200, "headers": {}, "body": {"orders": [], "total": 0}})
    assert _found(_smol(tmp_path, [("orders_api_get", V2, plain)], CLAIM)) == {}
