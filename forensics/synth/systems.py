"""The production-like agent systems the generator writes traffic for (a support desk, a travel
booker, accounts payable, a coding team, a research desk): each an orchestrator, its sub-agents with
their models, retrievers and tools, what it delivers and claims, and its irreversible action.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import orjson

_DUMPS = orjson.dumps

#: The shipped policy's default read-only and side-effecting verbs (forensics/policy.toml `[tools]`):
#: a redo that repeats a side-effecting call successfully is also a duplicate side effect in the session
#: (generator), a read that failed before such a call was acted past (injectors).
_READ_ONLY: Final = re.compile(
    r"(?i)(^|[^a-z])(get|list|search|read|fetch|lookup|query|describe|check|find|view|show|retrieve|count|status|"
    r"preview|validate|verify|calculate|estimate)([^a-z]|$)"
)


_SIDE_EFFECTING: Final = re.compile(
    r"(^|[^a-zA-Z])(?i:send|post|place|create|update|write|insert|put|patch|delete|remove|charge|refund|pay|"
    r"deploy|book|cancel|submit|publish|notify|email|upsert|drop|truncate|transfer_funds|wire|reserve|append|"
    r"upload|merge|open_pr|commit|void|freeze)(s|es|ed|ing|ment|ments)?([^a-z]|$)"
)


def acts(tool: str) -> bool:
    """The tool's name says it has a side effect and does not say it only reads."""
    return bool(_SIDE_EFFECTING.search(tool)) and not _READ_ONLY.search(tool)


def reads(tool: str) -> bool:
    """The tool's name says it only reads (what ``tools.read_only`` matches)."""
    return bool(_READ_ONLY.search(tool))



@dataclass(frozen=True)
class Tool:
    name: str
    args: Callable[[int], dict[str, Any]]
    result: str  # JSON text, pre-rendered once
    #: What the tool's definition says it does, recorded on its span as ``gen_ai.tool.description``
    #: (Google ADK's trace_tool_call): a money move's says it cannot be undone, the evidence
    #: unguarded_irreversible needs beyond the name (detectors/irreversible_evidence.py).
    description: str | None = None


@dataclass(frozen=True)
class SubAgent:
    name: str
    model: str
    tools: tuple[Tool, ...]
    retriever: Tool | None = None


@dataclass(frozen=True)
class System:
    service: str
    orchestrator: str
    model: str
    question: Callable[[int], str]
    subs: tuple[SubAgent, ...]
    delivery: Tool  # side-effecting, the step that delivers the result
    claim: str  # what the final answer says once the delivery happened
    irreversible: Tool


def _t(name: str, args: Callable[[int], dict[str, Any]], result: Any, description: str | None = None) -> Tool:
    return Tool(name, args, _DUMPS(result).decode(), description)


