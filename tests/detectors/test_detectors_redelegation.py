"""redelegated_same_task (ownership_gap) and redelegated_after_replan (context_collapse): the same
task handed to the same delegate again, told apart by a plan update between (issue 13).

The runs are the development incidents in tests/data/incidents/smolagents_dev; a plan update is put
in the way smolagents makes one (``planning_interval``: ``_run_stream`` -> ``_generate_planning_step``,
a model call directly under the manager's ``<Agent>.run`` span, between two ``Step N`` spans).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl

from forensics.classify import classify
from forensics.load import load

DEV = Path(__file__).parents[1] / "data" / "incidents" / "smolagents_dev"

UPDATE = (
    "## 1. Updated facts survey\n### 1.2. Facts that we have learned\n- nothing yet.\n"
    "### 1.3. Facts still to look up\n- The figure the task asks for.\n## 2. Plan\n1. Ask search_agent."
)


def spans(name: str) -> pl.DataFrame:
    return load(DEV / f"{name}.json").to_polars()


def found(table: pl.DataFrame, detector: str) -> pl.DataFrame:
    findings, _ = classify(table, detectors=[detector]).to_polars()
    return findings


def with_plan_update(table: pl.DataFrame, before_step: int) -> tuple[pl.DataFrame, str]:
    """The run with a plan update made by the manager's run just before its ``Step before_step``
    (every later span moved 2 s on to make room), and the update's span id."""
    root = table.filter(pl.col("parent_id").is_null())
    root_id = root["span_id"][0]
    step = table.filter((pl.col("parent_id") == root_id) & (pl.col("name") == f"Step {before_step}"))
    at = step["start_time"][0]
    later = pl.col("start_time") >= at
    moved = table.with_columns(
        pl.when(later).then(pl.col("start_time") + timedelta(seconds=2)).otherwise(pl.col("start_time")).alias("start_time"),
        pl.when(later | (pl.col("span_id") == root_id))
        .then(pl.col("end_time") + timedelta(seconds=2))
        .otherwise(pl.col("end_time"))
        .alias("end_time"),
    )
    model_call = table.filter(pl.col("kind") == "llm").sort("start_time").head(1)
    update = model_call.with_columns(
        pl.lit("planupdate000001").alias("span_id"),
        pl.lit(root_id).alias("parent_id"),
        pl.lit(at + timedelta(seconds=0.5)).alias("start_time"),
        pl.lit(at + timedelta(seconds=1.5)).alias("end_time"),
        pl.lit(UPDATE).alias("output"),
        (pl.col("source_line") + 10_000).alias("source_line"),
    )
    return pl.concat([moved, update.select(moved.columns)], how="vertical_relaxed"), "planupdate000001"


def delegated(table: pl.DataFrame) -> list[str]:
    return table.filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null()).sort("start_time")[
        "span_id"
    ].to_list()


def test_the_same_task_asked_again_after_a_plan_update_is_a_dropped_fact() -> None:
    # smol_redelegate_same_task with a plan update between the report (step 1) and the same task
    # handed out again (step 2): the plan dropped what the report had settled.
    t, update = with_plan_update(spans("smol_redelegate_same_task"), before_step=2)
    f = found(t, "redelegated_after_replan")
    assert f.get_column("failure_class").to_list() == ["context_collapse"]
    first, again = delegated(t)
    assert f.get_column("decisive_span_id").to_list() == [update]
    assert f.get_column("evidence_span_ids").to_list() == [[first, update, again]]
    assert "updated its plan" in f.get_column("explanation").item()
    # One story, one finding: not also a report nobody took up.
    assert found(t, "redelegated_same_task").height == 0


def test_the_same_task_asked_again_with_no_plan_update_is_not_a_dropped_fact() -> None:
    t = spans("smol_redelegate_same_task")
    assert found(t, "redelegated_after_replan").height == 0
    assert found(t, "redelegated_same_task").height == 1


def test_a_different_question_after_a_plan_update_is_the_plan_at_work() -> None:
    # Two different questions in turn, a plan update between: the plan moved on, nothing was dropped.
    t, _ = with_plan_update(spans("smol_two_delegations_different"), before_step=2)
    assert found(t, "redelegated_after_replan").height == 0
    assert found(t, "redelegated_same_task").height == 0


