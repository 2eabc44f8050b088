"""claimed_but_not_done: a ``terraform plan`` no call applied, reported as the change made.

``terraform plan`` prints "Terraform will perform the following actions:" and "Plan: 0 to add, 1 to
change, 0 to destroy." and, without ``-out``, the note that Terraform "can't guarantee to take exactly
these actions if you run "terraform apply" now"; only ``terraform apply`` changes anything, ending
"Apply complete! Resources: 0 added, 1 changed, 0 destroyed." (hashicorp/terraform
internal/command/jsonformat/plan.go, internal/command/views/apply.go; forensics/detectors/unapplied_plans.py).
The run's shape is a smolagents ToolCallingAgent whose terraform tool returns that text as its result
(src/smolagents/tools.py; the OpenInference instrumentation ends the tool span OK with the result as
``output.value``, and the step's span holds it as the observation).

Near misses: an answer that says it was a plan only and nothing is applied; the plan then applied
(an ``apply`` call, "Apply complete!"); a plan that changes nothing ("No changes.").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import tool_steps_run

from forensics.classify import classify
from forensics.load import load

_TRACE = "d4af7000000000000000000000000002"
PLAN_ARGS = {"command": "plan", "workspace": "prod-eu-west-1", "extra_args": "-input=false"}
PLAN = (
    "module.cache.aws_elasticache_replication_group.this: Refreshing state... [id=sess-cache-prod]\n\n"
    "Terraform used the selected providers to generate the following execution plan. Resource actions are\n"
    "indicated with the following symbols:\n  ~ update in-place\n\nTerraform will perform the following actions:\n\n"
    '  # module.cache.aws_elasticache_replication_group.this will be updated in-place\n'
    '  ~ node_type = "cache.r6g.large" -> "cache.r6g.xlarge"\n\nPlan: 0 to add, 1 to change, 0 to destroy.\n\n'
    "Note: You didn't use the -out option to save this plan, so Terraform can't guarantee to take exactly these\n"
    'actions if you run "terraform apply" now.'
)
APPLY = PLAN.split("Note:")[0] + "module.cache.aws_elasticache_replication_group.this: Modifications complete after 4m2s\n\nApply complete! Resources: 0 added, 1 changed, 0 destroyed."
NO_CHANGES = "No changes. Your infrastructure matches the configuration."
CLAIM = "Done. The prod session cache now runs on cache.r6g.xlarge (1 changed, 0 added, 0 destroyed)."


def _smol(tmp_path: Path, calls: list[tuple[str, dict[str, Any], str]], answer: str) -> pl.DataFrame:
    """A smolagents ToolCallingAgent: one step per ``(tool, kwargs, result)``, then final_answer."""
    path = tmp_path / "smol_resize.json"
    path.write_text(json.dumps(tool_steps_run(_TRACE, "Resize the prod session cache to cache.r6g.xlarge and apply it.", calls, answer, service="infra-agent", prefix="6")))
    return load(path).to_polars()


def _found(spans: pl.DataFrame) -> dict[str, str]:
    f = classify(spans).to_polars()[0]
    return dict(zip(f["detector"].to_list(), f["decisive_span_id"].to_list(), strict=True))


def test_plan_only_reported_applied(tmp_path: Path) -> None:
    # Decisive: the model call after the plan's result, which answered instead of applying.
    assert _found(_smol(tmp_path, [("run_terraform", PLAN_ARGS, PLAN)], CLAIM)) == {"claimed_but_not_done": "b600000000000001"}


def test_near_miss_told_plan_only(tmp_path: Path) -> None:
    told = "I ran terraform plan only; nothing has been applied yet. The plan shows 1 to change (node_type -> cache.r6g.xlarge)."
    assert _found(_smol(tmp_path, [("run_terraform", PLAN_ARGS, PLAN)], told)) == {}
    later = "Not applied yet: the plan would change 1 resource. Shall I apply it in tonight's window?"
    assert _found(_smol(tmp_path, [("run_terraform", PLAN_ARGS, PLAN)], later)) == {}


def test_near_miss_plan_applied_or_nothing_to_apply(tmp_path: Path) -> None:
    apply = ("run_terraform", {**PLAN_ARGS, "command": "apply", "extra_args": "-input=false -auto-approve"}, APPLY)
    assert _found(_smol(tmp_path, [("run_terraform", PLAN_ARGS, PLAN), apply], CLAIM)) == {}
    assert _found(_smol(tmp_path, [("run_terraform", PLAN_ARGS, NO_CHANGES)], CLAIM)) == {}


def test_near_miss_apply_run_as_a_command_line(tmp_path: Path) -> None:
    # A shell tool's command line ran the apply (its output cut before "Apply complete!"): an apply
    # was run, so this is no plan-only run, whatever else the run shows.
    shell = ("run_shell", {"cmd": "cd envs/prod && terraform apply -input=false -auto-approve"}, PLAN.split("Note:")[0])
    spans = _smol(tmp_path, [("run_terraform", PLAN_ARGS, PLAN), shell], CLAIM)
    assert not [e for e in classify(spans).to_polars()[0]["explanation"].to_list() if "only planned" in e]


def _agents(tmp_path: Path, message: str) -> pl.DataFrame:
    """An OpenAI Agents SDK trace export (src/agents/tracing/processors.py BackendSpanExporter: one
    ``trace`` then its ``trace.span`` records; ``span_data.py``: a ``response`` span exports only its
    response id and usage, a ``function`` span its input and output): the plan, then a Slack post,
    the only place the run's words are kept."""
    trace = "trace_0a11000000000000000000000000feed"

    def span(sid: str, at: int, data: dict[str, Any], parent: str = "span_a00000000000000000000001") -> dict[str, Any]:
        return {"object": "trace.span", "id": sid, "trace_id": trace, "parent_id": parent,
                "started_at": f"2026-03-02T09:00:{at:02d}.000000+00:00", "ended_at": f"2026-03-02T09:00:{at:02d}.800000+00:00",
                "span_data": data, "error": None}  # fmt: skip

    def response(n: int) -> dict[str, Any]:
        return {"type": "response", "response_id": f"resp_{n:04d}", "usage": {"input_tokens": 900, "output_tokens": 40, "total_tokens": 940}}

    post = {"channel": "#infra-changes", "text": message}
    rows = [
        {"object": "trace", "id": trace, "workflow_name": "Agent workflow", "group_id": None, "metadata": None},
        span("span_a00000000000000000000001", 1, {"type": "agent", "name": "PlatformOps", "handoffs": [], "tools": ["terraform_plan", "post_slack_message"], "output_type": "str"}, None),  # type: ignore[arg-type]
        span("span_b00000000000000000000001", 2, response(1)),
        span("span_c00000000000000000000001", 4, {"type": "function", "name": "terraform_plan", "input": json.dumps(PLAN_ARGS), "output": PLAN, "mcp_data": None}),
        span("span_b00000000000000000000002", 6, response(2)),
        span("span_c00000000000000000000002", 8, {"type": "function", "name": "post_slack_message", "input": json.dumps(post), "output": "{'ok': True, 'ts': '1761311262.409'}", "mcp_data": None}),
        span("span_b00000000000000000000003", 10, response(3)),
    ]
    path = tmp_path / "resize.agents.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return load(path).to_polars()


def test_plan_only_posted_as_done(tmp_path: Path) -> None:
    # The response spans keep no text: the claim is the Slack post; decisive, the response after the plan.
    said = ":white_check_mark: CHG-118 done: prod session cache resized to cache.r6g.xlarge."
    assert _found(_agents(tmp_path, said)) == {"claimed_but_not_done": "span_b00000000000000000000002"}


def test_near_miss_posted_as_plan_only(tmp_path: Path) -> None:
    said = ":warning: CHG-118 plan only, NOT applied: 1 to change. Needs approval from @platform-oncall before apply."
    assert _found(_agents(tmp_path, said)) == {}