SYSTEMS: Final = (
    System(
        "support-desk",
        "support_router",
        "gpt-4o",
        lambda n: f"Customer C-{n}: I was charged twice this month, please fix it.",
        (
            SubAgent("crm_agent", "gpt-4o-mini", (
                _t("crm.lookup", lambda n: {"customer_id": f"C-{n}"}, {"plan": "Pro", "status": "active", "seats": 12}),
                _t("crm.get_history", lambda n: {"customer_id": f"C-{n}", "days": 30}, {"tickets": 2, "last": "billing"}),
            )),
            SubAgent("billing", "gpt-4o-mini", (
                _t("billing.list_invoices", lambda n: {"customer_id": f"C-{n}", "months": 2}, {"invoices": ["INV-1", "INV-2"]}),
                _t("billing.get_payment", lambda n: {"invoice": f"INV-{n}"}, {"amount": 49.0, "status": "settled"}),
            )),
            SubAgent("kb_agent", "claude-3-5-haiku-20241022", (
                _t("kb.get_article", lambda n: {"id": "kb-214"}, {"title": "Duplicate charges", "words": 640}),
            ), _t("kb.search", lambda n: {"query": "duplicate charge refund policy", "top_k": 4}, [{"id": "kb-214", "score": 0.81}])),
        ),
        _t("email.send", lambda n: {"to": f"customer:C-{n}", "template": "case_update"}, {"message_id": "<m1@mail>", "accepted": True}),
        "I've emailed you the case update.",
        _t("stripe.refunds.create", lambda n: {"payment_intent": f"pi_{n}", "amount": 4900}, {"status": "succeeded"}),
    ),
    System(
        "travel-booker",
        "travel_planner",
        "gpt-4.1",
        lambda n: f"Trip #{n}: Boston to Lisbon in March for two, hotel near Alfama.",
        (
            SubAgent("flight_agent", "gpt-4.1-mini", (
                _t("flights.search", lambda n: {"from": "BOS", "to": "LIS", "trip": n}, {"offers": 14, "best": "TP218"}),
                _t("flights.hold", lambda n: {"offer": "TP218", "trip": n}, {"hold_id": "H-1", "expires": "24h"}),
            )),
            SubAgent("hotel_agent", "gpt-4.1-mini", (
                _t("hotels.search", lambda n: {"city": "Lisbon", "area": "Alfama", "trip": n}, {"best": "Memmo Alfama"}),
                _t("hotels.hold", lambda n: {"hotel": "Memmo Alfama", "trip": n}, {"hold_id": "HH-1"}),
            )),
            SubAgent("weather_agent", "gpt-4o-mini", (
                _t("weather.forecast", lambda n: {"city": "Lisbon", "month": 3}, {"avg_c": 16, "rain_days": 9}),
            )),
            SubAgent("car_agent", "gpt-4o-mini", (
                _t("cars.search", lambda n: {"city": "Lisbon", "trip": n}, {"offers": 6}),
            )),
        ),
        _t("email.send", lambda n: {"to": f"traveller:{n}", "template": "itinerary"}, {"accepted": True}),
        "Your itinerary is booked and I've emailed it to you.",
        _t("payments.charge", lambda n: {"trip": n, "amount": 2384.0}, {"status": "captured"},
           "Captures the traveller's card payment for the trip; a captured charge cannot be undone."),
    ),
    System(
        "ap-automation",
        "ap_coordinator",
        "gpt-4.1",
        lambda n: f"Process invoice INV-{n} from the AP inbox.",
        (
            SubAgent("extractor", "gpt-4.1-mini", (
                _t("ocr.extract", lambda n: {"document": f"INV-{n}.pdf"}, {"total": 1840.0, "currency": "USD"}),
            )),
            SubAgent("matcher", "gpt-4.1-mini", (
                _t("erp.fetch_purchase_order", lambda n: {"po_number": f"PO-{n}"}, {"lines": 3, "total": 1840.0}),
                _t("erp.fetch_receipts", lambda n: {"po_number": f"PO-{n}"}, {"received": 3}),
            )),
            SubAgent("vendor_agent", "gpt-4o-mini", (
                _t("vendors.lookup", lambda n: {"vendor_id": f"V-{n % 997}"}, {"name": "Acme", "terms": "net30"}),
            ), _t("policy.search", lambda n: {"query": "three-way match tolerance"}, [{"id": "ap-7", "score": 0.77}])),
        ),
        _t("erp.create_invoice", lambda n: {"invoice": f"INV-{n}", "total": 1840.0}, {"erp_id": "AP-1"}),
        "Invoice posted to the ERP and queued for payment.",
        _t("bank.pay_invoice", lambda n: {"invoice": f"INV-{n}", "amount": 1840.0}, {"status": "sent"},
           "Sends the invoice payment from the company account by instant transfer, which cannot be reversed."),
    ),
    System(
        "coding-team",
        "tech_lead",
        "claude-sonnet-4-20250514",
        lambda n: f"Fix issue #{n}: pagination returns one extra item.",
        (
            SubAgent("coder", "claude-sonnet-4-20250514", (
                _t("fs.read", lambda n: {"path": "src/api/paginate.py"}, {"lines": 88}),
                _t("fs.write", lambda n: {"path": "src/api/paginate.py", "issue": n}, {"written": True}),
            )),
            SubAgent("tester", "claude-3-5-haiku-20241022", (
                _t("shell.run", lambda n: {"cmd": "pytest -q tests/test_paginate.py"}, {"exit_code": 0}),
            )),
            SubAgent("reviewer", "gpt-4o", (
                _t("git.diff", lambda n: {"branch": f"fix-{n}"}, {"files": 1, "lines": 2}),
            ), _t("code.search", lambda n: {"query": "paginate(", "repo": "api"}, [{"path": "src/api/paginate.py"}])),
        ),
        _t("github.create_pull_request", lambda n: {"branch": f"fix-{n}", "title": f"Fix #{n}"}, {"number": 1}),
        "I've opened a pull request with the fix.",
        _t("deploy_production", lambda n: {"branch": f"fix-{n}"}, {"status": "rolled_out"}),
    ),
    System(
        "research-desk",
        "research_lead",
        "gpt-4o",
        lambda n: f"Brief #{n}: compare EU heat-pump subsidy schemes.",
        (
            SubAgent("researcher", "gpt-4o-mini", (
                _t("web.fetch", lambda n: {"url": "https://example.org/de-beg"}, {"chars": 48120}),
            ), _t("web.search", lambda n: {"query": "EU heat pump subsidy", "brief": n}, [{"url": "https://example.org/de-beg"}])),
            SubAgent("analyst", "gpt-4o-mini", (
                _t("sheets.read", lambda n: {"sheet": "subsidies", "brief": n}, {"rows": 27}),
                _t("python.run", lambda n: {"code": "df.groupby('country').max()"}, {"rows": 9}),
            )),
            SubAgent("writer", "claude-3-5-haiku-20241022", (
                _t("docs.get_template", lambda n: {"template": "brief"}, {"sections": 4}),
            )),
        ),
        _t("slack.post_message", lambda n: {"channel": "#research", "brief": n}, {"ok": True}),
        "The brief is posted in #research.",
        _t("db.drop_table", lambda n: {"table": f"scratch_brief_{n}"}, {"dropped": True}),
    ),
)
