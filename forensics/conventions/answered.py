"""Failures that were answers: a span recorded failed whose error was the call's answer or its
framework's own control flow (a grep that found nothing, a lookup answered 404, a retried create
that found its object, a workflow's stop or a handoff to the parent graph). The handled-exceptions
convention (:mod:`forensics.conventions.exceptions`) clears ``failed`` on them before it judges
what was handled; this module only says which spans they are.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: Programs whose exit status 1 is an answer, not a failure: grep/rg/ag/ack "no lines selected",
#: diff/cmp "the files differ", test/[ "false", find "some directories were unreadable". Claude Code's
#: Bash tool reads them so (BashTool commandSemantics.ts interpretCommandResult: grep 1 -> "No matches
#: found", isError false); a harness that does not still records is_error / a failed tool.
_EXIT_ONE_ANSWERS: Final = r"^(?:grep|egrep|fgrep|rg|ag|ack|diff|cmp|test|\[|find)$"
#: The tool result saying the command exited 1 (and nothing else about it failing), or nothing at all.
_EXIT_ONE: Final = r"(?i)^\s*(?:(?:exit(?:ed)?\s*(?:code|status)?\s*[:=]?\s*1|error:\s*exit\s*(?:code|status)\s*1)\s*\.?\s*)?$"


def exit_code_answer(df: pl.DataFrame) -> pl.Expr:
    """A failed shell call whose last command is a search, comparison or test that exited 1 with
    nothing else said: the command answered ("no match", "they differ", "false")."""
    tool_failed = (pl.col("kind") == "tool") & pl.col("failed")
    # The result texts are only read when some failed tool call ran a command at all.
    if not df.select((tool_failed & pl.col("_cv_shell_command").is_not_null()).fill_null(False).any()).item():
        return pl.lit(False)
    command = pl.when(tool_failed).then(pl.col("_cv_shell_command"))
    # The program of the last command of a pipeline or list (what the exit status is of).
    last = command.str.extract(r"(?:^|[|;&]\s*)([^|;&]*)$", 1).str.strip_chars()
    program = last.str.extract(r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:sudo\s+)?(\S+)", 1).str.extract(r"([^/]+)$", 1)
    said = pl.coalesce("output", "error_message").fill_null("")
    return (tool_failed & program.str.contains(_EXIT_ONE_ANSWERS) & said.str.contains(_EXIT_ONE)).fill_null(False)


#: Methods that send something for the server to keep or act on (RFC 9110 section 9.3: POST, PUT,
#: PATCH). Answered 404 Not Found or 410 Gone, the write had nowhere to land: a Slack incoming
#: webhook whose channel was archived answers a POST 410 ``channel_is_archived`` and posts
#: nothing. A read (GET, HEAD) answered so learned that the thing is not there; a DELETE found it
#: gone already (idempotent, section 9.2.2).
_WRITE_METHODS: Final = ("POST", "PUT", "PATCH")


def not_found_answer(df: pl.DataFrame) -> pl.Expr:
    """An HTTP client request that read (not a write: :data:`_WRITE_METHODS`) answered 404 Not
    Found or 410 Gone inside a tool call that returned normally: the tool read the answer ("no such
    order"). OpenTelemetry marks every 4xx on a client span as an error (semantic-conventions
    docs/http/http-spans.md, Status: 4xx SHOULD be Error for SpanKind.CLIENT; open-telemetry/
    opentelemetry-js-contrib plugins/node/instrumentation-undici/src/undici.ts onResponseHeaders:
    ERROR at 400 and up); whether it was one is the caller's to say, and it did not fail. A write
    so answered did not land, however the tool returned (a Mastra step that caught the 410 and
    returned ``posted: true``): that stays a failure for the error rules to judge."""
    answered = (
        pl.col("failed")
        & pl.col("_cv_http_method").is_not_null()
        & ~pl.col("_cv_http_method").str.to_uppercase().is_in(_WRITE_METHODS)
        & pl.col("http_status").is_in([404, 410])
    )
    # Most nights hold no such request: the set of normal tool calls is only built when one does.
    if not df.select(answered.fill_null(False).any()).item():
        return pl.lit(False)
    ok_calls = df.filter(pl.col("kind").is_in(["tool", "retriever"]) & ~pl.col("failed")).get_column("span_k")
    return (answered & pl.col("parent_k").is_in(ok_calls.implode())).fill_null(False)


#: The answer of an API to a create whose object is there already: Kubernetes' Status reason
#: AlreadyExists with the message '<kind> "<name>" already exists' (k8s.io/apimachinery
#: pkg/api/errors NewAlreadyExists, code 409), and the same words from other APIs.
_ALREADY_EXISTS: Final = r"(?i)\balready[ _-]?exists\b"


def already_exists_answer(df: pl.DataFrame) -> pl.Expr:
    """An HTTP client request answered 409 "already exists" inside a tool call that returned
    normally, when an earlier call of the same tool with the same arguments failed: the create the
    first attempt sent had landed before its answer was lost (a read timeout), and the retry found
    the object there. Kubernetes clients read it so (client-go apierrors.IsAlreadyExists: the
    object is what was asked for); without the failed earlier attempt an "already exists" may be
    someone else's object, and without the tool returning normally the caller took it as a failure."""
    conflict = pl.col("failed") & pl.col("_cv_http_method").is_not_null() & (pl.col("http_status") == 409)
    # Most nights hold no 409 request: the retried calls (a group-by and join on the arguments
    # text) are only looked for when one does.
    if not df.select(conflict.fill_null(False).any()).item():
        return pl.lit(False)
    tools = df.filter(pl.col("kind") == "tool")
    failed_first = (
        tools.filter(pl.col("failed"))
        .group_by("run_key", "call", "args")
        .agg(pl.col("seq").min().alias("_first_failed"))
    )
    retried_ok = (
        tools.filter(~pl.col("failed") & pl.col("args").is_not_null())
        .join(failed_first, on=["run_key", "call", "args"])
        .filter(pl.col("_first_failed") < pl.col("seq"))
        .select("span_k", pl.col("output").str.contains(_ALREADY_EXISTS).fill_null(False).alias("_tool_says"))
    )
    # The words are the tool's result ("namespace team-a already exists") or the request's own error
    # (an HTTP span keeps no response body unless its instrumentation records the exception).
    says = pl.concat_str([pl.col("error_message"), pl.col("output")], ignore_nulls=True).str.contains(_ALREADY_EXISTS)
    return (
        pl.col("failed")
        & pl.col("_cv_http_method").is_not_null()
        & (pl.col("http_status") == 409)
        & pl.col("parent_k").is_in(retried_ok.get_column("span_k").implode())
        & (says | pl.col("parent_k").is_in(retried_ok.filter(pl.col("_tool_says")).get_column("span_k").implode()))
    ).fill_null(False)


