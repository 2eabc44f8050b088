"""Failures a tool caught and handed back inside an OK result, in shapes ``ERROR_SHAPED`` (which
reads an error object or key only at the result's start) does not read.

* **A process killed under the call** (:data:`KILLED_RUN`): a code or command tool that runs a
  process (a sandbox, a container, a subprocess) and returns what it printed with its exit status,
  whatever that status is. A process killed by SIGKILL (the kernel's OOM killer, a container's
  memory limit) ran no handler of its own and left whatever it had printed so far: a shell reports
  it as exit status 128+9 = 137 (bash(1) "EXIT STATUS": "the value is 128+n" for a command ended by
  fatal signal n), Python's subprocess as ``returncode`` -9 (docs subprocess.Popen.returncode: "A
  negative value -N indicates that the child was terminated by signal N (POSIX only)"). The result
  shapes: E2B's ``ProcessResult(stderr, stdout, exit_code, error)`` (e2b-dev/E2B
  packages/python-sdk/e2b/sandbox/process/process_handle.py); Kubernetes'
  ``ContainerStateTerminated`` ``exitCode``, ``signal``, ``reason`` ("OOMKilled")
  (kubernetes/kubernetes docs/api-types/v1/ContainerStateTerminated.md); Docker's container state
  ``OOMKilled`` and ``ExitCode`` (``docker inspect``'s ``State``). Read only where the result also
  carries the process's output streams (``stdout``, ``stderr``, ``output``, ``logs``): the result of
  running something, whose printed part is partial. A pod's status read (``exitCode``,
  ``reason`` with no stream) is data about another process, and so is anything inside a list (a
  listing of pods or jobs); nor is a read tool's result (a job's logs fetched later) the call's own.
  The process killed with its error raised instead (pydantic-ai's ``ModelRetry``, smolagents'
  executor error) is a failed span, not this.
* **An exception a tool caught and returned beside its result** (:data:`CAUGHT_EXCEPTION`): a
  wrapper's ``except Exception as e: return {"rows": [], "error": f"{type(e).__name__}: {e}"}``,
  the empty result first and the error after it (ERROR_SHAPED reads an error key only as the
  result's first key). The error key holds an exception rendered with its class name
  (``"TypeError: query() got an unexpected keyword argument 'timeout_s'"``, ``"ValueError(...)"``,
  Python's ``traceback.format_exception_only`` and ``repr`` forms), at the result's top level: only
  scalars, empty lists or empty objects before it (a record with its own ``error`` field inside a
  list or a nested object is data). ``"error": null`` or ``""`` is a success saying it has none.
  Or the whole result is the exception's text, its class name first (:data:`EXCEPTION_TEXT`): Java's
  ``Throwable.toString()`` (``"org.springframework.web.client.HttpClientErrorException$PayloadTooLarge:
  413 Payload Too Large: ..."``), Python's ``traceback.format_exception_only`` (``"KeyError: 'sku'"``),
  as a framework hands a tool's exception back to the model as its result: Spring AI's
  ``DefaultToolCallingManager.executeToolCall`` catches the tool's ``ToolExecutionException`` inside the
  ``tool_call`` observation and returns ``DefaultToolExecutionExceptionProcessor.process``'s text as
  the call's result, so the observation ends normally (spring-projects/spring-ai
  spring-ai-model/src/main/java/org/springframework/ai/model/tool/DefaultToolCallingManager.java).

* **A command that failed with its error on stderr** (:data:`FAILED_COMMAND`): a command tool
  that returns the process's result whole, ``{"returncode": 1, "stdout": ..., "stderr": ...}``
  (Python's ``subprocess.CompletedProcess`` fields ``returncode``, ``stdout``, ``stderr``, docs
  subprocess.run; E2B's ``exit_code``; a shell's exit status). A non-zero status alone is not a
  failure (grep exits 1 when nothing matched, diff when the files differ, each with nothing on
  stderr), and stdout is whatever the command printed before it failed (a progress bar at 100%,
  the entries listed before the end of the file). A non-zero status with the program's own error
  on stderr (``ERROR``, ``error:``, ``fatal:``, ``Permission denied``, ``403 Forbidden``, a
  traceback) is the command failing, whatever stdout says.

Both are read on the results of tools that are not reads by name (``tools.read_only`` or a
collection tool), or reads that are side effects: :func:`returned_error`.

* **An HTTP error response handed back as the result** (:data:`HTTP_ERROR_LINE`,
  :data:`HTTP_ERROR_STATUS` with :data:`ERROR_KEY`): a tool that made a request, got a 4xx or 5xx
  reply and returned it instead of raising, so the span ends OK. In words, at the result's start:
  the status line, code and reason phrase (RFC 9110 section 15.5/15.6, 429 from RFC 6585:
  ``"410 Gone: channel_is_archived"``, ``"HTTP/1.1 404 Not Found"``), or the client's own exception
  text caught and returned (requests ``Response.raise_for_status``, src/requests/models.py:
  ``f"{status_code} Client Error: {reason} for url: {url}"``; httpx ``Response.raise_for_status``,
  httpx/_models.py: ``"Client error '404 Not Found' for url '...'"``). As JSON, the reply's status
  code at the result's top level beside an error key holding something (``{"delivered": false,
  "status_code": 410, "error": "Gone", ...}``) or the reply's ``message``, in either order: the code alone is a fact a status
  check may report, the two together are the reply's failure. Read on every tool's result: a
  failed request is the call's failure whatever the tool is named for (ERROR_SHAPED reads "too many
  requests", "service unavailable" the same way); anything inside a list before it is data.
"""

