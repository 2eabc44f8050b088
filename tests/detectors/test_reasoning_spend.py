"""Reasoning-token spend inside one run: measured, and deliberately no rule (runaway_cost).

TAXONOMY's runaway_cost is a token or cost budget per run exceeded. With no budget in the policy
and no fleet to compare with, the one signal a single run shows is what it spent per unit of work:
the reasoning tokens a reasoning model spent per visible output token, read from the real usage
fields (OpenAI Chat Completions ``usage.completion_tokens_details.reasoning_tokens``, openai-python
``src/openai/types/completion_usage.py``, as MLflow's OpenAI autolog records the response as the
span's outputs, mlflow ``mlflow/openai/autolog.py``; OpenInference
``llm.token_count.completion_details.reasoning``, Arize-ai/openinference
``openinference-instrumentation-openai-agents`` ``_processor.py``
``_get_attributes_from_response_usage``, from the Responses API's
``output_tokens_details.reasoning_tokens``).

Measured here: that signal cannot tell a reasoning model wasted on a one-word label from the same
model doing its job. openai/simple-evals ``gpqa_eval.py`` runs one chat completion per GPQA
question through ``sampler/o_chat_completion_sampler.py`` (``reasoning_effort`` passed through to
``chat.completions.create``) and reads one letter back: the same instructions over many items, a
few visible tokens per answer, tens of thousands of reasoning tokens each, and a healthy run. How
much thinking a question needs is not in the log. So no rule ships (precision first: a miss is
better than a false alarm); a team that knows its budget sets ``budgets.max_tokens_per_run`` and
``budget_exceeded`` reports the run where the total crossed it.
"""

from __future__ import annotations

import dataclasses
import json

import polars as pl
from span_builder import detectors, findings, one, run, span, spans

from forensics.classify import classify
from forensics.policy import load_policy

# Reasoning tokens per call, 40 calls between 15k and 28k (deterministic, no sample's figures).
REASONING = [15_000 + (i * 7_919) % 13_000 for i in range(40)]


