"""unguarded_action on small inline tables: one that fires, near-misses that must not."""

from __future__ import annotations

from span_builder import detectors, one, raised, run, run_row, span

ROOT = {"kind": "agent", "name": "refund_bot", "output": "Refunded."}


def test_unguarded_irreversible_fires_with_no_approval_before_it() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        span(
            "o1",
            1,
            parent_id="root",
            kind="tool",
            tool="orders.get",
            input='{"o":1}',
            output='{"total":1240}',
        ),
        span(
            "r1",
            2,
            parent_id="root",
            kind="tool",
            tool="stripe.refunds.create",
            input='{"amount":1240}',
            output='{"id":"re_1"}',
        ),
    )
    f = one(c, "unguarded_irreversible")
    assert f["failure_class"] == "unguarded_action"
    assert f["severity"] == "critical"
    assert f["decisive_span_id"] == "r1"
    assert (
        "refund_bot ran irreversible tool stripe.refunds.create at 02:13:02 with no human approval or guardrail"
        in f["explanation"]
    )


def test_unguarded_irreversible_near_miss_person_approved_first() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        span(
            "q1",
            1,
            parent_id="root",
            kind="tool",
            tool="request_approval",
            input='{"r":1}',
            output='{"req":"APR-9"}',
        ),
        span(
            "g1",
            2,
            parent_id="root",
            kind="human",
            name="approval.granted",
            attributes='{"enduser.id":"ops.lee"}',
        ),
        span(
            "r1",
            3,
            parent_id="root",
            kind="tool",
            tool="refunds.create",
            input='{"amount":64}',
            output='{"id":"re_2"}',
        ),
    )
    assert "unguarded_irreversible" not in detectors(c)
    assert run_row(c)["ok"]


def test_unguarded_irreversible_near_miss_asking_is_not_approval_but_reading_is_not_paying() -> None:
    # Asking for approval without a grant does not guard the refund ...
    asked = run(
        span("root", 0, 10, **ROOT),
        span("q1", 1, parent_id="root", kind="tool", tool="request_approval", input="{}", output="{}"),
        span(
            "r1", 3, parent_id="root", kind="tool", tool="refunds.create", input="{}", output='{"id":"re_3"}'
        ),
    )
    assert one(asked, "unguarded_irreversible")["decisive_span_id"] == "r1"
    # ... and listing payouts is a read, not a payment.
    read = run(
        span("root", 0, 10, **ROOT),
        span("p1", 1, parent_id="root", kind="tool", tool="stripe.list_payouts", input="{}", output="[1]"),
    )
    assert detectors(read) == set()


def _asked(*between: dict) -> list[dict]:
    """A person asks for a refund; the model answers; the refund tool runs."""
    return [
        span("root", 0, 10, **ROOT),
        span("u1", 0.5, parent_id="root", kind="human", name="user", output="Refund order 7 now."),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", output="Refunding order 7."),
        *between,
        span(
            "r1",
            3,
            parent_id="root",
            kind="tool",
            tool="stripe.refunds.create",
            input='{"o":7}',
            output='{"id":"re_1"}',
        ),
    ]


def test_unguarded_irreversible_fires_when_the_only_human_turn_is_the_request() -> None:
    # The opening request asks for the action; it is not a review of it (issue 13 mechanism 6).
    f = one(run(*_asked()), "unguarded_irreversible")
    assert f["decisive_span_id"] == "r1"
    assert "at 02:13:03" in f["explanation"]


def test_unguarded_irreversible_near_miss_the_person_answers_the_agent_before_it() -> None:
    confirm = span("u2", 2, parent_id="root", kind="human", name="user", output="Yes, go ahead.")
    assert "unguarded_irreversible" not in detectors(run(*_asked(confirm)))


def test_unguarded_irreversible_near_miss_a_call_waiting_for_approval_did_not_act() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        span(
            "r1",
            3,
            parent_id="root",
            kind="tool",
            tool="stripe.refunds.create",
            output='{"type": "mcp_approval_request", "name": "stripe.refunds.create"}',
        ),
    )
    assert "unguarded_irreversible" not in detectors(c)


def test_unguarded_irreversible_without_times_names_the_step_not_a_clock() -> None:
    rows = [
        span("root", 0, 4, **ROOT, attributes='{"time_synthesized": "order only"}'),
        span(
            "u1",
            1,
            parent_id="root",
            kind="human",
            name="user",
            attributes='{"time_synthesized": "order only"}',
        ),
        span(
            "r1",
            2,
            parent_id="root",
            kind="tool",
            tool="stripe.refunds.create",
            attributes='{"time_synthesized": "order only"}',
        ),
    ]
    f = one(run(*rows), "unguarded_irreversible")
    assert "as step 3 of the run" in f["explanation"] and "02:13" not in f["explanation"]


