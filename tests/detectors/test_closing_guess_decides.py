"""The closing guess that reported success over failed steps is the decisive span.

smolagents (huggingface/smolagents src/smolagents/agents.py): a CodeAgent step whose code raised is
an ``AgentExecutionError("Code execution failed at line '...' due to: FileNotFoundError: ...")``,
handed back to the model; an import outside the authorised list is refused by the local executor
(src/smolagents/local_python_executor.py: "Import of os is not allowed. Authorized imports are:
..."). At ``max_steps`` ``_handle_max_steps_reached`` calls ``provide_final_answer``: one more model
call, no tools, its system prompt "An agent tried to answer a user query but it got stuck and failed
to do so..." (src/smolagents/prompts/*.yaml ``final_answer.pre_messages``), whose answer the run
returns with no error. The failed steps were the agent's to recover from, and a closing answer that
says it could not read the file leaves the run healthy; the one that states a figure from nothing is
where success was reported over them.
"""

from __future__ import annotations

from span_builder import detectors, one, run, run_row, span

_NOT_FOUND = ("Code execution failed at line 'df = pd.read_csv(\"/data/exports/q3/subscriptions.csv\")' due to: "
              "FileNotFoundError: [Errno 2] No such file or directory: '/data/exports/q3/subscriptions.csv'")
_IMPORT = "Code execution failed at line 'import os' due to: InterpreterError: Import of os is not allowed. Authorized imports are: ['pandas', 'math']"
_CLOSING = "An agent tried to answer a user query but it got stuck and failed to do so. You are tasked with providing an answer instead."


def _run(answer: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("run", 0, 60, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", output=answer,
             input='{"task": "What was our Q3 subscriber churn rate?"}',
             attributes='{"openinference.span.kind": "AGENT", "smolagents.max_steps": "4"}'),
    ]  # fmt: skip
    for n, err in enumerate((_NOT_FOUND, _IMPORT, _NOT_FOUND, _IMPORT), start=1):
        t = n * 10.0
        rows.append(span(f"s{n}", t, t + 8, parent_id="run", kind="chain", name=f"Step {n}", agent="CodeAgent.run",
                         status="error", error_type="AgentExecutionError", error_message=err))  # fmt: skip
        rows.append(span(f"g{n}", t + 0.5, t + 6, parent_id=f"s{n}", kind="llm", model="gpt-4o", agent="CodeAgent.run",
                         output=f"Thought: try again.\n<code>\n# attempt {n}\n</code>"))  # fmt: skip
    rows.append(span("guess", 50, 55, parent_id="run", kind="llm", model="gpt-4o", agent="CodeAgent.run",
                     input=f'{{"messages": [{{"role": "system", "content": "{_CLOSING}"}}]}}', output=answer))  # fmt: skip
    return rows


def test_the_closing_guess_that_invented_the_answer_is_decisive() -> None:
    c = run(*_run("The Q3 churn rate was 4.2% (1,318 of 31,380 subscribers)."))
    f = one(c, "swallowed_error")
    assert f["decisive_span_id"] == "guess"
    assert f["evidence_span_ids"] == ["s1", "s2", "s3", "s4", "guess"]
    assert run_row(c)["decisive_span_id"] == "guess"


def test_near_miss_an_honest_closing_answer_leaves_the_run_clean() -> None:
    c = run(*_run("I could not read the Q3 export: the file was not found, so I cannot give the churn rate."))
    assert "swallowed_error" not in detectors(c)
