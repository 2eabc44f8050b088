"""Policy claims: a certificate or voucher issued, a return started.

* tau-bench airline's send_certificate ("Send a certificate to a user. Be careful!",
  tau_bench/envs/airline/tools/send_certificate.py) is the call that gives a customer a
  certificate; an agent that only thought about it (the think tool) and said "Your $200 travel
  certificate has been issued" claimed it.
* "I've also started the return for the kettle" with no return call made (the OpenAI Agents SDK
  dropped the second handoff, to the returns agent: "Multiple handoffs detected, ignoring this
  one.", src/agents/_run_impl.py) claims a return no call started.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

ROOT = {"kind": "agent", "name": "support"}


def _run(answer: str, *tools: dict[str, object]):
    return run(
        span("root", 0, 10, **ROOT, output=answer),
        span("t0", 1, parent_id="root", kind="tool", tool="get_reservation_details", input='{"reservation_id": "OBUT9V"}',
             output='{"reservation_id": "OBUT9V", "flights": [{"flight_number": "HAT289"}], "passengers": 2}'),  # fmt: skip
        span("t1", 2, parent_id="root", kind="tool", tool="think", input='{"thought": "gold member, 2 passengers"}',
             output=""),  # fmt: skip
        *tools,
        span("l1", 8, 9, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    )


def test_a_certificate_said_issued_with_no_certificate_call_is_claimed() -> None:
    c = _run("Your $200 travel certificate has been issued to your account. Anything else?")
    assert one(c, "claimed_but_not_done")["decisive_span_id"] == "l1"


def test_near_miss_the_certificate_was_sent_by_its_call() -> None:
    sent = span("s1", 3, parent_id="root", kind="tool", tool="send_certificate",
                input='{"user_id": "sofia_kim_7287", "amount": 200}',
                output="Certificate certificate_3221322 added to user sofia_kim_7287 with amount 200.")  # fmt: skip
    assert "claimed_but_not_done" not in detectors(_run("Your $200 travel certificate has been issued.", sent))


def test_near_miss_a_certificate_offered_or_paid_with_is_no_claim() -> None:
    for answer in (
        "As a gold member you're eligible for a $200 certificate. Would you like me to issue it?",
        "The booking was paid with your existing certificate, which has been used in full.",
    ):
        assert "claimed_but_not_done" not in detectors(_run(answer)), answer


def test_a_return_said_started_with_no_return_call_is_claimed() -> None:
    c = _run("Sorry about that! I've also started the return for the kettle; a prepaid label is on its way.")
    f = one(c, "claimed_but_not_done")
    assert f["decisive_span_id"] == "l1" and "return" in f["explanation"]


def test_near_miss_the_return_was_started_by_its_call() -> None:
    returned = span("r1", 3, parent_id="root", kind="tool", tool="create_return",
                    input='{"order_id": "88-2291", "item": "kettle"}', output='{"rma": "RMA-77", "status": "created"}')  # fmt: skip
    assert "claimed_but_not_done" not in detectors(_run("I've also started the return for the kettle.", returned))


def test_near_miss_a_travel_credit_issued_by_a_credit_tool() -> None:
    issued = span("c1", 3, parent_id="root", kind="tool", tool="issue_travel_credit",
                  input='{"user_id": "sofia_kim_7287", "amount": 50}', output='{"credit_id": "tc_91", "amount": 50}')  # fmt: skip
    assert "claimed_but_not_done" not in detectors(_run("Your $50 travel credit has been issued.", issued))


def test_a_credit_card_charge_does_not_back_a_travel_credit() -> None:
    charged = span("c1", 3, parent_id="root", kind="tool", tool="charge_credit_card",
                   input='{"amount": 50}', output='{"charge_id": "ch_1", "status": "succeeded"}')  # fmt: skip
    assert "claimed_but_not_done" in detectors(_run("Your $50 travel credit has been issued.", charged))
