"""Haystack's ToolInvoker: a tool that raised, handed back to the model as a tool message flagged
``error: true``, the component's span OK; and each ToolInvoker span named by the tool it ran.

With ``raise_on_failure=False`` the ToolInvoker catches the tool's exception and returns
``ChatMessage.from_tool(tool_result=str(error), origin=tool_call, error=True)``, the text a
ToolInvocationError's ("Failed to invoke Tool `git_push` with parameters {...}. Error: ...")
(deepset-ai/haystack haystack/components/tools/tool_invoker.py ``_handle_error``). Traced, the
component's span is ``haystack.component.run`` with the output tag ``{"tool_messages":
[ChatMessage.to_dict()]}``, a result serialised ``{"tool_call_result": {"result", "origin": {"tool_name",
"arguments", "id"}, "error"}}`` (haystack/dataclasses/chat_message.py, ``asdict``). No attribute names
the tool; the origin does (``forensics/invoked_tools.py``). ``forensics/detectors/base.py`` ERROR_SHAPED.

Near misses: the push rejected, the agent rebased and pushed again (a later git_push went through);
a result flagged ``error: false`` whose text holds ``"error": true`` (a JSON file read back); a
ToolInvoker run of two tool calls at once is named by neither.
"""

from __future__ import annotations

import json

from span_builder import findings, run, span, spans

REJECTED = (
    "Failed to invoke Tool `git_push` with parameters {'remote': 'origin', 'branch': 'main'}. Error: Command "
    "'['git', 'push', 'origin', 'main']' returned non-zero exit status 1.\n ! [rejected]        main -> main (fetch first)\n"
    "error: failed to push some refs to 'github.com:acme/api.git'"
)
PUSHED = "I bumped urllib3 to 2.5.0, committed it and pushed the commit to main."


def _tool_messages(*results: tuple[str, str, bool]) -> str:
    """The ToolInvoker's output tag: one tool message per (tool, result, error)."""
    return json.dumps({"tool_messages": [
        {"role": "tool", "meta": {}, "name": None, "content": [{"tool_call_result": {
            "result": result, "origin": {"tool_name": tool, "arguments": {"remote": "origin"}, "id": f"call_{i}"},
            "error": error}}]}
        for i, (tool, result, error) in enumerate(results)]})  # fmt: skip


def _invoke(sid: str, start: float, *results: tuple[str, str, bool]) -> dict[str, object]:
    return span(sid, start, start + 0.5, parent_id="agent", kind="tool", name="haystack.component.run", agent="agent",
                input=json.dumps({"messages": [f"<tool call {results[0][0]}>"]}), output=_tool_messages(*results))


def _run(*invocations: tuple[str, str, bool], answer: str = PUSHED) -> list[dict[str, object]]:
    calls = [_invoke(f"t{i}", 2.0 + 2 * i, inv) for i, inv in enumerate(invocations)]
    return [
        span("agent", 0, 20, kind="agent", name="haystack.agent.run", agent="agent", input="Bump urllib3 and push to main.",
             output=json.dumps({"last_message": {"role": "assistant", "content": [{"text": answer}]}})),
        span("l0", 1, 1.5, parent_id="agent", kind="llm", name="haystack.component.run", model="gpt-4.1", agent="agent"),
        *calls,
        span("l9", 15, 15.5, parent_id="agent", kind="llm", name="haystack.component.run", model="gpt-4.1", agent="agent",
             output=answer),
    ]  # fmt: skip


def _error_as_data(rows: list[dict[str, object]]) -> list[str]:
    return [f["decisive_span_id"] for f in findings(run(*rows), "error_as_data")]


COMMIT = ("git_commit", "[main 3f9c2e1] deps: bump urllib3\n 1 file changed", False)


def test_a_tool_message_flagged_error_under_a_claim_of_success_is_error_as_data() -> None:
    assert _error_as_data(_run(COMMIT, ("git_push", REJECTED, True))) == ["t1"]


def test_a_later_call_of_another_tool_is_no_retry_of_it() -> None:
    rebased = ("git_pull_rebase", "Successfully rebased and updated refs/heads/main.", False)
    assert _error_as_data(_run(COMMIT, ("git_push", REJECTED, True), rebased)) == ["t1"]


def test_near_miss_rebased_and_pushed_again() -> None:
    rebased = ("git_pull_rebase", "Successfully rebased and updated refs/heads/main.", False)
    pushed = ("git_push", "To github.com:acme/api.git\n   c71e0aa..8b41d07  main -> main", False)
    assert _error_as_data(_run(COMMIT, ("git_push", REJECTED, True), rebased, pushed)) == []


def test_near_miss_an_error_key_inside_a_result_that_did_not_fail() -> None:
    config = ("read_file", json.dumps({"alerts": {}, "error": True}), False)
    assert _error_as_data(_run(config, answer="The config turns error alerts on.")) == []


def test_each_invoker_span_is_named_by_the_one_tool_it_ran() -> None:
    table = spans(
        _invoke("one", 1, ("git_push", REJECTED, True)),
        _invoke("two", 2, ("read_file", "a", False), ("write_file", "b", False)),
        span("named", 3, kind="tool", name="haystack.component.run", tool="deploy",
             output=_tool_messages(("git_push", "ok", False))),
    )  # fmt: skip
    tools = dict(zip(table.column("span_id").to_pylist(), table.column("tool").to_pylist(), strict=True))
    assert tools == {"one": "git_push", "two": None, "named": "deploy"}
