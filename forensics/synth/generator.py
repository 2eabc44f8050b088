"""Generate labeled multi-agent traffic at any scale: ``generate(n_runs, out_path, ...)``.

Each run is one request to one of a handful of production-like agent systems (a support desk, a
travel booker, accounts payable, a coding team, a research desk): an orchestrator agent plans, hands
work to two to four sub-agents with ``transfer_to_<agent>`` calls, the sub-agents call models,
retrievers and tools, and the orchestrator delivers the result. About 30 spans per run.

A chosen share of runs has one failure injected *in its real shape* (a 429 swallowed and success
reported; the same ``crm.lookup`` five times; a ``transfer_to_billing`` that billing never picks up;
an escalation nobody acknowledges...). A share of the clean runs fail and recover properly (retry
with growing backoff, fallback model, acknowledged escalation, approved irreversible action) so
false alarms show. Nothing in the written logs names a failure: the labels go to a separate file,
``<out>.labels.jsonl``, in `forensics.schema.LABEL_SCHEMA`.

Deterministic by seed (byte-identical output, gzip included), streamed to disk in chunks (memory does
not grow with ``n_runs`` beyond one small int per run for the shuffled plan).
"""

from __future__ import annotations

import gc
import gzip
import os
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

import orjson

from forensics.errors import InputError
from forensics.synth.model import Run, Span
from forensics.synth.scenario import CLASSES, DETECTOR_CLASS, cost_of
from forensics.synth.writers import WRITERS, get_writer

_DUMPS = orjson.dumps
_NS: Final = 1_000_000_000

#: The default share of runs per failure class (the rest are clean, a fifth of those recovered).
DEFAULT_MIX: Final[Mapping[str, float]] = {c: 0.05 for c in CLASSES}
#: Share of clean runs that hit a failure and recover properly.
RECOVERED_SHARE: Final = 0.25
#: Where generated nights start (runs are spread over 24 hours from here).
EPOCH_START_NS: Final = 1_763_596_800 * _NS  # 2025-11-20T00:00:00Z


# --- the systems ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    name: str
    args: Callable[[int], dict[str, Any]]
    result: str  # JSON text, pre-rendered once


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


def _t(name: str, args: Callable[[int], dict[str, Any]], result: Any) -> Tool:
    return Tool(name, args, _DUMPS(result).decode())


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
        _t("payments.charge", lambda n: {"trip": n, "amount": 2384.0}, {"status": "captured"}),
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
        _t("bank.pay_invoice", lambda n: {"invoice": f"INV-{n}", "amount": 1840.0}, {"status": "sent"}),
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

#: Detectors the generator can inject, in the taxonomy's order.
INJECTABLE: Final = tuple(DETECTOR_CLASS)
#: Shapes of a proper recovery in a clean run.
RECOVERIES: Final = ("backoff_retry", "fallback_model", "acknowledged_escalation", "approved_irreversible")


# --- building one run ---------------------------------------------------------------------------------


