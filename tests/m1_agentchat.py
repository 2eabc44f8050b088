"""A Magentic-One history in ``autogen-magentic-one``'s naming, rewritten as ``autogen-agentchat``'s
``MagenticOneGroupChat`` puts the same run in its messages (``TaskResult.messages``, the stream a
``Console`` prints), for the tests that check attribution reads both namings.

What changes, from microsoft/autogen's code:

* ``python/packages/autogen-agentchat/src/autogen_agentchat/teams/_group_chat/_magentic_one/_magentic_one_group_chat.py``:
  the orchestrator is the group chat manager named ``MagenticOneOrchestrator``; ``team.run(task=...)``
  makes the task a ``TextMessage`` whose source is ``user``;
* ``.../_magentic_one/_magentic_one_orchestrator.py``: ``_reenter_outer_loop`` posts the task ledger
  (``ORCHESTRATOR_TASK_LEDGER_FULL_PROMPT`` of ``_prompts.py``: "\\nWe are working to address the
  following user request: ...", no "Initial plan:" / "New plan:" prefix; a replan posts it again with
  the updated facts and plan); ``_orchestrate_step`` posts only the ledger's
  ``instruction_or_question`` answer, as ``MagenticOneOrchestrator`` (no ``(-> X)``: the addressee is
  the next speaker, who answers next); the progress ledger, "Next Speaker: X", "Stall count
  exceeded, re-planning..." and "Task completed, preparing final answer..." go to the trace log
  (``_log_message``), not to the messages; ``_prepare_final_answer`` posts the final answer as
  ``MagenticOneOrchestrator`` and ends with a ``StopMessage`` that is the result's ``stop_reason``;
* ``python/packages/autogen-agentchat/src/autogen_agentchat/agents/_code_executor_agent.py``
  (``CodeExecutorAgent`` named ``ComputerTerminal``): a failed script is "The script ran, then
  exited with an error (POSIX exit code: N)\\nIts output was:\\n...", a script that exited 0
  its output alone;
* ``python/packages/autogen-ext/src/autogen_ext/agents/web_surfer/_multimodal_web_surfer.py``: a page
  is "The web browser is open to the page [title](url).\\nThe viewport shows N% of the webpage, and
  is positioned ...\\nThe following text is visible in the viewport:".

The benchmark's labels move with the messages: a label on a ledger (not in agentchat's messages)
moves to the orchestrator's next message, the first place that decision shows in this naming.
"""

from __future__ import annotations

import re
from typing import Any

ORCHESTRATOR = "MagenticOneOrchestrator"

_SCREENSHOT = re.compile(r"Here is a screenshot of \[([^\]]*)\]\(([^)\s]*)\)\. ")
_OCR = "Automatic OCR of the page screenshot has detected the following text:"
_EXIT = re.compile(r"^The script ran, then exited with Unix exit code: (\d+)")
#: The orchestrator's thoughts that agentchat logs to the trace logger only.
#: ("Replan counter exceeded..." has no agentchat counterpart in the messages: MagenticOneGroupChat
#: re-enters its outer loop on a stall and stops at its turn limit, ``_magentic_one_orchestrator.py``.)
_TRACE_ONLY = ("Updated Ledger:", "Next speaker ", "Stalled.", "Request satisfied.", "Replan counter exceeded")


def _kept(role: str, text: str) -> tuple[str, str] | None:
    """The agentchat (source, content) of one autogen-magentic-one message, or None when agentchat
    does not put it in the messages."""
    if role == "human":
        return "user", text
    if role == "Orchestrator (thought)":
        for plan in ("Initial plan:", "New plan:"):
            if text.startswith(plan):
                return ORCHESTRATOR, "\n" + text[len(plan) :].lstrip("\n")
        if text.startswith(_TRACE_ONLY):
            return None
        raise ValueError(f"an Orchestrator (thought) this converter does not know: {text[:60]!r}")
    if role == "Orchestrator (termination condition)":
        return None
    if role.startswith("Orchestrator (-> ") or role == "Orchestrator (final answer)":
        return ORCHESTRATOR, text
    if role == "ComputerTerminal":
        # A run that exited 0 is its output alone; a failed one is announced (execute_code_block).
        if text.startswith("The script ran, then exited with Unix exit code: 0\nIts output was:\n"):
            return role, text.split("Its output was:\n", 1)[1]
        return role, _EXIT.sub(r"The script ran, then exited with an error (POSIX exit code: \1)", text)
    text = _SCREENSHOT.sub(r"The web browser is open to the page [\1](\2).\n", text)
    text = text.replace(_OCR, "The following text is visible in the viewport:")
    return role, text


def to_agentchat(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` (a Who&When-shaped autogen-magentic-one history) in agentchat's naming, its labels
    moved with the messages (a ledger's label to the orchestrator's next message)."""
    history: list[dict[str, str]] = []
    moved: dict[int, int] = {}
    pending: list[int] = []
    for i, msg in enumerate(doc["history"]):
        kept = _kept(msg["role"], msg["content"])
        if kept is None:
            pending.append(i)
            continue
        for j in (*pending, i):
            moved[j] = len(history)
        pending = []
        history.append({"role": kept[0], "content": kept[1]})
    out = {k: v for k, v in doc.items() if k != "history"}
    out["history"] = history
    out["question_ID"] = f"{doc['question_ID']}-agentchat"
    if "mistake_step" in doc:
        step = int(doc["mistake_step"])
        out["mistake_step"] = str(moved.get(step, len(history) - 1))
        if doc["mistake_agent"] == "Orchestrator":
            out["mistake_agent"] = ORCHESTRATOR
    return out
