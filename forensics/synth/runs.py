"""One generated run: the spans of one request through a system, with at most one failure injected
in its real shape (or a proper recovery), and the label that says what was injected where.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Final

from forensics.synth.model import Run, Span
from forensics.synth.scenario import DETECTOR_CLASS, cost_of
from forensics.synth.systems import _DUMPS, SubAgent, System, Tool

_NS: Final = 1_000_000_000


#: Detectors the generator can inject, in the taxonomy's order.
INJECTABLE: Final = tuple(DETECTOR_CLASS)


#: Shapes of a proper recovery in a clean run.
RECOVERIES: Final = ("backoff_retry", "fallback_model", "acknowledged_escalation", "approved_irreversible")


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