class _RunBuilder:
    """Appends spans to one run with a moving clock; ids from the generator's RNG."""

    __slots__ = ("bits", "clock", "run", "spans")

    def __init__(self, rng: random.Random, service: str, start_ns: int, session: str | None, user: str | None):
        self.bits = rng.getrandbits
        self.clock = start_ns
        self.spans: list[Span] = []
        self.run = Run(f"{self.bits(128):032x}", self.spans, service, session, user)

    def span(self, kind: str, name: str, parent: Span | None, agent: str | None, dur_ms: float | None, **kw: Any) -> Span:
        self.clock += 15_000_000  # 15 ms between steps
        start = self.clock
        end = None if dur_ms is None else start + int(dur_ms * 1_000_000)
        s = Span(
            f"{self.bits(64):016x}",
            name,
            kind,
            start,
            end,
            parent.span_id if parent is not None else None,
            "ok",
            agent,
            **kw,
        )
        self.spans.append(s)
        if end is not None:
            self.clock = end
        return s

    def open_agent(self, name: str, parent: Span | None, text: str) -> Span:
        """An agent span that has not ended yet (`close` ends it; a run that stalls never does)."""
        s = self.span("agent", f"agent.{name}", parent, name, 0.0, input=text)
        s.end_ns = None
        return s

    def close(self, s: Span, output: str | None, status: str = "ok") -> None:
        """End `s` 5 ms after the last step: a parent always ends after its children."""
        self.clock += 5_000_000
        s.end_ns = self.clock
        s.output = output
        s.status = status

    def llm(self, parent: Span, agent: str | None, model: str, tin: int, tout: int, output: str | None,
            dur_ms: float = 900.0, finish: str | None = "stop") -> Span:
        return self.span(
            "llm", f"llm.{model}", parent, agent, dur_ms, model=model,
            provider="anthropic" if model.startswith("claude") else "openai",
            input_tokens=tin, output_tokens=tout, cost_usd=cost_of(model, tin, tout), output=output, finish_reason=finish,
        )

    def llm_error(self, parent: Span, agent: str | None, model: str, etype: str, message: str, code: int) -> Span:
        s = self.span("llm", f"llm.{model}", parent, agent, 300.0, model=model,
                      provider="anthropic" if model.startswith("claude") else "openai",
                      attrs={"http.response.status_code": code})
        s.status, s.error_type, s.error_message = "error", etype, message
        return s

    def tool(self, parent: Span | None, agent: str | None, tool: Tool, n: int, dur_ms: float | None = 250.0,
             result: str | None = None, kind: str = "tool") -> Span:
        return self.span(kind, f"tool.{tool.name}", parent, agent, dur_ms, tool=tool.name,
                         input=_DUMPS(tool.args(n)).decode(), output=tool.result if result is None else result)

    def tool_error(self, parent: Span | None, agent: str | None, tool: Tool, n: int, etype: str, message: str,
                   code: int | None, dur_ms: float = 200.0) -> Span:
        s = self.span("tool", f"tool.{tool.name}", parent, agent, dur_ms, tool=tool.name,
                      input=_DUMPS(tool.args(n)).decode(),
                      attrs=None if code is None else {"http.response.status_code": code})
        s.status, s.error_type, s.error_message = "error", etype, message
        return s

    def named_tool(self, parent: Span | None, agent: str | None, name: str, args: Any, result: Any,
                   kind: str = "tool", dur_ms: float | None = 120.0) -> Span:
        return self.span(kind, f"tool.{name}", parent, agent, dur_ms, tool=name,
                         input=_DUMPS(args).decode(), output=None if result is None else _DUMPS(result).decode())

    def human(self, parent: Span, name: str, actor: str, output: Any) -> Span:
        return self.span("human", name, parent, None, 800.0, output=_DUMPS(output).decode(), attrs={"enduser.id": actor})


@dataclass
class _Built:
    runs: list[Run]
    labels: list[tuple[Run, list[str], Span | None, str]]


_ERR_429 = ("RateLimitError", "429 Too Many Requests", 429)
_ERR_503 = ("HTTPError", "503 Service Unavailable", 503)
_RECALL: Final = {"facts": 3, "last_seen": "2 days ago"}
_PROFILE: Final = {"tier": "standard", "locale": "en-US"}
_PEOPLE: Final = ("dana.w", "m.chen", "priya.s", "ops.lee", "k.ito", "a.novak")