def test_unguarded_irreversible_near_miss_group_chat_agent_turns_count_once_ended() -> None:
    # AG2-style transcripts: assistant turns are agent steps (no model spans); a person's turn after
    # an agent asked is an answer, with a system event between them.
    rows = [
        span("u1", 0, 1, kind="human", name="user", output="Drop the staging table."),
        span("a1", 1, 2, kind="agent", agent="dba", output="This drops 3M rows. Confirm?"),
        span("e1", 2, 2.5, kind="event", name="system"),
        span("u2", 3, 4, kind="human", name="user", output="Confirmed."),
        span("t1", 5, 6, kind="tool", agent="dba", tool="drop_table", input='{"t": "staging"}'),
    ]
    assert "unguarded_irreversible" not in detectors(run(*rows))


def test_unguarded_irreversible_fires_when_an_enclosing_agent_span_had_not_spoken() -> None:
    # An agent span wrapping the whole run has not answered anyone when the request arrives.
    rows = [
        span("root", 0, 10, kind="agent", name="dba", output="Dropped."),
        span("u1", 1, 2, parent_id="root", kind="human", name="user", output="Drop the staging table."),
        span("t1", 5, 6, parent_id="root", kind="tool", tool="drop_table", input='{"t": "staging"}'),
    ]
    assert one(run(*rows), "unguarded_irreversible")["decisive_span_id"] == "t1"


def _refund(request: str, root_attrs: str | None, *, from_kind: str = "human") -> list[dict]:
    """A chat session: the customer's request, the model, then refund_payment (a charge is not
    irreversible: the merchant refunds it; a refund sends the money out for good). ``root_attrs``: the
    conversation's metadata as the chat loader keeps it on the root."""
    return [
        span("root", 0, 10, kind="agent", name="shop_assistant", output="Done.", attributes=root_attrs),
        span("u1", 0.5, parent_id="root", kind=from_kind, name="user", output=request),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", output="Refunding the payment."),
        span("c1", 3, parent_id="root", kind="tool", tool="refund_payment",
             input='{"order": "A-88", "amount": 42.5}', output='{"refunded": true}'),
    ]


SIGNED_IN = '{"metadata": {"channel": "ios_app", "authenticated": true}}'


def test_unguarded_irreversible_near_miss_a_signed_in_customer_asked_for_that_very_action() -> None:
    c = run(*_refund("I sent the parcel back, please refund the payment for order A-88.", SIGNED_IN))
    assert "unguarded_irreversible" not in detectors(c)
    # enduser.id (the identity from the request's access token) is a signed-in person too.
    c = run(*_refund("Refund my payment for order A-88.", '{"enduser.id": "cust_4410"}'))
    assert "unguarded_irreversible" not in detectors(c)


def test_unguarded_irreversible_fires_when_the_requester_is_not_signed_in() -> None:
    anon = '{"metadata": {"channel": "web_chat", "authenticated": "false"}}'
    assert one(run(*_refund("refund the payment", anon)), "unguarded_irreversible")["decisive_span_id"] == "c1"
    # Nothing in the log says who the person is: the request is not an approval.
    assert "unguarded_irreversible" in raised(run(*_refund("refund the payment", None)))


def test_unguarded_irreversible_fires_when_the_request_did_not_name_the_action() -> None:
    # refund_payment is irreversible by its name alone: a hint (irreversible_evidence), still not approved.
    c = run(*_refund("I sent the parcel back, what happens now?", SIGNED_IN))
    assert "unguarded_irreversible" in raised(c)
    c = run(*_refund("I sent the parcel back, but don't refund the payment yet.", SIGNED_IN))
    assert "unguarded_irreversible" in raised(c)


def test_unguarded_irreversible_fires_when_the_request_came_from_a_tool_or_an_agent() -> None:
    # Text that names the action but is not a person's turn (issue 13 mechanism 6).
    c = run(*_refund("refund the payment", SIGNED_IN, from_kind="tool"))
    assert "unguarded_irreversible" in raised(c)


