"""silent_failure detectors on small inline tables: one that fires, one near-miss each."""

from __future__ import annotations

from span_builder import detectors, one, run, run_row, span

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
