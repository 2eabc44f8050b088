"""silent_failure detectors on small inline tables: one that fires, one near-miss each."""

from __future__ import annotations

import dataclasses
import json

import pytest
from span_builder import detectors, findings, one, run, run_row, span

from forensics.policy import Policy, load_policy

ROOT = {"kind": "agent", "name": "assistant"}


def test_swallowed_error_fires_when_success_hides_an_unrecovered_error() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Here is your summary."),
        span(
            "t1",
            1,
            parent_id="root",
            kind="tool",
            tool="crm.lookup",
            input='{"id":1}',
            status="error",
            error_message="HTTP 429 Too Many Requests",
        ),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="Here is your summary."),
    )
    f = one(c, "swallowed_error")
    assert f["failure_class"] == "silent_failure"
    assert f["severity"] == "critical"
    assert f["decisive_span_id"] == "t1"
    assert (
        "tool crm.lookup failed with HTTP 429 at 02:13:01 and it was never retried, yet the run reported success"
        in f["explanation"]
    )


def test_swallowed_error_near_miss_recovered_by_a_later_retry() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Here is your summary."),
        span(
            "t1",
            1,
            parent_id="root",
            kind="tool",
            tool="crm.lookup",
            input='{"id":1}',
            status="error",
            error_type="429",
        ),
        span(
            "t2",
            3,
            parent_id="root",
            kind="tool",
            tool="crm.lookup",
            input='{"id":1}',
            output='{"name":"Ada"}',
        ),
    )
    assert "swallowed_error" not in detectors(c)
    assert run_row(c)["ok"]


def test_error_as_data_fires_on_an_ok_span_with_an_error_body() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="The quote is EUR 0.00."),
        span(
            "fx",
            1,
            parent_id="root",
            kind="tool",
            tool="fx.convert",
            input='{"usd": 10}',
            output='{"error": "429 Too Many Requests"}',
        ),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="The quote is EUR 0.00."),
    )
    f = one(c, "error_as_data")
    assert f["decisive_span_id"] == "fx"
    assert (
        'tool fx.convert returned "{"error": "429 Too Many Requests"}" with status ok at 02:13:01'
        in f["explanation"]
    )
    assert "swallowed_error" not in detectors(c)  # no span had error status


def _empty_result(tool: str, output: str):
    return run(
        span("root", 0, 10, **ROOT, output="Nothing to report."),
        span("t", 1, parent_id="root", kind="tool", tool=tool, input='{"id": "A-17"}', output=output),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="Nothing to report."),
    )


def test_error_as_data_fires_on_an_empty_answer_where_one_thing_was_asked_for() -> None:
    # A get that returns nothing at all did not answer: the contract was a record.
    for output in ("{}", "null", ""):
        f = one(_empty_result("get_invoice", output), "error_as_data")
        assert f["decisive_span_id"] == "t", output


def test_error_as_data_near_miss_an_empty_list_or_an_empty_search_is_an_answer() -> None:
    # "[]" is a well-formed answer ("none"), from any tool; a search or list tool that finds
    # nothing has answered too, whatever empty shape it writes.
    for tool, output in (("list_incidents", "[]"), ("get_invoices", "[]"), ("search_docs", "{}"),
                         ("kb.find", "null"), ("orders.query", "")):  # fmt: skip
        assert "error_as_data" not in detectors(_empty_result(tool, output)), (tool, output)


def test_error_as_data_near_miss_a_command_that_printed_nothing() -> None:
    # A shell command's result is what it printed ('mkdir -p', 'git add', a grep with no match):
    # an empty one is no missing record. Only a read by its name (get, read, fetch) promised one.
    for tool in ("Bash", "run_shell_command", "execute_python"):
        assert "error_as_data" not in detectors(_empty_result(tool, "")), tool


def test_error_as_data_near_miss_the_agent_retried() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="The quote is EUR 9.21."),
        span(
            "fx",
            1,
            parent_id="root",
            kind="tool",
            tool="fx.convert",
            input='{"usd": 10}',
            output='{"error": "busy"}',
        ),
        span(
            "fx2",
            3,
            parent_id="root",
            kind="tool",
            tool="fx.convert",
            input='{"usd": 10}',
            output='{"eur": 9.21}',
        ),
    )
    assert "error_as_data" not in detectors(c)
    assert run_row(c)["ok"]


def test_claimed_but_not_done_fires_on_a_claim_with_no_matching_call() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Done! I've emailed your receipt to the address on file."),
        span(
            "t1", 1, parent_id="root", kind="tool", tool="orders.get", input='{"o":1}', output='{"total": 5}'
        ),
        span(
            "l1",
            2,
            9.5,
            parent_id="root",
            kind="llm",
            model="gpt-4o",
            output="Done! I've emailed your receipt to the address on file.",
        ),
    )
    f = one(c, "claimed_but_not_done")
    # The answer came from the model call; the root only passed it up.
    assert f["decisive_span_id"] == "l1"
    assert 'at 02:13:09 says "I\'ve emailed your receipt to the address on file"' in f["explanation"]
    assert "no tool call for sending a message succeeded in the run (0 failed attempt(s))" in f["explanation"]


def test_claimed_but_not_done_points_at_the_failed_attempt() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="All set! Your hotel in Le Marais is booked for Jan 4-7."),
        span(
            "b1",
            1,
            parent_id="root",
            kind="tool",
            tool="hotels.book",
            input='{"h": 1}',
            status="error",
            error_type="500",
        ),
    )
    f = one(c, "claimed_but_not_done")
    assert f["decisive_span_id"] == "b1"
    assert "(1 failed attempt(s))" in f["explanation"]


def test_claimed_but_not_done_near_miss_the_email_was_sent() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="I've emailed your receipt."),
        span(
            "s1",
            1,
            parent_id="root",
            kind="tool",
            tool="email.send",
            input='{"to":"a"}',
            output='{"accepted":true}',
        ),
    )
    assert "claimed_but_not_done" not in detectors(c)
    assert run_row(c)["ok"]


