"""ownership_gap: a handoff or failure that nobody picks up.

The delegations its rules and their siblings read (``delegations``, ``not_taken_up``) live in
:mod:`forensics.detectors.delegated_work` and are re-exported here.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, finding, hms, num, txt
from forensics.detectors.dead_letters import parked_unread
from forensics.detectors.declined_handoffs import declined_finding, declined_handoffs
from forensics.detectors.delegated_work import delegations, not_taken_up
from forensics.detectors.delivered_handoffs import delivered_by_message
from forensics.detectors.dropped_delegation import _NOTHING as _NOTHING
from forensics.detectors.escalation_sla import late, policy_sla, record_deadline, sla_note, sla_passed
from forensics.detectors.findings import per_run_finding
from forensics.detectors.handoff_result import taken_by_named
from forensics.detectors.lapsed_approvals import lapsed_requests, requests_acted_past
from forensics.detectors.limbo_waits import MUTUAL_WAIT_WHY, mutual_waits, suspended_on_pause
from forensics.detectors.long_running import asked_and_pending, pending_approvals
from forensics.detectors.paging import http_pages
from forensics.detectors.queued_work import queued_unowned
from forensics.detectors.readdressed_handoffs import readdressed
from forensics.detectors.refused_handoffs import refused_handoffs
from forensics.detectors.refused_requests import refused_requests
from forensics.detectors.registry import register
from forensics.detectors.remote_tasks import taken_remote_tasks
from forensics.detectors.ticket_followup import (
    DEAD_OWNER,
    TICKET_ASSIGNED,
    answered_by_reference,
    taken_later,
)
from forensics.detectors.unanswered_asks import asked_person_and_hung
from forensics.detectors.unconsumed_queues import unconsumed_handoffs
from forensics.policy import Threshold

__all__ = ["TICKET_ASSIGNED", "TRANSFER_CONFIRMED", "delegations", "dangling_handoffs", "not_taken_up"]

#: The result of a conversation handoff saying the conversation was put through: tau-bench's
#: ``transfer_to_human_agents`` returns "Transfer successful" and its environment ends the episode
#: there (terminate_tools, tau_bench/envs/base.py), a contact-centre transfer returns "transferred"
#: or "connected". The receiving side took the conversation: that confirmation acknowledges it.
#: A ticket or page only notifies; its "created" or "triggered" is no acknowledgement.
TRANSFER_CONFIRMED = (
    r"(?i)\btransfer(?:red)?\s+(?:was\s+|is\s+)?(?:successful(?:ly)?|succeeded|complete[d]?|done)\b"
    r"|\bsuccessfully\s+(?:transferred|connected|handed\s+(?:off|over))\b"
)


def dangling_handoffs(ctx: Context) -> pl.DataFrame:
    """Handoff spans whose target never starts work later in the run or its session."""

    window_ms = ctx.policy.stall_seconds * 1000

    def build() -> pl.LazyFrame:
        s = ctx.spans.lazy()
        # Handoffs to humans or queues are escalations: unacknowledged_escalation judges those.
        # Materialised step by step: left lazy, the optimiser fused the join and its
        # cross-column filter into something that exhausted memory on 3M spans.
        # A handoff the framework dropped (conventions.delegation handoffs_dropped: the OpenAI Agents
        # SDK ran only the first of several requested in one turn) is a handoff to each dropped
        # agent, on the same span: one row per target.
        dropped = (
            s.filter(pl.col("handoffs_dropped").list.len() > 0)
            .explode("handoffs_dropped")
            .with_columns(
                pl.col("handoffs_dropped").alias("handoff_target"),
                pl.col("handoffs_dropped").str.to_lowercase().str.replace_all(r"[^a-z0-9]", "").alias("target_norm"),
            )
        )
        handoffs = (
            pl.concat(
                [
                    # A handoff call that itself failed handed nothing over: the caller got the error
                    # back (Claude Code's Task tool answering an is_error tool_result "Agent type 'x'
                    # not found" for an unknown subagent_type) and it is an error for the error
                    # rules to judge, not work left waiting for an agent that never took it.
                    s.filter(
                        pl.col("target_norm").is_not_null()
                        & (pl.col("target_norm") != "")
                        & ~pl.col("to_human")
                        & ~pl.col("failed")
                    ).drop("handoffs_dropped"),
                    dropped.drop("handoffs_dropped"),
                ]
            )
            .join(ctx.runs.lazy().select("run_key", "scope_key"), on="run_key")
            # What is read below and by dangling_handoff, not every span column.
            .select("run_key", "run_id", "span_id", "seq", "t", "agent", "handoff_target", "target_norm", "scope_key")
            .collect()
            .lazy()
        )
        # A transfer the framework refused (no such agent: LangGraph ToolNode, refused_handoffs).
        if (refused := refused_handoffs(ctx)) is not None:
            handoffs = pl.concat([handoffs, refused.cast(handoffs.collect_schema())]).collect().lazy()
        # Each agent's activity per run, aggregated first (a handoff is then matched against a
        # few rows per run, not every span of the target).
        work = (
            s.filter(pl.col("agent_norm").is_not_null())
            .group_by("run_key", "agent_norm")
            .agg(
                pl.col("seq").max().alias("w_seq"),
                pl.col("t").min().alias("w_first"),
                pl.col("t").max().alias("w_last"),
            )
            .join(
                ctx.runs.lazy().select("run_key", pl.col("run_id").alias("w_run"), "scope_key"), on="run_key"
            )
            .drop("run_key")
            .rename({"agent_norm": "target_norm"})
            .collect()
        )
        received = (
            handoffs.select("scope_key", "run_id", "span_id", "seq", "t", "target_norm")
            .collect()
            .join(work, on=["scope_key", "target_norm"])
            .filter(
                ((pl.col("w_run") == pl.col("run_id")) & (pl.col("w_seq") > pl.col("seq")))
                # Picked up by another run of the session, promptly (its work on it overlaps the
                # stall window after the handoff): a later, separate request that happens to use
                # the same agent is not a receipt.
                | (
                    (pl.col("w_run") != pl.col("run_id"))
                    & (pl.col("w_last") >= pl.col("t"))
                    & ((pl.col("w_first") - pl.col("t")).dt.total_milliseconds() <= window_ms)
                )
            )
            .select("run_id", "span_id", "target_norm")
            .unique()
        )
        # A delegate that works under the handoff (its agent span nested in it: CrewAI runs the
        # coworker inside the delegation tool call, whose span names the agent by its role plus
        # the method, "Local Events Researcher.execute_task") took it, whatever its span is named.
        # Another agent than the one that handed off: the delegating agent's own next step logged
        # under its instruction (a Magentic-One orchestrator turn) is no receipt.
        nested = (
            s.filter(pl.col("kind") == "agent")
            .select("run_id", pl.col("parent_id").alias("span_id"), pl.col("agent").alias("_n_agent"))
            .drop_nulls("span_id")
            .join(handoffs.select("run_id", "span_id", "agent"), on=["run_id", "span_id"])
            .filter(pl.col("_n_agent").ne_missing(pl.col("agent")))
            .select("run_id", "span_id")
            .unique()
        )
        # The same with no agent span of its own: the coworker's model calls directly under the
        # delegation tool's span (OpenInference's CrewAI wrappers span Task._execute_core and the
        # tools, not Agent.execute_task, so BaseAgentTool._execute's selected_agent.execute_task
        # shows as its LLM calls nested in the tool call). A tool call does not call a model on
        # its own caller's behalf: a model call inside it is the delegate working. Not under a
        # handoff that is itself a model call (it names its model: Monocle's inference span whose
        # answer asked for transfer_to_x, with the client library's span of the same call nested).
        # Inside it in time too (started before the call returned): a transcript whose parent link
        # is the previous message (Claude Code's parentUuid) puts the model's next turn under the
        # tool call it read the result of, after that call ended.
        # Joined on the spans' 64-bit keys (parent_k to span_k), not the (run_id, span_id) strings:
        # every model call met every span with no model.
        thought = (
            s.filter((pl.col("kind") == "llm") & pl.col("parent_id").is_not_null())
            .select(pl.col("parent_k").alias("span_k"), pl.col("t").alias("c_t"))
            .join(
                s.filter(pl.col("model").is_null()).select("span_k", "run_id", "span_id", pl.col("end_time").alias("h_end")),
                on="span_k",
            )
            .filter((pl.col("c_t") < pl.col("h_end")).fill_null(False))
            .select("run_id", "span_id")
            .join(handoffs.select("run_id", "span_id"), on=["run_id", "span_id"], how="semi")
            .unique()
        )
        dangling = (
            handoffs.join(received.lazy(), on=["run_id", "span_id", "target_norm"], how="anti")
            .join(nested, on=["run_id", "span_id"], how="anti")
            # Published to a queue whose consumer ran another agent (delivered_handoffs).
            .join(delivered_by_message(s, handoffs), on=["run_id", "span_id"], how="anti")
            .join(thought, on=["run_id", "span_id"], how="anti")
            # Its result names the agent now answering, who works (handoff_result), or an A2A task read as taken (remote_tasks).
            .join(pl.concat([taken_by_named(s, handoffs), taken_remote_tasks(s, handoffs)]), on=["run_id", "span_id"], how="anti")
            .join(_cut_by_step_limit(s, handoffs), on=["run_id", "span_id"], how="anti")
            .join(_node_named_for_target(s, handoffs), on=["run_id", "span_id", "target_norm"], how="anti")
            .collect()
            .lazy()
        )
        # Refused for naming no such coworker, then made again to one who took it (readdressed_handoffs).
        return dangling.join(readdressed(s, handoffs, dangling), on=["run_id", "span_id"], how="anti")

    # Built inside ``once``: build() collects its steps as it goes, so calling it before the cache
    # was looked up redid them for every caller (dangling_handoff, claim_delegates).
    return ctx.once("dangling_handoffs", lambda: build().collect())


def _node_named_for_target(s: pl.LazyFrame, handoffs: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, target_norm`` of handoffs after which a graph node named for the target ran in the same
    run: langgraph-supervisor and langgraph-swarm add each agent to the graph as a node named after
    it (``StateGraph.add_node(agent.name, agent)``; langgraph_supervisor/supervisor.py,
    langgraph_swarm/swarm.py) and the transfer tool's ``Command(goto=agent.name)`` runs that node,
    whose run the tracer names by the node (the LangChain callback's run name), while the agent's own
    steps inside it are named for create_react_agent's inner nodes ("agent", "tools") and carry no
    agent name. The node named for the target, started after the handoff, is the target at work."""
    nodes = (
        s.filter(pl.col("kind").is_in(["chain", "agent"]) & pl.col("call").is_not_null())
        .select("run_id", pl.col("seq").alias("_n_seq"), pl.col("call").str.to_lowercase().str.replace_all(r"[^a-z0-9]", "").alias("target_norm"))
    )
    return (
        handoffs.select("run_id", "span_id", "seq", "target_norm")
        .join(nodes, on=["run_id", "target_norm"])
        .filter(pl.col("_n_seq") > pl.col("seq"))
        .select("run_id", "span_id", "target_norm")
        .unique()
    )


