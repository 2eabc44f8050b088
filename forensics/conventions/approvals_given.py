"""A person's answer to a tool approval request, as Microsoft Agent Framework records it.

A tool declared ``approval_mode="always_require"`` (``@tool``, microsoft/agent-framework
``python/packages/core/agent_framework/_tools.py``) is not run when the model asks for it: the
function-invocation loop answers the model's call with a ``function_approval_request`` content
(``_types.py`` ``Content.from_function_approval_request``: ``id``, ``function_call``,
``user_input_request``) and the agent run returns it in ``user_input_requests``. The application
shows it to a person and runs the agent again with a user message holding the answer,
``request.to_function_approval_response(approved)`` (``type: "function_approval_response"``,
``approved``, ``id``, ``function_call`` with the call's ``call_id``, ``name``, ``arguments``); the
loop then runs the approved call and answers a rejected one with a rejection result instead of
running it. Observability records both on the ``invoke_agent`` span: ``gen_ai.input.messages`` /
``gen_ai.output.messages`` (``observability.py`` ``_to_otel_part``: contents with no GenAI part of
their own are written by their ``to_dict()``, so the parts keep their type, ``approved`` and
``function_call``). That message is the framework's only record of the decision: Agent Framework
opens no approval span of its own (observability.py traces invoke_agent, chat and execute_tool,
the workflows their build/run/executor/message spans), and its samples take the answer from
``input()`` and send it back as that message (python/samples/02-agents/tools/
function_tool_with_approval.py ``handle_approvals``: ``to_function_approval_response(user_approval
== "y")`` in a user ``Message``). A span named for an approval (``function_approval``,
``tool_approval``) is an application's own record, written in no framework's words: read only where
its attributes hold the response part itself (the framework's ``function_approval_response`` dict,
``approved`` and ``function_call``), else a decision key (``approved: true``, ``decision:
"approved"``) and the function it is about. Those keys are a reading of applications, not of
Agent Framework's source (checked: none there).

``approves`` lists, on the span that records it, each call a person approved: ``name`` and
``call id`` (``"drop_database|call_d1"``; the id empty where the record has none; ``"*|"`` for an
approval span that names no function). A request, a rejection (``approved: false``) or a decision
span with no decision approves nothing. ``tool_call_id`` is a tool span's own call id
(``gen_ai.tool.call.id``: observability.py ``get_function_span``), so an approval kept in the
conversation's history approves the call it answered, not a later call of the same tool.
"""

from __future__ import annotations

import json
from typing import Any, Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, on_rows, register, where_contains

_RESPONSE: Final = "function_approval_response"
#: A decision key of an application's approval span: ``approved`` / ``is_approved`` (or a dotted
#: name ending so: ``approval.approved``), or ``decision`` / ``status`` / ``outcome`` / ``result``.
_BOOL_KEYS: Final = ("approved", "is_approved")
_WORD_KEYS: Final = ("decision", "status", "outcome", "result", "approval")
_YES: Final = frozenset({"approved", "approve", "granted", "accepted", "allow", "allowed"})
#: Attribute keys that never name the function: the exporter's own and the decision's.
_NOT_NAMES: Final = frozenset({"@span_kind", "@scope", "@outcome"})
#: A tool span's call id (observability.py get_function_span: gen_ai.tool.call.id).
_CALL_ID: Final = rf"{Q}gen_ai\.tool\.call\.id{Q}\s*:\s*{Q}([^\"\\]+)"


def _json(text: Any) -> Any:
    if not isinstance(text, str) or not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _responses(node: Any, out: list[str]) -> None:
    """The approved ``function_approval_response`` parts anywhere in ``node`` (a JSON string inside
    it is read too: an attribute holding a serialised message list)."""
    if isinstance(node, str):
        node = _json(node)
    if isinstance(node, list):
        for item in node:
            _responses(item, out)
    elif isinstance(node, dict):
        if node.get("type") == _RESPONSE:
            call: dict[str, Any] = (
                node["function_call"] if isinstance(node.get("function_call"), dict) else {}
            )
            name = call.get("name")
            if _is_true(node.get("approved")) and isinstance(name, str):
                call_id = call.get("call_id") or ""
                out.append(f"{name}|{call_id if isinstance(call_id, str) else ''}")
            return
        for value in node.values():
            if isinstance(value, (list, dict)) or (isinstance(value, str) and _RESPONSE in value):
                _responses(value, out)


def _decision(attrs: dict[str, Any]) -> bool | None:
    """An approval span's own decision: True approved, False declined, None none recorded."""
    found: bool | None = None
    for key, value in attrs.items():
        leaf = key.rsplit(".", 1)[-1].lower()
        if leaf in _BOOL_KEYS and isinstance(value, (bool, str)) and str(value).lower() in ("true", "false"):
            return _is_true(value)
        if leaf in _WORD_KEYS and isinstance(value, str):
            found = value.strip().lower() in _YES
    return found