def test_undelivered_output_fires_on_an_empty_answer() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output='{"output":""}'),
        span(
            "l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", output='{"generations":[[{"text":""}]]}'
        ),
        span(
            "p1",
            3,
            parent_id="root",
            kind="tool",
            tool="slack.post_message",
            input='{"text":""}',
            output='{"ok":true}',
        ),
    )
    f = one(c, "undelivered_output")
    assert f["decisive_span_id"] == "l1"
    assert "reported success at 02:13:10 with an empty final output" in f["explanation"]


def test_undelivered_output_fires_when_every_delivery_failed() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Report ready."),
        span(
            "d1",
            1,
            parent_id="root",
            kind="tool",
            tool="email.send",
            input='{"to":"x"}',
            status="error",
            error_type="503",
        ),
        span(
            "d2",
            3,
            parent_id="root",
            kind="tool",
            tool="email.send",
            input='{"to":"x"}',
            status="error",
            error_type="503",
        ),
    )
    f = one(c, "undelivered_output")
    assert f["decisive_span_id"] == "d1"
    assert (
        "none of its 2 delivery attempt(s) succeeded (first: tool email.send at 02:13:01)" in f["explanation"]
    )


def test_undelivered_output_near_miss_delivered() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Report ready."),
        span(
            "d1", 1, parent_id="root", kind="tool", tool="email.send", input='{"to":"x"}', output='{"id":1}'
        ),
    )
    assert "undelivered_output" not in detectors(c)
    assert run_row(c)["ok"]


def test_premature_success_fires_when_a_child_never_ended() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Export complete."),
        span("u1", 1, None, parent_id="root", kind="tool", tool="s3.upload", input='{"k":"a.zip"}'),
        span("u2", 2, None, parent_id="root", kind="tool", tool="s3.upload", input='{"k":"b.zip"}'),
    )
    f = one(c, "premature_success")
    assert f["decisive_span_id"] == "u1"
    assert f["evidence_span_ids"] == ["u1", "u2"]
    assert (
        "reported success at 02:13:10 while 2 of its spans never ended (first: tool s3.upload started at 02:13:01)"
        in f["explanation"]
    )
    assert "stall" not in detectors(c)


def test_premature_success_near_miss_everything_ended() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Export complete."),
        span(
            "u1",
            1,
            5,
            parent_id="root",
            kind="tool",
            tool="s3.upload",
            input='{"k":"a.zip"}',
            output='{"etag":"x"}',
        ),
    )
    assert "premature_success" not in detectors(c)
    assert run_row(c)["ok"]


# --- claimed_but_not_done: the run's own tool vocabulary, and quotes of the user ----------------


def _vocabulary_only() -> Policy:
    """The shipped policy without its [[claims]] phrases: only the runs' own tool vocabulary."""
    return dataclasses.replace(load_policy(), claims=())


def _invoice_run(answer: str, *, task: str | None = None, ok: bool = False, tool: str = "send_invoice") -> dict:
    """An agent that calls ``tool`` (failing unless ``ok``) and answers ``answer``; claims are
    judged by the tool vocabulary alone."""
    result = {"output": '{"id": "INV-7", "status": "sent"}'} if ok else {"status": "error", "error_type": "503"}
    c = run(
        span("root", 0, 10, **ROOT, input=task, output=answer),
        span("s1", 1, parent_id="root", kind="tool", tool=tool, input='{"invoice": "INV-7"}', **result),
        span("l1", 2, 9.5, parent_id="root", kind="llm", model="gpt-4o", output=answer),
        policy=_vocabulary_only(),
    )
    return {"c": c, "found": findings(c, "claimed_but_not_done")}


def test_claim_in_the_runs_tool_vocabulary_fires_when_that_tool_never_succeeded() -> None:
    r = _invoice_run("I sent the invoice to Acme this morning.")
    (f,) = r["found"]
    assert f["decisive_span_id"] == "s1"  # the failed call is where the action was lost
    assert f["strength"] == "weak"  # read from text
    assert 'says "I sent the invoice to Acme this morning" but no call of tool send_invoice succeeded' in (
        f["explanation"]
    )
    assert "(1 failed attempt(s))" in f["explanation"]
    # Other spellings of the same tool and claim: camelCase with a passive, resource.verb with a headline.
    assert _invoice_run("Done: the invoice has been sent.", tool="sendInvoice")["found"]
    assert _invoice_run("Invoice sent.", tool="invoices.send")["found"]
    assert _invoice_run("I voided invoice INV-7 as asked.", tool="invoices.void")["found"]
    # A consequence after the claim ("won't") does not negate it.
    assert _invoice_run("Invoice sent, and you won't be billed twice.")["found"]


def test_claim_in_the_tool_vocabulary_near_misses() -> None:
    # The same claim, backed by a successful call.
    assert not _invoice_run("I sent the invoice to Acme this morning.", ok=True)["found"]
    # The sentence reports the failure, or the claim is conditional.
    assert not _invoice_run("The invoice was not sent: the billing service is down.")["found"]
    assert not _invoice_run("Once the invoice is sent, Acme gets a copy.")["found"]
    # The sentence goes on to say it went wrong.
    assert not _invoice_run("I sent the invoice to Acme, but it bounced.")["found"]
    # A different object: sending a reminder is not sending the invoice.
    assert not _invoice_run("I sent a reminder to Acme.")["found"]