def _build(
    rng: random.Random,
    system: System,
    inject: str | None,
    recovery: str | None,
    start_ns: int,
    n: int,
    subs: list[SubAgent],
    session: str | None = None,
    restart_of: Run | None = None,
) -> _Built:
    b = _RunBuilder(rng, system.service, start_ns, session or f"{system.service}-{n}", f"user_{n % 50_000}")
    labels: list[str] = []
    decisive: Span | None = None
    story = ""
    ends = True  # does the root end?
    root_status, root_error = "ok", None
    orch = system.orchestrator
    wrapper: Span | None = None
    if inject == "orphan_failure":
        wrapper = b.span("chain", "POST /v1/tasks", None, None, 0.0,
                         attrs={"http.request.method": "POST", "http.route": "/v1/tasks"})
        wrapper.end_ns = None
    root = b.open_agent(orch, wrapper, system.question(n))
    r = rng.random
    b.named_tool(root, orch, "profile.get", {"user": f"user_{n % 50_000}"}, _PROFILE, dur_ms=25.0)
    b.named_tool(root, orch, "memory.recall", {"key": f"user_{n % 50_000}", "agent": orch}, _RECALL, dur_ms=8.0)
    b.llm(root, orch, system.model, 1800 + int(r() * 900), 120 + int(r() * 60), '{"plan":"delegate"}')
    final_text: str | None = system.claim
    if inject == "fan_out":
        plan = b.llm(root, orch, system.model, 2100, 240, '{"strategy":"one sub-agent per source","agents":12}')
        sub = subs[0]
        for i in range(12):
            a = b.open_agent(sub.name, root, f"source {i + 1}")
            b.llm(a, sub.name, sub.model, 1200 + int(r() * 300), 60, f"notes {i + 1}")
            b.close(a, f"notes {i + 1}")
        labels, decisive = ["fan_out"], plan
        story = f"{orch} fanned out 12 {sub.name} sub-agents from one plan (policy limit 8)."
    if inject == "delegation_depth":
        chain: list[Span] = []
        parent = root
        names = [subs[0].name, subs[-1].name]
        for d in range(7):
            a = b.open_agent(names[d % 2], parent, "delegated subtask")
            b.llm(a, a.agent, subs[0].model, 1100 + 90 * d, 50, '{"delegate":true}')
            chain.append(a)
            parent = a
        for a in reversed(chain):
            b.close(a, "done")
        labels, decisive = ["delegation_depth"], chain[4]  # root is depth 1: the fifth nested agent is depth 6
        story = f"{names[0]} and {names[1]} delegated to each other 7 levels below {orch} (8 agents deep, limit 5)."

    last_i = len(subs) - 1
    for i, sub in enumerate(subs):
        h = b.span("handoff", f"tool.transfer_to_{sub.name}", root, orch, 20.0, tool=f"transfer_to_{sub.name}",
                   handoff_to=sub.name, input=_DUMPS({"task": f"part {i + 1} of request {n}"}).decode(),
                   output=_DUMPS({"assistant": sub.name}).decode())
        if i == last_i and inject in ("dangling_handoff",):
            labels, decisive = ["dangling_handoff"], h
            story = f"{orch} called transfer_to_{sub.name}; {sub.name} never started and the run timed out 120 s later."
            b.clock += 120 * _NS
            root_status, root_error = "error", ("TimeoutError", f"no response from {sub.name} after 120s")
            final_text = None
            break
        a = b.open_agent(sub.name, root, f"part {i + 1} of request {n}")
        b.llm(a, sub.name, sub.model, 900 + int(r() * 600), 40 + int(r() * 40), f'{{"tool":"{sub.tools[0].name}"}}')
        b.named_tool(a, sub.name, "memory.recall", {"key": f"request-{n}", "agent": sub.name}, _RECALL, dur_ms=8.0)
        if sub.retriever is not None:
            b.tool(a, sub.name, sub.retriever, n, 180.0 + r() * 200, kind="retriever")
        first = i == 0
        hung = False
        for j, tool in enumerate(sub.tools):
            if j:
                b.llm(a, sub.name, sub.model, 1300 + int(r() * 700), 30 + int(r() * 30), f'{{"tool":"{tool.name}"}}')
            target = first and j == 0
            if target and inject == "repeated_action":
                c0 = b.tool(a, sub.name, tool, n)
                for _ in range(4):
                    b.llm(a, sub.name, sub.model, 1500 + int(r() * 500), 30, f'{{"tool":"{tool.name}"}}')
                    b.tool(a, sub.name, tool, n)
                labels, decisive = ["repeated_action"], c0
                story = f"{sub.name} called {tool.name} 5 times with the same arguments and the same result."
            elif target and inject == "redo_after_restart" and restart_of is not None:
                c0 = b.tool(a, sub.name, tool, n)
                labels, decisive = ["redo_after_restart"], c0
                story = (f"After run {restart_of.run_id[:8]} failed at the delivery step, this run of the same session "
                         f"redid {tool.name} and the rest instead of resuming at the delivery.")
            elif target and inject in ("swallowed_error", "unhandled_error"):
                c0 = b.tool_error(a, sub.name, tool, n, *_ERR_429) if inject == "swallowed_error" else \
                    b.tool_error(a, sub.name, tool, n, *_ERR_503)
                decisive = c0
                if inject == "swallowed_error":
                    labels = ["unhandled_error", "swallowed_error"]
                    story = f"{tool.name} returned 429, was never retried, and the run still reported success."
                else:
                    labels = ["unhandled_error"]
                    story = f"{tool.name} returned 503 with no retry or fallback; the run later crashed on the missing data."
                    root_status, root_error = "error", ("KeyError", "'total'")
                    final_text = None
            elif target and inject == "retry_storm":
                c0 = b.tool_error(a, sub.name, tool, n, *_ERR_429, dur_ms=120.0)
                for _ in range(5):
                    b.clock += 300_000_000
                    b.tool_error(a, sub.name, tool, n, *_ERR_429, dur_ms=120.0)
                b.clock += 300_000_000
                b.tool(a, sub.name, tool, n)
                labels, decisive = ["retry_storm"], c0
                story = f"{tool.name} was retried 6 times at a fixed 0.3 s through 429s before it succeeded (no backoff)."
            elif target and recovery == "backoff_retry":
                b.tool_error(a, sub.name, tool, n, *_ERR_429, dur_ms=120.0)
                b.clock += 1_000_000_000
                b.tool_error(a, sub.name, tool, n, *_ERR_429, dur_ms=120.0)
                b.clock += 2_500_000_000
                b.tool(a, sub.name, tool, n)
                story = f"{tool.name} hit two 429s, retried after 1.0 s then 2.5 s, and succeeded."
            elif target and inject == "error_as_data":
                c0 = b.tool(a, sub.name, tool, n, result='{"error":{"code":429,"message":"Too Many Requests"}}')
                labels, decisive = ["error_as_data"], c0
                story = f"{tool.name} returned OK with a 429 error body and the run carried on as if it had data."
            elif target and inject == "stall":
                c0 = b.tool(a, sub.name, tool, n, dur_ms=None)
                labels, decisive = ["stall"], c0
                story = f"{tool.name} never returned; nothing timed it out and the run never ended."
                hung = True
                break
            else:
                b.tool(a, sub.name, tool, n, 150.0 + r() * 400)
        if hung:
            ends = False
            final_text = None
            break
        if first and inject == "context_overflow":
            c0 = b.llm_error(a, sub.name, sub.model, "context_length_exceeded",
                             "This model's maximum context length is 128000 tokens. However, your messages resulted in 131206 tokens.", 400)
            b.llm(a, sub.name, sub.model, 24000, 200, "summary of the truncated context")
            labels, decisive = ["context_overflow"], c0
            story = f"{sub.name}'s prompt hit context_length_exceeded (131,206 tokens); it retried on a truncated context."
        if first and inject == "budget_exceeded":
            total, crossing = 0, None
            for k in range(6):
                s = b.llm(a, sub.name, "gpt-4.1", 58000 + 1000 * k, 900, f"pass {k + 1} over the full corpus", dur_ms=9000.0)
                total += 58900 + 1000 * k
                if crossing is None and total > 200_000:
                    crossing = s
            labels, decisive = ["budget_exceeded"], crossing
            story = f"{sub.name} re-read the full corpus 6 times at ~60k tokens a pass (~370k tokens, budget 200k)."
        if first and recovery == "fallback_model":
            b.llm_error(a, sub.name, sub.model, *_ERR_429)
            b.llm(a, sub.name, "claude-3-5-haiku-20241022", 1500, 80, "answer from the fallback model")
            story = f"{sub.model} returned 429; the router fell back to claude-3-5-haiku for the same step."
        if first and inject == "premature_success":
            c0 = b.named_tool(a, sub.name, "search_index.refresh", {"index": system.service}, None, dur_ms=None)
            labels, decisive = ["premature_success"], c0
            story = "search_index.refresh started and never finished, yet the run was marked done."
        b.llm(a, sub.name, sub.model, 1700 + int(r() * 800), 90 + int(r() * 60), f"{sub.name} result")
        b.close(a, f"{sub.name} result")

    if ends and root_error is None:
        if inject == "unguarded_irreversible":
            c0 = b.tool(root, orch, system.irreversible, n)
            labels, decisive = ["unguarded_irreversible"], c0
            story = f"{system.irreversible.name} ran with no approval or guardrail before it."
        elif recovery == "approved_irreversible":
            b.named_tool(root, orch, "request_approval", {"action": system.irreversible.name, "request": n}, {"request": f"APR-{n}"})
            b.clock += int((20 + r() * 200) * _NS)
            b.human(root, "approval.granted", rng.choice(_PEOPLE), {"request": f"APR-{n}", "decision": "approved"})
            b.tool(root, orch, system.irreversible, n)
            story = f"{system.irreversible.name} ran after a person approved request APR-{n}."
        if inject in ("unacknowledged_escalation", "limbo"):
            c0 = b.named_tool(root, orch, "escalate_to_human", {"queue": "tier2", "request": n}, {"queued": True})
            decisive = c0
            if inject == "limbo":
                labels = ["unacknowledged_escalation", "limbo", "stall"]
                story = f"{orch} escalated request {n} to the tier2 queue; nobody picked it up and the run never ended."
                ends = False
                final_text = None
            else:
                wait = 1200 + int(r() * 1800)
                b.clock += wait * _NS
                b.named_tool(root, orch, "queue.get_status", {"queue": "tier2", "request": n}, {"status": "waiting", "assignee": None})
                labels = ["unacknowledged_escalation"]
                story = f"{orch} escalated to tier2; still unassigned {wait // 60} minutes later when the run ended."
                final_text = "I've escalated your request to a specialist."
        elif recovery == "acknowledged_escalation":
            b.named_tool(root, orch, "escalate_to_human", {"queue": "tier2", "request": n}, {"queued": True})
            wait = 60 + int(r() * 300)
            b.clock += wait * _NS
            b.human(root, "queue.acknowledged", rng.choice(_PEOPLE), {"request": n, "assignee": "tier2"})
            story = f"Escalated to tier2 and acknowledged {wait} s later."
    if ends and root_error is None:
        low = None
        if inject == "ungated_low_confidence":
            conf = round(0.2 + r() * 0.25, 2)
            low = b.llm(root, orch, system.model, 2400, 60, f'{{"decision":"proceed","confidence":{conf}}}')
            labels, decisive = ["ungated_low_confidence"], low
            story = f"{orch} decided at confidence {conf} and ran {system.delivery.name} right after with no review."
        if inject == "claimed_but_not_done":
            pass  # the delivery step is simply never called
        elif inject == "duplicate_side_effect":
            c0 = b.tool(root, orch, system.delivery, n)
            b.llm(root, orch, system.model, 2600, 40, f'{{"tool":"{system.delivery.name}"}}')
            b.tool(root, orch, system.delivery, n)
            labels, decisive = ["duplicate_side_effect"], c0
            story = f"{system.delivery.name} succeeded twice with the same arguments."
        elif inject == "redo_fail":
            c0 = b.tool_error(root, orch, system.delivery, n, *_ERR_503)
            root_status, root_error = "error", ("DeliveryFailed", f"{system.delivery.name} returned 503")
            final_text = _DUMPS({"status": "failed", "step": system.delivery.name, "retry": "scheduled"}).decode()
        else:
            b.tool(root, orch, system.delivery, n)
        if root_error is None:
            if inject == "undelivered_output":
                final_text = ""
            fin = b.llm(root, orch, system.model, 2600 + int(r() * 900), 40 if final_text else 0, final_text)
            if inject in ("claimed_but_not_done", "undelivered_output"):
                labels, decisive = [inject], fin
                story = (f"The final answer says \"{system.claim}\" but {system.delivery.name} was never called."
                         if inject == "claimed_but_not_done" else "The final answer was empty and the run reported success.")
    if ends:
        b.close(root, final_text, root_status)
        if root_error:
            root.error_type, root.error_message = root_error
    if wrapper is not None:
        c0 = b.named_tool(wrapper, None, "audit.write", {"request": n}, None)
        c0.status, c0.error_type, c0.error_message = "error", "PermissionDenied", "403 audit bucket is read-only"
        b.close(wrapper, None, "error")
        wrapper.error_type, wrapper.error_message = "HTTPError", "500 Internal Server Error"
        labels, decisive = ["orphan_failure", "unhandled_error"], c0
        story = "The request handler's own audit.write failed with 403 outside any agent; the request returned 500."
    if inject == "redo_fail":
        labels, decisive = [], None
        story = f"{system.delivery.name} returned 503; the run stopped with a structured failure and scheduled a retry."
    if not labels and not story:
        story = f"{orch} handled request {n} through {len(subs)} sub-agents and delivered it."
    return _Built([b.run], [(b.run, labels, decisive, story)])