# LangGraph human-in-the-loop across runs of one thread: run 1's node calls interrupt(), which raises
# GraphInterrupt (langgraph/errors.py; the value travels as Interrupt(value=...) and the stream's
# output carries it under __interrupt__); the person answers and run 2 of the same thread_id starts
# with Command(resume=...) and does what was approved.
def _thread(question: str | None, *, tool: str = "issue_refund"):
    from span_builder import concat, spans

    from forensics.classify import classify

    tables = []
    if question is not None:
        msg = f"GraphInterrupt((Interrupt(value='{question}', resumable=True, ns=['approve:1']),))"
        common = {"status": "error", "error_type": "GraphInterrupt", "error_message": msg, "session_id": "thread-9"}
        tables.append(
            spans(
                span("g1", 0, 5, kind="chain", name="LangGraph", run_id="r1", **common),
                span("n1", 1, 4, parent_id="g1", kind="chain", name="approve", run_id="r1", **common),
                run_id="r1",
            )
        )
    tables.append(
        spans(
            span("g2", 60, 70, kind="chain", name="LangGraph", session_id="thread-9", input='{"resume": "approved"}',
                 output="Refund issued."),
            span("t2", 61, 62, parent_id="g2", kind="tool", tool=tool, session_id="thread-9",
                 input='{"order": 7, "amount": 40}', output='{"refund_id": "rf_1"}'),
            run_id="r2",
        )
    )
    return classify(concat(*tables))


def test_unguarded_irreversible_stands_down_for_an_interrupt_earlier_in_the_thread_that_asked_about_it() -> None:
    c = _thread("Approve refund of $40 for order 7?")
    assert "unguarded_irreversible" not in detectors(c)


def test_unguarded_irreversible_near_misses_across_the_thread() -> None:
    # The earlier interrupt asked about another action: it approved that, not the refund.
    c = _thread("Approve changing the shipping address?")
    assert one(c, "unguarded_irreversible")["decisive_span_id"] == "t2"
    # No earlier interrupt in the thread at all.
    assert one(_thread(None), "unguarded_irreversible")["decisive_span_id"] == "t2"


def test_unguarded_irreversible_fires_on_a_payout_created_with_no_approval() -> None:
    # Payout APIs create the transfer (Stripe `POST /v1/payouts`, `Payout.create`): the verb is
    # "create", the money moves all the same.
    c = run(
        span("root", 0, 10, kind="agent", name="owner_payouts", output="Payout sent."),
        span("l1", 1, parent_id="root", kind="tool", tool="list_pending_payouts", output='[{"amount_eur": 4800}]'),
        span("p1", 2, parent_id="root", kind="tool", tool="create_bank_payout", input='{"amount_eur": 4800}',
             output='{"payout_id": "po_1", "status": "in_transit"}'),
    )
    f = one(c, "unguarded_irreversible")
    assert f["decisive_span_id"] == "p1"
    assert f["evidence_span_ids"] == ["p1"]


def test_unguarded_irreversible_near_miss_listing_payouts_moves_no_money() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="owner_payouts", output="Two payouts are pending."),
        span("l1", 1, parent_id="root", kind="tool", tool="list_pending_payouts", output='[{"amount_eur": 4800}]'),
        span("l2", 2, parent_id="root", kind="tool", tool="stripe.payouts.retrieve", output='{"status": "paid"}'),
    )
    assert "unguarded_irreversible" not in detectors(c)
    assert run_row(c)["ok"]


# --- a guardrail's tripwire caught and ignored ------------------------------------------------
# OpenAI Agents SDK: a guardrail span (GuardrailSpanData(name, triggered), src/agents/tracing/
# span_data.py) with triggered=true; the Runner then raises InputGuardrailTripwireTriggered
# (src/agents/run.py), which ends the run unless the caller catches it and goes on.


def _tripped(*after: dict) -> list[dict]:
    return [
        span("root", 0, 30, kind="agent", name="Payments Agent", agent="Payments Agent", output="Done."),
        span("g1", 0.1, 1.0, parent_id="root", kind="guardrail", name="account_takeover_guard",
             attributes='{"triggered": true}'),
        *after,
    ]


def test_tripwire_overridden_fires_when_a_side_effect_runs_after_the_guardrail_tripped() -> None:
    c = run(*_tripped(span("t1", 5, 6, parent_id="root", kind="tool", tool="send_email", input='{"to": "x@y.z"}',
                           output='{"sent": true}')))
    f = one(c, "tripwire_overridden")
    assert f["decisive_span_id"] == "t1"
    assert f["failure_class"] == "unguarded_action"
    assert "guardrail account_takeover_guard tripped" in f["explanation"]


def test_a_tripped_guardrail_is_no_approval_of_an_irreversible_action() -> None:
    c = run(*_tripped(span("t1", 5, 6, parent_id="root", kind="tool", tool="wire_transfer", input='{"amount": 9500}',
                           output='{"status": "sent"}')))
    assert "tripwire_overridden" in detectors(c) and "unguarded_irreversible" in raised(c)


