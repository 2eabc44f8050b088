"""A failure its author was asked to retry, every try failing until a ledger answered no progress, was
taken over by the orchestrator (forensics.attribution ``tool_rules._retried_until_handed_over``): what
it did next decided the run, as for a failure its next ledger calls no progress. Histories from
Magentic-One's emitting code (tests/m1_history.py; microsoft/autogen ``autogen-magentic-one``:
``agents/coder.py``'s Executor answers "The script ran, then exited with Unix exit code: N\\nIts output
was:\\n" + the script's output; ``agents/orchestrator.py``'s ``update_ledger`` writes the progress ledger
whose ``instruction_or_question`` asks for another try, and ``_select_next_agent`` the next speaker)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, file_view, plan, said, tell

TASK = (
    "Please listen to the attached recording of the site meeting and tell me the room number where the "
    "inspection will be held. The attached file path is: /workspace/meeting.mp3."
)
FAILED = "The script ran, then exited with Unix exit code: 1\nIts output was:\n"
FIRST = "```python\nfrom pydub import AudioSegment\nAudioSegment.from_mp3('/workspace/meeting.mp3')\n```"
SECOND = "```sh\npip install -q openai-whisper && whisper /workspace/meeting.mp3\n```"


def _history(stuck: bool) -> list[dict[str, str]]:
    """The FileSurfer cannot transcribe the file (step 4); the Coder's pydub script fails (code step 7,
    run step 8); the ledger (step 9) asks for another way; the whisper install fails too (code step 11,
    run step 12); the next ledger (step 13) answers no progress (``stuck``) or progress and sends the
    WebSurfer, whose page gives the answer the ledger accepts."""
    return [
        plan(TASK, "- The file /workspace/meeting.mp3.", "- FileSurfer: transcribe it.\n- Report the room."),
        *tell("FileSurfer", "Please open /workspace/meeting.mp3 and return its transcript."),
        file_view("/workspace/meeting.mp3", "### Audio Transcript:\nError. Could not transcribe this audio."),
        *tell("Coder", "Please write a script that transcribes /workspace/meeting.mp3."),
        said("Coder", FIRST),
        said(
            "ComputerTerminal", FAILED + "FileNotFoundError: [Errno 2] No such file or directory: 'ffprobe'\n"
        ),
        *tell("Coder", "The conversion failed because ffprobe is missing. Please try another approach."),
        said("Coder", SECOND),
        said(
            "ComputerTerminal",
            FAILED + "ERROR: Could not find a version that satisfies the requirement tiktoken\n",
        ),
        *tell("WebSurfer", "Please search the web for the site meeting's inspection room.", in_loop=stuck),
        said(
            "WebSurfer",
            "I typed 'site meeting inspection room' into the browser search bar.\n\nHere is a screenshot of "
            "[Facilities notice](https://facilities.example.org/notice). The viewport shows 40% of the "
            "webpage.\nAutomatic OCR of the page screenshot has detected the following text:\n\n"
            "Inspections this week are held in room 214.",
        ),
        *accept("The facilities notice gives room 214.", "FINAL ANSWER: 214"),
    ]


def test_a_failure_retried_until_the_ledger_saw_no_progress_is_not_the_coders(tmp_path: Path) -> None:
    # Both tries failed and the ledger at step 13 answered no progress: the orchestrator took the
    # failed transcription over; its Coder's first script is no longer where the run went wrong, and
    # the answer is traced to the page the WebSurfer chose (step 15).
    got = blamed(tmp_path, "m1-retried", TASK, _history(stuck=True))
    assert got == ("WebSurfer", 15, "final_answer_origin")


def test_a_failure_whose_retries_the_ledger_still_called_progress_stays_the_coders(tmp_path: Path) -> None:
    # Near miss: the ledger after the second failure answers progress (it never took the work over):
    # the first failed script stays the tool error, blamed at its code.
    got = blamed(tmp_path, "m1-retried-progress", TASK, _history(stuck=False))
    assert got == ("Coder", 7, "tool_error")
