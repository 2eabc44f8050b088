"""Where the real samples live (../shared beside the repository), for tests that read them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: CI clones the repository with ../shared beside it; developers have it at the same place.
#: ``FORENSICS_SHARED`` points elsewhere; ``FORENSICS_SHARED=/nonexistent`` runs the suite as a fresh
#: clone sees it (nothing beside it): every test that needs ../shared must then skip with a reason,
#: and every other test must pass from tests/ alone (.ci/run runs the suite that way too).
SHARED = Path(os.environ.get("FORENSICS_SHARED") or REPO.parent / "shared")
FORMATS = SHARED / "formats"
WHO_AND_WHEN = SHARED / "datasets" / "who_and_when_dev"
#: The product definition (design docs travel with ../shared, not with the repository).
TAXONOMY = SHARED / "design" / "TAXONOMY.md"
DATA = Path(__file__).resolve().parent / "data"


#: Real samples copied verbatim into tests/data (attribution in the README beside each copy), by their
#: path under ../shared/formats: the tests that read them run on a clone with nothing beside it.
BUNDLED: dict[str, Path] = {
    "otlp_json/opentelemetry-proto_examples_trace.json": DATA / "otlp_json" / "opentelemetry-proto_examples_trace.json",
    "otlp_json/opentelemetry-proto_examples_logs.json": DATA / "otlp_json" / "opentelemetry-proto_examples_logs.json",
    "otlp_json/otlp2parquet_testdata_traces.jsonl": DATA / "otlp_json" / "otlp2parquet_testdata_traces.jsonl",
    "otlp_json/monocle_ms-travel-agent-openai_sample_trace.json":
        DATA / "otel_sdk_json" / "monocle_ms-travel-agent-openai_sample_trace.json",
    **{f"langsmith/{name}": DATA / "langsmith" / name for name in (
        "langsmith-sdk_py_wrap_openai_post_patch.json", "langsmith-sdk_js_wrap_openai_post_patch.json",
        "langsmith-docs_run_data_format_example.json", "langsmith-docs_webhook_payload_example.json")},
    **{f"langfuse/{name}": DATA / "langfuse" / name for name in (
        "langfuse_autogen-2025-06-06.trace.json", "langfuse_crewai-2025-07-11.trace.json",
        "langfuse_openai-agents-2025-09-30.trace.json")},
    "multiagent_frameworks/monocle_langgraph_lg-travel-agent_trace.json":
        DATA / "otel_sdk_json" / "monocle_langgraph_lg-travel-agent_trace.json",
    "jsonl_app_logs/raaf_traces.jsonl": DATA / "raaf" / "raaf_traces.jsonl",
    **{f"multiagent_frameworks/{name}": DATA / "any_agent" / name for name in (
        "any-agent_SMOLAGENTS_trace.json", "any-agent_OPENAI_trace.json")},
    "jsonl_app_logs/openhands_trajs_basic.json": DATA / "openhands" / "openhands_trajs_basic.json",
    "jsonl_app_logs/claude-code-log_representative_messages.jsonl":
        DATA / "claude_code" / "claude-code-log_representative_messages.jsonl",
}


def is_bundled_copy(path: Path) -> bool:
    """True for a file under ../shared/formats that tests/data holds a copy of (read the copy once)."""
    try:
        return path.resolve().relative_to(FORMATS.resolve()).as_posix() in BUNDLED
    except ValueError:
        return False


def shared_file(relative: str) -> Path:
    """A real sample: its copy in tests/data when one is bundled, else the file in ../shared/formats,
    else skip the test saying what is missing."""
    if relative in BUNDLED:
        return BUNDLED[relative]
    path = FORMATS / relative
    if not path.exists():
        pytest.skip(f"real sample {path} is not available (../shared is missing beside the repo, or FORENSICS_SHARED hides it)")
    return path


def real_samples() -> list[Path]:
    """Every real JSON/JSONL sample at hand: ../shared/formats when it is beside the repository, else
    the copies bundled in tests/data (for checks such as "sniffing claims no other real sample")."""
    if FORMATS.exists():
        return sorted(FORMATS.rglob("*.json*"))
    return sorted(BUNDLED.values())
