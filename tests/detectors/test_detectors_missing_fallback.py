"""missing_fallback detectors on small inline tables: one that fires, one near-miss each."""

from __future__ import annotations

import json

from span_builder import detectors, findings, one, run, run_row, span

from forensics.policy import default_policy_path

ROOT = {"kind": "agent", "name": "support_triage"}


def _call(sid: str, start: float, status: str = "ok", **kw):
    base = {"parent_id": "root", "kind": "tool", "tool": "crm.lookup", "input": '{"id": 7}'}
    base.update(kw)
    if status == "error":
        base.setdefault("error_type", "429")
        base.setdefault("output", None)
    else:
        base.setdefault("output", '{"name": "Ada"}')
    return span(sid, start, start + 0.2, status=status, **base)


def _nothing_follows(root_status: str):
    return run(
        span("root", 0, 10, **ROOT, status=root_status, output="Your account looks fine."),
        _call("e1", 1, "error", tool="ocr.extract", error_type="503", error_message="Service Unavailable"),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="Your account looks fine."),
    )


def test_unhandled_error_fires_when_nothing_follows_a_failure() -> None:
    # The run crashed afterwards (its agent span ended in error): it did not report success.
    c = _nothing_follows("error")
    f = one(c, "unhandled_error")
    assert f["failure_class"] == "missing_fallback"
    assert f["decisive_span_id"] == "e1"
    assert "tool ocr.extract failed with HTTP 503 at 02:13:01" in f["explanation"]
    assert "carried on with 1 more span(s) and reported error" in f["explanation"]
    assert "swallowed_error" not in detectors(c)
    # The same failure under a run that reported success is the silent failure it became,
    # swallowed_error, told once (one failure, one class): no unhandled_error.
    c = _nothing_follows("ok")
    assert one(c, "swallowed_error")["decisive_span_id"] == "e1"
    assert "unhandled_error" not in detectors(c)
    assert run_row(c)["primary_class"] == "silent_failure"


def test_unhandled_error_near_miss_fallback_model_after_429() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="router", output="Summary delivered."),
        span("g1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", status="error", error_type="429"),
        span("c1", 2.1, 4, parent_id="root", kind="llm", model="claude-sonnet-4", output="Summary ..."),
    )
    assert detectors(c) == set()
    assert run_row(c)["ok"]


def test_unhandled_error_near_miss_structured_failure_result() -> None:
    c = run(
        span(
            "root",
            0,
            10,
            **ROOT,
            status="error",
            output='{"status": "failed", "reason": "warehouse timeout"}',
        ),
        _call("e1", 1, "error", tool="inventory.reserve", error_type="Timeout"),
    )
    assert "unhandled_error" not in detectors(c)
    assert run_row(c)["reported_outcome"] == "error"
    assert run_row(c)["ok"]


def test_unhandled_error_still_fires_when_the_error_just_propagates() -> None:
    # A root that errors with no structured result is a crash, not a defined failure path.
    c = run(span("root", 0, 10, **ROOT, status="error"), _call("e1", 1, "error", error_type="500"))
    assert one(c, "unhandled_error")["decisive_span_id"] == "e1"
    assert "swallowed_error" not in detectors(c)


def test_stall_fires_on_a_call_that_never_returned() -> None:
    c = run(
        span("root", 0, None, kind="agent", name="researcher"),
        span("r1", 1, parent_id="root", kind="retriever", tool="web.search", input="q", output="[1]"),
        span("l1", 2, None, parent_id="root", kind="llm", model="gpt-4o", input_tokens=52_000),
    )
    f = one(c, "stall")
    assert f["decisive_span_id"] == "l1"
    assert "the run never ended: 2 span(s) have no end" in f["explanation"]
    assert "llm gpt-4o started at 02:13:02" in f["explanation"]


def test_stall_fires_on_a_long_silence_after_an_error() -> None:
    c = run(
        span("root", 0, 2000, **ROOT, status="error", output='{"status":"failed"}'),
        _call("e1", 1, "error"),
        _call("r2", 1000, "ok"),
    )
    f = one(c, "stall")
    assert f["decisive_span_id"] == "e1"
    assert "went quiet for 998.8 s (stall threshold 300.0 s)" in f["explanation"]


def test_stall_near_miss_short_pause_after_an_error() -> None:
    c = run(span("root", 0, 30, **ROOT, output="ok"), _call("e1", 1, "error"), _call("r2", 11, "ok"))
    assert "stall" not in detectors(c)
    assert run_row(c)["ok"]


def test_retry_storm_fires_on_fixed_spacing_past_the_limit() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Found Ada."),
        _call("a", 1, "error"),
        _call("b", 2, "error"),
        _call("c", 3, "error"),
        _call("d", 4, "error"),
        _call("e", 5, "ok"),
    )
    f = one(c, "retry_storm")
    assert f["decisive_span_id"] == "a"
    assert f["evidence_span_ids"] == ["a", "b", "c", "d", "e"]
    assert (
        "tool crm.lookup failed 4 time(s) with HTTP 429 from 02:13:01 and was retried 4 time(s)"
        in f["explanation"]
    )
    assert "more than the limit of 3" in f["explanation"]
    # Each call takes 0.2 s and starts 1 s after the last one: the waits after the failures are 0.8 s.
    assert "retry spacing never grew (gaps 0.8, 0.8, 0.8, 0.8 s)" in f["explanation"]
    assert "repeated_action" not in detectors(c)


