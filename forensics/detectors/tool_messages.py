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


def tool_message_error(out: pl.Expr, error_shaped: str) -> pl.Expr:
    """True where ``out`` is a recorded ToolMessage whose content is error-shaped (``error_shaped``,
    the ERROR_SHAPED pattern, read on the content)."""
    message = out.str.contains(r'^\s*\{\s*"content"\s*:\s*"') & out.str.contains(_TOOL_TYPE)
    content = pl.when(message).then(out).str.extract(_CONTENT, 1)
    return (message & content.str.contains(error_shaped)).fill_null(False)
