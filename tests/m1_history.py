"""Small Magentic-One histories for attribution tests, in ``autogen-magentic-one``'s naming, written
from its emitting code (microsoft/autogen ``python/packages/autogen-magentic-one/src/autogen_magentic_one/``):
``agents/orchestrator.py``'s ``LedgerOrchestrator`` logs "Initial plan:\\n" + the synthesize prompt
(``orchestrator_prompts.py``: "1. GIVEN OR VERIFIED FACTS" ... "Here is the plan to follow as best as
possible:"), "Updated Ledger:\\n" + the progress ledger JSON (``ORCHESTRATOR_LEDGER_PROMPT``'s five
keys, each ``{reason, answer}``) as ``Orchestrator (thought)``, the ledger's ``instruction_or_question``
as ``Orchestrator (-> X)``, "Request satisfied." and the ``_prepare_final_answer`` message as
``Orchestrator (final answer)``; ``agents/file_surfer/file_surfer.py`` answers with the markdown
browser's viewport ("Address: file:///p\\nTitle: ...\\nViewport position: Showing page i of n.\\n
=======================\\n" + the file as markdown); the Coder answers with a fenced script and the
ComputerTerminal with the script's stdout. The task is step 0 (``human``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from forensics.attribution import attribute
from forensics.load import load

#: The Magentic-One (and AG2) histories written for the tests, in the Who&When schema.
M1 = Path(__file__).resolve().parent / "data" / "ag2_history"

TEAM = (
    "WebSurfer: A helpful assistant with access to a web browser.\n"
    "Coder: A helpful and general-purpose AI assistant that has strong language skills, Python skills, "
    "and Linux command line skills.\n"
    "ComputerTerminal: A computer terminal that performs no other action than running Python scripts.\n"
    "FileSurfer: An agent that can handle local files.\n"
)


def plan(task: str, given: str, steps: str) -> dict[str, str]:
    """The "Initial plan:" message (``ORCHESTRATOR_SYNTHESIZE_PROMPT`` with the closed-book facts)."""
    text = (
        "Initial plan:\n\nWe are working to address the following user request:\n\n"
        f"{task}\n\n\nTo answer this request we have assembled the following team:\n\n{TEAM}\n\n"
        "Here is an initial fact sheet to consider:\n\n1. GIVEN OR VERIFIED FACTS\n"
        f"{given}\n\n2. FACTS TO LOOK UP\n- None.\n\n3. FACTS TO DERIVE\n- None.\n\n"
        "4. EDUCATED GUESSES\n- None.\n\n\nHere is the plan to follow as best as possible:\n\n"
        f"{steps}\n"
    )
    return orchestrator("thought", text)


def orchestrator(kind: str, text: str) -> dict[str, str]:
    """A message of the orchestrator's, named ``Orchestrator (<kind>)``: a thought, a final answer, a
    termination condition, or ``-> X`` (an instruction to X)."""
    return {"content": text, "role": "assistant", "name": f"Orchestrator ({kind})"}


def ledger(
    satisfied: bool, reason: str, speaker: str, instruction: str, in_loop: bool = False
) -> dict[str, str]:
    """An "Updated Ledger:" message (the progress ledger JSON); ``in_loop``: the team is repeating itself
    and making no progress."""
    body = {
        "is_request_satisfied": {"reason": reason, "answer": satisfied},
        "is_in_loop": {"reason": "We are repeating the same request.", "answer": True}
        if in_loop
        else {"reason": "We are not repeating the same requests.", "answer": False},
        "is_progress_being_made": {"reason": "Recent messages add little.", "answer": False}
        if in_loop
        else {"reason": "The last step added new information.", "answer": True},
        "next_speaker": {"reason": f"{speaker} is best placed to act next.", "answer": speaker},
        "instruction_or_question": {"reason": "This is the next step of the plan.", "answer": instruction},
    }
    return orchestrator("thought", "Updated Ledger:\n" + json.dumps(body, indent=2))


def instruct(agent: str, instruction: str) -> dict[str, str]:
    """The ``Orchestrator (-> agent)`` message broadcasting the ledger's instruction."""
    return orchestrator(f"-> {agent}", instruction)