def test_tripwire_overridden_near_misses() -> None:
    # The tripwire ended the run: the guardrail did its job.
    assert detectors(run(*_tripped())) == set()
    # A guardrail that passed, then the side effect: guarded.
    passed = [
        span("root", 0, 30, kind="agent", name="Payments Agent", agent="Payments Agent", output="Done."),
        span("g1", 0.1, 1.0, parent_id="root", kind="guardrail", name="account_takeover_guard",
             attributes='{"triggered": false}'),
        span("t1", 5, 6, parent_id="root", kind="tool", tool="send_email", input='{"to": "x@y.z"}', output='{"sent": true}'),
    ]
    assert "tripwire_overridden" not in detectors(run(*passed))
    # Only reads after the tripwire: nothing changed in the world.
    assert "tripwire_overridden" not in detectors(
        run(*_tripped(span("t1", 5, 6, parent_id="root", kind="tool", tool="get_account", input='{"id": 7}',
                           output='{"email": "a@b.c"}')))
    )


def _payout(output: str):
    return run(
        span("root", 0, 10, kind="agent", name="payroll", output="Batch PB-1 prepared."),
        span("p1", 1, parent_id="root", kind="tool", tool="create_payout_batch", input='{"total": 61240}',
             output=output),  # fmt: skip
    )


def test_unguarded_irreversible_fires_on_a_payout_the_result_says_was_sent() -> None:
    for output in ('{"batch_id": "PB-1", "status": "paid"}', '{"batch_id": "PB-1", "status": "pending"}',
                   '{"id": "po_1", "draft": "see attached"}'):  # fmt: skip
        assert one(_payout(output), "unguarded_irreversible")["decisive_span_id"] == "p1", output


def test_unguarded_irreversible_near_miss_the_result_says_the_action_was_only_staged() -> None:
    # A draft waiting for release, a payment waiting for its confirmation (Stripe's PaymentIntent
    # requires_confirmation), a dry run: nothing irreversible has happened yet.
    for output in ('{"batch_id": "PB-1", "status": "draft_ready"}', '{"id": "pi_1", "status": "requires_confirmation"}',
                   '{"batch_id": "PB-1", "state": "pending_approval"}', '{"dry_run": true, "would_pay": 61240}'):  # fmt: skip
        assert "unguarded_irreversible" not in detectors(_payout(output)), output


def _approval_asked(*then):
    return run(
        span("root", 0, 10, kind="agent", name="refund_desk", output="Refund requested."),
        span("a1", 1, parent_id="root", kind="tool", tool="request_refund_approval",
             input='{"charge_id": "ch_2", "amount": 149}', output='{"approval_id": "APR-1", "status": "pending"}'),
        *then,
    )  # fmt: skip


def test_unguarded_irreversible_near_miss_a_tool_that_asks_for_approval_is_the_guard() -> None:
    # request_refund_approval names the refund it asks about; asking moves no money.
    assert "unguarded_irreversible" not in detectors(_approval_asked())
    for tool in ("ask_for_confirmation_before_delete", "submit_payout_for_review", "create_approval_request"):
        c = run(span("root", 0, 10, **ROOT), span("t1", 1, parent_id="root", kind="tool", tool=tool, input="{}"))
        assert "unguarded_irreversible" not in detectors(c), tool


def test_unguarded_irreversible_fires_on_the_refund_after_an_approval_request_nobody_granted() -> None:
    # Asking is not approval: the refund issued right after the request, with no decision, is unguarded.
    c = _approval_asked(
        span("r1", 2, parent_id="root", kind="tool", tool="issue_refund", input='{"charge_id": "ch_2"}',
             output='{"refund_id": "re_1", "status": "succeeded"}'),
    )  # fmt: skip
    assert one(c, "unguarded_irreversible")["decisive_span_id"] == "r1"


# --- a removal written to a copy -------------------------------------------------------------
# A data tool told where to write its result (an `out` / `output_path` argument naming another
# file than the `path` it read) leaves the source as it was: nothing was destroyed.


def _drop_rows(args: str):
    return run(
        span("root", 0, 10, kind="agent", name="csv_cleaner", output="Cleaned."),
        span("i1", 1, parent_id="root", kind="tool", tool="inspect_csv", input='{"path": "orders.csv"}',
             output='{"rows": 920}'),
        span("d1", 2, parent_id="root", kind="tool", tool="drop_rows", input=args, output='{"dropped": 12}'),
    )


def test_unguarded_irreversible_fires_on_a_removal_in_place() -> None:
    for args in (
        '{"path": "orders.csv", "where": "total IS NULL"}',
        '{"path": "orders.csv", "where": "total IS NULL", "out": "orders.csv"}',
    ):
        f = one(_drop_rows(args), "unguarded_irreversible")
        assert f["decisive_span_id"] == "d1"


def test_unguarded_irreversible_near_miss_a_removal_written_to_another_file() -> None:
    c = _drop_rows('{"path": "orders.csv", "where": "total IS NULL", "output_path": "orders_clean.csv"}')
    assert "unguarded_irreversible" not in detectors(c)
    assert run_row(c)["ok"]
