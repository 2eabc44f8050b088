"""runaway_cost.unchanged_refine_passes: a refine chain paying a model call per chunk after its answer settled.

Firing shape, from the framework's own code: LlamaIndex's ``Refine`` synthesizer makes one model call
per retrieved chunk (run-llama/llama_index ``llama-index-core/llama_index/core/response_synthesizers/refine.py``
``get_response``): the text-QA prompt for the first chunk, then the refine prompt with the answer so far,
which ends "If the context isn't useful, return the original answer."
(``llama-index-core/llama_index/core/prompts/default_prompts.py`` ``DEFAULT_TEXT_QA_PROMPT_TMPL``,
``DEFAULT_REFINE_PROMPT_TMPL``). OpenInference records each call as an LLM span whose input is the
messages sent and whose output is the assistant message.

Near misses: a refine whose every pass adds to the answer (a summary growing chunk by chunk), a short
refine over a few chunks with a few unchanged passes, the same prompt re-sent (a retry), a short label
written back, and model calls with tool work between them.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

MODEL = "gpt-4-turbo-2024-04-09"
QUERY = "How many days of bereavement leave do I get for a grandparent?"
ANSWER = "Five working days of paid bereavement leave: grandparents count as immediate family (Section 7.3)."


def _qa_prompt(chunk: str) -> str:
    return (
        f"Context information is below.\n---------------------\n{chunk}\n---------------------\n"
        f"Given the context information and not prior knowledge, answer the query.\nQuery: {QUERY}\nAnswer: "
    )


def _refine_prompt(existing: str, chunk: str) -> str:
    return (
        f"The original query is as follows: {QUERY}\nWe have provided an existing answer: {existing}\n"
        "We have the opportunity to refine the existing answer (only if needed) with some more context below.\n"
        f"------------\n{chunk}\n------------\nGiven the new context, refine the original answer to better answer "
        "the query. If the context isn't useful, return the original answer.\nRefined Answer: "
    )


def _chat(sid: str, t: float, prompt: str, answer: str, **kw: object) -> dict:
    return span(sid, t, t + 3, parent_id="synth", kind="llm", name="OpenAI.chat", model=MODEL,
                input=json.dumps({"messages": [{"role": "user", "content": prompt}]}),
                output=json.dumps({"role": "assistant", "content": answer}), input_tokens=5_980,
                output_tokens=90, **kw)  # fmt: skip


def _refine(answers: list[str]) -> list[dict]:
    """A RetrieverQueryEngine query: the retrieval, then one call per chunk, each refining the last answer."""
    rows = [
        span("root", 0, 600, kind="chain", name="RetrieverQueryEngine.query", input=QUERY, output=answers[-1]),
        span("retrieve", 0.1, 0.4, parent_id="root", kind="retriever", name="VectorIndexRetriever.retrieve",
             input=QUERY),
        span("synth", 0.5, 599, parent_id="root", kind="chain", name="Refine.get_response"),
    ]  # fmt: skip
    for i, answer in enumerate(answers):
        chunk = f"Handbook chunk {i}: policy text about leave type {i}."
        prompt = _qa_prompt(chunk) if i == 0 else _refine_prompt(answers[i - 1], chunk)
        rows.append(_chat(f"c{i}", 1 + 4 * i, prompt, answer))
    return rows


def test_refine_writing_back_the_same_answer_for_ten_chunks_is_runaway_cost() -> None:
    """Twelve chunks: the second pass adds a note, the ten after it return the answer unchanged."""
    settled = ANSWER + " It does not reduce your PTO balance."
    f = one(run(*_refine([ANSWER, settled, *[settled] * 10])), "unchanged_refine_passes")
    assert f["failure_class"] == "runaway_cost"
    assert f["decisive_span_id"] == "c2"
    assert f["evidence_span_ids"] == [f"c{i}" for i in range(2, 12)]
    assert f["explanation"].startswith("10 consecutive calls to gpt-4-turbo-2024-04-09")
    assert "60700 tokens paid for passes that changed nothing" in f["explanation"]


def test_near_miss_refine_whose_every_pass_adds_is_clean() -> None:
    """A summary refined over twelve chunks, each pass adding a sentence: every call changed the answer."""
    answers = [ANSWER + "".join(f" Note {j}: leave type {j} applies." for j in range(i)) for i in range(12)]
    assert "unchanged_refine_passes" not in detectors(run(*_refine(answers)))


def test_near_miss_short_refine_with_a_few_unchanged_passes_is_clean() -> None:
    """Five chunks, three passes returning the original answer: the prompt doing its job on unhelpful chunks."""
    assert "unchanged_refine_passes" not in detectors(run(*_refine([ANSWER] * 5)))


def test_near_miss_same_prompt_resent_is_not_a_pass() -> None:
    """The same refine prompt sent twelve times (a retry loop): no new context, so no pass to judge here."""
    prompt = _refine_prompt(ANSWER, "Handbook chunk 1: policy text.")
    rows = [span("root", 0, 600, kind="chain", name="RetrieverQueryEngine.query", input=QUERY, output=ANSWER),
            span("synth", 0.5, 599, parent_id="root", kind="chain", name="Refine.get_response")]  # fmt: skip
    rows += [_chat(f"c{i}", 1 + 4 * i, prompt, ANSWER) for i in range(12)]
    assert "unchanged_refine_passes" not in detectors(run(*rows))


def test_near_miss_short_label_written_back_is_clean() -> None:
    """A classifier handed its last label with each new ticket, writing 'billing' twelve times: no refine."""
    rows = [span("root", 0, 600, kind="chain", name="classify_batch", input="tickets", output="done"),
            span("synth", 0.5, 599, parent_id="root", kind="chain", name="LLMChain")]  # fmt: skip
    rows += [_chat(f"c{i}", 1 + 4 * i, f"Previous label: billing\nTicket {i}: invoice question", "billing")
             for i in range(12)]  # fmt: skip
    assert "unchanged_refine_passes" not in detectors(run(*rows))


def test_near_miss_tool_work_between_the_calls_is_clean() -> None:
    """The same answer written back, but a search between each call: new information came in each time."""
    settled = ANSWER + " It does not reduce your PTO balance."
    rows = _refine([ANSWER, settled, *[settled] * 10])
    rows += [span(f"search{i}", 2 + 4 * i, 2.5 + 4 * i, parent_id="synth", kind="tool", name="search",
                  tool="search", input=json.dumps({"q": f"leave {i}"}), output=f"result {i}") for i in range(12)]  # fmt: skip
    assert "unchanged_refine_passes" not in detectors(run(*rows))