from __future__ import annotations

from typing import Final

import polars as pl

# A key quoted as JSON writes it (escaped inside JSON text too) or as a Python dict's repr does.
from forensics.conventions.registry import QP as _QP

#: The top level of a JSON object: from its opening brace, only scalars, empty lists and empty
#: objects before the key (no list of records, no nested object the key could belong to).
_TOP: Final = r"""^\s*\{(?:[^\[\]{}]|\[\s*\]|\{\s*\})*?"""
#: A killed process's status at the result's top level: exit status 137 or -9 (128+SIGKILL, a
#: subprocess's negative signal), an OOM-kill flag or reason, the signal SIGKILL.
KILLED_RUN: Final = (
    rf"(?i){_TOP}{_QP}(?:"
    rf"(?:exit_?code|exit_?status|return_?code|status_?code){_QP}\s*:\s*(?:137|-9)\b"
    rf"|oom_?killed{_QP}\s*:\s*true\b"
    rf"|reason{_QP}\s*:\s*{_QP}oom_?killed{_QP}"
    rf"|signal{_QP}\s*:\s*(?:{_QP}(?:sig)?kill{_QP}|9\b))"
)
#: The process's output streams beside its status: a result of running something.
RUN_STREAMS: Final = rf"(?i){_QP}(?:stdout|stderr|output|logs){_QP}\s*:"
#: A command's non-zero exit status at the result's top level, and its stderr (a JSON string)
#: holding an error: the program's own report that it failed.
FAILED_COMMAND: Final = (
    rf"(?i){_TOP}{_QP}(?:return_?code|exit_?code|exitCode|exit_?status){_QP}\s*:\s*-?[1-9][0-9]*\b"
)
COMMAND_ERROR_OUTPUT: Final = (
    r'(?i)"stderr"\s*:\s*"(?:[^"\\]|\\.)*?(?:\b(?:error|fatal|failed|failure|denied|forbidden|unauthori[sz]ed'
    r'|exception)\b|traceback \(most recent call last\))'
)
#: An error key at the result's top level holding an exception rendered with its class name.
CAUGHT_EXCEPTION: Final = (
    rf"(?i){_TOP}{_QP}(?:error|exception|error_message|err){_QP}\s*:\s*{_QP}\s*"
    r"(?:[a-z_][\w]*\.)*[a-z_]\w*(?:error|exception)\s*[:(]"
)