def test_retry_storm_near_miss_backoff_measured_from_the_end_of_the_failed_attempt() -> None:
    # tenacity / the OpenAI SDK sleep AFTER the failed attempt returns: waits of 0.5 s then 1.0 s
    # (doubling) after attempts that each took 0.8 s. Start to start that is 1.3 s then 1.8 s, a
    # growth under the policy's 1.5, which once read as "retry spacing never grew".
    c = run(
        span("root", 0, 10, **ROOT, output="Booked."),
        span("a", 1.0, 1.8, status="error", parent_id="root", kind="tool", tool="db.insert", input="{}", error_type="DeadlockDetected"),
        span("b", 2.3, 3.1, status="error", parent_id="root", kind="tool", tool="db.insert", input="{}", error_type="DeadlockDetected"),
        span("c", 4.1, 4.3, status="ok", parent_id="root", kind="tool", tool="db.insert", input="{}", output='{"id": 1}'),
    )
    assert "retry_storm" not in detectors(c)


def test_retry_storm_fires_when_the_waits_after_failures_stay_flat() -> None:
    # The firing twin: the same calls, but each retry starts 0.5 s after the failure ended, twice.
    c = run(
        span("root", 0, 10, **ROOT, output="Booked."),
        span("a", 1.0, 1.8, status="error", parent_id="root", kind="tool", tool="db.insert", input="{}", error_type="DeadlockDetected"),
        span("b", 2.3, 3.1, status="error", parent_id="root", kind="tool", tool="db.insert", input="{}", error_type="DeadlockDetected"),
        span("c", 3.6, 3.8, status="ok", parent_id="root", kind="tool", tool="db.insert", input="{}", output='{"id": 1}'),
    )
    f = one(c, "retry_storm")
    assert "retry spacing never grew (gaps 0.5, 0.5 s)" in f["explanation"]


def test_retry_storm_near_miss_growing_backoff_that_succeeded() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Found Ada."),
        _call("a", 1, "error"),
        _call("b", 2, "error"),
        _call("c", 4.5, "ok"),
    )
    found = detectors(c)
    assert "retry_storm" not in found
    assert "unhandled_error" not in found
    assert "swallowed_error" not in found
    assert run_row(c)["ok"]


def _resend(sid: str, start: float, n: int, code: int) -> dict[str, object]:
    # opentelemetry-instrumentation-httpx: one client span per attempt, http.request.resend_count
    # from the second (semantic-conventions docs/http/http-spans.md, HTTP request retries).
    import json

    attrs = {"http.request.method": "POST", "url.full": "https://api.openai.com/v1/chat/completions",
             "http.response.status_code": code, **({"http.request.resend_count": n} if n else {})}
    failed = {"status": "error", "error_type": str(code)} if code >= 400 else {}
    return span(sid, start, start + 0.2, parent_id="chat", kind="tool", name="POST", attributes=json.dumps(attrs), **failed)


def test_retry_storm_decisive_is_the_first_failed_attempt_not_the_call_that_resent_it() -> None:
    # The OpenAI client's own retries: six HTTP attempts under one chat span that finally fails.
    # The chat span started first, but the storm became inevitable when the first attempt failed
    # and the client's retry policy (no backoff) took over: that attempt is decisive, for the
    # finding and for the run.
    c = run(
        span("root", 0, 20, **ROOT, status="error"),
        span("chat", 1, 10, parent_id="root", kind="llm", model="gpt-4o", status="error", error_type="RateLimitError"),
        *(_resend(f"h{i}", 1.1 + 0.3 * i, i, 429) for i in range(6)),
    )
    f = one(c, "retry_storm")
    assert f["decisive_span_id"] == "h0"
    assert run_row(c)["decisive_span_id"] == "h0"
    assert detectors(c) == {"retry_storm"}


def test_retry_storm_limit_comes_from_the_policy(tmp_path) -> None:
    text = default_policy_path().read_text().replace("retry_limit = 3", "retry_limit = 1")
    path = tmp_path / "strict.toml"
    path.write_text(text)
    rows = (
        span("root", 0, 10, **ROOT, output="ok"),
        _call("a", 1, "error"),
        _call("b", 2, "error"),
        _call("c", 4.5, "ok"),
    )
    assert "retry_storm" not in detectors(run(*rows))
    f = one(run(*rows, policy=path), "retry_storm")
    assert "more than the limit of 1" in f["explanation"]


def test_ungated_low_confidence_fires_on_an_unreviewed_side_effect() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="ticket_router", output="Routed."),
        span(
            "l1",
            1,
            2,
            parent_id="root",
            kind="llm",
            model="gpt-4o-mini",
            output='[{"role":"assistant","content":"{\\"intent\\":\\"security\\",\\"confidence\\":0.31}"}]',
        ),
        span(
            "u1",
            3,
            parent_id="root",
            kind="tool",
            tool="zendesk.update_ticket",
            input='{"p": 1}',
            output='{"ok":1}',
        ),
    )
    f = one(c, "ungated_low_confidence")
    # The unreviewed action: after l1 the run could still have asked a human; after u1 it could not.
    assert f["decisive_span_id"] == "u1"
    assert f["evidence_span_ids"] == ["l1", "u1"]
    assert "reported confidence 0.31 (gate 0.5)" in f["explanation"]
    assert "zendesk.update_ticket ran at 02:13:03" in f["explanation"]


