"""How each Magentic-One implementation names its orchestrator's messages in a run's history: one
row per implementation, read by the ag2-history loader (which message is an instruction, and to
whom) and by forensics.attribution.steps (which message is a plan, a replan, the final answer, and
who the orchestrator is). Plain data, not a registered convention: nothing here adds a column.

Both implementations post the same task ledger (ORCHESTRATOR_SYNTHESIZE_PROMPT in
autogen-magentic-one's ``orchestrator_prompts.py``, ORCHESTRATOR_TASK_LEDGER_FULL_PROMPT in
agentchat's ``_prompts.py``: "We are working to address the following user request: ...") and the
same ledger questions; they differ in how the history shows who said what:

* ``autogen-magentic-one`` (``LedgerOrchestrator``): roles carry the message's job:
  ``Orchestrator (thought)`` "Initial plan:" / "New plan:" + the task ledger, ``Orchestrator (-> X)``
  the instruction to X, ``Orchestrator (final answer)``; the progress ledger is in the history
  ("Updated Ledger:"); the task comes from ``human``.
* ``autogen-agentchat`` (``MagenticOneGroupChat``): every orchestrator message is
  ``MagenticOneOrchestrator``: the task ledger as it stands (a replan posts it again), the ledger's
  ``instruction_or_question`` answer alone (its addressee is the next speaker: the orchestrator then
  asks that participant to speak, ``GroupChatRequestPublish``), and last the final answer
  (``_prepare_final_answer``); the progress ledger goes only to the trace log; the task comes from
  ``user`` (``team.run(task=...)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal


@dataclass(frozen=True)
class OrchestratorNaming:
    """One implementation's naming of its orchestrator's messages."""

    framework: str
    source: str
    #: A plan message (task ledger) starts with one of these (leading whitespace aside).
    plan_openings: tuple[str, ...]
    #: A replan starts with one of these; with none, a plan after the run's first is a replan.
    replan_openings: tuple[str, ...]
    #: Whom an instruction addresses: its role's ``(-> X)``, or the next message's speaker.
    addressee: Literal["role", "next speaker"]
    #: The final answer: the ``(final answer)`` role, or the orchestrator's message that ends the run.
    final_answer: Literal["role", "last message"]
    #: The speaker of the task (the run's human).
    task_speaker: str


NAMINGS: Final = (
    OrchestratorNaming(
        framework="autogen-magentic-one",
        source="python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py "
        "(LedgerOrchestrator._select_next_agent), base_orchestrator.py",
        plan_openings=("Initial plan:", "New plan:"),
        replan_openings=("New plan:",),
        addressee="role",
        final_answer="role",
        task_speaker="human",
    ),
    OrchestratorNaming(
        framework="autogen-agentchat MagenticOneGroupChat",
        source="python/packages/autogen-agentchat/src/autogen_agentchat/teams/_group_chat/_magentic_one/"
        "_magentic_one_orchestrator.py (_reenter_outer_loop, _orchestrate_step, _prepare_final_answer), "
        "_magentic_one_group_chat.py (group_chat_manager_name)",
        plan_openings=("We are working to address the following user request:",),
        replan_openings=(),
        addressee="next speaker",
        final_answer="last message",
        task_speaker="user",
    ),
)

#: Every naming's plan openings (a message starting with one is a plan).
PLAN_OPENINGS: Final = tuple(o for n in NAMINGS for o in n.plan_openings)
#: Every naming's explicit replan openings.
REPLAN_OPENINGS: Final = tuple(o for n in NAMINGS for o in n.replan_openings)
#: Plan openings of the namings whose instructions address the next speaker: their author is the
#: orchestrator, whose other messages are instructions (or, the last, the final answer).
NEXT_SPEAKER_PLAN_OPENINGS: Final = tuple(
    o for n in NAMINGS if n.addressee == "next speaker" for o in n.plan_openings
)
#: Plan openings of the namings whose final answer is the orchestrator's message that ends the run.
LAST_MESSAGE_PLAN_OPENINGS: Final = tuple(
    o for n in NAMINGS if n.final_answer == "last message" for o in n.plan_openings
)
#: The task's speakers (a message from one, with no agent name, is the human's).
TASK_SPEAKERS: Final = frozenset(n.task_speaker for n in NAMINGS)
