"""failed_check_passed_on: a check that failed and let the work through, then a side-effecting act.

Spans as the frameworks write them (conventions.failed_checks):

- Guardrails AI under OpenInference: ``Runner.step`` (GUARDRAIL) holds the model call and one
  ``SequentialValidatorService.after_run_validator`` span per validator, with ``validator_name``,
  ``validator_on_fail`` (the OnFailAction's name) and ``output.value`` the outcome, pass or fail
  (openinference-instrumentation-guardrails ``_wrap_guard_call.py`` _PostValidationWrapper). NOOP
  passes the output on unvalidated; REASK runs another ``Runner.step``.
- DSPy Refine under MLflow autolog: ``Refine.forward`` holds each attempt's module span, the reward
  function's span (traced by the app: its output a number) and, between attempts, an OfferFeedback
  ``Predict.forward`` whose ``signature`` attribute names target_threshold and reward_value
  (dspy/predict/refine.py; mlflow/dspy/callback.py).
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

ROOT = {"kind": "chain", "name": "draft_and_send_reply", "output": '{"status": "sent"}'}
_EMAIL = {"parent_id": "root", "kind": "tool", "tool": "send_email", "input": '{"to": "dana@example.com", "body": "Hi Dana"}',
          "output": '{"accepted": ["dana@example.com"]}'}  # fmt: skip


def _validator(sid: str, start: float, parent: str, outcome: str, on_fail: str, name: str = "guardrails/detect_pii"):
    attrs = json.dumps({"validator_name": name, "validator_on_fail": on_fail})
    return span(sid, start, start + 0.1, parent_id=parent, kind="unknown",
                name="SequentialValidatorService.after_run_validator", attributes=attrs, output=outcome)  # fmt: skip


def _guard_step(sid: str, start: float, outcome: str, on_fail: str) -> list[dict[str, object]]:
    return [
        span(sid, start, start + 2, parent_id="root", kind="guardrail", name="Runner.step"),
        span(f"{sid}_llm", start + 0.1, start + 1.5, parent_id=sid, kind="llm", model="gpt-4o",
             output='{"role": "assistant", "content": "Hi Dana, your card 4539 1488 0343 6467 ..."}'),  # fmt: skip
        _validator(f"{sid}_v1", start + 1.6, sid, outcome, on_fail),
        _validator(f"{sid}_v2", start + 1.8, sid, "pass", on_fail, name="guardrails/toxic_language"),
    ]


def test_fires_on_a_noop_validator_failure_then_the_email() -> None:
    c = run(span("root", 0, 10, **ROOT), *_guard_step("g1", 1, "fail", "NOOP"), span("e1", 4, 5, **_EMAIL))
    f = one(c, "failed_check_passed_on")
    assert f["failure_class"] == "missing_fallback"
    assert f["decisive_span_id"] == "g1_v1"
    assert f["evidence_span_ids"] == ["g1_v1", "e1"]
    assert "validator guardrails/detect_pii failed with on_fail NOOP, and side-effecting send_email ran at 02:13:04" in f["explanation"]


def test_near_miss_reask_that_then_passed() -> None:
    # on_fail REASK: the guard asked again and the second step passed; only that reply was sent.
    c = run(span("root", 0, 10, **ROOT), *_guard_step("g1", 1, "fail", "REASK"), *_guard_step("g2", 3.5, "pass", "REASK"),
            span("e1", 6, 7, **_EMAIL))  # fmt: skip
    assert "failed_check_passed_on" not in detectors(c)


def test_near_miss_noop_validators_that_passed() -> None:
    c = run(span("root", 0, 10, **ROOT), *_guard_step("g1", 1, "pass", "NOOP"), span("e1", 4, 5, **_EMAIL))
    assert "failed_check_passed_on" not in detectors(c)


def test_near_miss_noop_failure_with_nothing_sent() -> None:
    # The app read validation_passed false and sent nothing (no act after the check).
    root = {**ROOT, "output": '{"status": "held", "guard": {"validation_passed": false}}'}
    c = run(span("root", 0, 10, **root), *_guard_step("g1", 1, "fail", "NOOP"))
    assert "failed_check_passed_on" not in detectors(c)


# --- DSPy Refine ---------------------------------------------------------------------------------
_FEEDBACK_SIG = json.dumps({"signature": "program_code, modules_defn, program_inputs, program_trajectory, program_outputs, "
                            "reward_code, target_threshold, reward_value, module_names -> discussion, advice"})  # fmt: skip
_PUBLISH = {"parent_id": "root", "kind": "tool", "tool": "publish_promotion",
            "input": '{"rule": {"discount_pct": 30}, "activate": true}', "output": '{"promotion_id": "promo_1", "status": "scheduled"}'}  # fmt: skip


def _refine(rewards: list[float], threshold_told: float | None = None) -> list[dict[str, object]]:
    """Refine.forward: per attempt the module, the reward, then OfferFeedback unless it was the last."""
    rows = [
        span("root", 0, 60, kind="chain", name="create_promotion", output='{"status": "scheduled"}'),
        span("refine", 1, 40, parent_id="root", kind="chain", name="Refine.forward", output='{"rule_json": "{}"}'),
    ]
    t = 1.5
    for i, reward in enumerate(rewards):
        rows.append(span(f"m{i}", t, t + 3, parent_id="refine", kind="chain", name="PromoRuleWriter.forward",
                         output='{"rule_json": "{\\"discount_pct\\": 30}"}'))  # fmt: skip
        rows.append(span(f"r{i}", t + 3.1, t + 3.2, parent_id="refine", kind="unknown", name="policy_reward", output=str(reward)))
        if i < len(rewards) - 1:
            inputs = {"reward_value": reward}
            if threshold_told is not None:
                inputs["target_threshold"] = threshold_told
            rows.append(span(f"f{i}", t + 3.3, t + 5, parent_id="refine", kind="llm", name="Predict.forward",
                             attributes=_FEEDBACK_SIG, input=json.dumps(inputs),
                             output='{"discussion": "below the threshold", "advice": {}}'))  # fmt: skip
        t += 6
    rows.append(span("pub", 45, 46, **_PUBLISH))
    return rows


def test_fires_when_refine_ran_out_below_a_reward_it_knew_was_short() -> None:
    f = one(run(*_refine([0.25, 0.75, 0.5])), "failed_check_passed_on")
    assert f["decisive_span_id"] == "refine"
    assert "refinement ran 3 attempt(s) and its last reward 0.5 stayed below a reward (0.75)" in f["explanation"]
    assert "side-effecting publish_promotion ran at 02:13:45" in f["explanation"]


def test_fires_when_the_last_reward_is_below_the_threshold_told() -> None:
    f = one(run(*_refine([0.25, 0.5, 0.75], threshold_told=1.0)), "failed_check_passed_on")
    assert "last reward 0.75 stayed below its threshold 1.0" in f["explanation"]


def test_near_miss_refine_that_reached_its_threshold() -> None:
    # The second attempt scored 1.0 (above the 0.75 OfferFeedback was asked about): Refine stopped there.
    assert "failed_check_passed_on" not in detectors(run(*_refine([0.75, 1.0])))
    assert "failed_check_passed_on" not in detectors(run(*_refine([0.25, 0.5, 1.0], threshold_told=1.0)))


def test_near_miss_refine_with_rewards_untraced() -> None:
    # Without the reward function's spans the last attempt's reward is unknown: no finding.
    rows = [r for r in _refine([0.25, 0.75, 0.5]) if r.get("name") != "policy_reward"]
    assert "failed_check_passed_on" not in detectors(run(*rows))
