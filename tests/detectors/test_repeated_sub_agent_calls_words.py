"""What counts as the same request to a sub-agent, and a wait written in code.

Same request: the words as a set (case, punctuation, order aside), and the word after each
role-marking preposition (to, from, into, than, vs, against). Reworded ("Convert 250 EUR to USD" /
"250 EUR to USD: convert") is one request; the roles swapped ("250 EUR to USD" / "250 USD to EUR")
are two, each a quote of its own.

A wait with no span: a smolagents CodeAgent writes Python its local executor runs inside the step
(src/smolagents/agents.py CodeAgent: code parsed from the model output, run by python_executor),
so a polling loop's ``time.sleep(120)`` leaves no span, only its time. Its managed agent, called
from that code, is an agent run under the ``Step N`` span (openinference-instrumentation-smolagents
_wrappers.py: _StepWrapper names the CHAIN span ``Step N``, _RunWrapper the AGENT span of the managed
agent's run, its input the task); the code is the model call's output (_ModelWrapper: output.value,
the ChatMessage JSON).
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _fx(requests: list[str]):
    """A pricing agent asks its FX sub-agent (an Agents SDK as_tool ``fx``) one request per turn."""
    rows = [span("root", 0, 5_000, kind="agent", name="pricing", agent="pricing", output="Quote ready.")]
    t = 1.0
    for i, ask in enumerate(requests):
        rows.append(
            span(
                f"p{i}",
                t,
                t + 1,
                parent_id="root",
                kind="llm",
                model="gpt-4.1",
                agent="pricing",
                output="call fx",
            )
        )
        t += 1.5
        rows.append(
            span(
                f"f{i}",
                t,
                t + 8,
                parent_id="root",
                kind="tool",
                tool="fx",
                agent="pricing",
                input=json.dumps({"input": ask}),
                output=f"rate {i}",
            )
        )
        rows.append(span(f"a{i}", t + 0.01, t + 7.9, parent_id=f"f{i}", kind="agent", name="fx_agent", agent="fx_agent",
                         output=f"rate {i}"))  # fmt: skip
        rows.append(span(f"m{i}", t + 1, t + 7, parent_id=f"a{i}", kind="llm", model="gpt-4.1", agent="fx_agent",
                         input_tokens=20_000, output_tokens=500, output=f"rate {i}"))  # fmt: skip
        t += 9
    return rows


def test_the_same_words_in_another_order_are_one_request() -> None:
    asks = ["Convert 250 EUR to USD at today's rate", "250 EUR to USD at today's rate: convert",
            "convert 250 eur to usd at today's rate.", "At today's rate, convert 250 EUR to USD"]  # fmt: skip
    f = one(run(*_fx(asks)), "repeated_sub_agent_calls")
    assert "pricing called sub-agent fx_agent 4 time(s)" in f["explanation"]


def test_near_miss_the_roles_swapped_are_two_requests() -> None:
    """Three quotes each way of one currency pair: six calls of one bag of words, two requests."""
    asks = ["Convert 250 EUR to USD at today's rate", "Convert 250 USD to EUR at today's rate"] * 3
    assert "repeated_sub_agent_calls" not in detectors(run(*_fx(asks)))


TASK = "Check whether CI run 4821 on payments-api has finished and report its result."
REPORTS = ["Running: 2 of 7 jobs done.", "Running: 4 of 7 jobs done.", "Running: 6 of 7 jobs done.",
           "Finished: all 7 jobs passed."]  # fmt: skip


def _code_agent(sleep: int) -> list[dict[str, object]]:
    """A smolagents CodeAgent manager polls its managed ``ci_agent`` from one step's code; with
    ``sleep`` > 0 the loop sleeps that long between calls (the time shows in the trace)."""
    wait = f"    time.sleep({sleep})\n" if sleep else ""
    code = (
        "Thought: CI run 4821 is still going; I will ask ci_agent until it finishes.\nCode:\n```py\nimport time\n"
        f"for attempt in range(4):\n    report = ci_agent(task={TASK!r})\n    print(report)\n"
        f"    if report.startswith('Finished'):\n        break\n{wait}```<end_code>"
    )
    message = json.dumps({"role": "assistant", "content": code, "tool_calls": None})
    rows = [
        span(
            "root",
            0,
            2_000,
            kind="agent",
            name="CodeAgent.run",
            agent="release",
            output="CI run 4821 passed; payments-api is ready to ship.",
        ),  # fmt: skip
        span(
            "s1",
            1,
            1_000,
            parent_id="root",
            kind="chain",
            name="Step 1",
            agent="release",
            output="\n".join(REPORTS),
        ),
        span(
            "l1",
            1.1,
            4,
            parent_id="s1",
            kind="llm",
            name="OpenAIServerModel.generate",
            model="gpt-4.1",
            agent="release",
            output=message,
        ),  # fmt: skip
    ]
    t = 5.0
    for i, rep in enumerate(REPORTS):
        rows.append(span(f"a{i}", t, t + 10, parent_id="s1", kind="agent", name="ci_agent", agent="ci_agent",
                         input=json.dumps({"task": TASK}), output=rep))  # fmt: skip
        rows.append(
            span(
                f"m{i}",
                t + 1,
                t + 9,
                parent_id=f"a{i}",
                kind="llm",
                model="gpt-4.1",
                agent="ci_agent",
                output=rep,
            )
        )
        t += 10.5 + sleep
    return rows


def test_near_miss_a_code_agent_polling_with_time_sleep_in_its_code() -> None:
    assert "repeated_sub_agent_calls" not in detectors(run(*_code_agent(120)))


def test_a_code_agent_asking_again_with_no_sleep_fires() -> None:
    f = one(run(*_code_agent(0)), "repeated_sub_agent_calls")
    assert "release called sub-agent ci_agent 4 time(s)" in f["explanation"]


def test_near_miss_the_same_numbers_counting_other_things_are_other_requests() -> None:
    """A capacity planner prices four cluster shapes with its pricing sub-agent: the numbers 2, 4
    and 8 each time, counting nodes, GB and GPUs in turn. One bag of words, four requests: a number
    counts the word after it."""
    shapes = [(4, 8, 2), (2, 8, 4), (8, 4, 2), (4, 2, 8)]
    asks = [f"Price a cluster of {n} nodes with {gb} GB and {gpu} GPUs each" for n, gb, gpu in shapes]
    assert "repeated_sub_agent_calls" not in detectors(run(*_fx(asks)))
    # The same shape asked four times, reworded, is one request asked again.
    again = ["Price a cluster of 4 nodes with 8 GB and 2 GPUs each", "With 8 GB and 2 GPUs each, price a cluster of 4 nodes"]
    assert one(run(*_fx(again * 2)), "repeated_sub_agent_calls")