def test_a_user_sentence_quoted_back_is_not_the_agents_claim() -> None:
    task = "I already sent the invoice to Acme yesterday. Why has nobody paid?"
    answer = 'You wrote "I already sent the invoice to Acme yesterday". The payment is still open.'
    assert not _invoice_run(answer, task=task)["found"]
    # Policy claims too: the user's sentence holds "I've emailed", the agent quotes it.
    c = run(
        span("root", 0, 10, **ROOT, input="I've emailed the signed contract to legal. What next?",
             output='Since "I\'ve emailed the signed contract to legal", the next step is their review.'),
        span("t1", 1, parent_id="root", kind="tool", tool="contracts.get", input='{"c":1}', output='{"s": "signed"}'),
    )  # fmt: skip
    assert "claimed_but_not_done" not in detectors(c)
    # A human message in a transcript counts as the user's words the same way.
    c = run(
        span("u1", 0, kind="human", name="user", output="My email was sent to the wrong address! Fix it."),
        span("a1", 1, kind="llm", model="gpt-4o", output='I understand: "my email was sent to the wrong address".'),
        span("t1", 2, kind="tool", tool="send_email", input='{"to": "b"}', status="error", error_type="500"),
        span("a2", 3, kind="llm", model="gpt-4o", output='Sorry that "my email was sent to the wrong address".'),
    )  # fmt: skip
    assert "claimed_but_not_done" not in detectors(c)


def test_the_agent_repeating_part_of_the_users_request_as_its_own_claim_still_fires() -> None:
    # The user asked for a confirmation; the agent's "The invoice was sent." is its own claim (it
    # does not quote a whole sentence of the user's), and the call failed.
    r = _invoice_run("The invoice was sent.", task="Send the invoice to Acme. Please confirm the invoice was sent.")
    assert len(r["found"]) == 1


def test_the_tool_vocabulary_needs_no_policy_claims() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Ticket created for the outage."),
        span("t1", 1, parent_id="root", kind="tool", tool="create_ticket", input="{}", output='{"error": "quota"}'),
        policy=_vocabulary_only(),
    )  # fmt: skip
    f = one(c, "claimed_but_not_done")
    assert f["decisive_span_id"] == "t1" and "no call of tool create_ticket succeeded" in f["explanation"]


def test_tool_names_split_into_verb_and_object_with_past_forms() -> None:
    from forensics.detectors.claim_vocabulary import past_forms, tool_claim

    assert past_forms("send") == ("sent",)
    assert past_forms("create") == ("created",)
    assert past_forms("apply") == ("applied",)
    assert past_forms("submit") == ("submited", "submitted")
    assert past_forms("lookup") == ("looked up",)
    actions = {n: (tool_claim(n) or ("-",))[0] for n in
               ("send_email", "sendEmail", "email.send", "gmail.send_message", "create_support_ticket",
                "post_to_slack", "hotels.book", "search", "functions.refund_order")}  # fmt: skip
    assert actions == {
        "send_email": "send email", "sendEmail": "send email", "email.send": "send email",
        "gmail.send_message": "send message", "create_support_ticket": "create support ticket",
        "post_to_slack": "post slack", "hotels.book": "book hotels", "search": "-",
        "functions.refund_order": "refund order",
    }  # fmt: skip


def _handed_off(answer: str | None):
    return run(
        span("root", 0, 10, kind="agent", name="triage", output=answer),
        span("h1", 2, parent_id="root", kind="handoff", handoff_to="billing"),
    )


def test_a_handoff_nobody_received_is_one_finding_in_one_class() -> None:
    # The run said it passed the work on, and the target never started: the lost handoff is
    # ownership_gap's (dangling_handoff); the same span is not reported again as undelivered output.
    c = _handed_off("I've transferred you to billing; they will sort it out.")
    assert one(c, "dangling_handoff")["decisive_span_id"] == "h1"
    assert "undelivered_output" not in detectors(c)
    assert {f["failure_class"] for f in findings(c)} == {"ownership_gap"}


def test_undelivered_output_near_miss_a_run_that_said_nothing_reported_no_success() -> None:
    c = _handed_off(None)
    assert "undelivered_output" not in detectors(c)
    assert "dangling_handoff" in detectors(c)


def test_claimed_but_not_done_blames_the_model_call_that_said_it_in_another_wrapper() -> None:
    # LangChain: the agent's output wraps the text as {"output": ...}, the model call's as a
    # generation; the claim was first said by the model call.
    text = "All set: your Premium subscription has been cancelled and you won't be billed again."
    c = run(
        span("root", 0, 10, **ROOT, output=json.dumps({"output": text})),
        span("t1", 1, parent_id="root", kind="tool", tool="get_subscription", input='{"id": 1}', output='{"status": "active"}'),
        span("l1", 2, 9, parent_id="root", kind="llm", model="gpt-4o", output=json.dumps({"generations": [[{"text": text}]]})),
    )  # fmt: skip
    f = one(c, "claimed_but_not_done")
    assert f["decisive_span_id"] == "l1"
    assert "no tool call for cancelling succeeded" in f["explanation"]


def _fx(*after: dict) -> list[dict]:
    """A tool call fails because the HTTP call inside it timed out (the error travels up)."""
    return [
        span("root", 0, 10, kind="agent", name="fx_agent", output="EUR/JPY is 162.41."),
        span(
            "t1",
            1,
            2,
            parent_id="root",
            kind="tool",
            tool="get_fx_rate",
            input='{"pair": "EURJPY"}',
            status="error",
            error_type="ReadTimeout",
        ),
        span(
            "h1",
            1.1,
            1.9,
            parent_id="t1",
            name="GET",
            status="error",
            error_type="httpx.ReadTimeout",
            attributes='{"http.request.method": "GET", "url.full": "https://rates.example.com/v1/latest"}',
        ),
        *after,
        span("l1", 4, 5, parent_id="root", kind="llm", model="gpt-4o", output="EUR/JPY is 162.41."),
    ]


def test_swallowed_error_fires_on_the_tool_call_its_http_request_failed_with() -> None:
    # The HTTP request is how the call failed (httpx raising out of the tool, the httpx
    # instrumentation marking the request's span an error): the failing step is the tool call, as
    # unhandled_error reads a request failure that went up with its tool.
    f = one(run(*_fx()), "swallowed_error")
    assert f["decisive_span_id"] == "t1"
    assert "tool get_fx_rate failed" in f["explanation"]


