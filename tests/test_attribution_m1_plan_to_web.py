"""A request about an attached file whose plan already gave the work to the web surfer
(``instruction_contradicts_task``, forensics.attribution.instruction_rules ``_planned_for_web``).
The fixture tests/data/ag2_history/magentic_one_attached_to_web.json is an autogen-magentic-one history
(microsoft/autogen ``autogen_magentic_one/agents/orchestrator.py``: "Initial plan:" +
``ORCHESTRATOR_SYNTHESIZE_PROMPT``, whose plan bullets follow "Here is the plan to follow as best as
possible:", then the ledger whose ``instruction_or_question`` is broadcast as ``Orchestrator (-> X)``).
Its plan names no worker, so the ledger (step 2) chose the web; here its bullets name one."""

from __future__ import annotations

from pathlib import Path

from m1_history import attributed, history_doc, verdict, write_doc

BULLET = "- Find the number of electric vans in Fabrikam's 2025 fleet list."


def _with_bullets(tmp_path: Path, bullets: str) -> tuple[object, object, object]:
    doc = history_doc("magentic_one_attached_to_web.json")
    plan = doc["history"][1]
    assert plan["content"].count(BULLET) == 1
    plan["content"] = plan["content"].replace(BULLET, bullets)
    return verdict(attributed(write_doc(tmp_path, doc, "plan_to_web.json")))


def test_a_plan_giving_an_attached_files_question_to_the_web_surfer_is_blamed(tmp_path: Path) -> None:
    # The plan's bullets send the WebSurfer to find the count and name no FileSurfer: the ledger's
    # instruction to the web (step 3) follows the plan, where the decision first appears (step 1).
    bullets = "- WebSurfer: search the web for Fabrikam's fleet and its electric vans.\n- Report the count."
    assert _with_bullets(tmp_path, bullets) == ("Orchestrator", 1, "instruction_contradicts_task")


def test_a_plan_that_also_gives_the_file_surfer_work_leaves_the_choice_to_the_ledger(tmp_path: Path) -> None:
    # Near miss: the plan names the FileSurfer too (to open the list); sending the web surfer first was
    # the ledger's choice (step 2), as in the fixture whose plan names no worker.
    bullets = "- FileSurfer: open the attached fleet list.\n- WebSurfer: check Fabrikam's news for context."
    assert _with_bullets(tmp_path, bullets) == ("Orchestrator", 2, "instruction_contradicts_task")