#: Control flow a framework implements by raising, which its tracer records as the span's error:
#:
#: * LlamaIndex workflows end by raising: the built-in ``_done`` step, which takes the StopEvent,
#:   records the result and raises ``WorkflowDone`` to stop the step workers (llama_index/core/
#:   workflow/workflow.py, workflows/workflow.py: "Signal we want to stop the workflow"); the worker
#:   catches it. Steps run inside ``dispatcher.span``, and OpenInference's LlamaIndex handler ends
#:   the ``Workflow._done`` span with it (prepare_to_drop_span -> _Span.end(err): record_exception,
#:   status ERROR "WorkflowDone: ").
#: * LangGraph hands off to another agent of the parent graph by raising: a tool or node returning
#:   ``Command(graph=Command.PARENT, goto=...)`` (langgraph-supervisor / langgraph-swarm handoff
#:   tools) makes the subgraph raise ``ParentCommand`` (a GraphBubbleUp, langgraph/errors.py), which
#:   the parent's Pregel loop catches to route the Command. LangChain callbacks report it through
#:   on_chain_error: the ToolNode's span is marked failed (langfuse#5035; Langfuse's handler later
#:   listed GraphBubbleUp in CONTROL_FLOW_EXCEPTION_TYPES). Its text is the Command's repr
#:   ("Command(graph='__parent__', ..., goto='<agent>')"), or a traceback ending on it.
#:
#: The type, bare or qualified, or with no type the message. Never on a root: a ParentCommand that
#: escaped the top graph had no parent to route it, and the run did fail.
_CONTROL_FLOW_TYPE: Final = r"(?:^|[.:])(?:WorkflowDone|ParentCommand)$"
_CONTROL_FLOW_TEXT: Final = (
    r"^\s*(?:[A-Za-z_.]+\.)?(?:WorkflowDone|ParentCommand)\b"
    r"|^\s*Command\(graph=['\"]__parent__['\"]"
    r"|(?s)^\s*Traceback \(most recent call last\).*\n(?:langgraph\.errors\.)?ParentCommand: [^\n]*\s*$"
)


def control_flow_signal() -> pl.Expr:
    """A span whose only error is its framework's control flow (a workflow's stop, a handoff up)."""
    return (
        pl.col("failed")
        & ~pl.col("is_root")
        & (
            pl.col("error_type").str.contains(_CONTROL_FLOW_TYPE).fill_null(False)
            | (pl.col("error_type").is_null() & pl.col("error_message").str.contains(_CONTROL_FLOW_TEXT).fill_null(False))
        )
    ).fill_null(False)