def test_swallowed_error_near_miss_a_request_whose_tool_returned_normally_is_the_origin() -> None:
    # The tool caught the timeout and returned a result: the request's failure is the one lost.
    rows = _fx()
    rows[1] = {**rows[1], "status": "ok", "error_type": None, "output": '{"rate": null}'}
    f = one(run(*rows), "swallowed_error")
    assert f["decisive_span_id"] == "h1"


def test_swallowed_error_near_miss_a_request_sent_again_stays_the_origin() -> None:
    # The client sent the request twice (two GETs of one URL under the call): the resends are the
    # attempt group retry_storm and unhandled_error read; the first failure stays where it started.
    second = span("h2", 1.92, 1.98, parent_id="t1", name="GET", status="error", error_type="httpx.ReadTimeout",
                  attributes='{"http.request.method": "GET", "url.full": "https://rates.example.com/v1/latest"}')  # fmt: skip
    f = one(run(*_fx(second)), "swallowed_error")
    assert f["decisive_span_id"] == "h1"


def test_swallowed_error_near_miss_the_failed_call_around_it_fell_back() -> None:
    # The tool call that carried the HTTP failure was replaced by a cached-rate tool that
    # answered: the HTTP failure was recovered with it.
    cached = span(
        "t2",
        2.5,
        3,
        parent_id="root",
        kind="tool",
        tool="get_fx_rate_cached",
        input='{"pair": "EURJPY"}',
        output='{"rate": 162.41}',
    )
    assert detectors(run(*_fx(cached))) == set()


# A chat transcript as the chat-messages loader reads it: the system prompt names the tools
# (kind event, name system), the person's turn is a human span, the final answer the root's output.
def _mailbox(answer: str, *calls: dict[str, object]):
    return run(
        span("root", 0, 10, kind="agent", name="conversation", output=answer),
        span("m0", 0.1, parent_id="root", kind="event", name="system",
             output="You are the inbox assistant. Tools: search_threads, label_thread, archive_thread."),
        span("m1", 0.2, parent_id="root", kind="human", name="user",
             output="Label the Globex thread 'clients' and archive it please."),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", output='{"tool":"label_thread"}'),
        span("t1", 2, parent_id="root", kind="tool", tool="label_thread",
             input='{"thread": "th_88", "label": "clients"}', output='{"ok": true}'),
        *calls,
        span("l2", 8, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    )


def test_claimed_but_not_done_fires_on_a_pronoun_claim_in_the_verb_of_an_offered_tool() -> None:
    # archive_thread was offered to the model and never called: "archived it" has nothing behind it.
    for answer in ("I've labelled the thread 'clients' and archived it.", "Done, archived it!"):
        f = one(_mailbox(answer), "claimed_but_not_done")
        assert f["decisive_span_id"] == "l2"
        assert "archived it" in f["explanation"]
        assert "no call of tool archive_thread succeeded" in f["explanation"]


def test_claimed_but_not_done_near_miss_pronoun_claim_after_a_successful_call() -> None:
    archive = span("t2", 3, parent_id="root", kind="tool", tool="archive_thread",
                   input='{"thread": "th_88"}', output='{"ok": true}')
    assert "claimed_but_not_done" not in detectors(_mailbox("I archived it.", archive))


def test_claimed_but_not_done_near_miss_offers_negations_and_reads_are_not_claims() -> None:
    for answer in (
        "I labelled it. I can archive it if you want.",
        "Labelled. I haven't archived it yet: shall I?",
        # search_threads is a read (policy tools.read_only): "searched it" claims no change.
        "I searched them all and labelled the thread.",
    ):
        assert "claimed_but_not_done" not in detectors(_mailbox(answer)), answer


# An error reported honestly is not error-as-data. The OpenAI chat format carries a tool's reply as a
# {"role": "tool", "content": ...} message with no status (so an error body reads as an ok span); the
# assistant message after it is the model's own words to the user.
_UNAVAILABLE = '{"error": "refund service unavailable", "message": "The refunds backend is down for maintenance."}'


def _told(*, said_at: float, said: str, final: str) -> tuple[dict, ...]:
    return (
        span("root", 0, 10, **ROOT, output=final),
        span("t1", 1, parent_id="root", kind="tool", tool="refund.status", input='{"order": 7}', output=_UNAVAILABLE),
        span("l1", said_at, parent_id="root", kind="llm", model="gpt-4o", output=said),
        span("l2", 5, parent_id="root", kind="llm", model="gpt-4o", output=final),
    )


def test_error_as_data_stands_down_when_a_later_assistant_message_tells_the_user() -> None:
    told = _told(
        said_at=2,
        said="The refund service is unavailable at the moment; I will check again in an hour and email you.",
        final="Is there anything else I can help with?",
    )
    c = run(*told)
    assert "error_as_data" not in detectors(c)
    # The final answer alone telling it is the same check.
    final = "The refund service is unavailable right now; I'll email you once it is back."
    c = run(*_told(said_at=2, said="Let me look that up.", final=final))
    assert "error_as_data" not in detectors(c)


def test_error_as_data_near_miss_a_mention_before_the_error_is_not_telling_it() -> None:
    # The only failure words come before the tool returned its error: nobody told the user of it.
    c = run(*_told(said_at=0.5, said="Sorry for the wait, let me look.", final="Your refund is on its way."))
    f = one(c, "error_as_data")
    assert f["decisive_span_id"] == "t1"
    # Words about the consequence of misreading the error ("can't go through") do not tell of it.
    misread = "Your refund balance is $0.00, so the refund can't go through right now."
    c = run(*_told(said_at=2, said=misread, final="Anything else?"))
    assert one(c, "error_as_data")["decisive_span_id"] == "t1"


def test_swallowed_error_stands_down_when_a_later_assistant_message_tells_the_user() -> None:
    rows = (
        span("root", 0, 10, **ROOT, output="Anything else?"),
        span("t1", 1, parent_id="root", kind="tool", tool="crm.lookup", input='{"id":1}', status="error",
             error_message="HTTP 503 Service Unavailable"),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o",
             output="The CRM is not responding right now, so I will call you back once it is up."),
        span("l2", 3, parent_id="root", kind="llm", model="gpt-4o", output="Anything else?"),
    )
    assert "swallowed_error" not in detectors(run(*rows))
    # Near miss: the same run whose assistant never mentions it swallowed it.
    quiet = (*rows[:2], span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="All set."), rows[3])
    assert one(run(*quiet), "swallowed_error")["decisive_span_id"] == "t1"


