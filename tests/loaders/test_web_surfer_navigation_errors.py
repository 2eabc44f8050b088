"""Magentic-One's web surfer: a navigation that failed is an error step, a page about an error is not.

microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/
multimodal_web_surfer/multimodal_web_surfer.py: ``_visit_page`` lets Playwright's ``page.goto`` error
through (only a download's ``net::ERR_ABORTED`` is caught) and ``_generate_reply`` returns it as
``"Web surfing error:\\n\\n{traceback}"``, the traceback ending on ``playwright._impl._errors.Error:
Page.goto: net::ERR_NAME_NOT_RESOLVED at <url>`` and Playwright's ``Call log:``. A click whose
navigation fails raises nothing: Chromium shows its error page, whose URL is
``chrome-error://chromewebdata/``, and ``_execute_tool`` describes it as any page ("Here is a
screenshot of [{page_title}]({self._page.url}) ... Automatic OCR ...").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from forensics.classify import classify
from forensics.load import load

TRACEBACK = (
    "Web surfing error:\n\nTraceback (most recent call last):\n"
    '  File "/app/autogen_magentic_one/agents/multimodal_web_surfer/multimodal_web_surfer.py", line 286, in _generate_reply\n'
    "    request_halt, content = await self.__generate_reply(cancellation_token)\n"
    '  File "/usr/lib/python3/site-packages/playwright/_impl/_connection.py", line 528, in wrap_api_call\n'
    "    raise rewrite_error(error, f\"{parsed_st['apiName']}: {error}\") from None\n"
    "playwright._impl._errors.Error: Page.goto: net::ERR_NAME_NOT_RESOLVED at https://data.northwind.invalid/\n"
    "Call log:\n"
    'navigating to "https://data.northwind.invalid/", waiting until "load"\n'
)


def _page(title: str, url: str, ocr: str, action: str = "I clicked 'Open dataset'.") -> str:
    return (f"{action}\n\nHere is a screenshot of [{title}]({url}). The viewport shows 100% of the webpage, and is "
            f"positioned at the top of the page.\nAutomatic OCR of the page screenshot has detected the following "
            f"text:\n\n{ocr}")


ERROR_PAGE = _page("data.northwind.invalid", "chrome-error://chromewebdata/",
                   "This site can\u2019t be reached\nCheck if there is a typo in data.northwind.invalid.\n"
                   "ERR_NAME_NOT_RESOLVED\nReload")


def _history(tmp_path: Path, surfer_replies: list[str], answer: str) -> pl.DataFrame:
    history: list[dict[str, Any]] = [{"role": "human", "content": "How many orders did Northwind ship in Q1 2025?"}]
    for reply in surfer_replies:
        history += [{"role": "Orchestrator (-> WebSurfer)", "content": "Open the Northwind dataset page."},
                    {"role": "WebSurfer", "content": reply}]
    history.append({"role": "Orchestrator (thought)", "content": f"FINAL ANSWER: {answer}"})
    path = tmp_path / "m1.json"
    path.write_text(json.dumps({"question": "q", "question_ID": "r1", "history": history}))
    return pl.DataFrame(pl.from_arrow(load(path, format="ag2-history").spans)).sort("start_time")


def _detectors(df: pl.DataFrame) -> set[str]:
    return set(pl.from_arrow(classify(df.to_arrow()).findings)["detector"].to_list())


def test_a_failed_navigation_is_an_error_step_named_by_its_net_code(tmp_path: Path) -> None:
    # Firing: the raised Page.goto error (its exception line, not the call log's last line) and
    # Chromium's error page after a click; the run answering anyway reported an unbacked success.
    df = _history(tmp_path, [TRACEBACK, ERROR_PAGE], "12")
    surfer = df.filter(pl.col("agent") == "WebSurfer", pl.col("kind") == "agent")
    assert surfer["status"].to_list() == ["error", "error"]
    assert surfer["error_type"].to_list() == ["web surfing error", "navigation error"]
    assert surfer["error_message"][0] == ("playwright._impl._errors.Error: Page.goto: net::ERR_NAME_NOT_RESOLVED at "
                                          "https://data.northwind.invalid/")
    assert surfer["error_message"][1].startswith("net::ERR_NAME_NOT_RESOLVED: the page did not load")
    assert "swallowed_error" in _detectors(df)


def test_a_page_about_the_error_and_a_recovered_navigation_stay_healthy(tmp_path: Path) -> None:
    # Near-miss: a forum page that names ERR_NAME_NOT_RESOLVED is a page the surfer read (its own URL);
    # a navigation that failed and then worked is recovered, no silent failure.
    forum = _page("How to fix ERR_NAME_NOT_RESOLVED - Super User", "https://superuser.com/questions/1",
                  "How to fix ERR_NAME_NOT_RESOLVED in Chrome\nnet::ERR_NAME_NOT_RESOLVED means DNS failed")
    loaded = _page("Northwind orders 2025", "https://data.northwind.example/orders",
                   "Q1 2025 shipped orders: 12", action="I typed 'data.northwind.example' into the browser address bar.")
    df = _history(tmp_path, [ERROR_PAGE, forum, loaded], "12")
    surfer = df.filter(pl.col("agent") == "WebSurfer", pl.col("kind") == "agent")
    assert surfer["status"].to_list() == ["error", "ok", "ok"]
    assert "swallowed_error" not in _detectors(df)
