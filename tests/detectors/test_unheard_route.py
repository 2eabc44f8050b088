"""unheard_route: a CrewAI Flow that ended on the label its @router returned.

Built from crewAI's flow dispatch (src/crewai/flow/flow.py: a router's result picks the ``@listen``
methods to run; ``kickoff`` returns the last method's output) and MLflow's CrewAI autolog
(mlflow/crewai/autolog.py: ``{FlowClass}.kickoff`` as a CHAIN, the flow's fields as attributes,
the result as output). The flow below is crewAI's own router example: ``decide_path`` returns
"detailed" or "summary" and ``write_report`` listens for "detailed".
"""

from __future__ import annotations

import json
from typing import Any

from tests.span_builder import detectors, findings, run, span

FLOW_ATTRS = json.dumps({"_state": "{'id': 'f1'}", "_method_outputs": "[]", "_pending_and_listeners": "{}"})


def flow(
    output: str, *tail: dict[str, Any], name: str = "ResearchFlow.kickoff", attributes: str = FLOW_ATTRS
) -> list[dict[str, Any]]:
    return [
        span(
            "root",
            0,
            30,
            kind="chain",
            name=name,
            input='{"inputs": {"topic": "AI trends"}}',
            output=output,
            attributes=attributes,
        ),
        span(
            "crew",
            1,
            20,
            parent_id="root",
            kind="chain",
            name="Research Crew",
            input='{"inputs": {}}',
            output='{"raw": "Three trends: agents, small models, evals."}',
        ),
        span(
            "ag",
            2,
            19,
            parent_id="crew",
            kind="agent",
            name="Researcher",
            agent="Researcher",
            input='{"task": "Research AI trends"}',
            output="Three trends: agents, small models, evals.",
        ),
        span(
            "llm",
            3,
            18,
            parent_id="ag",
            kind="llm",
            name="gpt-4o",
            agent="Researcher",
            model="gpt-4o",
            input='{"messages": []}',
            output="Final Answer: Three trends: agents, small models, evals.",
        ),
        *tail,
    ]


ROUTER = span(
    "route",
    21,
    21.1,
    parent_id="root",
    kind="unknown",
    name="decide_path",
    input='{"score": 0.9}',
    output='"detailed"',
)


def test_a_flow_that_ended_on_its_routers_label_left_the_route_unowned() -> None:
    c = run(*flow('"detailed"', ROUTER))
    assert "unheard_route" in detectors(c)
    (f,) = findings(c, "unheard_route")
    assert f["decisive_span_id"] == "route"
    assert set(f["evidence_span_ids"]) == {"route", "root"}
    assert "route label detailed from decide_path" in f["explanation"]


def test_untraced_methods_the_kickoff_itself_is_decisive() -> None:
    # MLflow's autolog spans no flow method: the label is the kickoff's result alone.
    (f,) = findings(run(*flow("summary")), "unheard_route")
    assert f["decisive_span_id"] == "root"


def test_a_listener_that_took_the_route_is_no_gap() -> None:
    report = span(
        "report",
        22,
        29,
        parent_id="root",
        kind="chain",
        name="Report Crew",
        input='{"inputs": {}}',
        output='{"raw": "Detailed report on agents, small models and evals."}',
    )
    c = run(*flow("Detailed report on agents, small models and evals.", ROUTER, report))
    assert "unheard_route" not in detectors(c)


def test_a_flow_ending_on_its_own_verdict_word_is_no_route() -> None:
    assert "unheard_route" not in detectors(run(*flow('"done"')))
    assert "unheard_route" not in detectors(run(*flow("completed")))


def test_a_crew_kickoff_or_a_chain_without_the_flows_fields_is_not_judged() -> None:
    # A Crew's kickoff (crewai.crew.* attributes) answering one word, and a chain named *.kickoff
    # that carries no flow fields: no router, no route.
    crew_attrs = json.dumps({"crewai.crew.process": "sequential"})
    assert "unheard_route" not in detectors(
        run(*flow("approved", name="Crew.kickoff", attributes=crew_attrs))
    )
    assert "unheard_route" not in detectors(run(*flow("approved", attributes=crew_attrs)))