def test_error_as_data_fires_on_a_write_whose_result_says_it_was_not_done() -> None:
    # The accounting API acknowledged the post with posted=false (no word "error" anywhere).
    c = run(
        span("root", 0, 10, **ROOT, output="The accrual is posted."),
        span("p1", 1, parent_id="root", kind="tool", tool="post_journal_entry", input='{"amount": 1200}',
             output='{"posted": false, "reason": "session expired, reconnect the company"}'),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="The accrual is posted."),
    )
    f = one(c, "error_as_data")
    assert f["decisive_span_id"] == "p1"
    assert run_row(c)["primary_class"] == "silent_failure"


# Results that say the call failed without the word "error" where the old patterns looked: a Twilio
# message resource with status "undelivered" and its error_code (null on success), and the page
# open_deep_research's text browser shows for an HTTP error (text_web_browser.py _fetch_page:
# page_title f"Error {status}", content f"## Error {status}") returned by a visit as the result.
_SMS_UNDELIVERED = '{"sid": null, "status": "undelivered", "error_code": 21610, "error_message": "Attempt to send to unsubscribed recipient"}'
_PAGE_403 = (
    "Address: https://stats.example.org/energy_2020.pdf\nTitle: Error 403\nViewport position: Showing page 1 of 1.\n"
    "=======================\n## Error 403\n\n# Access denied\n\nYou don't have permission to access this resource."
)


# A JSON API's error object ({"error": {"code", "message"}}: Google JSON style guide, OpenAI API)
# carried inside a result with other fields, as LangChain's tracer records a tool's string result
# ({"output": "<the tool's JSON text>"}, langchain_core tracers on_tool_end): not the first key.
_TOKEN_EXPIRED = json.dumps({"output": json.dumps({
    "tracking_number": "PP7734120GB", "error": {"code": "AUTH_TOKEN_EXPIRED", "message": "carrier API token expired"},
    "events": []})})


@pytest.mark.parametrize(
    ("tool", "result"), [("send_sms", _SMS_UNDELIVERED), ("visit_page", _PAGE_403), ("track_shipment", _TOKEN_EXPIRED)]
)
def test_error_as_data_fires_on_a_failure_the_provider_reports_in_its_own_words(tool: str, result: str) -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Done: the reminder went out and the share is 46.8%."),
        span("t1", 1, parent_id="root", kind="tool", tool=tool, input='{"to": "x"}', output=result),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="Done: the reminder went out and the share is 46.8%."),
    )
    assert one(c, "error_as_data")["decisive_span_id"] == "t1"


@pytest.mark.parametrize(
    ("tool", "result"),
    [
        ("send_sms", '{"sid": "SM1f0e", "status": "delivered", "error_code": null, "error_message": null}'),
        ("track_shipment", json.dumps({"output": json.dumps({"tracking_number": "PP7734120GB", "error": None,
                                                             "events": [{"code": "collected"}]})})),
        # A log search whose records carry their own error objects: data, inside a list.
        ("search_logs", json.dumps({"hits": [{"ts": "03:11", "error": {"code": "ETIMEDOUT", "message": "upstream timed out"}}]})),
        ("visit_page", "Address: https://doc.example.org/book/ch09\nTitle: Error Handling\nViewport position: Showing page 1 of 3.\n"
                       "=======================\n## Error 404s and retries\n\nRecoverable errors are values."),
    ],
)
def test_error_as_data_near_miss_a_delivered_message_or_a_page_about_errors(tool: str, result: str) -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Done."),
        span("t1", 1, parent_id="root", kind="tool", tool=tool, input='{"to": "x"}', output=result),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="Done."),
    )
    assert "error_as_data" not in detectors(c)
    assert run_row(c)["ok"]


def test_error_as_data_near_miss_a_read_listing_unsent_drafts() -> None:
    # "sent": false describes the data a read returned, not the call: not an error.
    c = run(
        span("root", 0, 10, **ROOT, output="You have one draft to Ana."),
        span("g1", 1, parent_id="root", kind="tool", tool="list_drafts", input="{}",
             output='[{"to": "ana@example.org", "sent": false}]'),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="You have one draft to Ana."),
    )
    assert "error_as_data" not in detectors(c)
    assert run_row(c)["ok"]


