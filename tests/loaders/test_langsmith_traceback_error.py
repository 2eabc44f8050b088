"""LangSmith records a failed run's error as the formatted traceback: the exception class is read
from its last section (the run's own exception), not only from a first line "Class: message"."""

from __future__ import annotations

import json
from pathlib import Path

import forensics

CHAINED = (
    "Traceback (most recent call last):\n"
    '  File "/app/.venv/lib/python3.12/site-packages/langchain_core/output_parsers/json.py", line 84, in parse_result\n'
    "    return parse_json_markdown(text)\n"
    "json.decoder.JSONDecodeError: Unterminated string starting at: line 1 column 90 (char 89)\n"
    "\nThe above exception was the direct cause of the following exception:\n\n"
    "Traceback (most recent call last):\n"
    '  File "/app/.venv/lib/python3.12/site-packages/langchain_core/output_parsers/json.py", line 87, in parse_result\n'
    "    raise OutputParserException(msg, llm_output=text) from e\n"
    'langchain_core.exceptions.OutputParserException: Invalid json output: {"lines": [{"sku": "A1\n'
    "For troubleshooting, visit: https://python.langchain.com/docs/troubleshooting/errors/OUTPUT_PARSING_FAILURE"
)


def _error_type(tmp_path: Path, error: str) -> str | None:
    run = {"id": "0a1b2c3d-0000-4000-8000-00000000000a", "name": "JsonOutputParser", "run_type": "parser",
           "start_time": "2025-02-03T10:00:00.000000", "end_time": "2025-02-03T10:00:00.200000",
           "inputs": {}, "outputs": None, "error": error, "status": "error",
           "trace_id": "0a1b2c3d-0000-4000-8000-00000000000a", "child_runs": []}
    f = tmp_path / "run.json"
    f.write_text(json.dumps(run))
    df = forensics.load(f).to_polars()
    return df.get_column("error_type").item()


def test_a_chained_traceback_names_the_runs_own_exception(tmp_path: Path) -> None:
    assert _error_type(tmp_path, CHAINED) == "langchain_core.exceptions.OutputParserException"
    one = 'Traceback (most recent call last):\n  File "a.py", line 1, in f\n    g()\nKeyError: \'x\'\n'
    assert _error_type(tmp_path, one) == "KeyError"


def test_error_texts_with_no_exception_line_name_no_class(tmp_path: Path) -> None:
    # Near-misses: the first-line form still reads as before; a traceback cut before its exception
    # line, or plain words, name none.
    assert _error_type(tmp_path, "ValueError('boom')") == "ValueError"
    assert _error_type(tmp_path, 'Traceback (most recent call last):\n  File "a.py", line 1, in f\n') is None
    assert _error_type(tmp_path, "the parser gave up") is None
