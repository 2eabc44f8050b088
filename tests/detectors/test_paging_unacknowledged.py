"""A page opened through an alerting API and polled, never acknowledged: unacknowledged_escalation.

An on-call agent triggers a PagerDuty incident through the Events API v2 (POST
https://events.pagerduty.com/v2/enqueue; the 202 answer names no state: {"status": "success",
"message": "Event processed", "dedup_key": ...}) or creates an Opsgenie alert (answer {"result":
"Request will be processed", "requestId": ...}), then polls the incident (REST ``GET
/incidents/{id}``: ``status`` triggered until someone acknowledges) or the alert (``data.acknowledged``
false), and ends as if handed off. The page is the escalation (the decisive span); the polls are
waiting on it, not a repeated action. The near miss: a later poll finds it acknowledged.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, findings, one, run, span

PD_ACCEPTED = json.dumps({"status": "success", "message": "Event processed", "dedup_key": "srv01/checkout"})
OG_QUEUED = json.dumps({"result": "Request will be processed", "took": 0.302, "requestId": "43a29c5c-3dbf"})


def _incident(status: str) -> str:
    return json.dumps({"incident": {"id": "Q2K7XYZ", "incident_number": 1234, "status": status,
                                    "incident_key": "srv01/checkout", "title": "checkout 5xx"}})


def _alert(acknowledged: bool) -> str:
    return json.dumps({"data": {"id": "70413a06-38d6", "tinyId": "1791", "alias": "checkout-down",
                                "status": "open", "acknowledged": acknowledged, "isSeen": True},
                       "took": 0.003, "requestId": "8e3d5c7f"})


def _tool(span_id: str, t: float, tool: str, args: dict[str, Any], result: str, **kw: Any) -> dict[str, Any]:
    return span(span_id, t, t + 1, parent_id="root", kind="tool", tool=tool, name=tool, agent="sre",
                input=json.dumps(args), output=result, **kw)


def _http(span_id: str, t: float, method: str, url: str, body: str | None = None, parent: str = "root") -> dict[str, Any]:
    attrs = {"http.request.method": method, "url.full": url, "http.response.status_code": 200}
    return span(span_id, t, t + 0.5, parent_id=parent, kind="unknown", name=method,
                attributes=json.dumps(attrs), output=body)


def _run(*work: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        span("root", 0, 1000, kind="agent", agent="sre", name="sre agent", output="Escalated to on-call."),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="sre", output=""),
        *work,
        span("l2", 900, 901, parent_id="root", kind="llm", model="gpt-4o", agent="sre", output="Escalated to on-call."),
    ]


def _pagerduty(last: str) -> list[dict[str, Any]]:
    polls = [_tool(f"g{i}", 100 + 200 * i, "get_incident", {"incident_id": "Q2K7XYZ"}, _incident("triggered"))
             for i in range(3)]
    polls[-1]["output"] = _incident(last)
    return _run(_tool("p", 3, "trigger_pagerduty_incident", {"summary": "checkout 5xx", "severity": "critical"},
                      PD_ACCEPTED), *polls)


def test_an_events_api_page_polled_while_triggered_is_unacknowledged() -> None:
    c = run(*_pagerduty("triggered"))
    f = one(c, "unacknowledged_escalation")
    assert f["decisive_span_id"] == "p"
    # The polls wait on the page: no repeated action.
    assert "repeated_action" not in detectors(c)


def test_an_events_api_page_acknowledged_on_a_later_poll_is_taken() -> None:
    assert detectors(run(*_pagerduty("acknowledged"))) == set()


def test_an_events_api_acknowledge_event_opens_no_page() -> None:
    rows = _run(_tool("p", 3, "acknowledge_pagerduty_incident", {"dedup_key": "srv01/checkout"}, PD_ACCEPTED))
    assert "unacknowledged_escalation" not in detectors(run(*rows))


def _opsgenie(acknowledged: bool) -> list[dict[str, Any]]:
    polls = [_tool(f"g{i}", 100 + 200 * i, "opsgenie_get_alert", {"identifier": "checkout-down", "identifierType": "alias"},
                   _alert(False)) for i in range(3)]
    polls[-1]["output"] = _alert(acknowledged)
    return _run(_tool("p", 3, "create_alert", {"message": "checkout 5xx", "alias": "checkout-down", "priority": "P1"},
                      OG_QUEUED), *polls)


def test_an_opsgenie_alert_read_back_unacknowledged_is_unacknowledged() -> None:
    c = run(*_opsgenie(False))
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "p"
    assert "repeated_action" not in detectors(c)


def test_an_opsgenie_alert_read_back_acknowledged_is_taken() -> None:
    assert detectors(run(*_opsgenie(True))) == set()


def _by_http(last: str | None, caller: str = "notify_incident_channel") -> list[dict[str, Any]]:
    polls = [_http(f"h{i}", 100 + 200 * i, "GET", "https://api.pagerduty.com/incidents/Q2K7XYZ",
                   None if last is None else _incident("triggered")) for i in range(2, 5)]
    if last is not None:
        polls[-1]["output"] = _incident(last)
    return _run(
        _tool("t", 3, caller, {"text": "checkout 5xx"}, "ok"),
        _http("h1", 3.2, "POST", "https://events.pagerduty.com/v2/enqueue", parent="t"),
        *polls,
    )


def test_a_page_sent_as_an_http_request_and_never_acknowledged_is_unacknowledged() -> None:
    for last in ("triggered", None):
        f = one(run(*_by_http(last)), "unacknowledged_escalation")
        assert f["decisive_span_id"] == "t", last


def test_a_page_sent_as_an_http_request_acknowledged_later_is_taken() -> None:
    assert findings(run(*_by_http("acknowledged")), "unacknowledged_escalation") == []


def test_an_http_request_made_to_resolve_an_alert_is_no_page() -> None:
    assert findings(run(*_by_http(None, caller="resolve_incident")), "unacknowledged_escalation") == []


def test_a_page_by_a_tool_named_for_pagerduty_that_answers_in_words_is_an_escalation() -> None:
    # pagerduty_create_incident, trigger_incident: the policy's escalation names, dotted or not.
    for tool in ("pagerduty_create_incident", "trigger_incident"):
        rows = _run(_tool("p", 3, tool, {"title": "checkout 5xx", "urgency": "high"}, "Incident Q2K7XYZ created."))
        assert one(run(*rows), "unacknowledged_escalation")["decisive_span_id"] == "p", tool
        acked = _run(_tool("p", 3, tool, {"title": "checkout 5xx", "urgency": "high"}, "Incident Q2K7XYZ created."),
                     _tool("g", 200, "get_incident", {"incident_id": "Q2K7XYZ"}, _incident("acknowledged")))
        assert "unacknowledged_escalation" not in detectors(run(*acked)), tool


def test_a_page_request_made_outside_any_tool_is_the_escalation_itself() -> None:
    rows = _run(_http("h1", 3.2, "POST", "https://api.opsgenie.com/v2/alerts", body=OG_QUEUED))
    assert one(run(*rows), "unacknowledged_escalation")["decisive_span_id"] == "h1"