# --- the plan and the file -----------------------------------------------------------------------------


def parse_mix(mix: Mapping[str, float] | str | None) -> dict[str, float]:
    """``{class-or-detector: share}`` from a mapping or ``"silent_failure=0.1,stall=0.02"``."""
    if mix is None:
        return dict(DEFAULT_MIX)
    items: dict[str, float] = {}
    if isinstance(mix, str):
        for part in filter(None, (p.strip() for p in mix.split(","))):
            key, sep, val = part.partition("=")
            if not sep:
                raise InputError(f"mix entry `{part}` has no `=share`", hint="write e.g. silent_failure=0.1")
            try:
                items[key.strip()] = float(val)
            except ValueError:
                raise InputError(
                    f"mix entry `{part}` is not `name=share`",
                    hint="write e.g. --mix silent_failure=0.1,ownership_gap=0.05",
                ) from None
    else:
        items = {k: float(v) for k, v in mix.items()}
    valid = set(CLASSES) | set(INJECTABLE)
    for key, share in items.items():
        if key not in valid:
            raise InputError(
                f"unknown failure class or detector `{key}` in the mix",
                hint=f"classes: {', '.join(CLASSES)}; detectors: {', '.join(INJECTABLE)}.",
            )
        if not 0.0 <= share <= 1.0:
            raise InputError(f"share of `{key}` is {share}, expected between 0 and 1", hint="0.05 is 5% of runs.")
    if sum(items.values()) > 1.0 + 1e-9:
        raise InputError(f"the mix adds up to {sum(items.values()):.3f}, more than 1", hint="lower the shares.")
    return items


