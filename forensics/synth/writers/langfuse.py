"""The Langfuse UI export ``{trace, observations}`` (AGENT/GENERATION/TOOL/RETRIEVER/GUARDRAIL/SPAN,
``level`` ERROR + ``statusMessage``, ``usageDetails``, ``sessionId``; OTel attributes as a JSON string
in ``metadata``).
"""

from __future__ import annotations

from typing import Any, Final

from forensics.synth.model import Run, Span, iso_ms_z
from forensics.synth.writers.base import _DUMPS, WRITERS, Writer
from forensics.synth.writers.genai import _RESOURCE_BASE
from forensics.synth.writers.openinference import _OI_KIND

_LF_TYPE: Final = {
    "agent": "AGENT",
    "llm": "GENERATION",
    "tool": "TOOL",
    "handoff": "TOOL",
    "retriever": "RETRIEVER",
    "guardrail": "GUARDRAIL",
    "chain": "SPAN",
    "human": "SPAN",
}
_LF_PROJECT: Final = "clxq8v7pe0003me08fq9kd2ab"


def _lf_observation(run: Run, s: Span) -> dict[str, Any]:
    attrs: dict[str, Any] = {"openinference.span.kind": _OI_KIND[s.kind]}
    if s.agent:
        attrs["gen_ai.agent.name"] = s.agent
    if s.finish_reason:
        attrs["gen_ai.response.finish_reasons"] = [s.finish_reason]
    if s.error_type:
        attrs["error.type"] = s.error_type
    if s.attrs:
        attrs.update(s.attrs)
    usage: dict[str, int] = {}
    cost: dict[str, float] = {}
    if s.kind == "llm" and s.input_tokens is not None:
        usage = {"input": s.input_tokens, "output": s.output_tokens or 0}
        usage["total"] = usage["input"] + usage["output"]
        if s.cost_usd is not None:
            cost = {"total": s.cost_usd}
    latency = None if s.end_ns is None else round((s.end_ns - s.start_ns) / 1e9, 3)
    name = s.agent if s.kind == "agent" else (s.tool if s.kind in ("tool", "handoff", "retriever") else s.name)
    stamp = iso_ms_z(s.end_ns or s.start_ns)
    return {
        "id": s.span_id,
        "traceId": run.run_id,
        "startTime": iso_ms_z(s.start_ns),
        "endTime": iso_ms_z(s.end_ns) if s.end_ns is not None else None,
        "projectId": _LF_PROJECT,
        "parentObservationId": s.parent_id,
        "type": _LF_TYPE[s.kind],
        "environment": "production",
        "name": name,
        "level": "ERROR" if s.status == "error" else "DEFAULT",
        "statusMessage": s.error_message if s.status == "error" else None,
        "version": None,
        "createdAt": stamp,
        "updatedAt": stamp,
        "input": s.input,
        "output": s.output,
        "model": s.model,
        "modelParameters": {},
        "completionStartTime": None,
        "latency": latency,
        "usageDetails": usage,
        "costDetails": cost,
        "totalCost": s.cost_usd or 0,
        "inputUsage": usage.get("input", 0),
        "outputUsage": usage.get("output", 0),
        "totalUsage": usage.get("total", 0),
        "toolCalls": [],
        "toolCallNames": [],
        "metadata": _DUMPS(
            {
                "attributes": attrs,
                "resourceAttributes": {"service.name": run.service, **_RESOURCE_BASE},
                "scope": {"name": "langfuse-sdk", "version": "3.2.1", "attributes": {}},
            }
        ).decode(),
    }


def _lf_records(run: Run) -> list[dict[str, Any]]:
    root = run.root
    # Langfuse derives a trace's latency from its observations' times: the latest start or end
    # minus the earliest start, so an observation that never ended does not make it null.
    last = max(max(s.start_ns, s.end_ns or 0) for s in run.spans)
    trace = {
        "id": run.run_id,
        "projectId": _LF_PROJECT,
        "name": root.agent or root.name,
        "timestamp": iso_ms_z(root.start_ns),
        "environment": "production",
        "tags": list(run.tags),
        "bookmarked": False,
        "release": None,
        "version": None,
        "userId": run.user_id,
        "sessionId": run.session_id,
        "public": False,
        "input": root.input,
        "output": root.output,
        "createdAt": iso_ms_z(root.start_ns),
        "updatedAt": iso_ms_z(last),
        "metadata": "{}",
        "scores": [],
        "corrections": [],
        "latency": round((last - min(s.start_ns for s in run.spans)) / 1e9, 3),
    }
    return [{"trace": trace, "observations": [_lf_observation(run, s) for s in run.spans]}]


# A file of one trace is that trace's object, as the UI exports it.
WRITERS.register(Writer("langfuse", "langfuse.json", "array", _lf_records, single_record_as_object=True))
