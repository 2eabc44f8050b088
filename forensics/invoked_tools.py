"""A Haystack ToolInvoker's run named by the tool it ran, for finalisation (forensics/finalize.py).

Haystack traces every component's run as one span, ``haystack.component.run``, the component's class
in ``haystack.component.type`` (deepset-ai/haystack haystack/core/pipeline/pipeline.py
``_run_component``); the loaders read a ``ToolInvoker``'s as a tool call (semconv
HAYSTACK_COMPONENT_KINDS) but no attribute names the tool: every call of every tool is
``haystack.component.run``, so a failed ``git_push`` and the ``git_pull_rebase`` after it read as one
call tried twice, and a claim of a push matches no call. The tool is in the span's output: the
component returns ``{"tool_messages": [ChatMessage, ...]}`` (haystack/components/tools/
tool_invoker.py), traced as the content tag ``haystack.component.output``, each message
``ChatMessage.to_dict()``: ``{"role": "tool", ..., "content": [{"tool_call_result": {"result": ...,
"origin": {"tool_name": ..., "arguments": ..., "id": ...}, "error": ...}}]}`` (haystack/dataclasses/
chat_message.py, ``asdict`` of ToolCallResult and ToolCall, in that field order). A span whose output
holds exactly one tool result is named by that result's ``origin.tool_name``; one that ran several
tool calls at once stays unnamed (no one tool is its call). A tool the loader already named is kept.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_rows import gather, mask, patch, texts

#: The span Haystack opens around a component's run.
COMPONENT_SPAN: Final = "haystack.component.run"
#: A tool result's key in a serialised ChatMessage.
_RESULT_KEY: Final = '"tool_call_result"'
#: The tool a result came from: its origin call's ``tool_name``, the origin's first field. The quotes
#: are JSON's own: a key quoted inside the result text is escaped (``\\"origin\\"``) and does not match.
_ORIGIN_TOOL: Final = r'"tool_call_result"\s*:\s*\{.*?"origin"\s*:\s*\{\s*"tool_name"\s*:\s*"([^"\\]+)"'


def haystack_invoked_tools(spans: pa.Table, kind: pa.ChunkedArray | pa.Array,
                           tool: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """``tool`` with each unnamed Haystack ToolInvoker span named by the one tool it ran (the module)."""
    # Compared by is_in on built arrays: a Python value (pa.scalar) imports pandas.
    on_component = mask(pc.is_in(spans.column("name"), value_set=texts([COMPONENT_SPAN])))
    candidates = on_component & mask(pc.is_in(kind, value_set=texts(["tool"]))) & mask(pc.is_null(tool))
    if not candidates.any():
        return tool
    rows = np.flatnonzero(candidates)
    out = pl.Series("output", gather(spans.column("output"), rows), dtype=pl.String)
    found = out.to_frame().select(
        (pl.col("output").str.count_matches(_RESULT_KEY, literal=True) == 1).fill_null(False).alias("_one"),
        pl.col("output").str.extract(_ORIGIN_TOOL, 1).alias("_tool"),
    )
    keep = found.select(pl.col("_one") & pl.col("_tool").is_not_null()).to_series().to_numpy()
    if not keep.any():
        return tool
    names = texts(found.filter(pl.col("_one") & pl.col("_tool").is_not_null()).get_column("_tool").to_list())
    return patch(tool, rows[keep], lambda lo, hi: names.slice(lo, hi - lo))
