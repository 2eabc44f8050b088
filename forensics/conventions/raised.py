"""Failures the agent framework raises out of the whole run: nothing in its loop catches them.

The OpenAI Agents SDK marks the span where the model's output could not be carried out and then
raises ``ModelBehaviorError``, which the agent loop does not catch: ``Runner.run`` raises it to
the application, and the run is over.

* ``SpanError(message="Invalid JSON provided")`` on the current span (a handoff's input, the final
  output's type), then ``raise ModelBehaviorError`` (src/agents/util/_json.py ``validate_json``,
  called by ``Handoff.on_invoke_handoff`` in src/agents/handoffs.py and by the output schema);
* ``SpanError(message="Tool not found", data={"tool_name": ...})`` on the agent span, then
  ``raise ModelBehaviorError`` (src/agents/_run_impl.py ``process_model_response``);
* ``SpanError(message="Handoff function expected non-null input, but got None")`` on the handoff
  span, then ``raise ModelBehaviorError`` (src/agents/handoffs.py).

The agent span is finished without the handoff span's error, so a run whose handoff raised looks
as if its root ended well: :func:`ended_by_raise` tells the run facts that such a run, the raising
span being its last step, ended in error. A run that went on after it (an application catching
the exception and asking again in the same trace) is judged by what followed.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, register

#: The whole error message the SDK attaches right before raising ModelBehaviorError.
RAISED_OUT: Final = r"^(?:Tool not found|Invalid JSON provided|Handoff function expected non-null input, but got None)$"
#: The steps of a run: a failure after which none of these started was the last thing it did.
STEP_KINDS: Final = ("llm", "embedding", "tool", "handoff", "retriever")


def _status(df: pl.DataFrame) -> pl.DataFrame:
    raised = pl.col("failed") & pl.col("error_message").str.contains(RAISED_OUT)
    return df.with_columns(raised.fill_null(False).alias("raised_out"))


def ended_by_raise() -> pl.Expr:
    """In a group of one run's spans: a span raised out of the run and no step started after it
    ended: it was the run's last step, or the turn holding the run's last step (the final output's
    ``validate_json`` marks the span current when the model's last answer is parsed, the agent's or
    its turn's, not the generation under it)."""
    step = pl.col("kind").is_in(STEP_KINDS)
    last_step = pl.col("t").filter(step).max()
    return (
        pl.col("raised_out")
        & ((step & (pl.col("seq") == pl.col("seq").filter(step).max())) | (pl.coalesce("end_time", "t") >= last_step))
    ).any()


register(
    Convention(
        name="raised_out_of_run",
        signals=(
            Signal(
                'SpanError "Tool not found" / "Invalid JSON provided" / "Handoff function expected non-null input, but got None", then ModelBehaviorError',
                "OpenAI Agents SDK",
                "src/agents/_run_impl.py (process_model_response); src/agents/util/_json.py (validate_json); src/agents/handoffs.py",
                "raised_out; a run whose last step raised: reported_outcome=error",
            ),
        ),
        status=_status,
        columns={"raised_out": "the span's error is one the framework raises out of the whole run (OpenAI Agents SDK ModelBehaviorError)"},
    )
)