def test_ungated_low_confidence_names_the_first_unreviewed_action_not_a_read_or_a_later_one() -> None:
    # sample_logs 13's shape: a low-confidence routing, a read, then two side effects; the first
    # side effect is where acting without review began (the e-mail after it only followed).
    c = run(
        span("root", 0, 10, kind="agent", name="ticket_router", output="Routed."),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o-mini",
             output='{"intent": "security_incident", "confidence": 0.31}'),
        span("g1", 3, parent_id="root", kind="tool", tool="zendesk.get_ticket", input="{}", output='{"id": 7}'),
        span("u1", 4, parent_id="root", kind="tool", tool="zendesk.update_ticket", input="{}", output='{"ok": 1}'),
        span("e1", 5, parent_id="root", kind="tool", tool="email.send", input="{}", output='{"ok": 1}'),
    )
    f = one(c, "ungated_low_confidence")
    assert f["decisive_span_id"] == "u1"
    assert f["evidence_span_ids"] == ["l1", "u1"]


def test_ungated_low_confidence_a_card_freeze_is_the_unreviewed_action() -> None:
    # kb5's vantage run (LangSmith, read by hand): score_transaction said fraud at 0.41, then
    # freeze_card ran, then send_member_sms. Freezing a card changes the world (policy
    # side_effecting: freeze), so the freeze, not the SMS after it, is decisive.
    c = run(
        span("root", 0, 10, kind="agent", name="fraud_responder", output="Card frozen."),
        span("s1", 1, parent_id="root", kind="tool", tool="score_transaction", input="{}",
             output='{"label": "fraud", "confidence": 0.41, "model": "txn-risk-v7"}'),
        span("f1", 3, parent_id="root", kind="tool", tool="freeze_card", input='{"card": "4471"}',
             output='{"state": "frozen"}'),
        span("m1", 4, parent_id="root", kind="tool", tool="send_member_sms", input="{}", output='{"queued": true}'),
    )
    f = one(c, "ungated_low_confidence")
    assert f["decisive_span_id"] == "f1"
    assert f["evidence_span_ids"] == ["s1", "f1"]
    assert "freeze_card ran at" in f["explanation"]


def test_a_freeze_status_read_is_not_a_side_effect() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="fraud_responder", output="Checked."),
        span("s1", 1, parent_id="root", kind="tool", tool="score_transaction", input="{}",
             output='{"label": "fraud", "confidence": 0.41}'),
        span("f1", 3, parent_id="root", kind="tool", tool="get_freeze_status", input="{}", output='{"frozen": false}'),
    )
    assert "ungated_low_confidence" not in detectors(c)


def test_ungated_low_confidence_near_miss_human_review_in_between() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="invoice_intake", output="Created."),
        span(
            "l1",
            1,
            2,
            parent_id="root",
            kind="llm",
            model="gpt-4o",
            output='{"total": 12, "confidence": 0.38}',
        ),
        span("h1", 3, parent_id="root", kind="human", name="review.approved"),
        span(
            "u1", 5, parent_id="root", kind="tool", tool="erp.create_invoice", input="{}", output='{"id": 9}'
        ),
    )
    assert "ungated_low_confidence" not in detectors(c)
    assert run_row(c)["ok"]


