"""What every detector shares: the Detector contract, the Context it reads, the text patterns and
the helpers explanations are written with.

The prepared tables come from two sibling modules: :mod:`forensics.detectors.preparation`
(``prepare``: the derived span columns and the runs table, once per classification) and
:mod:`forensics.detectors.facts` (the per-run facts and the shared failure facts several detectors
read). Their public names are re-exported here, so ``from forensics.detectors.base import prepare``
keeps working. Detectors are plain polars queries over ``Context.spans`` / ``Context.runs``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar, Final

import polars as pl

from forensics.conventions.registry import QP as _QP
from forensics.conventions.registry import Q as _Q
from forensics.conventions.registry import on_rows
from forensics.policy import Policy

#: Kinds that are calls to something that can fail on its own (a tool, a model, an embedding model,
#: a retriever).
CALL_KINDS: Final = ("tool", "llm", "embedding", "retriever")

#: Columns a detector returns; classify() adds the rest of FINDING_SCHEMA.
DETECTOR_OUTPUT: Final[dict[str, pl.DataType]] = {
    "run_id": pl.String(),
    "evidence_span_ids": pl.List(pl.String),
    "decisive_span_id": pl.String(),
    "explanation": pl.String(),
}

# The quote patterns (_Q: JSON's, escaped inside JSON text too; _QP: also a Python dict repr's, as the
# OpenAI Agents SDK exports a function tool's result) are conventions.registry's Q and QP.
# Error-shaped text in an output whose status says ok. Each alternative is a shape seen in real
# tool results: a JSON error object, a Python traceback, an HTTP error page, a failed status field.
ERROR_SHAPED: Final = (
    # An error key first, holding something: "error": null (None, false, "", [], {}) is a success
    # that says it has no error ({"error": null, "rate": 1.08}).
    rf"(?i)^\s*\{{\s*{_QP}(error|errors|exception|error_message|err){_QP}\s*:"
    rf"\s*(?:{_QP}[^\"'\\]|\{{\s*[^\s}}]|\[\s*[^\s\]]|[0-9]|true\b|[a-z_][a-z_.]*\()"
    r"|traceback \(most recent call last\)"
    r"|too many requests|rate limit(ed)? exceeded|internal server error|service unavailable|bad gateway|gateway time-?out"
    rf"|{_QP}status{_QP}\s*:\s*{_QP}(failed|failure|error){_QP}"
    rf"|{_QP}success{_QP}\s*:\s*false|{_QP}ok{_QP}\s*:\s*false"
    r"|^\s*(error|exception|fatal)\s*[:!]"
    # A refusal of the caller's rights, as a tool that caught the driver's exception returns its
    # text (``except Exception as e: return str(e)``): PostgreSQL's "permission denied for table
    # payroll" (postgres src/backend/catalog/aclchk.c aclcheck_error: "permission denied for %s %s"),
    # MySQL's "Access denied for user ..." (ER_ACCESS_DENIED_ERROR), EACCES as Python prints it
    # ("[Errno 13] Permission denied: 'path'"). At the start, or after a short lead of words ending
    # in a colon ("Query failed: ...", "InsufficientPrivilege: ...") or the exception's class in
    # parentheses (sqlalchemy lib/sqlalchemy/exc.py StatementError: "(psycopg2.errors.
    # InsufficientPrivilege) permission denied ..."). Not after a log line's stamp or process tag
    # ("sshd[812]: Permission denied (publickey)"): a log read's lines are data.
    r"|^\s*(?:[a-z][a-z '_-]{0,40}:\s*|\([a-z_][\w.]*\)\s*)?(?:\[errno 13\]\s*)?(?:permission|access)\s+denied\b"
    # A delivery the provider reports failed (Twilio message status "undelivered", a bounced e-mail)
    # and a provider error code set (Twilio's error_code is null on success).
    rf"|{_Q}status{_Q}\s*:\s*{_Q}(undelivered|bounced){_Q}"
    rf"|{_Q}error_code{_Q}\s*:\s*(?:[1-9]|{_Q}[1-9A-Za-z])"
    # The text browser's page for an HTTP error (open_deep_research text_web_browser.py _fetch_page:
    # page_title f"Error {status}", content f"## Error {status}"), returned as the visit's result.
    r"|(?m:^(?:Title: Error|## Error) [45][0-9]{2}\s*$)"
    # An error object anywhere in the result, with its code or message: the error body of JSON
    # APIs (Google JSON style guide and OpenAI API {"error": {"code", "message"}}) passed back
    # inside a result with other fields ({"tracking_number": ..., "error": {"code": ...}}). A
    # success says "error": null, never an error object carrying a code. Not one inside a list
    # (no "[" before it): a log search's records with their own error objects are data.
    rf"|^[^\[]*?{_Q}error{_Q}\s*:\s*\{{\s*{_Q}(code|message|type|reason){_Q}\s*:\s*(?:{_Q}|[0-9])"
    # A failure the tool wrote in words as its result, in its first words. CrewAI's platform
    # (AMP, enterprise) action tools answer a non-2xx reply with f"API request failed: {message}"
    # and an exception with f"Error executing action {name}: {e}" (crewAI-tools
    # adapters/enterprise_adapter.py, crewai_platform_tools EnterpriseActionTool/
    # CrewAIPlatformActionTool._run); each call is then rendered completed (crewAI PR#6712: five
    # Slack posts, every one "API request failed: Failed to execute action: Slack API error:
    # channel_not_found"). Only at the start: a summary that mentions a failed request is data.
    r"|^\s*(?:(?:api|http) )?request failed\s*:"
    r"|^\s*(?:error executing|failed to execute) (?:action|tool)\b"
    # The OpenAI Agents SDK's own sentence for a tool that raised, handed to the model as the call's
    # result (openai-agents-python src/agents/tool.py default_tool_error_function; openai-agents-js
    # agents-core tool.ts, the MCP tools' too: mcpToFunctionTool): "An error occurred while running
    # the tool. Please try again. Error: {error}". Its traces also mark the span failed ("Error
    # running tool (non-fatal)"); a chat transcript (to_input_list, a function_call_output or tool
    # message) keeps the sentence only, with no error flag: the same failure, read from its text.
    r"|^\s*an error occurred while running the tool\. please try again\. error:"
    # Spring AI's answer for a tool that threw: by default the exception's message is handed to the
    # model as the call's result (spring-ai DefaultToolExecutionExceptionProcessor.process, alwaysThrow
    # false: ``return exception.getMessage()``), the span ending OK. A tool calling an HTTP API
    # through Spring's RestTemplate / RestClient throws ResourceAccessException on an I/O failure,
    # its message "I/O error on POST request for \"https://...\": Read timed out"
    # (spring-framework RestTemplate.doExecute / DefaultRestClient createResourceAccessException).
    r"|^\s*i/o error on (?:get|post|put|patch|delete|head|options) request for\b"
    # LlamaIndex AgentWorkflow's handoff tool refusing a target: it returns, as the tool's result,
    # f"Agent {to_agent} not found. Please select a valid agent to hand off to. Valid agents: ..."
    # (and "Agent X cannot hand off to X. Please select ..."), and no handoff happens
    # (llama_index/core/agent/workflow/multi_agent_workflow.py, handoff).
    r"|please select a valid agent to hand off to"
    # An MCP tool's failure, which the protocol reports inside the result, not as an error:
    # CallToolResult.isError true (MCP spec, server/tools "Error Handling"; modelcontextprotocol
    # python-sdk src/mcp/types.py CallToolResult), as a tracer that serialises the whole result writes
    # it; and the result's one text item carrying the server's error text, as the OpenAI Agents SDK
    # puts it on the function span, the flag dropped (src/agents/mcp/util.py invoke_mcp_tool:
    # ToolOutputTextDict(type="text", text=...), exported str(output), span_data.py FunctionSpanData):
    # FastMCP's f"Error executing tool {name}: {e}" (mcp/server/fastmcp/tools/base.py Tool.run, sent
    # by the low-level server's _make_error_result with isError=True). JSON or a Python repr.
    rf"|{_Q}isError{_Q}\s*:\s*true\b"
    # The same result as pydantic prints the model, ``str()`` or ``repr()`` of CallToolResult
    # ("... structuredContent=None isError=True"): what LangChain puts in the ToolMessage of a tool
    # that returns the session's result object (langchain_core/tools/base.py _stringify: json.dumps,
    # failing on a model, falls back to str(content)). The field name is the protocol's own.
    r"|\bisError=True\b"
    # Haystack's ToolInvoker built with raise_on_failure=False: a tool that raised becomes a tool
    # message flagged as an error, the exception's text its result ("Failed to invoke Tool `git_push`
    # with parameters ... Error: ..."), and the component returns normally (deepset-ai/haystack
    # haystack/components/tools/tool_invoker.py _handle_error, ChatMessage.from_tool(..., error=True)).
    # Traced, the component's output tag is {"tool_messages": [ChatMessage.to_dict()]}, each result
    # {"tool_call_result": {"result", "origin", "error"}} in that order (haystack/dataclasses/
    # chat_message.py: asdict(ToolCallResult)): the flag follows the origin call's closing brace. The
    # quote before it is JSON's own (a quote inside the result text is escaped).
    r'|"tool_call_result"\s*:\s*\{.*?\}\s*,\s*"error"\s*:\s*true\b'
    rf"|^\s*\{{\s*(?:{_Q}|')type(?:{_Q}|')\s*:\s*(?:{_Q}|')text(?:{_Q}|')\s*,\s*(?:{_Q}|')text(?:{_Q}|')\s*:\s*(?:{_Q}|')"
    r"\s*(?:error executing tool\b|(?:error|exception|fatal)\s*[:!]"
    # A server's own failure sentence as the text, with its reason after a colon: "Failed to update
    # address: upstream CRM returned 423 Locked" (a handler that returns its failure as text, the flag
    # dropped on the way as above). The colon keeps "Failed to find any match" (an answer) out.
    r"|failed to [a-z]+(?:\s+[a-z]+){0,3}\s*:)"
)
#: A write's own result saying the write did not happen: the action's flag, in the past participle,
#: is false (QuickBooks-, Slack- and mail-API-style acknowledgements: ``"posted": false``,
#: ``"sent": false``, ``"created": false``). Read only on side-effecting tools' results, where the
#: flag is about the call itself (a read listing drafts may well say ``"sent": false``).
NOT_DONE_FLAG: Final = (
    rf"(?i){_Q}(posted|sent|created|saved|submitted|delivered|booked|processed|completed|applied|executed|"
    rf"committed|published|uploaded|scheduled|updated|deleted|cancell?ed|refunded|charged|paid|transferred){_Q}\s*:\s*false"
)
#: A create that found its object there and returned it: get-or-create's "created" flag false beside
#: the object's own id (Django's QuerySet.get_or_create returns (object, created), created False for
#: an existing object; APIs that upsert answer {"id": ..., "created": false}), or beside words saying
#: the object already exists ({"workspace": "ws_1", "created": false, "note": "already exists"}). The
#: object exists, as the call asked: not a write that did not happen.
EXISTING_RETURNED: Final = (
    rf"(?i){_Q}created{_Q}\s*:\s*false",
    rf"(?i){_Q}(?:id|[a-z]+_id){_Q}\s*:\s*(?:{_Q}[^\"\\\s]|[1-9])|\balready[\s_-]+exist(?:s|ed|ing)?\b",
)
EMPTY_RESULT: Final = r"^\s*(\[\s*\]|\{\s*\}|null|none|\"\"|)\s*$"
# An answer with nothing in it, bare or in the wrappers exporters use ({"output": ""}, a
# LangChain generation with empty text, a chat message with empty content, an OpenTelemetry GenAI
# output message with no part or one empty text part: gen_ai.output.messages is a list of
# {"role", "parts", "finish_reason"} (semantic-conventions gen-ai-output-messages.json), which
# opentelemetry-instrumentation-openai-v2 and pydantic-ai write on the chat and invoke_agent spans).
EMPTY_ANSWER: Final = (
    r"^\s*(\[\s*\]|\{\s*\}|null|\"\"|)\s*$"
    rf"|^\s*\{{\s*{_Q}(output|text|content|answer|result|response){_Q}\s*:\s*({_Q}{_Q}|null)\s*\}}\s*$"
    rf"|^\s*\{{\s*{_Q}generations{_Q}\s*:\s*\[\s*\[\s*\{{\s*{_Q}text{_Q}\s*:\s*{_Q}{_Q}"
    rf"|^\s*\[\s*\{{\s*{_Q}role{_Q}\s*:\s*{_Q}assistant{_Q}\s*,\s*{_Q}content{_Q}\s*:\s*({_Q}{_Q}|null)\s*\}}\s*\]\s*$"
    rf"|^\s*\[\s*\{{\s*{_Q}role{_Q}\s*:\s*{_Q}assistant{_Q}\s*,\s*{_Q}parts{_Q}\s*:\s*\[\s*"
    rf"(\{{\s*{_Q}type{_Q}\s*:\s*{_Q}text{_Q}\s*,\s*{_Q}content{_Q}\s*:\s*({_Q}{_Q}|null)\s*\}}\s*)?\]\s*"
    rf"(,\s*{_Q}finish_reason{_Q}\s*:\s*{_Q}[a-z_]*{_Q}\s*)?\}}\s*\]\s*$"
)

# A structured failure result from the run itself (its root output): the run said it failed.
STRUCTURED_FAILURE: Final = (
    rf"(?i){_Q}status{_Q}\s*:\s*{_Q}(failed|failure|error|escalated){_Q}"
    rf"|^\s*\{{\s*{_Q}error{_Q}\s*:|{_Q}success{_Q}\s*:\s*false"
)

# Context-window exhaustion as providers write it (OpenAI, Anthropic, Gemini, LiteLLM).
CONTEXT_OVERFLOW_TEXT: Final = (
    r"(?i)context_length_exceeded|maximum context length|context window|prompt is too long"
    r"|too many tokens|input is too long|exceeds the (model'?s )?(maximum|context)"
)
#: A rate limit on tokens, not a window: Amazon Bedrock's ThrottlingException says "Too many tokens,
#: please wait before trying again." (a tokens-per-minute quota; botocore's error text, which Strands
#: raises as ModelThrottledException: strands-agents/sdk-python src/strands/models/bedrock.py), and
#: OpenAI's 429 says "Rate limit reached for ... on tokens per min". CONTEXT_OVERFLOW_TEXT's "too many
#: tokens" in such a text is a throttle: the same prompt goes through once the quota refills (the same
#: misreading fixed in anomalyco/opencode PR #39621, "stop classifying Bedrock throttling as context overflow").
TOKEN_THROTTLE_TEXT: Final = r"(?i)throttl|rate.?limit|please wait|tokens per min|\b429\b"
#: OpenLLMetry (Traceloop) writes each choice's finish reason as an indexed completion attribute,
#: ``gen_ai.completion.<i>.finish_reason`` (opentelemetry-instrumentation-openai shared/__init__.py
#: _set_response_attributes: f"{SpanAttributes.LLM_COMPLETIONS}.{index}.finish_reason").
#: Claude Code's transcript keeps the Anthropic message's own ``stop_reason`` ("max_tokens" when the
#: answer hit the output cap: anthropics/anthropic-sdk-python ``types/stop_reason.py``), which the
#: loader files under the message as ``message.stop_reason`` (forensics/loaders/claude_code.py).
TRUNCATED_FINISH: Final = (
    rf"(?i){_Q}(gen_ai\.response\.finish_reasons?|finish_reasons?|(?:message\.)?stop_reason|llm\.finish_reason|gen_ai\.completion\.\d+\.finish_reason){_Q}"
    rf"\s*:\s*\[?\s*{_Q}(length|max_tokens|max_output_tokens){_Q}"
)
HTTP_IN_ATTRS: Final = rf"{_Q}http\.(?:response\.)?status_code{_Q}\s*:\s*{_Q}?(\d{{3}})"
HTTP_IN_TEXT: Final = r"(?i)\b(?:http|status|code|error)\D{0,3}(\d{3})\b"
#: The status as Python requests words it when ``raise_for_status`` raises ``HTTPError``: "409 Client
#: Error: Conflict for url: ..." (psf/requests src/requests/models.py Response.raise_for_status:
#: f"{self.status_code} Client Error: {reason} for url: {self.url}", "Server Error" for 5xx); a tool
#: that let it escape is recorded with that message (LangChain's tool run error ``HTTPError('409
#: Client Error: ...')``), the code before the words, where HTTP_IN_TEXT does not look.
HTTP_IN_REQUESTS_ERROR: Final = r"\b([1-5]\d{2}) (?:Client|Server) Error\b"
#: A step's confidence in its attributes or result: ``confidence``, ``confidence_score``, a
#: matcher's ``match_confidence``, ``gen_ai.confidence``; quoted as JSON (maybe escaped) or as a
#: Python repr (a smolagents tool declared ``output_type="string"`` that returns a dict is recorded
#: as ``str(dict)``: huggingface/smolagents src/smolagents/agent_types.py handle_agent_output_types).
CONFIDENCE: Final = (
    r"""\\?["'](?:(?:match_)?confidence(?:_score)?|gen_ai\.confidence)\\?["']\s*:\s*\\?["']?(-?[0-9]*\.?[0-9]+)"""
)
TRANSFER_TOOL: Final = r"(?i)^(?:transfer|handoff|hand_off|delegate)_to_(.+)$"
# A person acting (OpenTelemetry's enduser.id on a step): human activity, whatever the span kind.
PERSON: Final = rf"{_Q}enduser\.id{_Q}\s*:\s*{_Q}[^\\\"]"
#: Seed for the 64-bit id hashes used as join keys (collisions at 2**-64 per pair are ignored).
HASH_SEED: Final = 0x5EED


class Stages:
    """Wall-clock seconds per stage of one classification, when asked for (``classify(...,
    profile=True)`` or ``FORENSICS_PROFILE=1``); otherwise ``stage`` costs nothing."""

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self.seconds: dict[str, float] = {}
        #: CPU seconds of the process (all its threads) per stage: the work, where the wall clock of
        #: a machine other jobs share also counts the waiting.
        self.cpu_seconds: dict[str, float] = {}
        self._mark = time.perf_counter()
        self._cpu_mark = time.process_time()

    def lap(self, name: str) -> None:
        """Record the time since the previous lap (or since the timer was made) as ``name``."""
        if self.enabled:
            now, cpu = time.perf_counter(), time.process_time()
            self.seconds[name] = self.seconds.get(name, 0.0) + now - self._mark
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + cpu - self._cpu_mark
            self._mark, self._cpu_mark = now, cpu

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as ``name`` (a stage run twice adds up)."""
        if not self.enabled:
            yield
            return
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + time.process_time() - c0


