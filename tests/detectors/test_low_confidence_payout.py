"""A DSPy program that paid out after its classifier step said it was not sure.

openinference-instrumentation-dspy (Arize-ai/openinference python/instrumentation/
openinference-instrumentation-dspy/src/openinference/instrumentation/dspy/__init__.py,
``_PredictForwardWrapper``) opens a CHAIN span ``<Signature>.forward`` per prediction whose
``output.value`` is the JSON of the signature's output fields (``_prediction_to_output_dict``): a
classifier signature with a ``confidence`` output field records ``{"category": ..., "confidence":
0.42}``; the LM call under it is an LLM span ``LM.__call__``.

TAXONOMY's ungated_low_confidence (missing_fallback) is "a side-effecting action taken right after a
step that reported confidence below the policy's gate, with no human review in between". The payout
tool is irreversible by policy (tools.irreversible names ``payout``; tools.side_effecting's ``pay``
does not reach it), and was read only by unguarded_irreversible: the confidence gate never saw it.
Where the low confidence is the evidence, the gate's rule tells the action (one action, one class);
the same payout after a confident classification is still unguarded_irreversible, and one a person
reviewed after the unsure classification is clean.
"""

from __future__ import annotations

from span_builder import detectors, one, raised, run, span


def _claims(confidence: float, *between: dict[str, object]):
    return run(
        span("prog", 0, 10, kind="chain", name="ClaimsProgram.forward", input='{"claim": "Water damage, $1,800"}',
             output='{"decision": "paid", "payout_id": "po_1"}'),
        span("cls", 1, 3, parent_id="prog", kind="chain", name="ClassifyClaim.forward",
             input='{"claim": "Water damage, $1,800"}',
             output=f'{{"reasoning": "The photos do not show the source of the leak.", "category": "covered", "confidence": {confidence}}}'),
        span("lm", 1.2, 2.8, parent_id="cls", kind="llm", name="LM.__call__", model="openai/gpt-4o-mini",
             output=f'["[[ ## category ## ]]\\ncovered\\n\\n[[ ## confidence ## ]]\\n{confidence}"]'),
        *between,
        span("pay", 6, 7, parent_id="prog", kind="tool", name="issue_payout", tool="issue_payout",
             input='{"claim_id": "C-88", "amount": 1800}', output='{"payout_id": "po_1", "status": "paid"}'),
    )  # fmt: skip


def test_a_payout_after_an_unsure_classification_is_an_ungated_low_confidence_action() -> None:
    c = _claims(0.42)
    hit = one(c, "ungated_low_confidence")
    assert hit["decisive_span_id"] == "pay"
    assert hit["evidence_span_ids"] == ["cls", "pay"]
    assert "unguarded_irreversible" not in detectors(c)


def test_near_miss_a_confident_classification_leaves_the_payout_to_the_irreversible_rule() -> None:
    found = detectors(_claims(0.93))
    assert "ungated_low_confidence" not in found
    assert "unguarded_irreversible" in raised(_claims(0.93))  # a payout by its name alone: a hint


def test_near_miss_a_person_reviewed_the_unsure_claim_before_the_payout() -> None:
    review = span("hr", 4, 5, parent_id="prog", kind="human", name="adjuster_review", output='{"approved": true}')
    assert detectors(_claims(0.42, review)) == set()