def _cut_by_step_limit(s: pl.LazyFrame, handoffs: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of handoffs that were the run's last step because a step, turn or
    recursion limit stopped the run right there (conventions ``step_limit``, not a spend budget):
    LangGraph checks its recursion_limit before each superstep and raises GraphRecursionError
    instead of running the next node (langgraph/pregel: the loop's ``out_of_steps``), so a
    langgraph-swarm ``Command(goto=agent, graph=PARENT)`` issued at the last step is never run. The
    target could not start: the limit stopped the run (budget_exceeded, or the loop that used the
    steps up), nobody left the handoff lying."""
    last = s.group_by("run_id").agg(pl.col("seq").max().alias("_last_seq"))
    limits = (
        s.filter(pl.col("step_limit") & ~pl.col("budget_stop"))
        .group_by("run_id")
        .agg(pl.coalesce("end_time", "t").max().alias("_stop_end"))
    )
    return (
        handoffs.select("run_id", "span_id", "seq", "t")
        .join(last, on="run_id")
        .join(limits, on="run_id")
        .filter((pl.col("seq") == pl.col("_last_seq")) & (pl.col("_stop_end") >= pl.col("t")))
        .select("run_id", "span_id")
        .unique()
    )


@register
class DanglingHandoff(Detector):
    name = "dangling_handoff"
    failure_class = "ownership_gap"
    scope = "session"
    severity = "high"
    strength = "strong"
    description = (
        "A handoff (handoff span, transfer_to_<agent> tool, delegation) after which the target agent "
        "never starts work in the run or a later run of its session, nor under the handoff (another "
        "agent's span, or model calls, nested in it, as CrewAI runs a coworker inside its delegation tool call), "
        "nor the agent its result names as now answering (OpenAI Agents SDK {'assistant': name}); or whose target "
        "answered that the work is not its own, did nothing, and nobody took it up after (declined_handoffs)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        dangling = dangling_handoffs(ctx).lazy()
        # A receiver that declined the work as not its own (declined_handoffs), where none dangles.
        declined = declined_finding(declined_handoffs(ctx).join(dangling, on="run_id", how="anti"))
        return pl.concat([self._never_started(dangling), declined])

    def _never_started(self, dangling: pl.LazyFrame) -> pl.LazyFrame:
        return per_run_finding(
            dangling,
            first=["agent", "handoff_target", "t"],
            explanation=pl.format(
                "{} handed off to {} at {} and {} never started work afterwards in the run or its session "
                "({} unreceived handoff(s) in the run)",
                txt(pl.col("agent"), "an unnamed agent"),
                pl.col("handoff_target"),
                hms("t"),
                pl.col("handoff_target"),
                pl.col("n"),
            ),
        )


@register
class UnacknowledgedEscalation(Detector):
    name = "unacknowledged_escalation"
    failure_class = "ownership_gap"
    scope = "run"
    severity = "high"
    thresholds = (
        Threshold("escalation_sla_seconds", 0.0,
                  "Seconds within which an escalation must be acknowledged; 0: the policy sets none (only an "
                  "escalation's own recorded deadline, or none acknowledged before the log ends, is judged).",
                  "a number of seconds >= 0", lambda v: v >= 0, (int, float), required=False),
    )
    strength = "weak"
    description = (
        "An escalation to a human or queue (policy tools.escalation, handoff to an escalation target, "
        "a LangGraph interrupt or a tool approval request, an incident a tool opened: incident_state "
        "triggered) with no acknowledgement (a human, an acknowledgement step, the same incident "
        "reported acknowledged or resolved) or human activity "
        "before the log ends, or past an SLA someone stated: the escalation's own recorded deadline (a ticket's sla_due), "
        "else thresholds.escalation_sla_seconds when the policy sets one (escalation_sla). The person who asked "
        "writing again (the speaker of the run's first human message, before the escalation) is the requester waiting, not "
        "an acknowledgement, except for a pause, where that person is the one asked, or a turn naming the reference "
        "the escalation's result returned that no question to a person had shown (the receiving side). A paused graph that was "
        "resumed (later work in the run, or a later run of its session; for a tool call stopped for "
        "approval, work inside an agent or an answer arriving, not an application's marker span outside "
        "every agent) was taken up, however late: "
        "the SLA applies to pages, tickets and queues, not to a decision a person was asked for. A "
        "conversation handed over (a handoff) whose own result says it was put through ('Transfer "
        "successful': tau-bench's transfer_to_human_agents, which ends the episode) was taken by the "
        "receiving side; a ticket or page created is not, unless the ticket came back assigned to "
        "someone (its assignee / assignee_id / assigned_to set), or a later call of the run naming the ticket "
        "reports it assigned or acknowledged / in progress / solved / closed, or a later read of the approval "
        "request (its approval_id or request_id) reports it approved or rejected: it has an owner. A pending "
        "approval request that a later read reports expired with nobody deciding was never answered "
        "(lapsed_approvals), unless the run then took an irreversible action anyway with no person's word after "
        "the lapse: it decided for itself, and the act is unguarded_irreversible's. A page's "
        "assignment is none: a page is taken when acknowledged. A record a tool opened in a named queue or a triage status with its owner "
        "left empty or a deactivated account, by its result or a later read of it (queued_work), is an escalation to that queue, whatever the tool is called; so is work sent to a "
        "dead-letter queue no later call of the run or session reads, no later escalation took on and no read shows a "
        "consumer on (dead_letters); a request for a person's "
        "decision the messaging API refused (Slack's ok: false, refused_requests) reached nobody."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        # Found once per Context: limbo reads the same findings (limbo_waits.suspended_on_pause), and as a
        # LazyFrame they were computed again there.
        return ctx.once("unacknowledged_escalations", lambda: self._unacknowledged(ctx).collect()).lazy()

    def _unacknowledged(self, ctx: Context) -> pl.LazyFrame:
        # The policy's SLA, where it sets one; an escalation's own record may state its deadline (escalation_sla).
        sla = policy_sla(ctx.policy.escalation_sla_seconds)
        s = ctx.spans.lazy()
        cols = ("run_id", "span_id", "seq", "t", "end_time", "call", "kind", "handoff_target", "pause_escalation", "incident_key", "output", "target_norm", "decided_in_result", "incident_state")
        run_agents = (
            s.filter(pl.col("agent_norm").is_not_null()).select("run_id", pl.col("agent_norm").alias("target_norm")).unique()
        )
        # An incident a tool opened (incident_state "triggered": a PagerDuty incident created, an
        # Events API trigger) is an escalation to on-call, whatever the tool is called; a later report
        # of it still "triggered" is not a second one. Also a plain span (a Langfuse @observe()
        # function is an as_type="span" observation unless typed "tool": our chain kind).
        # A read of an incident the run opened, still triggered (conventions awaits_incident), is
        # waiting on that page, not a page of its own.
        # A step that reports its call's result as its own output (smolagents' `Step N`: the step's
        # observations) names the same incident triggered as the page under it: the page is the
        # escalation, the step its wrapper (forensics.conventions.pauses._incident_checks).
        # The run's own top span with work under it, naming an incident triggered, names the event
        # that started the run (a PagerDuty webhook, v3 event_type "incident.triggered", kept as the
        # trace's metadata or attributes): the run received that page, it did not send one; a page
        # it sent is a call under it. A lone root (a single @observe() function) is still the page.
        parents = s.select("run_id", pl.col("parent_k").alias("span_k")).unique()
        received = s.filter(pl.col("is_root")).join(parents, on=["run_id", "span_k"], how="semi").select("run_id", "span_k")
        paging = s.filter(
            pl.col("kind").is_in(["tool", "chain"]) & (pl.col("incident_state") == "triggered") & ~pl.col("failed")
            & ~pl.col("awaits_incident")
        ).join(received, on=["run_id", "span_k"], how="anti")
        opened = paging.join(
            paging.select("run_id", pl.col("parent_k").alias("span_k")).unique(), on=["run_id", "span_k"], how="anti"
        ).filter(pl.col("seq") == pl.col("seq").min().over("run_id", pl.col("incident_key").list.sort()))
        # A request for a decision the messaging API refused (refused_requests) comes first: its
        # note says why nobody acknowledged it, where the same call is also a named escalation.
        named = pl.concat(
            [refused_requests(s, cols), pending_approvals(s, cols), s.filter(pl.col("is_escalation") & ~pl.col("failed")).select(cols), opened.select(cols),
             unconsumed_handoffs(ctx, cols), queued_unowned(s, cols, ctx.policy.side_effecting), parked_unread(s, cols)],
            how="diagonal_relaxed",
        )
        # A page sent as a plain HTTP request (paging.http_pages: POST events.pagerduty.com/v2/enqueue);
        # the tool call that made the request is the page, judged once.
        # Collected once: seven parts below read it, and as a plan each computed it again.
        esc = pl.concat([named, http_pages(s, cols)], how="diagonal_relaxed").unique(["run_id", "span_id"], keep="first").collect().lazy()
        # The person who asked (the speaker of the run's first human message) writing again is the
        # requester waiting, not the queue or on-call the work was escalated to taking it ("it's
        # been 40 minutes and nobody called"); for a pause the person asked is that requester.
        requester = (
            s.filter(pl.col("kind") == "human")
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(pl.col("call").first().alias("_requester"), pl.col("seq").first().alias("a_req_seq"))
        )
        acks = (
            s.filter(pl.col("is_ack"))
            .join(requester, on="run_id", how="left")
            .select(
                "run_id", pl.col("seq").alias("a_seq"), pl.col("t").alias("a_t"),
                ((pl.col("kind") == "human") & pl.col("call").eq_missing(pl.col("_requester"))).alias("a_requester"),
                "a_req_seq",
            )
        )
        # The incident acknowledged or resolved (a later call or event reporting it so): one
        # identifier in common (the same incident), or none named on one side to tell them apart.
        incident_acks = s.filter(pl.col("incident_state").is_in(["acknowledged", "resolved"])).select(
            "run_id", pl.col("seq").alias("a_seq"), pl.col("t").alias("a_t"), pl.col("incident_key").alias("a_key")
        )
        # A pause resumes: the graph only runs again once someone answered it. Work that starts
        # after the pause ended, in the run or in a later run of its session, is the resumption.
        work = s.filter(pl.col("kind").is_in(["agent", "llm", "tool", "chain", "retriever", "human", "event"])).select(
            "run_id", pl.col("seq").alias("a_seq"), pl.col("t").alias("a_t"), pl.col("kind").alias("a_kind"),
            pl.col("agent").is_not_null().alias("a_in_agent"),
        )
        scopes = ctx.runs.lazy().select("run_id", "scope_key", pl.col("start_time").alias("r_start"))
        resumed_here = (  # (a pending request: only an answer arriving, a person's turn or an event)
            esc.filter(pl.col("pause_escalation"))
            .join(work, on="run_id")
            .filter(
                (pl.col("a_seq") > pl.col("seq"))
                & pl.when(asked_and_pending()).then(pl.col("a_kind").is_in(["human", "event"])).otherwise(pl.col("a_kind") != "event")
                # A tool call stopped for approval (OpenAI Agents SDK needs_approval) resumes when the
                # runner runs again from its RunState: work inside an agent, or an answer arriving; an
                # application's own marker outside every agent (a custom span) is not the run going on.
                & ((pl.col("kind") != "tool") | pl.col("a_in_agent") | pl.col("a_kind").is_in(["human", "event"]))
                # Without times, the run's order alone says "after".
                & (pl.col("a_t") >= pl.coalesce("end_time", "t")).fill_null(True)
            )
            .select("run_id", "span_id", "a_t")
        )
        resumed_later = (
            esc.filter(pl.col("pause_escalation"))
            .join(scopes.select("run_id", "scope_key"), on="run_id")
            .join(scopes.rename({"run_id": "o_run"}), on="scope_key")
            .filter((pl.col("o_run") != pl.col("run_id")) & (pl.col("r_start") >= pl.col("t")))
            .select("run_id", "span_id", pl.col("r_start").alias("a_t"))
        )
        first_ack = (
            pl.concat(
                [
                    esc.join(acks, on="run_id")
                    # (The requester: who spoke before the escalation, not its first answerer.)
                    .filter(
                        (pl.col("a_seq") > pl.col("seq"))
                        & ~(pl.col("a_requester") & (pl.col("a_req_seq") < pl.col("seq")) & ~pl.col("pause_escalation"))
                    )
                    .select("run_id", "span_id", "a_t"),
                    esc.join(incident_acks, on="run_id")
                    .filter(
                        (pl.col("a_seq") > pl.col("seq"))
                        & (
                            (pl.col("a_key").list.len() == 0).fill_null(True)
                            | (pl.col("incident_key").list.len() == 0).fill_null(True)
                            | (pl.col("a_key").list.set_intersection("incident_key").list.len() > 0)
                        )
                    )
                    .select("run_id", "span_id", "a_t"),
                    resumed_here,
                    resumed_later,
                    # The ticket it filed, reported assigned or worked on by a later call naming it.
                    taken_later(s, esc, TICKET_ASSIGNED),
                    # A person's turn naming the reference only the escalation's result held.
                    answered_by_reference(s, esc),
                    # An escalation whose own result says someone took it: the ticket or incident it
                    # opened came back acknowledged or resolved ("status": "acknowledged", an
                    # acknowledged_at), or the request for a decision returned the person's answer.
                    esc.filter(
                        pl.col("decided_in_result").fill_null(False)
                        | pl.col("incident_state").is_in(["acknowledged", "resolved"]).fill_null(False)
                        # A ticket (no incident) its own result says is assigned to someone (an active account).
                        | (
                            (pl.col("kind") == "tool")
                            & pl.col("incident_state").is_null()
                            & (pl.col("output").str.contains(TICKET_ASSIGNED) & ~pl.col("output").str.contains(DEAD_OWNER)).fill_null(False)
                        )
                    ).select("run_id", "span_id", pl.coalesce("end_time", "t").alias("a_t")),
                    # A handoff of the conversation that its own result says was put through, to
                    # a receiver outside the log (no agent of the run by that name: whether an
                    # agent of the run took it up, its own work says).
                    esc.filter(
                        (pl.col("kind") == "handoff") & pl.col("output").str.contains(TRANSFER_CONFIRMED).fill_null(False)
                    )
                    .join(run_agents, on=["run_id", "target_norm"], how="anti")
                    .select("run_id", "span_id", pl.coalesce("end_time", "t").alias("a_t")),
                ]
            )
            .group_by("run_id", "span_id")
            # Counted, not only timed: in a log without times an acknowledgement still comes after
            # the escalation in the run's order.
            .agg(pl.col("a_t").min().alias("ack_t"), pl.len().alias("n_ack"))
        )
        # A request for a decision that a later read (or its own result) reports expired with
        # nobody deciding was never answered, whatever the run did meanwhile (lapsed_approvals).
        lapsed = lapsed_requests(s).select("run_id", "span_id", pl.lit(True).alias("lapsed"))
        # A lapsed request the run then acted past (the irreversible action it was about, taken
        # anyway) was not left with nobody: the run read the lapse and decided for itself. That
        # act is the failure (unguarded_irreversible, decisive at the act): one story, one class.
        acts = s.filter((pl.col("kind") == "tool") & pl.col("succeeded") & pl.col("is_irreversible").fill_null(False))
        esc = esc.join(requests_acted_past(s, acts), on=["run_id", "span_id"], how="anti")
        judged = (
            esc.join(first_ack, on=["run_id", "span_id"], how="left")
            .join(lapsed, on=["run_id", "span_id"], how="left")
            .with_columns(pl.col("lapsed").fill_null(False), pl.when(pl.col("lapsed")).then(None).otherwise(pl.col("n_ack")).alias("n_ack"))
            .join(ctx.runs.lazy().select("run_id", "last_activity"), on="run_id")
            .with_columns(
                ((pl.col("ack_t") - pl.col("t")).dt.total_milliseconds() / 1000).alias("delay_s"),
                ((pl.col("last_activity") - pl.col("t")).dt.total_milliseconds() / 1000).alias("tail_s"),
                record_deadline().alias("deadline"),
            )
            # A pause for a person's decision that was answered was owned however long the person
            # took: the graph waits with its state checkpointed, by design (LangGraph interrupt,
            # an approval request). The SLA is for pages, tickets and queues, where a late
            # acknowledgement means nobody held the work meanwhile.
            .filter(pl.col("n_ack").is_null() | (late(sla) & ~pl.col("pause_escalation")))
        )
        target = (
            pl.when(pl.col("pause_escalation"))
            .then(pl.format("a pause for a person's decision at {} {}", pl.col("kind"), txt(pl.col("call"))))
            .when(pl.col("kind") == "handoff")
            .then(pl.format("a handoff to {}", txt(pl.col("handoff_target"))))
            .otherwise(pl.format("{} {}{}", pl.col("kind"), txt(pl.col("call")), pl.col("queue_note").fill_null("")))
        )
        why = (
            pl.when(pl.col("n_ack").is_null())
            .then(
                pl.format(
                    "the run escalated through {} at {} and nobody acknowledged it before the log ended {} s later{}{}",
                    target,
                    hms("t"),
                    num(pl.col("tail_s")),
                    sla_note(sla),
                    pl.when(pl.col("lapsed")).then(pl.lit("; the request lapsed with no decision")).otherwise(pl.lit("")),
                )
            )
            .otherwise(
                pl.format(
                    "the run escalated through {} at {} and the first acknowledgement came {} s later, past{}",
                    target,
                    hms("t"),
                    num(pl.col("delay_s")),
                    sla_passed(sla),
                )
            )
        )
        per_run = (
            judged.with_columns(why.alias("why"))
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.col("span_id").first().alias("first_id"),
                pl.col("why").first(),
            )
        )
        return per_run.select(finding("run_id", pl.col("ids"), "first_id", pl.col("why")))


@register
class Limbo(Detector):
    name = "limbo"
    failure_class = "ownership_gap"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "The run has no terminal state and its last activity is a handoff or an escalation; or an AG2 group chat "
        "that ended with no termination message, its last two speakers each waiting on the other by name."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        # The last activity: the run's last span, or the handoff it waits on when the agent that
        # handed off never acted again (runs.awaiting_span_id: the delegate's own later work is
        # not the run's activity; its report never came back).
        # The run's last span may be no activity at all (a wrapper, an event the instrumentation
        # wrote after the call): the last activity is its last model, tool, retriever or handoff
        # call, or escalation, when it has one.
        acts = ctx.spans.lazy().filter(
            pl.col("kind").is_in(["llm", "tool", "retriever", "handoff"])
            | pl.col("is_escalation")
            | pl.col("handoff_target").is_not_null()
        )
        # Only open runs are judged: their activity alone is ordered.
        open_ids = ctx.runs.lazy().filter(pl.col("reported_outcome") == "open").select("run_id")
        last_act = (
            acts.join(open_ids, on="run_id", how="semi")
            .group_by("run_id")
            .agg(pl.col("span_id").sort_by("seq").last().alias("_last_act"))
        )
        open_runs = (
            ctx.runs.lazy()
            .filter(pl.col("reported_outcome") == "open")
            .join(last_act, on="run_id", how="left")
            .select("run_id", pl.coalesce("awaiting_span_id", "_last_act", "last_span_id").alias("last_span_id"))
        )
        last = (
            ctx.spans.lazy()
            .join(open_runs, left_on=["run_id", "span_id"], right_on=["run_id", "last_span_id"], how="semi")
            .filter(pl.col("handoff_target").is_not_null() | pl.col("is_escalation"))
        )
        what = (
            pl.when(pl.col("asked_tool").is_not_null())
            .then(pl.format("a question to a person through {}, asked by {} {} and never answered", pl.col("asked_tool"), pl.col("kind"), txt(pl.col("call"))))
            .when(pl.col("is_escalation"))
            .then(pl.format("an escalation through {} {}", pl.col("kind"), txt(pl.col("call"))))
            .otherwise(pl.format("a handoff to {}", txt(pl.col("handoff_target"))))
        )
        # A run the export shows hung on a question to a person (unanswered_asks).
        asked = asked_person_and_hung(ctx).join(last.select("run_id"), on="run_id", how="anti")
        # A group chat out of rounds with its last two speakers waiting on each other (limbo_waits).
        mutual = mutual_waits(ctx).join(last.select("run_id"), on="run_id", how="anti")
        last = pl.concat([last, suspended_on_pause(ctx, open_runs), asked, mutual], how="diagonal_relaxed")
        why = pl.format(
            "the run never reached a terminal state and its last activity was {} at {}, which nobody took up", what, hms("t")
        )
        return last.select(
            finding(
                "run_id",
                pl.concat_list(pl.col("span_id")),
                "span_id",
                pl.when(pl.col("waiter").is_not_null()).then(MUTUAL_WAIT_WHY).otherwise(why),
            )
        )