@dataclass
class Context:
    """The prepared tables and the policy, handed to every detector."""

    spans: pl.DataFrame
    runs: pl.DataFrame
    policy: Policy
    _cache: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: Where classify's opt-in timing report is kept (disabled unless asked for).
    stages: Stages = field(default_factory=Stages)

    #: Guards ``_locks``; each key's lock makes the detectors that need the same intermediate
    #: (classify runs them on threads) wait for one build instead of each building it.
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _locks: dict[str, threading.RLock] = field(default_factory=dict, repr=False)

    def cached(self, key: str, build: pl.LazyFrame) -> pl.DataFrame:
        """Materialise a shared intermediate once (several detectors use the same one)."""
        return self.once(key, build.collect)

    def once(self, key: str, make: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """``make()`` computed once per key and kept (thread-safe: detectors may run side by side)."""
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        with self._guard:
            lock = self._locks.setdefault(key, threading.RLock())
        with lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]


class Detector:
    """A rule over the span table. Subclasses set the identity and implement ``detect``."""

    name: ClassVar[str]
    failure_class: ClassVar[str]
    scope: ClassVar[str]  # "run" or "session": the only grouping a detector may look across
    severity: ClassVar[str]
    description: ClassVar[str]
    #: How conclusive this detector's evidence is by default ("strong", "weak" or "hint";
    #: schema.STRENGTHS); a finding may downgrade itself through ``finding(..., strength=...)``. A
    #: hint is shown but sets no class: the run stays ok (policy ``[strength] promote`` lifts it).
    strength: ClassVar[str] = "strong"

    def detect(self, ctx: Context) -> pl.LazyFrame:
        """Return one row per finding with the ``DETECTOR_OUTPUT`` columns."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<detector {self.name} ({self.failure_class}, {self.scope}, {self.severity})>"


# --- formatting helpers for explanations (polars expressions, never Python per row) -------------


def hms(col: str | pl.Expr) -> pl.Expr:
    """A timestamp as HH:MM:SS (UTC), or 'an unknown time'."""
    e = pl.col(col) if isinstance(col, str) else col
    return e.dt.strftime("%H:%M:%S").fill_null("an unknown time")


def moment(t: str = "t", seq: str = "seq", synthetic: str = "synthetic_time") -> pl.Expr:
    """'at 02:13:07', or 'as step 4 of the run' where the source has no clock (its times were
    synthesised from message order, so a clock time would be invented)."""
    return (
        pl.when(pl.col(synthetic).fill_null(False))
        .then(pl.format("as step {} of the run", pl.col(seq) + 1))
        .otherwise(pl.format("at {}", hms(t)))
    )


def num(expr: pl.Expr, decimals: int = 1) -> pl.Expr:
    """A float rounded for reading."""
    return expr.round(decimals).cast(pl.String).fill_null("?")


def txt(expr: pl.Expr, default: str = "?") -> pl.Expr:
    """Any value as text with a default for null (pl.format yields null if any part is null)."""
    return expr.cast(pl.String).fill_null(default)


def snippet(expr: pl.Expr, width: int = 60) -> pl.Expr:
    """The first ``width`` characters of a text on one line."""
    one_line = expr.str.replace_all(r"\s+", " ").str.strip_chars()
    return (
        pl.when(one_line.str.len_chars() > width)
        .then(pl.concat_str([one_line.str.slice(0, width), pl.lit("...")]))
        .otherwise(one_line)
        .fill_null("")
    )


def what(prefix: str = "") -> pl.Expr:
    """'tool crm.lookup' / 'llm gpt-4o' / 'agent planner': how explanations name a span."""
    p = prefix
    return pl.concat_str([pl.col(f"{p}kind"), pl.lit(" "), pl.col(f"{p}call").fill_null("(unnamed)")])


def empty_findings() -> pl.LazyFrame:
    return pl.DataFrame(schema=DETECTOR_OUTPUT).lazy()


def finding(
    run_id: str | pl.Expr,
    evidence: pl.Expr,
    decisive: str | pl.Expr,
    explanation: pl.Expr,
    strength: str | pl.Expr | None = None,
) -> list[pl.Expr]:
    """The select() list a detector ends with, cast to the detector output types.

    ``strength``: "strong"/"weak"/"hint" (or an expression giving one per finding) where a finding's
    evidence differs from its detector's default; null means the detector's ``strength``.
    """
    r = pl.col(run_id) if isinstance(run_id, str) else run_id
    d = pl.col(decisive) if isinstance(decisive, str) else decisive
    s = strength if isinstance(strength, pl.Expr) else pl.lit(strength, dtype=pl.String)
    return [
        r.cast(pl.String).alias("run_id"),
        evidence.cast(pl.List(pl.String)).alias("evidence_span_ids"),
        d.cast(pl.String).alias("decisive_span_id"),
        explanation.cast(pl.String).alias("explanation"),
        s.cast(pl.String).alias("strength"),
    ]


# Re-exports (the modules import Context and the patterns from here; ``forensics.detectors``
# imports this module first, so by the time they run everything above exists).
from forensics.detectors.facts import (  # noqa: E402
    exact_sum,
    failed_runs,
    failure_followups,
)
from forensics.detectors.preparation import prepare  # noqa: E402

__all__ = [
    "CALL_KINDS",
    "CONFIDENCE",
    "CONTEXT_OVERFLOW_TEXT",
    "DETECTOR_OUTPUT",
    "EMPTY_ANSWER",
    "EMPTY_RESULT",
    "ERROR_SHAPED",
    "EXISTING_RETURNED",
    "HASH_SEED",
    "HTTP_IN_ATTRS",
    "HTTP_IN_REQUESTS_ERROR",
    "HTTP_IN_TEXT",
    "PERSON",
    "STRUCTURED_FAILURE",
    "TRANSFER_TOOL",
    "TRUNCATED_FINISH",
    "Context",
    "Detector",
    "Stages",
    "empty_findings",
    "exact_sum",
    "failed_runs",
    "failure_followups",
    "finding",
    "hms",
    "moment",
    "num",
    "on_rows",
    "prepare",
    "snippet",
    "txt",
    "what",
]
