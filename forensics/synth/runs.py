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
                         input=_DUMPS(tool.args(n)).decode(), output=tool.result if result is None else result,
                         attrs=None if tool.description is None else {"gen_ai.tool.description": tool.description})

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
    """One run of ``system``: a failure ``inject`` (a name in ``injectors.INJECTIONS``) or a
    ``recovery`` (in ``injectors.RECOVERY_SHAPES``) changes it at its hooks; the rest is the same."""
    from forensics.synth.injectors import INJECTIONS, RECOVERY_SHAPES, Injection, RunState

    step: Injection | None = (INJECTIONS[inject] if inject is not None
                              else RECOVERY_SHAPES[recovery] if recovery is not None else None)
    b = _RunBuilder(rng, system.service, start_ns, session or f"{system.service}-{n}", f"user_{n % 50_000}")
    r = rng.random
    st = RunState(b, r, rng.choice, system, n, subs, restart_of)
    orch = system.orchestrator
    if step is not None and step.before_root is not None:
        step.before_root(st)
    root = st.root = b.open_agent(orch, st.wrapper, system.question(n))
    b.named_tool(root, orch, "profile.get", {"user": f"user_{n % 50_000}"}, _PROFILE, dur_ms=25.0)
    b.named_tool(root, orch, "memory.recall", {"key": f"user_{n % 50_000}", "agent": orch}, _RECALL, dur_ms=8.0)
    b.llm(root, orch, system.model, 1800 + int(r() * 900), 120 + int(r() * 60), '{"plan":"delegate"}')
    st.final_text = system.claim
    if step is not None and step.after_plan is not None:
        step.after_plan(st)

    for i, sub in enumerate(subs):
        h = b.span("handoff", f"tool.transfer_to_{sub.name}", root, orch, 20.0, tool=f"transfer_to_{sub.name}",
                   handoff_to=sub.name, input=_DUMPS({"task": f"part {i + 1} of request {n}"}).decode(),
                   output=_DUMPS({"assistant": sub.name}).decode())
        if step is not None and step.at_handoff is not None and step.at_handoff(st, i, sub, h):
            break
        a = b.open_agent(sub.name, root, f"part {i + 1} of request {n}")
        b.llm(a, sub.name, sub.model, 900 + int(r() * 600), 40 + int(r() * 40), f'{{"tool":"{sub.tools[0].name}"}}')
        b.named_tool(a, sub.name, "memory.recall", {"key": f"request-{n}", "agent": sub.name}, _RECALL, dur_ms=8.0)
        if sub.retriever is not None:
            b.tool(a, sub.name, sub.retriever, n, 180.0 + r() * 200, kind="retriever")
        first = i == 0
        for j, tool in enumerate(sub.tools):
            if j:
                b.llm(a, sub.name, sub.model, 1300 + int(r() * 700), 30 + int(r() * 30), f'{{"tool":"{tool.name}"}}')
            if first and j == 0 and step is not None and step.at_target_tool is not None \
                    and step.at_target_tool(st, a, sub, tool):
                if st.hung:
                    break
            else:
                b.tool(a, sub.name, tool, n, 150.0 + r() * 400)
        if st.hung:
            st.ends = False
            st.final_text = None
            break
        if first and step is not None and step.after_first_sub is not None:
            step.after_first_sub(st, a, sub)
        b.llm(a, sub.name, sub.model, 1700 + int(r() * 800), 90 + int(r() * 60), f"{sub.name} result")
        b.close(a, f"{sub.name} result")

    if st.ends and st.root_error is None and step is not None and step.at_root_end is not None:
        step.at_root_end(st)
    if st.ends and st.root_error is None:
        if not (step is not None and step.at_delivery is not None and step.at_delivery(st)):
            b.tool(root, orch, system.delivery, n)
        if st.root_error is None:
            if step is not None and step.before_answer is not None:
                step.before_answer(st)
            fin = b.llm(root, orch, system.model, 2600 + int(r() * 900), 40 if st.final_text else 0, st.final_text)
            if step is not None and step.after_answer is not None:
                step.after_answer(st, fin)
    if st.ends:
        b.close(root, st.final_text, st.root_status)
        if st.root_error:
            root.error_type, root.error_message = st.root_error
    if step is not None and step.after_close is not None:
        step.after_close(st)
    if not st.labels and not st.story:
        st.story = f"{orch} handled request {n} through {len(subs)} sub-agents and delivered it."
    return _Built([b.run], [(b.run, st.labels, st.decisive, st.story)])
