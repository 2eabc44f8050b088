"""LangSmith exported runs (``id``, ``trace_id``, ``parent_run_id``, ``dotted_order``, ``run_type``,
naive ISO times as the server exports them, ``error``, ``inputs``/``outputs``, token and cost fields;
the conversation thread in ``extra.metadata.thread_id``).
"""

from __future__ import annotations

from typing import Any, Final

from forensics.synth.model import Run, Span, dotted_stamp, iso_us_offset, uuid_text
from forensics.synth.writers.base import WRITERS, Writer

_LS_RUN_TYPE: Final = {
    "agent": "chain",
    "llm": "llm",
    "tool": "tool",
    "handoff": "tool",
    "retriever": "retriever",
    "guardrail": "chain",
    "chain": "chain",
    "human": "chain",
}
# A LangSmith tracing project ("session_id" in a run is the project, not the conversation).
_LS_PROJECT: Final = "6a3be6a2-9a8c-4fc8-b4c6-a8983b286cc5"


def langsmith_run_id(run: Run, span: Span) -> str:
    """LangSmith's id for a span: the root run's id is the trace id."""
    if span.parent_id is None:
        return uuid_text(run.run_id)
    return uuid_text(span.span_id + run.run_id[16:])


def _ls_naive(ns: int) -> str:
    # The server's export writes naive UTC ISO times with microseconds.
    return iso_us_offset(ns)[:-6]


def _ls_records(run: Run) -> list[dict[str, Any]]:
    ids = {s.span_id: langsmith_run_id(run, s) for s in run.spans}
    by_id = {s.span_id: s for s in run.spans}
    trace = uuid_text(run.run_id)
    out = []
    for s in run.spans:
        rid = ids[s.span_id]
        chain: list[Span] = [s]
        p = s.parent_id
        while p is not None:
            chain.append(by_id[p])
            p = by_id[p].parent_id
        chain.reverse()
        dotted = ".".join(dotted_stamp(c.start_ns) + ids[c.span_id] for c in chain)
        meta: dict[str, Any] = {}
        if run.session_id:
            meta["thread_id"] = run.session_id
        if s.agent:
            meta["langgraph_node"] = s.agent
        if s.kind == "llm":
            meta["ls_provider"] = s.provider or "openai"
            meta["ls_model_name"] = s.model
            meta["ls_model_type"] = "chat"
        if s.attrs:
            meta.update(s.attrs)
        inputs: dict[str, Any] | None
        outputs: dict[str, Any] | None
        if s.kind == "llm":
            inputs = {"messages": [[{"role": "user", "content": s.input or ""}]]}
            outputs = None
            if s.status != "error":
                outputs = {
                    "generations": [
                        [
                            {
                                "text": s.output or "",
                                "type": "ChatGeneration",
                                "generation_info": {"finish_reason": s.finish_reason or "stop"},
                                "message": {"role": "assistant", "content": s.output or ""},
                            }
                        ]
                    ],
                    "llm_output": {
                        "model_name": s.model,
                        "token_usage": {
                            "prompt_tokens": s.input_tokens,
                            "completion_tokens": s.output_tokens,
                            "total_tokens": (s.input_tokens or 0) + (s.output_tokens or 0),
                        },
                    },
                }
        elif s.kind in ("tool", "handoff", "retriever"):
            inputs = {"input": s.input or ""}
            outputs = None if s.output is None else {"output": s.output}
        else:
            inputs = {"input": s.input} if s.input is not None else {}
            outputs = None if s.output is None else {"output": s.output}
        if s.end_ns is None:
            status = "pending"
        else:
            status = "error" if s.status == "error" else "success"
        error = None
        if s.status == "error":
            error = f"{s.error_type or 'Exception'}({s.error_message or ''!r})"
        name = s.agent if s.kind == "agent" else (s.tool if s.kind in ("tool", "handoff", "retriever") else s.name)
        if s.kind == "llm":
            name = "ChatAnthropic" if (s.provider or "").startswith("anthropic") else "ChatOpenAI"
        tokens_in = s.input_tokens or 0
        tokens_out = s.output_tokens or 0
        out.append(
            {
                "id": rid,
                "name": name,
                "run_type": _LS_RUN_TYPE[s.kind],
                "start_time": _ls_naive(s.start_ns),
                "end_time": _ls_naive(s.end_ns) if s.end_ns is not None else None,
                "status": status,
                "error": error,
                "inputs": inputs,
                "outputs": outputs,
                "extra": {"metadata": meta, "runtime": {"sdk": "langsmith-py", "sdk_version": "0.3.45"}},
                "events": [],
                "tags": list(run.tags),
                "trace_id": trace,
                "dotted_order": dotted,
                "parent_run_id": ids[s.parent_id] if s.parent_id else None,
                "parent_run_ids": [ids[c.span_id] for c in chain[:-1]],
                "is_root": s.parent_id is None,
                "session_id": _LS_PROJECT,
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
                "total_cost": s.cost_usd,
                "first_token_time": None,
                "reference_example_id": None,
            }
        )
    return out


WRITERS.register(Writer("langsmith", "langsmith.json", "array", _ls_records, lambda r: uuid_text(r.run_id), langsmith_run_id))
