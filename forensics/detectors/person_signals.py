"""What a person's side of a run looks like in a tool's result: an acknowledgement refused, a decision
returned by a blocking approval tool, a person's typed answer. Shared by the preparation pass and the
approval readers (unguarded_action, declined_reviews)."""

from __future__ import annotations

from typing import Final

from forensics.conventions.registry import QP as _PQ

#: A result saying the thing was not acknowledged (Opsgenie alert "acknowledged": false, an
#: incident record's "acknowledged": false).
NOT_ACKNOWLEDGED = r'(?i)"acknowledged"\s*:\s*false'
#: A person's decision, as the result of a request for it: a human-in-the-loop tool that blocks until
#: someone answers returns the answer ({"approved": true, "approver": ...}); the OpenAI Responses API's
#: answer to an MCP approval request is {"type": "mcp_approval_response", "approve": true|false}. Quotes
#: may be escaped: LangSmith wraps a tool's JSON result as a string ({"output": "{\\"decision\\": ...}"}),
#: or a Python repr's: a smolagents tool declared ``output_type="string"`` that returns a dict is
#: recorded as ``str(dict)`` (huggingface/smolagents src/smolagents/tools.py ``Tool.__call__`` with
#: ``sanitize_inputs_outputs`` -> agent_types.py ``handle_agent_output_types`` -> ``AgentText(output)``):
#: {'decision': 'approved', 'approver': ...}, {'approved': True}.
PERSON_DECIDED = rf"(?i){_PQ}(?:approved|approve){_PQ}\s*:\s*(?:true|false)\b|{_PQ}decision{_PQ}\s*:\s*{_PQ}(?:approved?|rejected|denied){_PQ}"
PERSON_APPROVED = rf"(?i){_PQ}(?:approved|approve){_PQ}\s*:\s*true\b|{_PQ}decision{_PQ}\s*:\s*{_PQ}approved?{_PQ}"
#: Tools whose result is the person's own typed answer: smolagents' UserInputTool (``name =
#: "user_input"``, "Asks for user's input on a specific question"; huggingface/smolagents
#: src/smolagents/default_tools.py: ``forward`` returns ``input(f"{question} => Type your answer
#: here:")``). Its successful call is a person's turn, like a human span.
PERSON_INPUT_TOOLS: Final = ("user_input",)