def _read_refused_then(*after: dict[str, object], answer: str = "38% postponed investment, according to the report."):
    # A read failed and was handed back to the model as the tool's result (the OpenAI Agents SDK's
    # non-fatal tool error; smolagents hands back AgentToolExecutionError the same way); the model
    # answered a figure "according to the report" it never read.
    return [
        span("root", 0, 10, kind="agent", name="Research Agent", output=answer),
        span("t1", 2, 3, parent_id="root", kind="tool", tool="inspect_file_as_text", input='{"file": "q3.pdf"}',
             status="error", error_message="Error running tool (non-fatal)",
             output="An error occurred while running the tool. Please try again. Error: 403 Forbidden"),
        *after,
        span("l2", 8, 9, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    ]


def test_swallowed_error_fires_on_a_handed_back_failure_the_model_ignored() -> None:
    # Handed back, and then nothing: no retry, no other route, only the answer tool, and an answer
    # that reports success without a word of the failure. The run swallowed it after all.
    answer = span("fa", 5, 6, parent_id="root", kind="tool", tool="final_answer", input='{"answer": "38%"}')
    f = one(run(*_read_refused_then(answer)), "swallowed_error")
    assert f["decisive_span_id"] == "t1"
    assert "tool inspect_file_as_text failed with" in f["explanation"]


def test_swallowed_error_near_miss_a_handed_back_failure_worked_around_or_told() -> None:
    answer = span("fa", 6, 7, parent_id="root", kind="tool", tool="final_answer", input='{"answer": "38%"}')
    # Another route to the same content before answering: the model acted on the failure.
    other = span("t2", 4, 5, parent_id="root", kind="tool", tool="visit_page", input='{"url": "https://archive.org/q3"}',
                 output="38% of respondents postponed investment")
    assert "swallowed_error" not in detectors(run(*_read_refused_then(other, answer)))
    # The answer says the report could not be read: told, not swallowed.
    told = "The report PDF failed to open (403 error); I could not read the figure."
    assert "swallowed_error" not in detectors(run(*_read_refused_then(answer, answer=told)))


def test_claimed_but_not_done_fires_on_a_headline_naming_the_object_by_its_id() -> None:
    # archive_thread offered, never called: the thread named by its id, headline-style.
    for answer in ("th_88 labelled and th_88 archived.", "Thread TH-88 has been archived, and labelled 'clients'."):
        f = one(_mailbox(answer), "claimed_but_not_done")
        assert "no call of tool archive_thread succeeded" in f["explanation"], answer


def test_claimed_but_not_done_near_miss_a_headline_id_negated_or_not_an_id() -> None:
    for answer in ("th_88 labelled; th_88 not archived yet.", "Labelled. Thread was archived? No: say the word.",
                   "Labelled; 2 archived threads are untouched."):  # fmt: skip
        assert "claimed_but_not_done" not in detectors(_mailbox(answer)), answer
    archive = span("t2", 3, parent_id="root", kind="tool", tool="archive_thread",
                   input='{"thread": "th_88"}', output='{"ok": true}')
    assert "claimed_but_not_done" not in detectors(_mailbox("th_88 labelled and archived.", archive))


_BLOCKED = ('{"error": {"code": "SWITCH_BLOCKED", "message": "Account has a debit balance older than 28 days; '
            'tariff switches are blocked until it is cleared or a payment plan is agreed"}}')


def _relayed(said: str) -> tuple[dict, ...]:
    return (
        span("root", 0, 10, **ROOT, output="Anything else?"),
        span("t1", 1, parent_id="root", kind="tool", tool="switch_tariff", input='{"tariff": "FIXED_24"}', output=_BLOCKED),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output=said),
        span("l2", 5, parent_id="root", kind="llm", model="gpt-4o", output="Anything else?"),
    )


def test_error_as_data_stands_down_when_the_assistant_relays_the_errors_own_reason() -> None:
    # The refusal's reason, passed on in the assistant's words with "was not done": told, not swallowed.
    said = ("I wasn't able to switch your tariff. Our system blocks tariff changes while an account has a "
            "balance unpaid for more than 28 days.")
    assert "error_as_data" not in detectors(run(*_relayed(said)))


def test_error_as_data_near_misses_of_relaying() -> None:
    # The error's words without saying it was not done: the switch is presented as made.
    said = "Done: your account balance is settled and your tariff switches to Fixed 24 from today."
    assert one(run(*_relayed(said)), "error_as_data")["decisive_span_id"] == "t1"
    # "Not done" with a reason of its own (one shared stem): the error was read as data.
    said = "I couldn't switch you today because the Fixed 24 tariff is sold out."
    assert one(run(*_relayed(said)), "error_as_data")["decisive_span_id"] == "t1"


# CrewAI's platform (AMP, enterprise) action tools write a failed call as their result, in words:
# f"API request failed: {message}" on a non-2xx reply, f"Error executing action {name}: {e}" on
# an exception (crewAI-tools adapters/enterprise_adapter.py EnterpriseActionTool._run); the call
# itself finishes, so its span says ok (crewAI PR#6712).
@pytest.mark.parametrize(
    "result",
    [
        "API request failed: Failed to execute action: HubSpot API error: PROPERTY_DOESNT_EXIST",
        "Error executing action hubspot_create_note: HTTPSConnectionPool(host='api.crewai.com'): Read timed out.",
    ],
)
def test_error_as_data_fires_on_a_platform_action_that_says_in_words_it_failed(result: str) -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="The note is on the Brightwell deal."),
        span("t1", 1, parent_id="root", kind="tool", tool="hubspot_create_note", input='{"deal": "Brightwell"}',
             output=result),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="The note is on the Brightwell deal."),
    )
    f = one(c, "error_as_data")
    assert f["decisive_span_id"] == "t1"
    assert 'tool hubspot_create_note returned "' + result[:20] in f["explanation"]


@pytest.mark.parametrize(
    "result",
    [
        # Words about a failed request inside the data (not its first words): the call answered.
        "Incident INC-2291: the API request failed: upstream 502 between 03:10 and 03:14; resolved.",
        '{"ok": true, "channel": "C0R3L", "ts": "1733101203.000200"}',
    ],
)
def test_error_as_data_near_miss_a_failure_mentioned_inside_the_data(result: str) -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Done."),
        span("t1", 1, parent_id="root", kind="tool", tool="get_incident", input='{"id": "INC-2291"}', output=result),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="Done."),
    )
    assert "error_as_data" not in detectors(c)
    assert run_row(c)["ok"]


