"""A web page handed back where a tool's answer was expected, read as ``error_shaped`` (TAXONOMY
error_as_data). A tool that asks an API for data and returns the reply's body returns whatever the
server sent; two kinds of reply are HTML pages written for a person, not the answer:

* **A server's error page** (:data:`ERROR_PAGE`): the default page a web server or proxy sends with a
  4xx/5xx status, its title (or heading) the status line. nginx's built-in pages read
  ``<html>\\r\\n<head><title>413 Request Entity Too Large</title></head>\\r\\n<body>\\r\\n<center><h1>413
  Request Entity Too Large</h1></center>`` (nginx src/http/ngx_http_special_response.c,
  ``ngx_http_error_413_page`` and its siblings); Apache httpd's ``<title>404 Not Found</title>``. A
  command-line client prints the body and exits 0 whatever the status (curl exits non-zero on an HTTP
  error only with ``--fail``: curl(1), ``-f, --fail``), so a shell tool that ran ``curl`` returns the
  page on an OK step; so does a function that returns ``requests.post(...).text``.
* **A sign-in page** (:data:`SIGN_IN_PAGE`): the session behind the tool expired and the service sent
  its login form instead of the data. An SSO-protected application answers a request without a valid
  session with a redirect to its sign-in page, and HTTP clients follow redirects by default (requests:
  "Requests will perform location redirection for all verbs except HEAD", docs user/quickstart
  "Redirection and History"; curl with ``-L``), so the tool receives the sign-in page with status 200
  and returns it. The page is an HTML document holding a form that asks for a password, or a form under
  a title or heading that says sign in / log in.

Both are read only where the whole result is the page (an HTML document from its first character):
a page quoted inside a result, a log line holding markup, a report that mentions a 404 are data.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.returned_errors import HTTP_REASONS

#: The result is an HTML document from its start (an XML prolog or doctype optional before ``<html``).
HTML_DOCUMENT: Final = r"(?is)^\s*(?:<\?xml[^>]*>\s*)?(?:<!doctype\s+html[^>]*>\s*)?<html\b"
#: A 4xx/5xx status line as the page's title or first heading ("413 Request Entity Too Large",
#: IIS's "400 - Bad Request").
ERROR_PAGE: Final = rf"(?is)<(?:title|h1)\b[^>]*>\s*[45][0-9]{{2}}\s*[-:]?\s*(?:{HTTP_REASONS})\b"
#: A form asking for a password.
PASSWORD_FIELD: Final = r"""(?is)<form\b.*<input\b[^>]*\btype\s*=\s*["']?password\b"""
#: A form under a title or heading that says sign in / log in ("Sign in - iManage Work", "Log In").
SIGN_IN_TITLE: Final = r"(?is)<(?:title|h1)\b[^>]*>[^<]*\b(?:sign|log)[\s-]?(?:in|on)\b.*<form\b|<form\b.*<h1\b[^>]*>[^<]*\b(?:sign|log)[\s-]?(?:in|on)\b"


def html_page_returned(out: pl.Expr) -> pl.Expr:
    """True where the result ``out`` is a server's error page or a sign-in page (the module docs)."""
    # The page tests read the HTML documents only (the other results blanked: none of the tests
    # matches the empty text), not every result's text three times over.
    page = pl.when(out.str.contains(HTML_DOCUMENT).fill_null(False)).then(out).otherwise(pl.lit(""))
    return (
        page.str.contains(ERROR_PAGE) | page.str.contains(PASSWORD_FIELD) | page.str.contains(SIGN_IN_TITLE)
    ).fill_null(False)
