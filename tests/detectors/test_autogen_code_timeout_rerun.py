"""An AutoGen analyst re-running the same code after each sandbox timeout: a repeat with no news.

autogen-ext's ``DockerCommandLineCodeExecutor`` runs each block as ``timeout <s> python
tmp_code_<sha256 of the code>.py`` and, on exit status 124 (coreutils timeout: the command was
killed), appends " Timeout" to the output; it returns ``CommandLineCodeResult(exit_code, output,
code_file)`` (microsoft/autogen python/packages/autogen-ext/src/autogen_ext/code_executors/docker/
_docker_code_executor.py ``_execute_code_dont_check_setup``). The same code gives the same file
name, so the same result (a result whose file name changed at each run would not be the same code
re-run: that is not what the executor writes). autogen-core opens an ``execute_tool <name>`` span per call
(``autogen_core/_telemetry/_genai.py`` ``trace_tool_span``), here with the GenAI semantic
conventions' ``gen_ai.tool.call.arguments`` / ``gen_ai.tool.call.result``. The model asked for the
identical code four times, each after the previous timeout: ``repeated_action`` (TAXONOMY: the same
tool, the same arguments, 3+ times, an error result is no new information). Near miss: the model
changed the code after the first timeout (sampled the data first), and it ran.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from otlp_trace import classify_otlp, otlp_span

SLOW = ("import pandas as pd\ndf = pd.read_parquet('/workspace/events.parquet')\n"
        "sess = df.groupby('user_id').apply(lambda g: sessionize(g, gap='30min'))\nprint(sess.describe())")  # fmt: skip
FAST = ("import pandas as pd\ndf = pd.read_parquet('/workspace/events.parquet', columns=['user_id', 'ts'])\n"
        "print(sessionize_vectorised(df, gap='30min').describe())")  # fmt: skip


def _result(code: str, timed_out: bool) -> str:
    import hashlib

    name = f"/workspace/tmp_code_{hashlib.sha256(code.encode()).hexdigest()}.python"
    out = "\n Timeout" if timed_out else "count 48211\nmean 3.2\n"
    return json.dumps({"exit_code": 124 if timed_out else 0, "output": out, "code_file": name})


def _spans(codes: list[str]) -> list[dict[str, Any]]:
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.system": "autogen", "gen_ai.agent.name": "data_analyst"}
    spans = [otlp_span("b000000000000001", "", "invoke_agent data_analyst", 0, 300_000, agent)]
    t = 100
    for i, code in enumerate(codes):
        timed_out = code == SLOW
        chat = {"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4.1",
                "gen_ai.response.finish_reasons": ["tool_calls"]}  # fmt: skip
        spans.append(otlp_span(f"c00000000000000{i}", "b000000000000001", "chat gpt-4.1", t, t + 3000, chat, kind=3))
        tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.system": "autogen", "gen_ai.tool.name": "run_python",
                "gen_ai.tool.call.id": f"call_{i}", "gen_ai.tool.call.arguments": json.dumps({"code": code}),
                "gen_ai.tool.call.result": _result(code, timed_out)}  # fmt: skip
        spans.append(otlp_span(f"d00000000000000{i}", "b000000000000001", "execute_tool run_python", t + 3100,
                               t + 3100 + (60_000 if timed_out else 9_000), tool))  # fmt: skip
        t += 70_000
    final = {"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4.1",
             "gen_ai.response.finish_reasons": ["stop"]}  # fmt: skip
    spans.append(otlp_span("e000000000000001", "b000000000000001", "chat gpt-4.1", t, t + 2000, final, kind=3))
    return spans


def test_the_same_code_rerun_after_each_timeout_is_a_repeated_action(tmp_path: Path) -> None:
    found = classify_otlp(_spans([SLOW] * 4), tmp_path / "t.json", scope="autogen-core")
    rows = found.filter(found["detector"] == "repeated_action")
    assert rows.height == 1
    assert rows.row(0, named=True)["decisive_span_id"] == "d000000000000001"  # the first re-run


def test_near_miss_the_code_changed_after_the_timeout(tmp_path: Path) -> None:
    found = classify_otlp(_spans([SLOW, FAST]), tmp_path / "t.json", scope="autogen-core")
    assert "repeated_action" not in set(found["detector"])