def approvals_in(
    messages: str | None, span_name: str | None, attributes: str | None, tool: str | None = None
) -> list[str]:
    """``name|call_id`` of each call a person approved as recorded on one span: the approved
    ``function_approval_response`` parts of its messages, and, on a span named for an approval, its
    own decision (``approved: true``) about the function it names: the span's ``tool`` where the
    loader lifted one out of its attributes (``gen_ai.tool.name``: then its other strings, a request
    id or an ``approval_mode``, name no function), else the function its attributes name (``*``
    when none)."""
    out: list[str] = []
    if messages and _RESPONSE in messages:
        _responses(messages, out)
    attrs = _json(attributes)
    if span_name and "approv" in span_name.lower() and isinstance(attrs, dict):
        if attrs and _RESPONSE in (attributes or ""):
            _responses(attrs, out)
        elif _decision(attrs) and tool:
            out.append(f"{tool}|")
        elif _decision(attrs):
            names = [
                v for k, v in attrs.items()
                if k not in _NOT_NAMES and isinstance(v, str) and k.rsplit(".", 1)[-1].lower() not in (*_BOOL_KEYS, *_WORD_KEYS)
                and v.replace("_", "").replace(".", "").replace("-", "").isalnum() and not v.isdigit()
            ]  # fmt: skip
            out.extend(f"{n}|" for n in names) if names else out.append("*|")
    return sorted(set(out))


def _extract() -> list[pl.Expr]:
    text = pl.concat_str(
        [where_contains("input", _RESPONSE), where_contains("output", _RESPONSE)],
        separator="\n",
        ignore_nulls=True,
    )
    named = pl.col("name").str.contains("(?i)approv").fill_null(False)
    return [
        pl.when(text.str.len_bytes() > 0).then(text).alias("_cv_approval_msgs"),
        pl.when(named).then(pl.col("attributes")).alias("_cv_approval_attrs"),
        pl.when(named).then(pl.col("name")).alias("_cv_approval_name"),
        pl.when(named).then(pl.col("tool")).alias("_cv_approval_tool"),
        # The regex reads the tool spans holding the key's literal only (its optional escapes keep
        # the regex crate from scanning for it first: every tool span's attributes were read).
        on_rows(
            pl.col("kind") == "tool",
            pl.col("attributes"),
            lambda e: pl.when(e.str.contains("gen_ai.tool.call.id", literal=True)).then(e).str.extract(_CALL_ID, 1),
        ).alias("_cv_tool_call_id"),
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    held = pl.col("_cv_approval_msgs").is_not_null() | pl.col("_cv_approval_attrs").is_not_null()
    rows = (
        df.with_row_index("_i")
        .filter(held)
        .select("_i", "_cv_approval_msgs", "_cv_approval_name", "_cv_approval_attrs", "_cv_approval_tool")
    )
    df = df.with_columns(pl.col("_cv_tool_call_id").alias("tool_call_id"))
    if rows.height == 0:
        return df.with_columns(pl.lit(None, pl.List(pl.String)).alias("approves"))
    # The few spans that hold an answer are read in Python (nested JSON), then put back by row.
    found = pl.DataFrame(
        {
            "_i": rows.get_column("_i"),
            "approves": [approvals_in(m, n, a, t) or None for _, m, n, a, t in rows.iter_rows()],
        },
        schema={"_i": pl.UInt32, "approves": pl.List(pl.String)},
    )
    return df.with_row_index("_i").join(found, on="_i", how="left", maintain_order="left").drop("_i")


register(
    Convention(
        name="approvals_given",
        signals=(
            Signal(
                "a function_approval_response part (approved, function_call{call_id, name}) in a span's input or "
                "output messages; a span named for an approval (function_approval) whose attributes record approved: "
                "true and the function (gen_ai.tool.name, which the loader lifts into the span's tool, else the "
                "attribute that names it); gen_ai.tool.call.id on the tool span",
                'Microsoft Agent Framework (approval_mode="always_require" tools)',
                "microsoft/agent-framework python/packages/core/agent_framework/_tools.py (approval_mode, the "
                "function-invocation loop's approval requests); _types.py (Content.from_function_approval_request / "
                "from_function_approval_response, to_function_approval_response(approved)); observability.py "
                "(_to_otel_part: other contents by to_dict(); get_function_span: gen_ai.tool.call.id; no approval span); "
                "python/samples/02-agents/tools/function_tool_with_approval.py (the answer sent back as a user Message). "
                "The approval span's keys (approved, decision) are an application's own, in no framework source",
                "approves (name|call id of each call a person approved; a request or a rejection approves nothing), "
                "tool_call_id (unguarded_irreversible: an approved call is guarded)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "approves": "the calls a person approved as this span records it, each 'name|call id' (null: none)",
            "tool_call_id": "a tool span's own call id (gen_ai.tool.call.id), else null",
        },
    )
)
