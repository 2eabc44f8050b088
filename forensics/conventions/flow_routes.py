"""A CrewAI Flow that ended on a route label: the router's event that no listener heard.

A Flow's ``@router`` method returns a label (``"detailed"``, ``"siu_referral"``) and the flow runs
the methods that ``@listen`` for it; with none listening, nothing runs and the flow ends. ``kickoff``
then returns the last method's output, which is that label (crewAIInc/crewAI src/crewai/flow/flow.py:
``_execute_listeners`` finds the router's listeners by its result, ``kickoff_async`` returns
``self._method_outputs[-1]``). MLflow's CrewAI autolog spans ``Flow.kickoff`` as
``{FlowClass}.kickoff``, a CHAIN holding the flow's own fields (``_method_outputs``,
``_pending_and_listeners``, or ``crewai.flow.*``) and the result as its output (mlflow/mlflow
mlflow/crewai/__init__.py patches ``crewai.Flow.kickoff``; mlflow/crewai/autolog.py
``patched_class_call``, ``_set_span_attributes``).

So a flow whose whole result is a bare label, one identifier, stopped at a route nobody took: the
work the router sent somewhere has no owner. A label that is a completion or yes/no word (``done``,
``ok``, ``true``) reads as the flow's own verdict, not a route, and is left alone.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, published, register

#: The flow's own fields as MLflow records them on the kickoff span.
FLOW_FIELDS: Final = r"_method_outputs|_pending_and_listeners|crewai\.flow\."
#: A route label: one identifier, optionally as a JSON string.
ROUTE_LABEL: Final = r'^\s*"?[A-Za-z][A-Za-z0-9_\-]{1,63}"?\s*$'
#: Words that end a flow on its own verdict, not a route.
VERDICT_WORDS: Final = (
    r'(?i)^\s*"?(?:done|ok|okay|success|succeeded|successful|complete|completed|finished|true|false|'
    r'none|null|yes|no)"?\s*$'
)


def _extract() -> list[pl.Expr]:
    name, out = pl.col("name"), pl.col("output")
    kickoff = (
        (pl.col("kind") == "chain")
        & name.str.ends_with(".kickoff")
        & (name != "Crew.kickoff")
        & pl.col("attributes").str.contains(FLOW_FIELDS)
    ).fill_null(False)
    label = (out.str.contains(ROUTE_LABEL) & ~out.str.contains(VERDICT_WORDS)).fill_null(False)
    return [(kickoff & label).alias("_cv_flow_ended_on_route")]


register(
    Convention(
        name="flow_routes",
        signals=(
            Signal(
                "a Flow's kickoff span ({FlowClass}.kickoff, CHAIN, the flow's _method_outputs / "
                "_pending_and_listeners / crewai.flow.* fields) whose output is one bare identifier, the label "
                "a @router returned with no @listen for it (not a completion or yes/no word)",
                "CrewAI Flows (MLflow crewai autolog)",
                "crewAIInc/crewAI src/crewai/flow/flow.py (_execute_listeners, kickoff returns _method_outputs[-1]); "
                "mlflow/mlflow mlflow/crewai/__init__.py (crewai.Flow kickoff patched), mlflow/crewai/autolog.py "
                "(patched_class_call, _set_span_attributes)",
                "flow_ended_on_route (unheard_route: the routed work has no owner)",
            ),
        ),
        extract=_extract,
        status=published("_cv_flow_ended_on_route", "flow_ended_on_route", flag=True),
        columns={
            "flow_ended_on_route": "a CrewAI Flow kickoff whose result is a route label no listener took"
        },
    )
)
