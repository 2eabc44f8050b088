"""What the generator injects into a run, one registered `Injection` per detector (and per recovery).

A run is built in a fixed order (``runs._build``): the root, the plan, one hand-off and sub-agent per
step, the orchestrator's closing steps, the delivery, the final answer. An injection changes that run
at one or more of these points (hooks); everything else about the run is the same for every
injection, so a run's shape outside its failure never depends on which failure it carries. A new
detector that the generator should exercise is one `Injection` registered here under its name.

Hooks get the run being built (`RunState`) and return nothing unless said: ``at_handoff`` returns True
when the run stops at that hand-off, ``at_target_tool`` True when it replaced the first sub-agent's
first tool call (and sets ``st.hung`` when that call never returns), ``at_delivery`` True when it
replaced the normal delivery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from forensics.registry import Registry
from forensics.synth.model import Run, Span
from forensics.synth.runs import _ERR_429, _ERR_503, _NS, _PEOPLE, _RunBuilder
from forensics.synth.systems import _DUMPS, SubAgent, System, Tool, acts, reads


@dataclass
class RunState:
    """One run while it is built: the builder, what it is about, and what its label will say."""

    b: _RunBuilder
    r: Callable[[], float]
    choice: Callable[[tuple[str, ...]], str]
    system: System
    n: int
    subs: list[SubAgent]
    restart_of: Run | None
    root: Span | None = None
    wrapper: Span | None = None
    labels: list[str] = field(default_factory=list)
    decisive: Span | None = None
    story: str = ""
    ends: bool = True
    hung: bool = False
    root_status: str = "ok"
    root_error: tuple[str, str] | None = None
    final_text: str | None = None

    @property
    def orch(self) -> str:
        return self.system.orchestrator

    def label(self, labels: list[str], decisive: Span | None, story: str) -> None:
        self.labels, self.decisive, self.story = labels, decisive, story


@dataclass(frozen=True)
class Injection:
    """What one failure (``name``: the detector it should fire) or recovery does to a run, by hook."""

    name: str
    before_root: Callable[[RunState], None] | None = None
    after_plan: Callable[[RunState], None] | None = None
    at_handoff: Callable[[RunState, int, SubAgent, Span], bool] | None = None
    at_target_tool: Callable[[RunState, Span, SubAgent, Tool], bool] | None = None
    after_first_sub: Callable[[RunState, Span, SubAgent], None] | None = None
    at_root_end: Callable[[RunState], None] | None = None
    at_delivery: Callable[[RunState], bool] | None = None
    before_answer: Callable[[RunState], None] | None = None
    after_answer: Callable[[RunState, Span], None] | None = None
    after_close: Callable[[RunState], None] | None = None


#: Failures by the detector they should fire (plus ``redo_fail``, the failed first run of a redo pair).
INJECTIONS: Registry[Injection] = Registry("injection", None, order="registration")
#: Proper recoveries a clean run may show.
RECOVERY_SHAPES: Registry[Injection] = Registry("recovery", None, order="registration")


# --- before the sub-agents ---------------------------------------------------------------------------


def _orphan_wrapper(st: RunState) -> None:
    st.wrapper = st.b.span("chain", "POST /v1/tasks", None, None, 0.0,
                           attrs={"http.request.method": "POST", "http.route": "/v1/tasks"})
    st.wrapper.end_ns = None


def _orphan_after_close(st: RunState) -> None:
    b, wrapper, n = st.b, st.wrapper, st.n
    assert wrapper is not None
    c0 = b.named_tool(wrapper, None, "audit.write", {"request": n}, None)
    c0.status, c0.error_type, c0.error_message = "error", "PermissionDenied", "403 audit bucket is read-only"
    b.close(wrapper, None, "error")
    wrapper.error_type, wrapper.error_message = "HTTPError", "500 Internal Server Error"
    st.label(["orphan_failure", "unhandled_error"], c0,
             "The request handler's own audit.write failed with 403 outside any agent; the request returned 500.")


def _fan_out(st: RunState) -> None:
    b, r, root, orch = st.b, st.r, st.root, st.orch
    assert root is not None
    plan = b.llm(root, orch, st.system.model, 2100, 240, '{"strategy":"one sub-agent per source","agents":12}')
    sub = st.subs[0]
    for i in range(12):
        a = b.open_agent(sub.name, root, f"source {i + 1}")
        b.llm(a, sub.name, sub.model, 1200 + int(r() * 300), 60, f"notes {i + 1}")
        b.close(a, f"notes {i + 1}")
    st.label(["fan_out"], plan, f"{orch} fanned out 12 {sub.name} sub-agents from one plan (policy limit 8).")


def _delegation_depth(st: RunState) -> None:
    b, subs, orch = st.b, st.subs, st.orch
    chain: list[Span] = []
    parent = st.root
    names = [subs[0].name, subs[-1].name]
    for d in range(7):
        a = b.open_agent(names[d % 2], parent, "delegated subtask")
        b.llm(a, a.agent, subs[0].model, 1100 + 90 * d, 50, '{"delegate":true}')
        chain.append(a)
        parent = a
    for a in reversed(chain):
        b.close(a, "done")
    # Decisive: the delegation that closed the loop, the agent that started names[0] again inside
    # names[0]'s own run (chain[1]; chain[0] itself where both names are one), not the first agent
    # past the limit, which moves with the policy (detectors/recursion.py).
    st.label(["delegation_depth"], chain[0 if names[0] == names[1] else 1],
             f"{names[0]} and {names[1]} delegated to each other 7 levels below {orch} (8 agents deep, limit 5).")


def _dangling_handoff(st: RunState, i: int, sub: SubAgent, h: Span) -> bool:
    if i != len(st.subs) - 1:
        return False
    st.label(["dangling_handoff"], h,
             f"{st.orch} called transfer_to_{sub.name}; {sub.name} never started and the run timed out 120 s later.")
    st.b.clock += 120 * _NS
    st.root_status, st.root_error = "error", ("TimeoutError", f"no response from {sub.name} after 120s")
    st.final_text = None
    return True


# --- the first sub-agent's first tool call -------------------------------------------------------------


def _repeated_action(st: RunState, a: Span, sub: SubAgent, tool: Tool) -> bool:
    b, r, n = st.b, st.r, st.n
    b.tool(a, sub.name, tool, n)
    repeats = []
    for _ in range(4):
        b.llm(a, sub.name, sub.model, 1500 + int(r() * 500), 30, f'{{"tool":"{tool.name}"}}')
        repeats.append(b.tool(a, sub.name, tool, n))
    # Decisive: the loop's first repeat, the call that ignored the first result (docs/DETECTORS.md,
    # "Which span is decisive"); the first call was the run's own legitimate step.
    st.label(["repeated_action"], repeats[0],
             f"{sub.name} called {tool.name} 5 times with the same arguments and the same result.")
    return True


def _redo_after_restart(st: RunState, a: Span, sub: SubAgent, tool: Tool) -> bool:
    if st.restart_of is None:
        return False
    st.b.tool(a, sub.name, tool, st.n)
    # Decisive: the run's first call that redoes a call the failed run had completed (the
    # orchestrator's own profile lookup comes before the sub-agent's tool): from there on the run
    # was starting over instead of resuming at the failed delivery.
    done = {(s.tool, s.input) for s in st.restart_of.spans if s.kind == "tool" and s.status == "ok"}
    c0 = next(s for s in st.b.run.spans if s.kind == "tool" and s.status == "ok" and (s.tool, s.input) in done)
    st.label(["redo_after_restart"], c0,
             f"After run {st.restart_of.run_id[:8]} failed at the delivery step, this run of the same session "
             f"redid {tool.name} and the rest instead of resuming at the delivery.")
    return True


def _swallowed_error(st: RunState, a: Span, sub: SubAgent, tool: Tool) -> bool:
    c0 = st.b.tool_error(a, sub.name, tool, st.n, *_ERR_429)
    # An ignored error under a success report is the silent failure only (one failure, one class).
    # Unless the failed call was a read and the agent's next call acts (the coder's fs.read, then its
    # fs.write): the run carried on past the failure into an act made on a guess, with no retry,
    # fallback or escalation, which the TAXONOMY names unhandled_error, and the house reads that one
    # failure as that one class (detectors/acted_without.py; silent_failure leaves it to it).
    after = sub.tools[sub.tools.index(tool) + 1:]
    if reads(tool.name) and after and acts(after[0].name):
        st.label(["unhandled_error"], c0,
                 f"{tool.name} returned 429 with no retry or fallback, and {sub.name} went on to "
                 f"{after[0].name} without what it was to read; the run still reported success.")
        return True
    st.label(["swallowed_error"], c0,
             f"{tool.name} returned 429, was never retried, and the run still reported success.")
    return True


def _unhandled_error(st: RunState, a: Span, sub: SubAgent, tool: Tool) -> bool:
    c0 = st.b.tool_error(a, sub.name, tool, st.n, *_ERR_503)
    st.label(["unhandled_error"], c0,
             f"{tool.name} returned 503 with no retry or fallback; the run later crashed on the missing data.")
    st.root_status, st.root_error = "error", ("KeyError", "'total'")
    st.final_text = None
    return True


def _retry_storm(st: RunState, a: Span, sub: SubAgent, tool: Tool) -> bool:
    b, n = st.b, st.n
    c0 = b.tool_error(a, sub.name, tool, n, *_ERR_429, dur_ms=120.0)
    for _ in range(5):
        b.clock += 300_000_000
        b.tool_error(a, sub.name, tool, n, *_ERR_429, dur_ms=120.0)
    b.clock += 300_000_000
    b.tool(a, sub.name, tool, n)
    st.label(["retry_storm"], c0,
             f"{tool.name} was retried 6 times at a fixed 0.3 s through 429s before it succeeded (no backoff).")
    return True


def _backoff_retry(st: RunState, a: Span, sub: SubAgent, tool: Tool) -> bool:
    b, n = st.b, st.n
    b.tool_error(a, sub.name, tool, n, *_ERR_429, dur_ms=120.0)
    b.clock += 1_000_000_000
    b.tool_error(a, sub.name, tool, n, *_ERR_429, dur_ms=120.0)
    b.clock += 2_500_000_000
    b.tool(a, sub.name, tool, n)
    st.story = f"{tool.name} hit two 429s, retried after 1.0 s then 2.5 s, and succeeded."
    return True


def _error_as_data(st: RunState, a: Span, sub: SubAgent, tool: Tool) -> bool:
    c0 = st.b.tool(a, sub.name, tool, st.n, result='{"error":{"code":429,"message":"Too Many Requests"}}')
    st.label(["error_as_data"], c0, f"{tool.name} returned OK with a 429 error body and the run carried on as if it had data.")
    return True


def _stall(st: RunState, a: Span, sub: SubAgent, tool: Tool) -> bool:
    c0 = st.b.tool(a, sub.name, tool, st.n, dur_ms=None)
    st.label(["stall"], c0, f"{tool.name} never returned; nothing timed it out and the run never ended.")
    st.hung = True
    return True


# --- after the first sub-agent's tools -----------------------------------------------------------------


def _context_overflow(st: RunState, a: Span, sub: SubAgent) -> None:
    b = st.b
    c0 = b.llm_error(a, sub.name, sub.model, "context_length_exceeded",
                     "This model's maximum context length is 128000 tokens. However, your messages resulted in 131206 tokens.", 400)
    b.llm(a, sub.name, sub.model, 24000, 200, "summary of the truncated context")
    st.label(["context_overflow"], c0,
             f"{sub.name}'s prompt hit context_length_exceeded (131,206 tokens); it retried on a truncated context.")


@cache
def _shipped_token_budget() -> int:
    """The least per-run token budget the shipped policy applies: its ``max_tokens_per_run``, else
    the fleet budget's floor ``fleet_floor_tokens``. Read from the TOML itself, not through
    ``load_policy`` (which validates against every detector's thresholds, importing them all: in a
    generator worker forked from a parent that has run polars, that import deadlocks)."""
    import tomllib

    from forensics.policy import default_policy_path

    budgets = tomllib.loads(default_policy_path().read_text(encoding="utf-8"))["budgets"]
    return int(budgets.get("max_tokens_per_run") or budgets["fleet_floor_tokens"])


def _budget_exceeded(st: RunState, a: Span, sub: SubAgent) -> None:
    # Decisive: the span where the run's running total (every span so far, in order) crosses the
    # budget the classifier applies: the shipped policy's max_tokens_per_run, and where it sets none
    # (it does not) the fleet's, never below fleet_floor_tokens. A clean run of any system uses
    # ~20k tokens, so 5x the fleet median stays under the ~124k the run has after its second pass:
    # both budgets are crossed by the same span.
    budget = _shipped_token_budget()
    total = sum((s.input_tokens or 0) + (s.output_tokens or 0) for s in st.b.run.spans)
    crossing = None
    for k in range(6):
        s = st.b.llm(a, sub.name, "gpt-4.1", 58000 + 1000 * k, 900, f"pass {k + 1} over the full corpus", dur_ms=9000.0)
        total += 58900 + 1000 * k
        if crossing is None and total > budget:
            crossing = s
    st.label(["budget_exceeded"], crossing,
             f"{sub.name} re-read the full corpus 6 times at ~60k tokens a pass (~370k tokens; the run went over "
             f"{budget // 1000}k, the least budget the fleet's ~20k-token runs allow, on the second pass).")


def _fallback_model(st: RunState, a: Span, sub: SubAgent) -> None:
    st.b.llm_error(a, sub.name, sub.model, *_ERR_429)
    st.b.llm(a, sub.name, "claude-3-5-haiku-20241022", 1500, 80, "answer from the fallback model")
    st.story = f"{sub.model} returned 429; the router fell back to claude-3-5-haiku for the same step."


def _premature_success(st: RunState, a: Span, sub: SubAgent) -> None:
    c0 = st.b.named_tool(a, sub.name, "search_index.refresh", {"index": st.system.service}, None, dur_ms=None)
    st.label(["premature_success"], c0, "search_index.refresh started and never finished, yet the run was marked done.")


# --- the orchestrator's closing steps ------------------------------------------------------------------


def _unguarded_irreversible(st: RunState) -> None:
    irreversible = st.system.irreversible
    c0 = st.b.tool(st.root, st.orch, irreversible, st.n)
    st.label(["unguarded_irreversible"], c0, f"{irreversible.name} ran with no approval or guardrail before it.")


def _approved_irreversible(st: RunState) -> None:
    b, r, n, root, orch, irreversible = st.b, st.r, st.n, st.root, st.orch, st.system.irreversible
    assert root is not None
    b.named_tool(root, orch, "request_approval", {"action": irreversible.name, "request": n}, {"request": f"APR-{n}"})
    b.clock += int((20 + r() * 200) * _NS)
    b.human(root, "approval.granted", st.choice(_PEOPLE), {"request": f"APR-{n}", "decision": "approved"})
    b.tool(root, orch, irreversible, n)
    st.story = f"{irreversible.name} ran after a person approved request APR-{n}."


def _escalate(st: RunState) -> Span:
    return st.b.named_tool(st.root, st.orch, "escalate_to_human", {"queue": "tier2", "request": st.n}, {"queued": True})


def _limbo(st: RunState) -> None:
    c0 = _escalate(st)
    st.label(["unacknowledged_escalation", "limbo", "stall"], c0,
             f"{st.orch} escalated request {st.n} to the tier2 queue; nobody picked it up and the run never ended.")
    st.ends = False
    st.final_text = None


def _unacknowledged_escalation(st: RunState) -> None:
    c0 = _escalate(st)
    wait = 1200 + int(st.r() * 1800)
    st.b.clock += wait * _NS
    st.b.named_tool(st.root, st.orch, "queue.get_status", {"queue": "tier2", "request": st.n},
                    {"status": "waiting", "assignee": None})
    st.label(["unacknowledged_escalation"], c0,
             f"{st.orch} escalated to tier2; still unassigned {wait // 60} minutes later when the run ended.")
    st.final_text = "I've escalated your request to a specialist."


def _acknowledged_escalation(st: RunState) -> None:
    root = st.root
    assert root is not None
    _escalate(st)
    wait = 60 + int(st.r() * 300)
    st.b.clock += wait * _NS
    st.b.human(root, "queue.acknowledged", st.choice(_PEOPLE), {"request": st.n, "assignee": "tier2"})
    st.story = f"Escalated to tier2 and acknowledged {wait} s later."


# --- the delivery and the final answer -----------------------------------------------------------------


def _ungated_low_confidence(st: RunState) -> bool:
    root = st.root
    assert root is not None
    conf = round(0.2 + st.r() * 0.25, 2)
    st.b.llm(root, st.orch, st.system.model, 2400, 60, f'{{"decision":"proceed","confidence":{conf}}}')
    # The delivery runs as usual (the very call `runs._build` would make), right after the unreviewed
    # decision; it is made here so the label can name it: the action that was not gated is decisive,
    # the low-confidence step only made a review necessary (docs/DETECTORS.md, "Which span is decisive").
    action = st.b.tool(root, st.orch, st.system.delivery, st.n)
    st.label(["ungated_low_confidence"], action,
             f"{st.orch} decided at confidence {conf} and ran {st.system.delivery.name} right after with no review.")
    return True


def _skip_delivery(st: RunState) -> bool:
    return True  # the delivery step is simply never called


def _duplicate_side_effect(st: RunState) -> bool:
    b, root, orch, delivery = st.b, st.root, st.orch, st.system.delivery
    assert root is not None
    b.tool(root, orch, delivery, st.n)
    b.llm(root, orch, st.system.model, 2600, 40, f'{{"tool":"{delivery.name}"}}')
    # Decisive: the repeat (the first success was the job done right).
    c1 = b.tool(root, orch, delivery, st.n)
    st.label(["duplicate_side_effect"], c1, f"{delivery.name} succeeded twice with the same arguments.")
    return True


def _redo_fail_delivery(st: RunState) -> bool:
    delivery = st.system.delivery
    st.b.tool_error(st.root, st.orch, delivery, st.n, *_ERR_503)
    st.root_status, st.root_error = "error", ("DeliveryFailed", f"{delivery.name} returned 503")
    st.final_text = _DUMPS({"status": "failed", "step": delivery.name, "retry": "scheduled"}).decode()
    return True


def _redo_fail_after_close(st: RunState) -> None:
    st.label([], None, f"{st.system.delivery.name} returned 503; the run stopped with a structured failure and scheduled a retry.")


def _claimed_but_not_done_answer(st: RunState, fin: Span) -> None:
    st.label(["claimed_but_not_done"], fin,
             f"The final answer says \"{st.system.claim}\" but {st.system.delivery.name} was never called.")


def _empty_answer(st: RunState) -> None:
    st.final_text = ""


def _undelivered_output_answer(st: RunState, fin: Span) -> None:
    st.label(["undelivered_output"], fin, "The final answer was empty and the run reported success.")


for _injection in (
    Injection("repeated_action", at_target_tool=_repeated_action),
    Injection("redo_after_restart", at_target_tool=_redo_after_restart),
    Injection("duplicate_side_effect", at_delivery=_duplicate_side_effect),
    Injection("context_overflow", after_first_sub=_context_overflow),
    Injection("dangling_handoff", at_handoff=_dangling_handoff),
    Injection("unacknowledged_escalation", at_root_end=_unacknowledged_escalation),
    Injection("orphan_failure", before_root=_orphan_wrapper, after_close=_orphan_after_close),
    Injection("limbo", at_root_end=_limbo),
    Injection("unhandled_error", at_target_tool=_unhandled_error),
    Injection("stall", at_target_tool=_stall),
    Injection("retry_storm", at_target_tool=_retry_storm),
    Injection("ungated_low_confidence", at_delivery=_ungated_low_confidence),
    Injection("swallowed_error", at_target_tool=_swallowed_error),
    Injection("error_as_data", at_target_tool=_error_as_data),
    Injection("claimed_but_not_done", at_delivery=_skip_delivery, after_answer=_claimed_but_not_done_answer),
    Injection("undelivered_output", before_answer=_empty_answer, after_answer=_undelivered_output_answer),
    Injection("premature_success", after_first_sub=_premature_success),
    Injection("budget_exceeded", after_first_sub=_budget_exceeded),
    Injection("delegation_depth", after_plan=_delegation_depth),
    Injection("fan_out", after_plan=_fan_out),
    Injection("unguarded_irreversible", at_root_end=_unguarded_irreversible),
    Injection("redo_fail", at_delivery=_redo_fail_delivery, after_close=_redo_fail_after_close),
):
    INJECTIONS.register(_injection)

for _injection in (
    Injection("backoff_retry", at_target_tool=_backoff_retry),
    Injection("fallback_model", after_first_sub=_fallback_model),
    Injection("acknowledged_escalation", at_root_end=_acknowledged_escalation),
    Injection("approved_irreversible", at_root_end=_approved_irreversible),
):
    RECOVERY_SHAPES.register(_injection)
