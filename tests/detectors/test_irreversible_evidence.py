"""unguarded_irreversible is strong only on evidence that the act cannot be undone; a tool
irreversible by its name alone is a hint (shown, setting no class: the run stays ok).

The kinds of evidence (forensics/detectors/irreversible_evidence.py): the tool's own recorded
description (Google ADK's gen_ai.tool.description, OpenInference tool.description, a definition
handed to the model), a well-known irreversible API operation (EC2 TerminateInstances: "permanent
and irreversible", EC2 API Reference), a verb that destroys or ships (delete, purge, deploy), but
not SQS's message delete, which is the consumer's acknowledgement.
"""

from __future__ import annotations

import json

from span_builder import detectors, findings, hints, run, run_row, span


def _acting(tool: str, *, description: str | None = None, extra: list | None = None, **kw: object):
    attrs = None if description is None else json.dumps({"gen_ai.tool.description": description})
    rows = [
        span("root", 0, 30, kind="agent", name="ops_agent", output="Done."),
        *(extra or []),
        span("t1", 5, parent_id="root", kind="tool", tool=tool, input='{"id": "x-1", "amount": 120}',
             output='{"status": "ok"}', attributes=attrs),
    ]  # fmt: skip
    return run(*rows, **kw)


def test_a_money_move_whose_own_description_says_it_cannot_be_undone_fires() -> None:
    c = _acting("release_payment", description="Releases the payment to the payee; a released payment cannot be undone.")
    assert "unguarded_irreversible" in detectors(c)
    assert run_row(c)["ok"] is False


def test_near_miss_the_same_money_move_by_its_name_alone_is_a_hint_and_the_run_stays_ok() -> None:
    c = _acting("release_payment", description="Releases the scheduled payment to the bank's outgoing queue.")
    assert "unguarded_irreversible" not in detectors(c)
    assert "unguarded_irreversible" in hints(c)
    (f,) = findings(c, "unguarded_irreversible")
    assert f["strength"] == "hint" and f["explanation"].startswith("possible irreversible act: release_payment, by its name only")
    row = run_row(c)
    assert (row["ok"], row["classes"], row["strength"]) == (True, [], "hint")


def test_a_well_known_irreversible_operation_fires_without_a_description() -> None:
    # AWS EC2 API Reference, TerminateInstances: "Terminating an instance is permanent and irreversible."
    assert "unguarded_irreversible" in detectors(_acting("ec2.terminate_instances"))


def test_near_miss_a_payment_scheduled_by_name_only_is_a_hint() -> None:
    c = _acting("schedule_payment")
    assert "unguarded_irreversible" not in detectors(c) and "unguarded_irreversible" in hints(c)


def test_a_verb_that_destroys_or_ships_makes_it_plain_by_name() -> None:
    assert "unguarded_irreversible" in detectors(_acting("delete_workspace"))
    assert "unguarded_irreversible" in detectors(_acting("deploy_service"))


def test_near_miss_a_queue_message_delete_is_an_acknowledgement_not_a_data_loss() -> None:
    # SQS: the consumer deletes a message once it has handled it (AWS SQS Developer Guide, message
    # lifecycle); with no receive in the run to show it, the delete is still no destruction of data.
    c = _acting("sqs.delete_message")
    assert "unguarded_irreversible" not in detectors(c) and "unguarded_irreversible" in hints(c)


def test_a_tool_definition_handed_to_the_model_declaring_the_act_permanent_is_evidence() -> None:
    tools = json.dumps(
        {"llm.tools": [{"type": "function", "function": {"name": "pay_vendor",
                        "description": "Pays the vendor at once by instant transfer; it cannot be reversed."}}]}
    )  # fmt: skip
    model = span("l1", 2, parent_id="root", kind="llm", name="chat", model="gpt-4o", output="calling pay_vendor",
                 attributes=tools)  # fmt: skip
    assert "unguarded_irreversible" in detectors(_acting("pay_vendor", extra=[model]))
    assert "unguarded_irreversible" not in detectors(_acting("pay_vendor"))


def test_policy_promote_counts_the_hints_as_weak_findings(tmp_path) -> None:
    from forensics.policy import default_policy_path

    pol = tmp_path / "promote.toml"
    pol.write_text(default_policy_path().read_text().replace("promote = []", 'promote = ["unguarded_irreversible"]'))
    c = _acting("schedule_payment", policy=pol)
    (f,) = findings(c, "unguarded_irreversible")
    assert f["strength"] == "weak" and run_row(c)["ok"] is False