#: The 4xx and 5xx reason phrases (RFC 9110 section 15.5 and 15.6; 429 and 431 from RFC 6585; the
#: older names of 413 and 422 that clients still print).
HTTP_REASONS: Final = (
    r"bad request|unauthori[sz]ed|payment required|forbidden|not found|method not allowed|not acceptable"
    r"|proxy authentication required|request time-?out|conflict|gone|length required|precondition failed"
    r"|(?:content|payload|request entity) too large|uri too long|unsupported media type|range not satisfiable"
    r"|expectation failed|misdirected request|unprocessable (?:content|entity)|locked|failed dependency"
    r"|too early|upgrade required|precondition required|too many requests|request header fields too large"
    r"|unavailable for legal reasons|internal server error|not implemented|bad gateway|service unavailable"
    r"|gateway time-?out|http version not supported"
)
#: An HTTP error reply in words at the result's start: the status line (its protocol optional),
#: requests' HTTPError text, httpx's HTTPStatusError text.
HTTP_ERROR_LINE: Final = (
    rf"(?i)^\s*(?:(?:http/[0-9.]+\s+)?[45][0-9]{{2}}\s+(?:{HTTP_REASONS})\b"
    r"|[45][0-9]{2} (?:client|server) error:"
    r"|(?:client|server) error '[45][0-9]{2} )"
)
#: The reply's 4xx/5xx status code at the result's top level.
HTTP_ERROR_STATUS: Final = (
    rf"(?i){_TOP}{_QP}(?:status_?code|statusCode|http_?status(?:_?code)?|status){_QP}\s*:\s*{_QP}?[45][0-9]{{2}}\b"
)
#: An error key at the result's top level holding something (not null, false, "" or empty); or
#: the error body's ``message`` (NestJS's ``{"statusCode": 403, "message": "Forbidden"}``, Spring
#: Boot's error attributes ``status``, ``error``, ``message``; the JSON error replies of APIs such
#: as Serper's ``{"message": "Unauthorized.", "statusCode": 403}``): beside a 4xx/5xx code, the
#: reply's reason.
ERROR_KEY: Final = (
    rf"(?i){_TOP}{_QP}(?:error|errors|error_message|err|message){_QP}\s*:\s*(?:{_QP}\s*[^\s\"'\\]|\{{\s*[^\s}}]|\[\s*[^\s\]]|true\b)"
)

#: A result that starts with an exception's class name (a dotted path, a nested class after ``$``)
#: and a colon: the exception's own text.
EXCEPTION_TEXT: Final = r"^\s*(?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$][\w$]*(?:Error|Exception)(?:\$[\w$]+)?:\s"


def http_error_returned(out: pl.Expr) -> pl.Expr:
    """True where the result ``out`` is an HTTP error reply handed back (the module docs)."""
    line = out.str.contains(HTTP_ERROR_LINE)
    return (line | (out.str.contains(HTTP_ERROR_STATUS) & out.str.contains(ERROR_KEY))).fill_null(False)


def returned_error(out: pl.Expr, reading: pl.Expr, side_effect: pl.Expr) -> pl.Expr:
    """True where the result ``out`` is a killed process's partial output or a caught exception
    beside the result (the module docs), on a tool that is no read (``reading``: named for a read
    or a listing) unless it is a side effect; or an HTTP error reply handed back, on any tool."""
    shaped = (
        (out.str.contains(KILLED_RUN) & out.str.contains(RUN_STREAMS))
        | (out.str.contains(FAILED_COMMAND) & out.str.contains(COMMAND_ERROR_OUTPUT))
        | out.str.contains(CAUGHT_EXCEPTION)
        | out.str.contains(EXCEPTION_TEXT)
    )
    return ((shaped & (~reading | side_effect)) | http_error_returned(out)).fill_null(False)