# A LangGraph graph's output is its state, {"messages": [...]} (what LangSmith keeps as the root
# run's outputs); the answer is the last message. langgraph-supervisor's closing AI message can come
# back with content "" or [] after a worker answered (langgraph-supervisor-py#63, langgraphjs#1296).
def _supervised(last: dict[str, object], final_llm: str) -> tuple[dict, ...]:
    state = {"messages": [
        {"type": "human", "content": "How many tickets did the Porto desk close in May?"},
        {"type": "ai", "name": "ticket_analyst", "content": "Porto closed 412 tickets in May."},
        {"type": "tool", "content": "Successfully transferred back to supervisor"},
        last,
    ]}
    return (
        span("root", 0, 10, kind="chain", name="LangGraph", output=json.dumps(state)),
        span("a1", 1, 5, parent_id="root", kind="agent", name="ticket_analyst"),
        span("q1", 2, parent_id="a1", kind="tool", tool="count_tickets", input='{"desk": "Porto"}', output="412"),
        span("l1", 3, parent_id="a1", kind="llm", model="gpt-4o",
             output='{"generations":[[{"text":"Porto closed 412 tickets in May."}]]}'),
        span("s1", 6, 9, parent_id="root", kind="agent", name="supervisor"),
        span("l2", 7, parent_id="s1", kind="llm", model="gpt-4o", output=final_llm),
    )


@pytest.mark.parametrize("content", ["", []])
def test_undelivered_output_fires_on_a_messages_state_whose_last_ai_message_is_empty(content: object) -> None:
    c = run(*_supervised({"type": "ai", "name": "supervisor", "content": content},
                         '{"generations":[[{"text":"","message":{"type":"ai","content":""}}]]}'))
    f = one(c, "undelivered_output")
    assert f["decisive_span_id"] == "l2"
    assert "with an empty final output" in f["explanation"]


@pytest.mark.parametrize(
    "last",
    [
        {"type": "ai", "name": "supervisor", "content": "Porto closed 412 tickets in May."},
        # The last message is the worker's answer: the graph ended on it.
        {"type": "ai", "name": "ticket_analyst", "content": "Porto closed 412 tickets in May."},
    ],
)
def test_undelivered_output_near_miss_the_last_message_holds_the_answer(last: dict[str, object]) -> None:
    c = run(*_supervised(last, '{"generations":[[{"text":"Porto closed 412 tickets in May."}]]}'))
    assert "undelivered_output" not in detectors(c)
    assert run_row(c)["ok"]


def test_empty_last_message_reads_only_an_empty_ai_message_without_tool_calls() -> None:
    import polars as pl

    from forensics.detectors.facts import empty_last_message

    texts = [
        '{"messages": [{"type": "human", "content": "hi"}, {"type": "ai", "content": []}], "final_response": []}',
        '{"messages": [{"role": "assistant", "content": ""}]}',
        # An empty AI message that calls a tool is a step, not an answer; a human's empty turn is no answer.
        '{"messages": [{"type": "ai", "content": "", "tool_calls": [{"name": "lookup", "args": {}}]}]}',
        '{"messages": [{"type": "ai", "content": "ok"}, {"type": "human", "content": ""}]}',
        '{"messages": []}',
        "not json",
        None,
    ]
    got = pl.select(empty_last_message(pl.Series(texts, dtype=pl.String))).to_series().to_list()
    assert got == [True, True, False, False, False, False, False]


def test_empty_last_message_reads_langchain_serialised_messages() -> None:
    # LangChain's tracer writes messages as langchain-core serialises them (dumpd): the fields are
    # under kwargs, the top-level "type" is "constructor".
    import polars as pl

    from forensics.detectors.facts import empty_last_message

    def lc(cls: str, **kwargs: object) -> dict[str, object]:
        return {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", cls], "kwargs": kwargs}

    human = lc("HumanMessage", content="Refund the duplicate charge.", type="human")
    texts = [
        json.dumps({"messages": [human, lc("AIMessage", content="", type="ai", tool_calls=[])]}),
        # Near-misses: an answer with text; an empty AI message that calls a tool.
        json.dumps({"messages": [human, lc("AIMessage", content="Credited 412.50 USD.", type="ai", tool_calls=[])]}),
        json.dumps({"messages": [human, lc("AIMessage", content="", type="ai",
                                           tool_calls=[{"name": "apply_credit", "args": {}, "id": "c1"}])]}),
    ]
    got = pl.select(empty_last_message(pl.Series(texts, dtype=pl.String))).to_series().to_list()
    assert got == [True, False, False]


# A post to a chat channel is claimed by naming the channel: "Changelog posted to #eng-updates",
# "Announced v2.3.1 in #releases" (Slack channels are written #name). With no successful post
# behind it, the claim is unbacked (crewAI PR#6712: the crew reported the digest posted after every
# post came back channel_not_found).
def _channel_post(answer: str, result: str, status: str = "ok") -> tuple[dict, ...]:
    return (
        span("root", 0, 10, **ROOT, output=answer),
        span("p1", 1, parent_id="root", kind="tool", tool="slack_chat_post", status=status,
             input='{"channel": "#eng-updates", "text": "v2.3.1: faster exports"}', output=result),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    )


@pytest.mark.parametrize(
    "answer", ["Changelog posted to #eng-updates.", "Announced v2.3.1 in #eng-updates: faster exports."]
)
def test_claimed_but_not_done_fires_on_a_post_to_a_named_channel_that_never_went_out(answer: str) -> None:
    c = run(*_channel_post(answer, '{"ok": false, "error": "channel_not_found"}'))
    f = one(c, "claimed_but_not_done")
    assert f["decisive_span_id"] == "p1"
    assert "no tool call for posting or publishing succeeded" in f["explanation"]


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        ("Changelog posted to #eng-updates.", '{"ok": true, "channel": "C02UPD", "ts": "1733101203.000200"}'),
        # A PR or issue number is no channel; a negated sentence is no claim.
        ("The fix published in PR #2211 is ready for review.", '{"ok": false, "error": "channel_not_found"}'),
        ("The changelog was not posted to #eng-updates.", '{"ok": false, "error": "channel_not_found"}'),
    ],
)
def test_claimed_but_not_done_near_miss_a_channel_post_that_went_out_or_no_channel_claim(answer: str, result: str) -> None:
    assert "claimed_but_not_done" not in detectors(run(*_channel_post(answer, result)))