def tell(
    agent: str,
    instruction: str,
    reason: str = "The requested value has not yet been found.",
    in_loop: bool = False,
) -> list[dict[str, str]]:
    """The ledger (request not satisfied for ``reason``) choosing ``agent`` and the
    ``Orchestrator (-> agent)`` instruction it broadcasts."""
    return [ledger(False, reason, agent, instruction, in_loop=in_loop), instruct(agent, instruction)]


def said(agent: str, text: str) -> dict[str, str]:
    return {"content": text, "role": "user" if agent == "ComputerTerminal" else "assistant", "name": agent}


def file_view(path: str, body: str, page: int = 1, pages: int = 1) -> dict[str, str]:
    """The FileSurfer's viewport of a local file (file_surfer.py ``_get_browser_state``)."""
    text = (
        f"Address: file://{path}\nTitle: None\nViewport position: Showing page {page} of {pages}.\n"
        f"=======================\n{body}"
    )
    return said("FileSurfer", text)


def accept(reason: str, answer: str) -> list[dict[str, str]]:
    """The ledger that finds the request satisfied, "Request satisfied." and the final answer."""
    return [
        ledger(True, reason, "WebSurfer", "No further action is needed."),
        orchestrator("thought", "Request satisfied."),
        orchestrator("final answer", answer),
    ]


def history_doc(name: str) -> dict[str, Any]:
    """A history of ``M1`` as its JSON document."""
    doc: dict[str, Any] = json.loads((M1 / name).read_text())
    return doc


def write_doc(tmp_path: Path, doc: dict[str, Any], name: str | None = None) -> Path:
    """``doc`` (a Who&When-schema history) written in ``tmp_path`` as ``name`` (default: its
    ``question_ID``.json) for the ag2-history loader."""
    path = tmp_path / (name or f"{doc['question_ID']}.json")
    path.write_text(json.dumps(doc))
    return path


def ag2_chat(tmp_path: Path, messages: list[tuple[str, str]], **run: Any) -> Path:
    """An AG2 group chat as a Who&When-style file (run ``r``, ``run.json``): each message a
    (speaker, text) pair, the speaker in ``name`` and every role ``user``, as AG2's histories hold
    them; ``run``: more top-level keys."""
    doc = {
        "question_ID": "r",
        "is_correct": False,
        **run,
        "history": [{"name": n, "role": "user", "content": c} for n, c in messages],
    }
    return write_doc(tmp_path, doc, "run.json")


def attributed(path: Path, run_id: str | None = None) -> dict[str, Any]:
    """The attribution row of the one run of the ag2-history file ``path`` (``run_id``: that run of
    the runs it holds)."""
    out = attribute(load(path, format="ag2-history"))
    if run_id is not None:
        out = out.filter(pl.col("run_id") == run_id)
    (row,) = out.to_dicts()
    return row


def verdict(row: dict[str, Any]) -> tuple[Any, Any, Any]:
    """An attribution row's decisive agent, step and rule."""
    return row["decisive_agent"], row["decisive_step"], row["attribution_rule"]


def write(
    tmp_path: Path, run_id: str, task: str, history: list[dict[str, str]], asker: str = "human", **labels: Any
) -> Path:
    """The run as a Who&When-schema file (``history[0]`` is the task, asked by ``asker``: autogen-magentic-one's
    ``human``, agentchat's ``user``) for the ag2-history loader."""
    doc = {
        "is_correct": False,
        "question": task,
        "question_ID": run_id,
        "level": "1",
        "ground_truth": labels.get("ground_truth", ""),
        "history": [{"content": task, "role": "user", "name": asker}, *history],
        "mistake_agent": labels.get("agent", ""),
        "mistake_step": str(labels.get("step", "")),
        "mistake_reason": "",
        "system_prompt": {},
    }
    return write_doc(tmp_path, doc, f"{run_id}.json")


def blamed_row(tmp_path: Path, run_id: str, task: str, history: list[dict[str, str]]) -> dict[str, Any]:
    """The attribution row of the one run ``history`` written as ``run_id`` (``write``) and loaded."""
    return attributed(write(tmp_path, run_id, task, history))


def blamed(tmp_path: Path, run_id: str, task: str, history: list[dict[str, str]]) -> tuple[Any, Any, Any]:
    """``blamed_row``'s agent, step and rule."""
    return verdict(blamed_row(tmp_path, run_id, task, history))