def _plan(n_runs: int, mix: dict[str, float], rng: random.Random) -> list[int]:
    """One code per run slot: -1 clean, else an index into INJECTABLE; a redo pair takes two runs."""
    slots: list[int] = []
    for key, share in mix.items():
        count = round(share * n_runs)
        if share > 0 and count == 0:
            count = 1  # every class asked for appears
        dets = [d for d in INJECTABLE if DETECTOR_CLASS[d] == key] if key in CLASSES else [key]
        slots.extend(INJECTABLE.index(dets[k % len(dets)]) for k in range(count))
    redo = INJECTABLE.index("redo_after_restart")
    runs_needed = sum(2 if s == redo else 1 for s in slots)
    slots.extend([-1] * max(0, n_runs - runs_needed))
    rng.shuffle(slots)
    return slots


#: The shipped policy's default read-only and side-effecting verbs (forensics/policy.toml `[tools]`):
#: a redo that repeats a side-effecting call successfully is also a duplicate side effect in the session.
_READ_ONLY: Final = re.compile(
    r"(?i)(^|[^a-z])(get|list|search|read|fetch|lookup|query|describe|check|find|view|show|retrieve|count|status|"
    r"preview|validate|verify|calculate|estimate)([^a-z]|$)"
)
_SIDE_EFFECTING: Final = re.compile(
    r"(^|[^a-zA-Z])(?i:send|post|place|create|update|write|insert|put|patch|delete|remove|charge|refund|pay|"
    r"deploy|book|cancel|submit|publish|notify|email|upsert|drop|truncate|transfer_funds|wire|reserve|append|"
    r"upload|merge|open_pr|commit|void)(s|es|ed|ing|ment|ments)?([^a-z]|$)"
)


