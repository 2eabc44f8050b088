"""error_as_data: a web page handed back where a tool's answer was expected, the step OK.

* A server's error page. OpenHands runs a shell command and returns what it printed with its exit code
  (openhands/events/observation/commands.py CmdOutputObservation): ``curl -X POST ... --data-binary
  @file`` prints the body nginx sent with its 413 and exits 0 (curl(1): only ``--fail`` turns an HTTP
  error into a non-zero exit). nginx's page is its built-in one (src/http/ngx_http_special_response.c
  ``ngx_http_error_413_page``: ``<html>\\r\\n<head><title>413 Request Entity Too Large</title></head>...``).
* A sign-in page. A smolagents tool that returns ``requests.get(url, cookies=...).text`` after the
  session expired gets the service's login form: the SSO redirect is followed (requests docs,
  "Redirection and History") and the page comes back with status 200; the tool span is OK
  (openinference-instrumentation-smolagents records the return value as the TOOL span's output).

``forensics/detectors/html_pages.py``. Near misses: the answer told of the refusal; the agent
re-authenticated and the same call then succeeded; a page that is the data asked for (an article, a
search form, no password); markup inside a result that is not the whole of it.
"""

from __future__ import annotations

import json

from span_builder import findings, run, span

NGINX_413 = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>"
)
SIGN_IN = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Payroll Portal</title></head><body>'
    '<div id="auth"><h2>Welcome back</h2><form method="POST" action="/saml2/login"><input name="userName"/>'
    '<input type="password" name="password"/><button type="submit">Continue</button></form>'
    "<p>Your session has expired.</p></div></body></html>"
)
SSO_PAGE = (
    '<!doctype html>\n<html><head><title>Log in | Acme Docs</title></head><body><form method="post" '
    'action="/oauth2/authorize"><input type="email" name="username"><button>Next</button></form></body></html>'
)
UPLOADED = "I exported the orders to /workspace/orders.csv and uploaded the file to the partner import endpoint."


def _upload(output: str, answer: str = UPLOADED, more: tuple[dict[str, object], ...] = ()) -> list[dict[str, object]]:
    return [
        span("run", 0, 20, kind="chain", name="openhands"),
        span("u", 0.5, 0.5, parent_id="run", kind="human", output="Export the orders and upload them to the partner portal."),
        span("b1", 2, 3, parent_id="run", kind="tool", tool="execute_bash",
             input=json.dumps({"command": "python export.py --out /workspace/orders.csv"}), output="Wrote /workspace/orders.csv"),
        span("b2", 4, 5, parent_id="run", kind="tool", tool="execute_bash",
             input=json.dumps({"command": "curl -sS -X POST https://partner.example.com/imports --data-binary @/workspace/orders.csv"}),
             output=output),
        *more,
        span("fin", 9, 9.5, parent_id="run", kind="llm", name="finish", output=answer),
    ]  # fmt: skip


BALANCE = "You have 14 days of leave remaining this year."


def _lookup(output: str, answer: str = BALANCE, retried: bool = False) -> list[dict[str, object]]:
    again = [
        span("t0", 3.2, 3.4, parent_id="s2", kind="tool", tool="refresh_session", agent="CodeAgent", output="session refreshed"),
        span("t2", 3.5, 3.8, parent_id="s2", kind="tool", tool="get_leave_balance", agent="CodeAgent",
             input=json.dumps({"kwargs": {"worker_id": "1044"}}), output=json.dumps({"balance_days": 14})),
    ] if retried else []  # fmt: skip
    return [
        span("root", 0, 10, kind="agent", name="CodeAgent.run", agent="CodeAgent", input="How much leave has worker 1044 left?",
             output=answer),
        span("s1", 1, 2.9, parent_id="root", kind="chain", name="Step 1", agent="CodeAgent"),
        span("t1", 1.5, 2, parent_id="s1", kind="tool", tool="get_leave_balance", agent="CodeAgent",
             input=json.dumps({"kwargs": {"worker_id": "1044"}}), output=output),
        *([span("s2", 3, 4, parent_id="root", kind="chain", name="Step 2", agent="CodeAgent"), *again] if retried else []),
        span("l9", 5, 6, parent_id="root", kind="llm", model="gpt-4.1", agent="CodeAgent", output=answer),
    ]  # fmt: skip


def _error_as_data(rows: list[dict[str, object]]) -> list[str]:
    return [f["decisive_span_id"] for f in findings(run(*rows), "error_as_data")]


def test_a_server_error_page_printed_by_curl_is_error_as_data() -> None:
    assert _error_as_data(_upload(NGINX_413)) == ["b2"]
    apache = '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n</head><body></body></html>'
    assert _error_as_data(_upload(apache)) == ["b2"]


def test_a_sign_in_page_returned_by_a_data_tool_is_error_as_data() -> None:
    assert _error_as_data(_lookup(SIGN_IN)) == ["t1"]
    assert _error_as_data(_lookup(SSO_PAGE)) == ["t1"]


def test_near_miss_the_refusal_told() -> None:
    told = "The upload failed: the portal answered 413 Request Entity Too Large, so the file needs splitting first."
    assert _error_as_data(_upload(NGINX_413, answer=told)) == []


def test_near_miss_signed_in_again_and_the_same_call_succeeded() -> None:
    assert _error_as_data(_lookup(SIGN_IN, retried=True)) == []


def test_near_miss_a_page_that_is_the_data() -> None:
    article = (
        '<!DOCTYPE html><html><head><title>Leave policy 2025</title></head><body><h1>Leave policy</h1>'
        '<form action="/search"><input type="search" name="q"></form><p>Staff accrue 25 days a year.</p></body></html>'
    )
    assert _error_as_data(_lookup(article, answer="Staff accrue 25 days a year.")) == []


def test_near_miss_markup_that_is_not_the_whole_result() -> None:
    for output in (
        json.dumps({"template": NGINX_413, "saved": True}),
        "Deploy log:\n" + NGINX_413,
        "Last week 3 of 40 uploads got 413 Request Entity Too Large.",
    ):
        assert _error_as_data(_upload(output, answer="The upload report is ready.")) == [], output
