"""An error object handed back as the text of a LangChain ToolMessage.

LangChain runs a tool into a ``ToolMessage(content, tool_call_id, name, status)`` whose ``content``
is the tool's return value as a string (langchain_core ``messages/tool.py``; ``tools/base.py``
``_format_output``), ``status`` "success" unless the tool raised. A tracer that records the message
(MLflow's LangChain tracer, the tool span's outputs) keeps it whole, ``{"content": "<the result>",
"type": "tool", "name", "tool_call_id", "status": "success"}``, so a tool that returned an error
object as its value has it one level down, JSON-escaped in ``content``: Unity Catalog's
``FunctionExecutionResult.to_json()`` serialises ``{"error": "<the engine's message>"}`` in place
of ``{"format", "value"}`` when the function failed (unitycatalog/unitycatalog
``ai/core/src/unitycatalog/ai/core/base.py``), and ``UCFunctionToolkit`` returns that JSON as the
tool's result. ``ERROR_SHAPED``'s error-object shape is anchored at the start of the result: it is
read here on the message's content instead. The other shapes (a traceback, "internal server
error") are found wherever they are, wrapper or not.

LangChain's own tracer (a LangSmith tool run's outputs) records the message as langchain-core
serialises it, ``{"output": {"lc": 1, "type": "constructor", "id": ["langchain", "schema",
"messages", "ToolMessage"], "kwargs": {"content": "<the result>", "type": "tool", ...}}}``
(langchain-ai/langchain ``libs/core/langchain_core/load/serializable.py`` ``to_json``: the class
path in ``id``, then the constructor's arguments in ``kwargs``): the content is read there too.
The class path is a list, so ERROR_SHAPED's error object anywhere in the result ("not one inside
a list") never saw past it.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Q

#: A recorded ToolMessage: an object opening with its ``content`` string. Group 1: the content,
#: still JSON-escaped (ERROR_SHAPED reads escaped quotes).
_CONTENT: Final = r'^\s*\{\s*"content"\s*:\s*"((?:[^"\\]|\\.)*)"'
#: The message's own type (a ToolMessage's ``"type": "tool"``).
_TOOL_TYPE: Final = rf"{Q}type{Q}\s*:\s*{Q}tool{Q}"


#: A LangChain-serialised ToolMessage (``to_json``): its class path closing on ``ToolMessage``, then
#: its ``kwargs`` opening with the content. Group 1: the content, still JSON-escaped.
_SERIALISED_CONTENT: Final = r'"ToolMessage"\s*\]\s*,\s*"kwargs"\s*:\s*\{\s*"content"\s*:\s*"((?:[^"\\]|\\.)*)"'


def tool_message_error(out: pl.Expr, error_shaped: str) -> pl.Expr:
    """True where ``out`` is a recorded ToolMessage, as a tracer keeps it whole or as langchain-core
    serialises it (``_SERIALISED_CONTENT``), whose content is error-shaped (``error_shaped``, the
    ERROR_SHAPED pattern, read on the content)."""
    message = out.str.contains(r'^\s*\{\s*"content"\s*:\s*"') & out.str.contains(_TOOL_TYPE)
    content = pl.when(message).then(out).str.extract(_CONTENT, 1)
    serialised = pl.when(out.str.contains('"ToolMessage"', literal=True)).then(out).str.extract(_SERIALISED_CONTENT, 1)
    return ((message & content.str.contains(error_shaped)) | serialised.str.contains(error_shaped)).fill_null(False)