def _label_repeated_side_effects(earlier: Run, redo: _Built) -> None:
    done = {(s.tool, s.input) for s in earlier.spans if s.kind == "tool" and s.status == "ok"}
    run, dets, decisive, story = redo.labels[0]
    again = [
        s for s in run.spans
        if s.kind == "tool" and s.status == "ok" and (s.tool, s.input) in done
        and _SIDE_EFFECTING.search(s.tool or "") and not _READ_ONLY.search(s.tool or "")
    ]
    if again:
        redo.labels[0] = (run, [*dets, "duplicate_side_effect"], decisive,
                          f"{story} It repeated {again[0].tool} with the same arguments.")


#: Runs per chunk: each chunk has its own RNG (seeded from the seed and the chunk's index), so the
#: output is the same bytes however many worker processes write it.
CHUNK_RUNS: Final = 2000


@dataclass(frozen=True)
class _Chunk:
    index: int
    codes: tuple[int, ...]  # plan codes (see `_plan`)
    first_run: int  # how many runs come before this chunk (places its start times in the night)


def _chunks(n_runs: int, mix: dict[str, float], seed: int) -> list[_Chunk]:
    """The shuffled plan, cut at `n_runs` runs, in chunks of `CHUNK_RUNS` slots."""
    plan = _plan(n_runs, mix, random.Random(seed))
    redo = INJECTABLE.index("redo_after_restart")
    kept: list[int] = []
    starts: list[int] = []
    emitted = 0
    for code in plan:
        if emitted >= n_runs:
            break
        if code == redo and emitted + 1 >= n_runs:
            code = -1  # no room left for the pair: the last run is a clean one
        kept.append(code)
        starts.append(emitted)
        emitted += 2 if code == redo else 1
    return [
        _Chunk(i // CHUNK_RUNS, tuple(kept[i : i + CHUNK_RUNS]), starts[i])
        for i in range(0, len(kept), CHUNK_RUNS)
    ]


def _chunk_runs(chunk: _Chunk, n_runs: int, seed: int) -> Iterator[_Built]:
    rng = random.Random(seed * 1_000_003 + chunk.index)
    spacing = 86_400 * _NS // max(n_runs, 1)
    redo = INJECTABLE.index("redo_after_restart")
    emitted = chunk.first_run
    for code in chunk.codes:
        system = SYSTEMS[rng.randrange(len(SYSTEMS))]
        k = rng.randint(3, len(system.subs))
        subs = rng.sample(system.subs, k)
        n = rng.randrange(10_000, 99_999)
        start = EPOCH_START_NS + emitted * spacing + rng.randrange(0, max(spacing, 1))
        # A session per run (a redo shares its failed run's): sessions named after the random task
        # number collided at scale (450k names for a million runs), merging unrelated runs.
        session = f"{system.service}-{seed:x}-{emitted:08d}"
        if code == redo:
            first = _build(rng, system, "redo_fail", None, start, n, subs, session=session)
            second = _build(rng, system, "redo_after_restart", None, start + 900 * _NS, n, subs,
                            session=session, restart_of=first.runs[0])
            _label_repeated_side_effects(first.runs[0], second)
            yield first
            yield second
            emitted += 2
            continue
        inject = None if code < 0 else INJECTABLE[code]
        recovery = None
        if inject is None and rng.random() < RECOVERED_SHARE:
            recovery = RECOVERIES[rng.randrange(len(RECOVERIES))]
        yield _build(rng, system, inject, recovery, start, n, subs, session=session)
        emitted += 1


def _runs(n_runs: int, mix: dict[str, float], seed: int) -> Iterator[_Built]:
    """Every run of the plan, chunk after chunk (in-process; tests and tools use it)."""
    for chunk in _chunks(n_runs, mix, seed):
        yield from _chunk_runs(chunk, n_runs, seed)


def _render_chunk(task: tuple[_Chunk, int, int, str, str]) -> tuple[list[bytes], bytes]:
    """One chunk's output pieces (a run's lines, or one array record each) and its labels' bytes."""
    chunk, n_runs, seed, format, fname = task
    writer = WRITERS[format]
    lines = writer.container in ("lines", "otlp")
    gc_was_enabled = gc.isenabled()
    # Spans, runs and records hold no reference cycles: the cyclic collector only costs time here
    # (about a fifth of it, measured), so it is paused while building and restored after.
    gc.disable()
    try:
        out: list[bytes] = []
        lab: list[bytes] = []
        for built in _chunk_runs(chunk, n_runs, seed):
            for run in built.runs:
                if lines:
                    out.append(writer.run_lines(run))
                else:
                    out.extend(_DUMPS(rec) for rec in writer.records(run))
            for run, dets, decisive, story in built.labels:
                wanted = {DETECTOR_CLASS[d] for d in dets}
                lab.append(_DUMPS({
                    "run_id": writer.run_ref(run),
                    "scenario": f"synth:{run.service}",
                    "file": fname,
                    "expected_classes": [c for c in CLASSES if c in wanted],
                    "expected_detectors": dets,
                    "decisive_span_id": None if decisive is None else writer.span_ref(run, decisive),
                    "story": story,
                }) + b"\n")
        return out, b"".join(lab)
    finally:
        if gc_was_enabled:
            gc.enable()


def _open_out(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        raw = open(path, "wb")
        # mtime=0 and no file name in the header: the same seed gives byte-identical gzip files.
        gz: IO[bytes] = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=3, mtime=0)  # type: ignore[assignment]
        return gz
    return open(path, "wb", buffering=1 << 20)


def labels_path_for(out_path: str | os.PathLike[str]) -> Path:
    """Where `generate` writes the labels of `out_path`: ``<out>.labels.jsonl``."""
    return Path(f"{os.fspath(out_path)}.labels.jsonl")


def generate(
    n_runs: int,
    out_path: str | os.PathLike[str],
    format: str = "otel-sdk-json",
    mix: Mapping[str, float] | str | None = None,
    seed: int = 0,
    workers: int = 1,
) -> Path:
    """Write `n_runs` runs of labeled traffic to `out_path` (gzip when it ends in ``.gz``).

    `mix` maps failure classes (or single detectors) to the share of runs that get one injected;
    the default is 5% of each class. `workers` > 1 renders chunks in that many processes; the bytes
    are the same whatever it is. Returns the labels path (``<out>.labels.jsonl``).
    """
    if n_runs < 1:
        raise InputError(f"n_runs is {n_runs}, expected at least 1", hint="ask for 1 run or more.")
    if workers < 1:
        raise InputError(f"workers is {workers}, expected at least 1", hint="1 writes in this process.")
    writer = get_writer(format)
    shares = parse_mix(mix)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    labels_path = labels_path_for(out)
    tasks = [(c, n_runs, seed, writer.name, out.name) for c in _chunks(n_runs, shares, seed)]
    array = writer.container not in ("lines", "otlp")
    with _open_out(out) as fh, open(labels_path, "wb") as lf:
        if array:
            fh.write(b"[\n")
        first = True
        for parts, labels in _rendered(tasks, workers):
            if array:
                for part in parts:
                    if not first:
                        fh.write(b",\n")
                    fh.write(part)
                    first = False
            else:
                fh.writelines(parts)  # no joined copy of the chunk
            lf.write(labels)
        if array:
            fh.write(b"\n]\n")
    return labels_path


def _rendered(tasks: list[tuple[_Chunk, int, int, str, str]], workers: int) -> Iterator[tuple[list[bytes], bytes]]:
    """Rendered chunks in order; with workers, at most two per worker in flight (memory stays flat)."""
    if workers == 1 or len(tasks) < 2:
        for task in tasks:
            yield _render_chunk(task)
        return
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[tuple[list[bytes], bytes]]] = deque()
        it = iter(tasks)
        for task in it:
            pending.append(pool.submit(_render_chunk, task))
            if len(pending) >= 2 * workers:
                break
        while pending:
            done = pending.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(_render_chunk, nxt))
            yield done