# A refund claimed in the agent's own first person with no refund tool in the run at all: a
# front-desk agent that could only look up the subscription (and hand off to Billing) told the
# customer "I've removed the add-on and refunded the charge" (openai-agents-python#541: the agent
# answers the request itself instead of handing off). "refunded" after "I've <verb>ed ... and" is
# the same speaker's claim as "I have refunded".
def _front_desk(answer: str, refund: str | None = None) -> tuple[dict, ...]:
    spans = [
        span("root", 0, 10, **ROOT, output=answer),
        span("t1", 1, parent_id="root", kind="tool", tool="get_subscription",
             input='{"account": "A-1"}', output='{"plan": "Basic", "add_ons": ["Kids"]}'),
    ]
    if refund is not None:
        spans.append(span("t2", 2, parent_id="root", kind="tool", tool="refund_charge",
                          input='{"amount": 4.99}', output=refund))
    spans.append(span("l1", 3, parent_id="root", kind="llm", model="gpt-4o", output=answer))
    return tuple(spans)


@pytest.mark.parametrize(
    "answer",
    [
        "Done! I've removed Kids from your plan and refunded the 4.99 charge to your card.",
        "We refunded the October charge; it will show in 3-5 days.",
    ],
)
def test_claimed_but_not_done_fires_on_a_first_person_refund_with_no_refund_tool(answer: str) -> None:
    f = one(run(*_front_desk(answer)), "claimed_but_not_done")
    assert "issuing a refund" in f["explanation"]
    assert f["decisive_span_id"] == "l1"


@pytest.mark.parametrize(
    ("answer", "refund"),
    [
        # The refund call succeeded; a refund the agent says it could not make; one it only offers.
        ("Done! I've removed Kids from your plan and refunded the 4.99 charge.", '{"status": "refunded"}'),
        ("I haven't refunded the charge: Billing has to approve it.", None),
        ("Once Billing approves, we refunded charges show in 3-5 days.", None),
    ],
)
def test_claimed_but_not_done_near_miss_refund_backed_or_not_claimed(answer: str, refund: str | None) -> None:
    assert "claimed_but_not_done" not in detectors(run(*_front_desk(answer, refund)))


# A RAG run whose retrievers all came back with no documents (MLflow RETRIEVER spans output a list
# of Documents: [] when nothing matched; a LangChain retriever run {"documents": []}) and whose
# model answered anyway, as if it had passages: an empty result where data was expected.
def _rag(answer: str, second: str = "[]") -> tuple[dict, ...]:
    return (
        span("root", 0, 10, **ROOT, output=answer),
        span("r1", 1, parent_id="root", kind="retriever", name="handbook_search",
             input='{"query": "parental leave carry over", "k": 4}', output="[]"),
        span("r2", 2, parent_id="root", kind="retriever", name="hr_faq_search",
             input='{"query": "parental leave carry over", "k": 4}', output=second),
        span("l1", 3, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    )


# An empty document list beside fields describing the query is still no document: Pinecone's query
# response (pinecone-io python-client QueryResponse: matches, namespace, usage), and an app's own
# retriever observation (Langfuse v3 @observe(as_type="retriever"): its output is whatever the
# function returned).
EMPTY_PINECONE = '{"matches": [], "namespace": "handbook", "usage": {"read_units": 5}}'
EMPTY_WITH_INDEX = '{"documents": [], "index": "hr-prod", "namespace": "policies"}'


@pytest.mark.parametrize("second", ["[]", '{"documents": []}', EMPTY_PINECONE, EMPTY_WITH_INDEX])
def test_error_as_data_fires_on_retrievers_that_found_nothing_under_a_confident_answer(second: str) -> None:
    f = one(run(*_rag("Yes: unused parental leave carries over for 12 months.", second)), "error_as_data")
    assert f["decisive_span_id"] == "r1"
    assert "returned no documents" in f["explanation"]


def test_error_as_data_fires_on_an_absence_stated_as_a_fact_of_the_thing_over_an_empty_retrieval() -> None:
    # "The handbook has no carry-over rule" says what the handbook holds; nothing the run read said so.
    answer = "No: the parental leave policy contains no carry-over rule, so unused leave lapses."
    assert "error_as_data" in detectors(run(*_rag(answer, EMPTY_WITH_INDEX)))


@pytest.mark.parametrize(
    ("answer", "second"),
    [
        # The answer says nothing was found: the user was told.
        ("I couldn't find anything about carrying parental leave over in our handbook.", "[]"),
        ("There is no information on that in the HR documents; please ask HR directly.", "[]"),
        # The absence told as the search's, over an empty list beside the query's fields.
        ("There is no carry-over rule in the documents I could search; please check with HR.", EMPTY_WITH_INDEX),
        # A list with a passage in it, beside the same fields, is a result.
        ("Yes: unused parental leave carries over for 12 months.",
         '{"documents": [{"page_content": "Unused parental leave carries over for 12 months."}], "index": "hr-prod"}'),
        # Another retriever returned a passage the answer can stand on.
        ("Yes: unused parental leave carries over for 12 months.",
         '[{"page_content": "Unused parental leave carries over for 12 months.", "metadata": {"doc": "hb-7"}}]'),
    ],
)
def test_error_as_data_near_miss_retrieval_found_nothing_and_said_so_or_found_something(answer: str, second: str) -> None:
    assert "error_as_data" not in detectors(run(*_rag(answer, second)))
