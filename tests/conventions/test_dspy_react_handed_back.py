"""DSPy ReAct hands a tool's exception back to the model as the step's observation.

dspy/predict/react.py ReAct.forward: ``try: observation = tool(**args) except Exception as err:
observation = f"Execution error in {tool_name}: {_fmt_exc(err)}"``; the OpenInference DSPy
instrumentor names the module span ``ReAct.forward`` and the tool span ``Tool.__call__``.
"""

from __future__ import annotations

from span_builder import detectors, run, span

_Q = '{"question": "Which river runs through Lyon besides the Rhone?"}'


def _react(module: str, *, crashed: bool = False) -> list[dict[str, object]]:
    """With ``crashed`` the module runs under a program span that ends in error after the module
    returned (the run did not report success; the module itself returned normally)."""
    program = [span("app", 0, 21, kind="chain", name="main", status="error", error_type="RuntimeError")]
    under = {"parent_id": "app"} if crashed else {}
    return [
        *(program if crashed else []),
        span("root", 0, 20, kind="chain", name=module, input=_Q, output='{"answer": "the Saone"}', **under),
        span("p1", 1, 2, parent_id="root", kind="chain", name="Predict(StringSignature).forward"),
        span("m1", 1.2, 1.8, parent_id="p1", kind="llm", model="gpt-4o-mini"),
        span("t1", 3, 8, parent_id="root", kind="tool", name="Tool.__call__", tool="search_geonames",
             input='{"q": "Lyon rivers"}', status="error", error_type="requests.exceptions.ReadTimeout",
             error_message="ReadTimeout: read timed out (read timeout=5)"),
        span("p2", 9, 10, parent_id="root", kind="chain", name="Predict(StringSignature).forward"),
        span("m2", 9.2, 9.8, parent_id="p2", kind="llm", model="gpt-4o-mini"),
        span("t2", 11, 12, parent_id="root", kind="tool", name="Tool.__call__", tool="search_encyclopedia",
             input='{"q": "rivers of Lyon"}', output='["Lyon lies at the confluence of the Rhone and the Saone."]'),
        span("p3", 13, 14, parent_id="root", kind="chain", name="Predict(StringSignature).forward"),
        span("m3", 13.2, 13.8, parent_id="p3", kind="llm", model="gpt-4o-mini", output="the Saone"),
    ]


def test_tool_error_inside_react_is_handed_back_to_the_model() -> None:
    found = detectors(run(*_react("ReAct.forward")))
    assert "unhandled_error" not in found
    assert "swallowed_error" not in found


def test_near_miss_the_same_error_under_a_module_that_does_not_catch_it() -> None:
    # A user module's forward has no such try: the error is not known to reach the model. In a run
    # that ended in error it is unhandled_error's (ReAct's, handed back and acted on, is not).
    assert "unhandled_error" in detectors(run(*_react("ResearchPipeline.forward", crashed=True)))
    assert "unhandled_error" not in detectors(run(*_react("ReAct.forward", crashed=True)))
    # In a run that reported success it is swallowed_error's alone (one failure, one class).
    found = detectors(run(*_react("ResearchPipeline.forward")))
    assert "swallowed_error" in found and "unhandled_error" not in found
