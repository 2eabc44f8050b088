"""A run that hung on a question put to a person: limbo's last activity, asked and never answered.

smolagents' ``UserInputTool`` (huggingface/smolagents ``src/smolagents/default_tools.py``: name
``user_input``, ``forward`` returns ``input(f"{question} => Type your answer here:")``) blocks until
someone types an answer at the process's terminal. In a worker with none (a Celery or Kubernetes
job), nobody ever can: the tool call, its step and the run never end. The OpenTelemetry SDK exports
a span only once it ended (``BatchSpanProcessor.on_end``), so the export holds the finished model
call that asked (a CodeAgent's code calling ``user_input(...)``, a ToolCallingAgent's tool call
named ``user_input``) and nothing after it, under a step and a run that are absent
(Arize-ai/openinference ``openinference-instrumentation-smolagents`` ``_wrappers.py``: the step's
``start_as_current_span`` block and the run span end only when the call returns).

Whether the run hung or the export was merely cut while the person typed is the stall's verdict
(``forensics/detectors/unexported.py``: the export went on past ``stall_seconds`` after that call, or
the run is all its file holds): only a run judged hung is read here. Its last activity was then a
request for a person that nobody took up, the TAXONOMY's limbo.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context
from forensics.detectors.person_signals import PERSON_INPUT_TOOLS


def _asks(tool: str) -> str:
    """A model output calling ``tool``: in code (``user_input(question=...)``, the name not part of a
    longer one) or as a tool call (``"name": "user_input"``, quotes escaped or not)."""
    return rf'(?:^|[^\w.]){tool}\s*\(|\\?"name\\?"\s*:\s*\\?"{tool}\\?"'


def asked_person_and_hung(ctx: Context) -> pl.LazyFrame:
    """Spans (all columns, plus ``asked_tool``) of the model calls that asked a person through a
    person-input tool (``PERSON_INPUT_TOOLS``) and are the last work of a run the export shows
    never ended (``unexported_runs``): no tool call, no later step, nothing after the question."""
    from forensics.detectors.unexported import unexported_runs

    hung = unexported_runs(ctx).lazy()
    work = (
        ctx.spans.lazy()
        .join(hung, on="run_id", how="semi")
        .filter(~pl.col("http_attempt").fill_null(False))
        .filter(pl.col("seq") == pl.col("seq").max().over("run_id"))
        .filter((pl.col("kind") == "llm") & ~pl.col("failed"))
    )
    asked = pl.coalesce(
        [pl.when(pl.col("output").str.contains(_asks(t)).fill_null(False)).then(pl.lit(t)) for t in PERSON_INPUT_TOOLS]
    )
    return work.with_columns(asked.alias("asked_tool")).filter(pl.col("asked_tool").is_not_null())
