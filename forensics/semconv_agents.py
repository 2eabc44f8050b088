"""How a span names its agent where no attribute does: the span name, the task text, the parent's tag.

Split out of ``semconv.py`` (which maps attribute keys to columns): these are the conventions by
which a framework names the agent of a span in its name or its input rather than in a key: Google
ADK's ``agent_run [<agent>]``, autogen-core's runtime ``autogen process <type>.(key)-A``, smolagents'
managed-agent task template, Haystack's agent named on its parent component. ``semconv.infer_kind``
and ``map_attributes`` read the first two; ``finalize`` and ``conventions.delegation`` the others;
the vectorised SQL (``loaders/vectorised_sql.py``) builds the same patterns into its query.
"""

from __future__ import annotations

import re
from typing import Any, Final

#: smolagents runs a managed agent by wrapping its manager's request in the ``managed_agent.task``
#: template (src/smolagents/agents.py MultiStepAgent.__call__; src/smolagents/prompts/code_agent.yaml,
#: toolcalling_agent.yaml: "You're a helpful agent named '{{name}}'. You have been submitted this task by
#: your manager. ...") and calling ``self.run(full_task)``; OpenInference names the run span after the
#: class (_wrappers.py _RunWrapper: ``<Class>.run``, the task in input.value / smolagents.task). The managed agent's own name is in that text (group 1, ``name``: Arrow's extract_regex wants it named). One home: finalize names the agent by it and conventions.delegation reads it as delegate_name.
MANAGED_AGENT_TASK: Final = r"You're a helpful agent named '(?P<name>[^'\\]+)'"

#: Agent spans a framework names only by the operation, the agent's own name on the parent span.
#: Haystack's Agent component opens ``haystack.agent.run`` with tags for its steps, tools and exit
#: conditions but no name (deepset-ai/haystack haystack/components/agents/agent.py
#: ``_create_agent_span``: max_steps, tools, exit_conditions, state_schema; parent_span the current
#: span), under the pipeline's ``haystack.component.run`` span of the component, whose
#: ``haystack.component.name`` is the name the pipeline gave the agent (haystack/core/pipeline/pipeline.py
#: ``_run_component``). Two agents of one pipeline were both "haystack.agent.run". Finalize names the
#: agent span (and so its steps, inherited) by that tag (group ``name`` of the regex, for Arrow).
AGENT_NAMED_BY_PARENT: Final = ("haystack.agent.run",)
AGENT_NAMED_BY_PARENT_KEY: Final = r'"haystack\.component\.name"\s*:\s*"(?P<name>[^"\\]+)"'
#: The Agent component's own span in a pipeline: ``haystack.component.run`` with
#: ``haystack.component.type`` the class's name, "Agent" (haystack/core/pipeline/pipeline.py
#: ``_run_component``; haystack/components/agents/agent.py ``class Agent``). It is that agent's run as the
#: pipeline sees it: the agent is its ``haystack.component.name`` (AGENT_NAMED_BY_PARENT_KEY), inherited by
#: what runs under it, as its haystack.agent.run is named. The span stays a chain (the agent's own span is
#: haystack.agent.run), as Agent Framework's AgentExecutor around an invoke_agent span is.
HAYSTACK_AGENT_COMPONENT: Final = "haystack.component.run"
HAYSTACK_AGENT_TYPE: Final = r'"haystack\.component\.type"\s*:\s*"Agent"'

#: ADK before its invoke_agent span (gen_ai.operation.name) opened each agent's run as
#: ``tracer.start_as_current_span(f'agent_run [{self.name}]')`` (agents/base_agent.py run_async), with
#: no attribute: an agent span, named by what the brackets hold. The same pattern reads it in the SQL
#: (RE2) of the vectorised path.
AGENT_RUN_NAME: Final = r"agent_run \[(.+)\]"
_AGENT_RUN: Final = re.compile(AGENT_RUN_NAME)

#: autogen-core's runtime telemetry (python/packages/autogen-core/src/autogen_core/_telemetry/_tracing_config.py,
#: MessageRuntimeTracingConfig) names a span ``autogen {operation} {destination}`` and sets messaging.operation
#: and messaging.destination; an agent destination is written ``{type}.({key})-A``, a topic ``{type}.({source})-T``.
#: SingleThreadedAgentRuntime (_single_threaded_agent_runtime.py) opens ``create`` around send_message and
#: publish_message (the caller waiting for the reply), ``send``/``publish`` around the delivery, ``process``
#: around the recipient agent's on_message and ``ack`` around the reply's delivery. ``process`` is the agent at
#: work: an agent span owned by the recipient's type. The others hold work and call nothing themselves: chains.
#: (The runtime starts send/process with no parent context, only a link to the create span, so a
#: delegation's target may sit in another trace: none of these is read as a handoff.)
AUTOGEN_MESSAGE_NAME: Final = r"autogen (create|send|publish|process|ack) (.+)"
_AUTOGEN_MESSAGE: Final = re.compile(AUTOGEN_MESSAGE_NAME)
AUTOGEN_KINDS: Final = {"process": "agent", **dict.fromkeys(("create", "send", "publish", "ack"), "chain")}
#: An agent destination's type: ``{type}.({key})-A``; ``{type}/{key}`` (str(AgentId)) and ``{type}.{key}`` read alike.
_AUTOGEN_AGENT: Final = re.compile(r"(.+?)(?:\.\(.*\)-A|[./][^./()]*)?")


def agent_run_name(name: Any) -> str | None:
    """The agent an ADK ``agent_run [<agent>]`` span names (AGENT_RUN_NAME), else None."""
    match = _AGENT_RUN.fullmatch(name) if isinstance(name, str) else None
    return match.group(1) if match else None


def autogen_message(attrs: dict[str, Any], name: Any) -> tuple[str, str | None] | None:
    """An autogen-core runtime span (AUTOGEN_MESSAGE_NAME, with messaging.operation): its kind, and for
    ``process`` the agent type handling the message; else None."""
    match = _AUTOGEN_MESSAGE.fullmatch(name) if isinstance(name, str) and "messaging.operation" in attrs else None
    if match is None:
        return None
    operation, destination = match.group(1), attrs.get("messaging.destination")
    if not isinstance(destination, str) or not destination:
        destination = match.group(2)
    agent = None
    if operation == "process" and not destination.endswith("-T"):
        found = _AUTOGEN_AGENT.fullmatch(destination)
        agent = found.group(1) if found else None
    return AUTOGEN_KINDS[operation], agent
