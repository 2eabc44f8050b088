"""A request about an attached file whose first instruction sent it to the web surfer, and whose replan
kept it there (``instruction_contradicts_task``, forensics.attribution.instruction_rules
``_instruction_conflicts``). Histories from Magentic-One's emitting code (tests/m1_history.py; microsoft/autogen
``autogen-magentic-one`` ``agents/orchestrator.py``: "Initial plan:" / "New plan:" + ORCHESTRATOR_SYNTHESIZE_PROMPT,
the ledger's ``instruction_or_question`` broadcast as ``Orchestrator (-> X)``, the replan after stalls
(``_select_next_agent``); ``agents/multimodal_web_surfer/multimodal_web_surfer.py``: "I typed '...' into the
browser address bar." / "Here is a screenshot of [title](url)."; ``agents/file_surfer/file_surfer.py``'s
viewport, whose markdown converter transcribes audio ("### Audio Transcript:"). Magentic-One gives local
files to its FileSurfer and the web to its WebSurfer: a browser cannot hear a recording."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, file_view, orchestrator, plan, said, tell

TASK = (
    "The attached recording is a voicemail left for a bakery. What order number does the caller give?\n"
    "The question is about a file, document or image, which can be accessed by the filename "
    "'0f3c.mp3' in the current working directory."
)
STEPS = "- Open the recording and obtain a transcript.\n- Report the order number."
PLAYER = (
    "I typed 'file:///workspace/0f3c.mp3' into the browser address bar.\n\nHere is a screenshot of "
    "[0f3c.mp3](file:///workspace/0f3c.mp3). The viewport shows 100% of the webpage, and is positioned at "
    "the top of the page.\nAutomatic OCR of the page screenshot has detected the following text:\n\n0:00 / 0:31\n"
)


def _run(after_replan: list[dict[str, str]]) -> list[dict[str, str]]:
    new = plan(TASK, "- The voicemail is the local file 0f3c.mp3.", STEPS)
    new["content"] = new["content"].replace("Initial plan:", "New plan:", 1)
    return [
        plan(TASK, "- The voicemail is the local file 0f3c.mp3.", STEPS),
        *tell("WebSurfer", "Please open file:///workspace/0f3c.mp3 in the browser and transcribe the order number."),
        said("WebSurfer", PLAYER),
        *tell("WebSurfer", "Please play the recording and report the order number the caller gives."),
        said("WebSurfer", "I cannot hear audio; the page shows only an audio player and no transcript."),
        orchestrator("thought", "Stalled.... Replanning..."),
        new,
        *after_replan,
    ]


def test_a_replan_that_keeps_the_attached_file_on_the_web_leaves_the_first_routing_blamed(tmp_path: Path) -> None:
    # The replan sends the recording to the browser again and no step ever asks the FileSurfer: the
    # first instruction's routing (its ledger, step 2) was never undone. HEAD looked only after the
    # replan and blamed the WebSurfer's repeated view (repeated_action, step 12).
    history = _run(
        [
            *tell("WebSurfer", "Please open file:///workspace/0f3c.mp3 and summarize any captions or metadata."),
            said("WebSurfer", PLAYER),
            *accept("No further source holds the number.", "I could not obtain the order number from the recording."),
        ]
    )
    agent, step, rule = blamed(tmp_path, "m1-replan-web", TASK, history)
    assert (agent, step, rule) == ("Orchestrator", 2, "instruction_contradicts_task")


def test_a_replan_that_hands_the_attached_file_to_the_file_surfer_undoes_the_first_routing(tmp_path: Path) -> None:
    # Near miss: the replan gives the recording to the FileSurfer, which transcribes it: the team recovered,
    # so the first instruction sent to the web is not the decisive step.
    history = _run(
        [
            *tell("FileSurfer", "Please open the local file 0f3c.mp3 and read its transcript."),
            file_view("/workspace/0f3c.mp3", "### Audio Transcript:\nHi, this is Dana, my order number is 4821.\n"),
            *accept("The caller gives order number 4821.", "FINAL ANSWER: 4821"),
        ]
    )
    agent, step, rule = blamed(tmp_path, "m1-replan-file", TASK, history)
    assert not (step == 2 and rule == "instruction_contradicts_task")