def test_asking_again_after_a_report_that_said_it_failed_is_a_retry() -> None:
    # The first report says the delegate could not find the figure: the same task again, after a
    # plan update or not, is trying again, neither a dropped fact nor a report not taken up.
    t = spans("smol_redelegate_same_task")
    first = delegated(t)[0]
    failed = pl.lit("### 1. Task outcome (short version): I could not find the stadium's capacity. ### 2. none")
    t = t.with_columns(pl.when(pl.col("span_id") == first).then(failed).otherwise(pl.col("output")).alias("output"))
    assert found(t, "redelegated_same_task").height == 0
    replanned, _ = with_plan_update(t, before_step=2)
    assert found(replanned, "redelegated_after_replan").height == 0


def _loop(task: str):
    """A LangGraph sub-agent (flight_assistant) whose ReAct ``agent`` node runs twice, a tool step
    between; each node run's input is the graph state as the export recorded it (``task``)."""
    from span_builder import run, span

    return run(
        span("root", 0, 20, kind="chain", name="LangGraph", output="Booked."),
        span("fa", 1, 19, parent_id="root", kind="agent", name="flight_assistant", agent="flight_assistant"),
        span("n1", 2, 4, parent_id="fa", kind="agent", name="agent", agent="agent", input=task,
             output='{"messages": [{"role": "assistant", "content": "calling search_flights"}]}'),
        span("n2", 5, 7, parent_id="fa", kind="agent", name="tools", agent="tools", input=task,
             output='{"messages": [{"role": "tool", "content": "LH190 07:15"}]}'),
        span("n3", 8, 10, parent_id="fa", kind="agent", name="agent", agent="agent", input=task,
             output='{"messages": [{"role": "assistant", "content": "Booked."}]}'),
    )  # fmt: skip


def test_the_same_task_in_the_same_words_handed_again_fires() -> None:
    from span_builder import one

    c = _loop('{"messages": [{"role": "user", "content": "Book LH190 FRA-BER on Sept 12"}]}')
    assert one(c, "redelegated_same_task")["decisive_span_id"] == "n1"


def test_near_miss_inputs_the_export_elided_are_no_same_task() -> None:
    # {"messages": "..."}: the field is there, its content is not; nothing says the task was the same.
    from span_builder import detectors

    assert "redelegated_same_task" not in detectors(_loop('{"messages": "..."}'))


def with_own_call(table: pl.DataFrame, start: float) -> pl.DataFrame:
    """The run with a tool call the manager made itself, ``start`` s after its Step 2 model call
    began: a smolagents CodeAgent's code calls a tool directly as well as its managed agent
    (huggingface/smolagents ``src/smolagents/agents.py``: tools and managed agents are both callables
    of the code's namespace; each call a span of its own under the step, openinference
    ``_ToolCallWrapper``)."""
    root_id = table.filter(pl.col("parent_id").is_null())["span_id"][0]
    step = table.filter((pl.col("parent_id") == root_id) & (pl.col("name") == "Step 2"))
    at = step.select(pl.col("start_time").first()).item() + timedelta(seconds=start)
    tool = table.filter(pl.col("kind") == "tool").head(1).with_columns(
        pl.lit("owncall00000001").alias("span_id"),
        pl.lit(step["span_id"][0]).alias("parent_id"),
        pl.lit("UpdateChecklistTool").alias("name"),
        pl.lit("update_checklist").alias("tool"),
        pl.lit(table.filter(pl.col("span_id") == root_id)["agent"][0]).alias("agent"),
        pl.lit(at).alias("start_time"),
        pl.lit(at + timedelta(seconds=0.02)).alias("end_time"),
        pl.lit("error").alias("status"),
        pl.lit("TimeoutError").alias("error_type"),
        pl.lit('{"item": "capacity", "status": "done"}').alias("input"),
        pl.lit(None, pl.String).alias("output"),
        (pl.col("source_line") + 20_000).alias("source_line"),
    )
    return pl.concat([table, tool.select(table.columns)], how="vertical_relaxed")


def test_the_same_task_asked_again_after_the_manager_went_on_from_the_report_is_no_dropped_report() -> None:
    # The manager took the report up: it went on to a call of its own (which failed), then went
    # back to the step it had done. A redo, not a report nobody took up (duplicate_side_effect
    # tells it where the redone step made its effect again).
    assert found(with_own_call(spans("smol_redelegate_same_task"), 1.46), "redelegated_same_task").height == 0


def test_near_miss_a_call_of_the_manager_after_the_repeat_leaves_it_a_dropped_report() -> None:
    # The call came after the task was handed out again: nothing went on from the first report.
    t = with_own_call(spans("smol_redelegate_same_task"), 5.9)
    assert found(t, "redelegated_same_task").get_column("failure_class").to_list() == ["ownership_gap"]