def _chat_completion(sid: str, start: float, *, system: str, user: str, answer: str, reasoning: int) -> dict:
    """One o3 Chat Completions call as MLflow's OpenAI autolog records it: the request as inputs,
    the ChatCompletion (with its usage) as outputs; completion tokens include the reasoning."""
    visible = max(1, len(answer.split()))
    usage = {
        "prompt_tokens": 900,
        "completion_tokens": reasoning + visible,
        "total_tokens": 900 + reasoning + visible,
        "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": 0},
    }
    return span(
        sid,
        start,
        start + 20,
        parent_id="root",
        kind="llm",
        name="Completions",
        model="o3",
        input_tokens=900,
        output_tokens=reasoning + visible,
        input=json.dumps({"model": "o3", "reasoning_effort": "high",
                          "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}),
        output=json.dumps({"object": "chat.completion", "model": "o3-2025-04-16",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": answer}}],
                           "usage": usage}),
    )  # fmt: skip


def _labeller() -> list[dict]:
    """A nightly job labels 40 support tickets with o3 at high effort: one word back each."""
    labels = ["billing", "shipping", "returns", "account"]
    return [
        span("root", 0, 900, kind="chain", name="label_backlog", input='{"queue": "inbound"}',
             output='{"labelled": 40}'),
        *[_chat_completion(f"c{i}", 1 + 21 * i, system="Label the ticket with one word from the list.",
                           user=f"Ticket {4100 + i}: customer writes about an order.", answer=labels[i % 4],
                           reasoning=r) for i, r in enumerate(REASONING)],
    ]  # fmt: skip


def _gpqa_eval() -> list[dict]:
    """simple-evals' GPQA through the o-series sampler at high effort: one letter back each."""
    return [
        span("root", 0, 900, kind="chain", name="gpqa_eval", input='{"variant": "diamond"}',
             output='{"score": 0.8}'),
        *[_chat_completion(f"c{i}", 1 + 21 * i, system="Answer the multiple choice question.",
                           user=f"Question {i}: a graduate-level physics problem. A) ... B) ... C) ... D) ...",
                           answer=f"Answer: {'ABCD'[i % 4]}", reasoning=r) for i, r in enumerate(REASONING)],
    ]  # fmt: skip


#: The candidate rule measured: per model call, reasoning tokens (from the response's usage) over
#: the visible output tokens (completion minus reasoning).
_REASONING = pl.col("output").str.extract(r'"reasoning_tokens"\s*:\s*(\d+)', 1).cast(pl.Int64)


def _reasoning_ratio(table: object) -> pl.DataFrame:
    df = pl.DataFrame(pl.from_arrow(table)).filter(pl.col("kind") == "llm")  # type: ignore[arg-type]
    return df.select(
        "run_id",
        _REASONING.alias("reasoning"),
        (pl.col("output_tokens") - _REASONING).alias("visible"),
    ).with_columns((pl.col("reasoning") / pl.col("visible")).alias("ratio"))


def test_reasoning_per_visible_token_cannot_tell_a_wasted_label_from_an_eval() -> None:
    """The measurement: every call of the healthy eval run passes any ratio threshold that the
    label job's calls pass, from the same real usage fields (the eval writes a few words more, so
    its ratio is lower, but still thousands of reasoning tokens per visible
    one); both spend 40 x 15-28k reasoning tokens."""
    labeller = _reasoning_ratio(spans(*_labeller(), run_id="tags"))
    evals = _reasoning_ratio(spans(*_gpqa_eval(), run_id="gpqa"))
    assert labeller["reasoning"].sum() == evals["reasoning"].sum() == sum(REASONING)
    assert labeller["ratio"].min() >= 15_000 and evals["ratio"].min() >= 5_000
    # A rule at "100 reasoning tokens per visible token on 10+ calls" flags both runs.
    for ratios in (labeller, evals):
        assert ratios.filter(pl.col("ratio") > 100).height == 40


def test_neither_run_alone_is_runaway_cost_under_the_shipped_policy() -> None:
    """The deliberate miss: one run, no budget, no fleet: no runaway_cost either way."""
    for rows, run_id in ((_labeller(), "tags"), (_gpqa_eval(), "gpqa")):
        c = classify(spans(*rows, run_id=run_id))
        assert not [f for f in findings(c) if f["failure_class"] == "runaway_cost"], findings(c)


def test_a_stated_token_budget_reports_the_reasoning_burn_where_it_crossed() -> None:
    """The way a team with a budget gets the finding: budgets.max_tokens_per_run set to 100k, the
    label job (900 prompt + reasoning + one word per call) crosses it at its fifth call."""
    policy = dataclasses.replace(load_policy(), max_tokens_per_run=100_000)
    c = run(*_labeller(), policy=policy)
    f = one(c, "budget_exceeded")
    assert f["strength"] == "strong"
    crossed = next(i for i in range(40) if sum(r + 901 for r in REASONING[: i + 1]) > 100_000)
    assert f["decisive_span_id"] == f"c{crossed}"
    assert "set by the policy" in f["explanation"]


def _agents_sdk_lookup(fx_rates: list[float]) -> list[dict]:
    """An OpenAI Agents SDK agent (OpenInference: the agent span, ``response`` LLM spans, function
    tool spans) re-reading a price book and an FX rate in turn, one model decision before each."""
    rows = [span("root", 0, 400, kind="agent", name="Pricer", agent="Pricer", output="EUR 8,910 per year.")]
    t = 1.0
    for i, rate in enumerate(fx_rates):
        for tool, args, result in (
            ("get_price_book", '{"sku": "PRO-ANNUAL", "region": "EU"}', '{"unit_price_month": 29.7}'),
            ("get_fx_rate", '{"pair": "USD/EUR"}', json.dumps({"rate": rate})),
        ):
            rows.append(span(f"m{i}{tool}", t, t + 10, parent_id="root", kind="llm", name="response", model="o3",
                             agent="Pricer", input_tokens=20_000, output_tokens=40_000))
            rows.append(span(f"t{i}{tool}", t + 10.5, t + 11, parent_id="root", kind="tool", name=tool, tool=tool,
                             agent="Pricer", input=args, output=result))
            t += 12
    return rows  # fmt: skip


def test_re_reading_the_same_lookups_in_turn_is_repeated_action() -> None:
    """TAXONOMY's repeated_action: the same agent calls the same tool with the same arguments 3+
    times with no new information in between. Alternating two lookups whose results never change
    brings none (the FX rate read between two price-book reads is the rate already read), so the
    7 identical get_price_book calls are repeated_action whatever the reasoning effort cost."""
    c = run(*_agents_sdk_lookup([0.9187] * 7))
    hits = [f for f in findings(c, "repeated_action") if "get_price_book" in f["explanation"]]
    assert len(hits) == 1 and "7 times" in hits[0]["explanation"]
    assert hits[0]["failure_class"] == "context_collapse"


def test_near_miss_re_reads_that_bring_a_new_rate_are_no_repeat_of_that_lookup() -> None:
    """The rate read each round changed (a live quote): get_fx_rate got new information every time
    and is no repeated_action."""
    c = run(*_agents_sdk_lookup([0.9187, 0.9191, 0.9179, 0.9202, 0.9188, 0.9175, 0.9199]))
    assert not [f for f in findings(c, "repeated_action") if "get_fx_rate" in f["explanation"]]
    assert "budget_exceeded" not in detectors(c)