# A function tool that raised under the OpenAI Agents SDK: with the default failure_error_function
# (src/agents/tool.py default_tool_error_function) the model is given "An error occurred while
# running the tool. Please try again. Error: ..." as the tool's output, and the function span gets
# SpanError("Error running tool (non-fatal)"); the run goes on. Whether anything followed is the
# model's doing. Such an ignored error is judged only in a run that then answered success without a
# word of it (ignored_tool_errors), and since a failure the run reported success over is
# swallowed_error's alone (one failure, one class), these runs now read as swallowed_error, not
# unhandled_error: the rules of what the model did with the error are tested through it.
def _handed_back(*after: dict[str, object], answer: str = "Done! I've updated your shipping address to 12 Rue Oberkampf.") -> list[dict[str, object]]:
    return [
        span("root", 0, 10, kind="agent", name="Support Agent", output=answer),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", output='{"tool":"update_shipping_address"}'),
        span("t1", 2, 3, parent_id="root", kind="tool", tool="update_shipping_address",
             input='{"order_id": "A-5521", "address": "12 Rue Oberkampf"}', status="error",
             error_message="Error running tool (non-fatal)",
             output="An error occurred while running the tool. Please try again. Error: AddressValidationError"),
        *after,
        span("l2", 8, 9, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    ]


def test_swallowed_error_fires_on_a_handed_back_tool_error_the_model_ignored() -> None:
    # The model ignored the handed-back error and the run reported success on it: swallowed_error,
    # and only it (a held-out set, kept_back agents_address_update_claimed, had labelled this story
    # missing_fallback + silent_failure; most independent writers of our blind sets label it
    # silent_failure only, the convention since). The claim about that call is the same failure,
    # told once (no claimed_but_not_done).
    c = run(*_handed_back())
    f = one(c, "swallowed_error")
    assert f["decisive_span_id"] == "t1"
    assert "tool update_shipping_address failed with" in f["explanation"]
    assert {(x["failure_class"], x["detector"]) for x in findings(c)} == {("silent_failure", "swallowed_error")}


def test_unhandled_error_near_miss_the_model_retried_the_tool_successfully() -> None:
    retry = span("t2", 5, 6, parent_id="root", kind="tool", tool="update_shipping_address",
                 input='{"order_id": "A-5521", "address": "12 Rue Oberkampf, 75011 Paris"}', output='{"ok": true}')
    assert detectors(run(*_handed_back(retry))) == set()


def test_unhandled_error_near_miss_the_answer_says_it_could_not_update() -> None:
    c = run(*_handed_back(answer="I couldn't update the shipping address: the address did not validate."))
    assert not {"unhandled_error", "swallowed_error"} & detectors(c)


def test_unhandled_error_near_miss_after_a_failed_read_the_model_took_another_path() -> None:
    # A lookup (a read) failed; the model found the customer another way and answered from it.
    rows = [
        span("root", 0, 10, kind="agent", name="Support Agent", output="Your plan is Pro, renewing on 3 March."),
        span("t1", 2, 3, parent_id="root", kind="tool", tool="lookup_customer", input='{"email": "c@x.io"}',
             status="error", error_message="Error running tool (non-fatal)", output="An error occurred: KeyError"),
        span("t2", 5, 6, parent_id="root", kind="tool", tool="search_customers", input='{"q": "c@x.io"}',
             output='{"plan": "Pro", "renews": "03-03"}'),
        span("l2", 8, 9, parent_id="root", kind="llm", model="gpt-4o", output="Your plan is Pro, renewing on 3 March."),
    ]
    assert detectors(run(*rows)) == set()


def test_swallowed_error_fires_when_other_work_followed_a_failed_write() -> None:
    # A confirmation e-mail after the failed update does not make the update: the change was lost,
    # and the run reported success on it (swallowed_error's, not unhandled_error's).
    email = span("t2", 5, 6, parent_id="root", kind="tool", tool="send_email",
                 input='{"to": "c@example.com", "subject": "Address updated"}', output='{"sent": true}')
    c = run(*_handed_back(email))
    assert one(c, "swallowed_error")["decisive_span_id"] == "t1"
    assert "unhandled_error" not in detectors(c)


def test_unhandled_error_near_miss_the_change_made_another_way() -> None:
    # The same change by another tool (same object: the address) after the failed write.
    other = span("t2", 5, 6, parent_id="root", kind="tool", tool="crm.update_customer_address",
                 input='{"order_id": "A-5521", "line1": "12 Rue Oberkampf"}', output='{"ok": true}')
    assert not {"unhandled_error", "swallowed_error"} & detectors(run(*_handed_back(other)))


def _failed_read_then(*after: dict[str, object]) -> list[dict[str, object]]:
    # A read failed and was handed back; the model answered "38%" from nothing it had read.
    return [
        span("root", 0, 10, kind="agent", name="Support Agent", output="38% postponed investment."),
        span("t1", 2, 3, parent_id="root", kind="tool", tool="inspect_file_as_text", input='{"file": "q3.pdf"}',
             status="error", error_message="Error running tool (non-fatal)",
             output="An error occurred while running the tool. Please try again. Error: 403 Forbidden"),
        *after,
        span("l2", 8, 9, parent_id="root", kind="llm", model="gpt-4o", output="38% postponed investment."),
    ]


def test_swallowed_error_fires_when_only_the_answer_tool_followed_a_failed_read() -> None:
    # smolagents' FinalAnswerTool delivers the answer: calling it is no way around the failure.
    # The run answered success on it: swallowed_error's, not unhandled_error's.
    answer = span("fa", 5, 6, parent_id="root", kind="tool", tool="final_answer", input='{"answer": "38%"}')
    c = run(*_failed_read_then(answer))
    assert one(c, "swallowed_error")["decisive_span_id"] == "t1"
    assert "unhandled_error" not in detectors(c)


def test_unhandled_error_near_miss_another_read_before_the_answer_tool() -> None:
    other = span("t2", 4, 5, parent_id="root", kind="tool", tool="visit_page", input='{"url": "https://archive.org/q3"}',
                 output="38% of respondents postponed investment")
    answer = span("fa", 6, 7, parent_id="root", kind="tool", tool="final_answer", input='{"answer": "38%"}')
    assert not {"unhandled_error", "swallowed_error"} & detectors(run(*_failed_read_then(other, answer)))


def _fx_run(tool_status: str, *, resend: bool = False, root_status: str = "ok"):
    # A tool whose HTTP request timed out (an httpx client span the instrumentation left UNKNOWN):
    # its wrapper either returned a default rate, or failed with it, or sent the request again.
    # root_status "error": the run crashed later, so it did not report success.
    http = {"kind": "unknown", "name": "GET", "error_type": "httpx.ReadTimeout",
            "attributes": '{"http.request.method": "GET", "url.full": "https://fx.example/v1/rates?base=EUR"}'}  # fmt: skip
    rows = [
        span("root", 0, 30, **ROOT, status=root_status, output="Payout batch ready at today's rate."),
        span("fx", 1, 12, parent_id="root", kind="tool", tool="get_fx_rate", input='{"base": "EUR"}',
             status=tool_status, output='{"rate": 1.0}' if tool_status == "ok" else None,
             error_type=None if tool_status == "ok" else "httpx.ReadTimeout"),  # fmt: skip
        span("h1", 1.1, 11, parent_id="fx", status="error", **http),
    ]
    if resend:
        ok_http = {**http, "error_type": None}
        rows.append(span("h2", 11.1, 11.5, parent_id="fx", **ok_http))
    return run(*rows, span("l1", 13, 14, parent_id="root", kind="llm", model="gpt-4o", output="Payout batch ready."))


def test_unhandled_error_fires_on_a_request_failure_its_tool_turned_into_a_result() -> None:
    c = _fx_run("ok", root_status="error")
    f = one(c, "unhandled_error")
    assert f["decisive_span_id"] == "h1"
    assert "unknown GET fx.example/v1/rates failed with httpx.ReadTimeout" in f["explanation"]
    # Under a run that reported success the lost request is swallowed_error's, told once.
    c = _fx_run("ok")
    assert one(c, "swallowed_error")["decisive_span_id"] == "h1"
    assert "unhandled_error" not in detectors(c)


def test_unhandled_error_near_miss_the_request_failure_went_up_or_was_resent() -> None:
    # The tool failed with it: the tool's failure is the one judged, once (decisive: the tool), in a
    # run that then crashed (one that reported success over it is swallowed_error's).
    assert one(_fx_run("error", root_status="error"), "unhandled_error")["decisive_span_id"] == "fx"
    # The request sent again and answered (OpenTelemetry HTTP resends under one parent).
    assert "unhandled_error" not in detectors(_fx_run("ok", resend=True))


def _task_lost(returned: bool, main_spoke_after: bool = False):
    # A Claude Code session: the user's message, the main thread's reply, its Task delegation to a
    # sub-agent, the sub-agent's work and report; the Task's result either came back or never did.
    rows = [
        span("u0", 0, 0, kind="human", name="user", agent="main", output="Get the diff reviewed, then fix it."),
        span("m1", 1, 1.5, parent_id="u0", kind="llm", model="claude", agent="main", output="Delegating."),
        span("task", 2, 9 if returned else None, parent_id="m1", kind="handoff", name="Task", agent="main",
             handoff_to="code-reviewer"),  # fmt: skip
        span("r1", 3, 4, parent_id="task", kind="tool", tool="Read", agent="code-reviewer", input='{"f": "a.ts"}',
             output="import jwt"),  # fmt: skip
        span("r2", 5, 6, parent_id="task", kind="llm", model="claude", agent="code-reviewer",
             output="Blocking: jwt.decode does not verify the signature."),  # fmt: skip
    ]
    if main_spoke_after:
        rows.append(span("m2", 10, 11, parent_id="u0", kind="llm", model="claude", agent="main",
                         output="The reviewer found one blocking bug: use jwt.verify, not jwt.decode."))  # fmt: skip
    return run(*rows)


def test_stall_and_limbo_fire_on_a_delegation_whose_report_never_came_back() -> None:
    c = _task_lost(returned=False)
    row = run_row(c)
    # The sub-agent's report is not the run's answer: the run waits on the Task, it is not done.
    assert row["reported_outcome"] == "open"
    assert one(c, "stall")["decisive_span_id"] == "task"
    assert one(c, "limbo")["decisive_span_id"] == "task"
    assert "premature_success" not in detectors(c)


def test_stall_near_miss_the_delegation_came_back_or_the_main_agent_went_on() -> None:
    c = _task_lost(returned=True, main_spoke_after=True)
    assert run_row(c)["ok"]
    # The Task never closed in the log, but the main thread acted after it: the run is not
    # waiting on it (an open span in a finished run is premature_success's, not a stall).
    c = _task_lost(returned=False, main_spoke_after=True)
    assert run_row(c)["reported_outcome"] == "success"
    assert not {"stall", "limbo"} & detectors(c)


def test_stall_near_miss_a_one_way_transfer_logged_with_no_end() -> None:
    # An app log's transfer line (a point, no end time, nothing nested under it): the target took
    # the conversation over; the agent that handed off is not meant to act again.
    c = run(
        span("root", 0, 10, kind="agent", name="triage", agent="triage", output="Billing refunded you."),
        span("h1", 1, None, parent_id="root", kind="handoff", name="transfer", agent="triage", handoff_to="billing"),
        span("b1", 2, 3, parent_id="root", kind="tool", tool="refunds.create", agent="billing", input='{"o": 7}',
             output='{"id": "re_1"}'),  # fmt: skip
        span("b2", 4, 5, parent_id="root", kind="llm", model="gpt-4o", agent="billing", output="Billing refunded you."),
    )
    assert run_row(c)["reported_outcome"] == "success"
    assert not {"stall", "limbo"} & detectors(c)


def _smol_last_step_error(*, limit: bool) -> list[dict[str, object]]:
    # A smolagents ToolCallingAgent (OpenInference: the ``<Agent>.run`` span, ``Step N`` chains, the
    # step's tool error handed back as AgentToolExecutionError). At its step limit
    # _handle_max_steps_reached -> provide_final_answer calls the model with no tools, under the run
    # span after the last step (src/smolagents/agents.py): the error came in the last step allowed.
    answer = "Hexmoor usually quotes 6-8 weeks for that part."
    rows = [
        span("root", 0, 20, kind="agent", name="ToolCallingAgent.run", output=answer),
        span("s1", 1, 4, parent_id="root", kind="chain", name="Step 1", output="results"),
        span("l1", 1, 2, parent_id="s1", kind="llm", model="gpt-4o", output="web_search(...)"),
        span("t1", 2, 3, parent_id="s1", kind="tool", tool="web_search", input='{"query": "hexmoor lead time"}',
             output="## Search Results [Hexmoor catalogue](https://hexmoor.example/catalogue)"),
        span("s2", 5, 8, parent_id="root", kind="chain", name="Step 2", status="error",
             error_type="AgentToolExecutionError", error_message="AgentToolExecutionError: 403 Forbidden"),
        span("l2", 5, 6, parent_id="s2", kind="llm", model="gpt-4o", output="visit_webpage(...)"),
        span("t2", 6, 7, parent_id="s2", kind="tool", tool="visit_webpage", input='{"url": "https://hexmoor.example/catalogue"}',
             status="error", error_type="HTTPError", error_message="403 Client Error: Forbidden"),
    ]
    if limit:
        rows.append(span("l3", 9, 10, parent_id="root", kind="llm", model="gpt-4o", output=answer))
    else:
        # The model decided again (a step of its own) and went straight to its answer.
        rows.append(span("s3", 9, 11, parent_id="root", kind="chain", name="Step 3", output=answer))
        rows.append(span("l3", 9, 10, parent_id="s3", kind="llm", model="gpt-4o", output=answer))
    return rows


def test_swallowed_error_fires_when_the_model_had_a_step_after_the_handed_back_error() -> None:
    # The model had a step to act on the error and did nothing with it; the run answered success,
    # so the ignored error is swallowed_error's alone (one failure, one class), as in the step-limit
    # twin below: since that convention the two no longer differ in what is reported.
    c = run(*_smol_last_step_error(limit=False))
    assert one(c, "swallowed_error")["decisive_span_id"] == "t2"
    assert "unhandled_error" not in detectors(c)


def test_unhandled_error_near_miss_the_step_limit_came_right_after_the_handed_back_error() -> None:
    # No step was left for the model to act on the error: the limit decided what followed. The
    # answer made up from nothing is still a swallowed error.
    c = run(*_smol_last_step_error(limit=True))
    assert "unhandled_error" not in detectors(c)
    assert one(c, "swallowed_error")["decisive_span_id"] == "t2"


# OpenAI's chat completions refusing a prompt longer than the window: HTTP 400, openai-python
# BadRequestError, error code context_length_exceeded, with the API's own wording.
_TOO_LONG = {
    "status": "error",
    "error_type": "BadRequestError",
    "error_message": "Error code: 400 - {'error': {'message': \"This model's maximum context length is 16385 "
    "tokens. However, your messages resulted in 17012 tokens. Please reduce the length of the messages.\", "
    "'type': 'invalid_request_error', 'param': 'messages', 'code': 'context_length_exceeded'}}",
}


def test_unhandled_error_also_fires_on_the_overflow_the_run_died_on() -> None:
    # The context lost (context_overflow) and nothing done about it (no trimming, no bigger model):
    # both hold, and independent labellers name both (four blind sets' overflow runs).
    c = run(
        span("root", 0, 10, **ROOT, status="error"),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-3.5-turbo-0125", output="policy ..."),
        span("l2", 3, 4, parent_id="root", kind="llm", model="gpt-3.5-turbo-0125", **_TOO_LONG),
    )
    assert one(c, "context_overflow")["decisive_span_id"] == "l2"
    assert one(c, "unhandled_error")["decisive_span_id"] == "l2"


def test_unhandled_error_near_miss_the_overflow_answered_by_a_bigger_model() -> None:
    # A fallback to a model with a larger window is the defined path: the refused call is handled, and
    # since 07b8657 the overflow answered by the fallback lost nothing either (LiteLLM
    # context_window_fallbacks; tests/detectors/test_context_window_fallback.py).
    c = run(
        span("root", 0, 10, **ROOT, output="Covered under Art. 14.2."),
        span("l2", 3, 4, parent_id="root", kind="llm", model="gpt-3.5-turbo-0125", **_TOO_LONG),
        span("l3", 4.1, 6, parent_id="root", kind="llm", model="gpt-4o", output="Covered under Art. 14.2."),
    )
    assert "context_overflow" not in detectors(c)
    assert "unhandled_error" not in detectors(c)


# pydantic-ai re-prompts the model when it rejects an answer: RetryPromptPart.model_response()
# (pydantic_ai/messages.py) ends every retry prompt with "Fix the errors and try again.", and
# _agent_graph.py sends "Plain text responses are not permitted, please include your response in a
# tool call" when a tool (output_mode "tool") was required; past max_result_retries it raises
# UnexpectedModelBehavior("Exceeded maximum retries (n) for output validation").
_REPROMPT = json.dumps(
    [{"role": "user", "parts": [{"type": "text", "content": "Plain text responses are not permitted, please "
      "include your response in a tool call\n\nFix the errors and try again."}]}]
)
_PYD = {"parent_id": "root", "kind": "llm", "model": "llama3.1:8b", "agent": "cartao_suporte"}


def _pydantic_ai_run(reprompts: int, answered: bool) -> list[dict[str, object]]:
    root = {"kind": "agent", "name": "cartao_suporte", "agent": "cartao_suporte"}
    if answered:
        root.update(status="ok", output='{"bloqueado": true}')
    else:
        root.update(status="error", error_type="UnexpectedModelBehavior",
                    error_message=f"Exceeded maximum retries ({reprompts}) for output validation")
    rows = [
        span("root", 0, 30, **root),
        span("l0", 1, 2, **_PYD, input='[{"role": "user", "parts": [{"type": "text", "content": "Is card 4417 blocked?"}]}]',
             output='[{"role": "assistant", "parts": [{"type": "text", "content": "Your card is blocked."}]}]'),
    ]
    for i in range(reprompts):
        rows.append(span(f"r{i + 1}", 3 + i * 2, 4 + i * 2, **_PYD, input=_REPROMPT,
                         output='[{"role": "assistant", "parts": [{"type": "text", "content": "Your card is blocked."}]}]'))
    return rows


def test_retry_storm_fires_on_framework_reprompts_past_the_limit() -> None:
    c = run(*_pydantic_ai_run(reprompts=5, answered=False))
    f = one(c, "retry_storm")
    assert f["decisive_span_id"] == "l0"  # the answer the first retry prompt rejected
    assert "llm llama3.1:8b failed 5 time(s) with its answer rejected" in f["explanation"]
    assert "retried 5 time(s), more than the limit of 3" in f["explanation"]


def test_retry_storm_near_miss_one_reprompt_then_an_answer() -> None:
    # A tool's ModelRetry or one rejected answer, re-prompted once and then answered (the
    # sdk_pydanticai_modelretry shape), and three re-prompts (the limit) are no storm.
    assert "retry_storm" not in detectors(run(*_pydantic_ai_run(reprompts=1, answered=True)))
    assert "retry_storm" not in detectors(run(*_pydantic_ai_run(reprompts=3, answered=False)))


# instructor re-asks the model when its answer fails validation: retry_sync (instructor/core/retry.py)
# hands the failed response and the exception to the mode's reask handler, which appends the model's
# tool call and a tool message "Validation Error found:\n{exception}\nRecall the function correctly,
# fix the errors" (instructor/providers/openai/utils.py reask_tools), and raises
# InstructorRetryException once max_retries (or a tenacity Retrying's stop) gives up.
_INSTR = {"parent_id": "root", "kind": "llm", "model": "gpt-4o-2024-08-06"}
_EXTRACT = '{"role": "user", "content": "<invoice>...</invoice>"}'


def _instructor_run(reasks: int, extracted: bool) -> list[dict[str, object]]:
    root = {"kind": "chain", "name": "extract_invoice"}
    if extracted:
        root.update(status="ok", output='{"invoice_number": "INV-7", "total_due": 512.0}')
    else:
        root.update(status="error", error_type="InstructorRetryException",
                    error_message="1 validation error for Invoice\n  Value error, line_items do not add up to subtotal")
    answer = json.dumps({"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "Invoice", "arguments": '{"subtotal": 512.0}'}}]})
    rows = [span("root", 0, 60, **root), span("l0", 1, 2, **_INSTR, input=f"[{_EXTRACT}]", output=answer)]
    for i in range(reasks):
        reask = json.dumps([json.loads(_EXTRACT), json.loads(answer), {
            "role": "tool", "tool_call_id": "call_1", "name": "Invoice",
            "content": "Validation Error found:\n1 validation error for Invoice\n  Value error, line_items do not "
                       "add up to subtotal\nRecall the function correctly, fix the errors"}])
        rows.append(span(f"r{i + 1}", 3 + i * 2, 4 + i * 2, **_INSTR, input=reask, output=answer))
    return rows


def test_retry_storm_fires_on_instructor_reasks_past_the_limit() -> None:
    c = run(*_instructor_run(reasks=6, extracted=False))
    f = one(c, "retry_storm")
    assert f["decisive_span_id"] == "l0"  # the answer the first re-ask rejected
    assert "failed 6 time(s) with its answer rejected" in f["explanation"]


def test_retry_storm_near_miss_instructor_reask_once_then_valid() -> None:
    # One validation error re-asked and then a valid extraction (max_retries=3) is the defined path
    # working; so are three re-asks (the policy's limit).
    assert "retry_storm" not in detectors(run(*_instructor_run(reasks=1, extracted=True)))
    assert "retry_storm" not in detectors(run(*_instructor_run(reasks=3, extracted=True)))


def test_reask_words_in_an_older_turn_are_no_reask() -> None:
    # A later call whose newest request is a new user turn (not the re-ask) is no retry: the re-ask
    # answered turns ago stays in the history instructor sends.
    rows = _instructor_run(reasks=1, extracted=True)
    later = json.loads(rows[-1]["input"]) + [json.loads(rows[-1]["output"]), {"role": "user", "content": "Next invoice."}]
    rows += [span(f"n{i}", 10 + i * 2, 11 + i * 2, **_INSTR, input=json.dumps(later)) for i in range(4)]
    assert "retry_storm" not in detectors(run(*rows))


# A LiteLLM batch: one completion per item, each under the item's own span, the model's input not
# recorded. LiteLLM's num_retries re-calls inside the one completion (litellm/main.py
# completion_with_retries; the Router's function_with_retries logs 'Retrying {n}/{max}'), so a
# resend is a model call under the same caller; the next item's call is a new request.
def _batch(second_under: str) -> list[dict[str, object]]:
    llm = {"kind": "llm", "model": "gemini-1.5-pro", "input": None}
    return [
        span("root", 0, 30, kind="agent", name="abstract_screener", agent="abstract_screener",
             output="Screening complete: 3/3 abstracts reviewed."),
        span("i1", 1, 4, parent_id="root", kind="chain", name="review_item"),
        span("m1", 1.1, 3.9, parent_id="i1", **llm, output='{"decision": "include"}'),
        span("i2", 5, 8, parent_id="root", kind="chain", name="review_item"),
        span("m2", 5.1, 5.5, parent_id="i2", **llm, status="error", error_type="RateLimitError",
             error_message="litellm.RateLimitError: VertexAIException - 429 RESOURCE_EXHAUSTED"),
        span("m2b", 6, 7.9, parent_id=second_under, **llm, output='{"decision": "exclude"}'),
        span("i3", 9, 12, parent_id="root", kind="chain", name="review_item"),
        span("m3", 9.1, 11.9, parent_id="i3", **llm, output='{"decision": "include"}'),
    ]


def test_unhandled_error_fires_when_the_next_items_call_is_no_retry_of_the_failed_one() -> None:
    # The 429'd item got no second call of its own: the next item's call (under i3) is a new request.
    rows = [r for r in _batch("i2") if r["span_id"] != "m2b"]
    # The batch crashed at the end (its agent span ended in error): no success was reported.
    crashed = [{**r, "status": "error"} if r["span_id"] == "root" else r for r in rows]
    c = run(*crashed)
    assert one(c, "unhandled_error")["decisive_span_id"] == "m2"
    assert "swallowed_error" not in detectors(c)
    # Reporting "3/3 abstracts reviewed" over it is swallowed_error's, told once.
    c = run(*rows)
    assert one(c, "swallowed_error")["decisive_span_id"] == "m2"
    assert "unhandled_error" not in detectors(c)


def test_unhandled_error_near_miss_litellm_resent_the_call_under_the_same_item() -> None:
    c = run(*_batch("i2"))
    assert "unhandled_error" not in detectors(c)
    assert "swallowed_error" not in detectors(c)


# LangGraph's ReAct graph under OpenInference: the ToolNode's run ("tools") outputs the state update
# {"messages": [ToolMessage]} (langgraph/prebuilt/tool_node.py), and when the model call after it
# fails the graph raises: the agent node and the graph end in error with no output, so the last span
# holding an output is the ToolNode's. What the tool said to the model told nobody of the failure.
def _graph_after_tool(last_output: str | None) -> list[dict[str, object]]:
    logs = "2025-10-02T00:47Z ERROR [kafka-consumer] timeout waiting for ledger lock\\n... 58310 lines"
    tool_state = '{"messages": [{"type": "tool", "name": "fetch_pod_logs", "content": "' + logs + '"}]}'
    rows = [
        span("g", 0, 20, kind="chain", name="LangGraph", status="error", error_type="BadRequestError"),
        span("a1", 1, 3, parent_id="g", kind="chain", name="agent", output='{"messages": [{"type": "ai", "content": ""}]}'),
        span("n1", 3.1, 8, parent_id="g", kind="chain", name="tools", output=tool_state),
        span("t1", 3.2, 7.9, parent_id="n1", kind="tool", tool="fetch_pod_logs", output=logs),
        span("a2", 8.1, 9, parent_id="g", kind="chain", name="agent", status="error", error_type="BadRequestError"),
        span("l2", 8.2, 8.9, parent_id="a2", kind="llm", model="claude-sonnet-4", status="error",
             error_type="BadRequestError", error_message="Error code: 400 - invalid_request_error: max_tokens too large"),
    ]
    if last_output is not None:
        rows.append(span("a3", 9.5, 10, parent_id="g", kind="chain", name="notify", output=last_output))
    return rows


def test_unhandled_error_fires_when_the_last_output_is_a_tool_message() -> None:
    c = run(*_graph_after_tool(None))
    assert one(c, "unhandled_error")["decisive_span_id"] == "l2"


def test_unhandled_error_near_miss_the_run_told_of_the_failure() -> None:
    told = '{"messages": [{"type": "ai", "content": "The diagnosis failed: the model call was rejected."}]}'
    assert "unhandled_error" not in detectors(run(*_graph_after_tool(told)))
