"""Cluster commands: what a kubectl or helm call changes, and which cluster context it runs against.

An agent reaches a Kubernetes cluster in three shapes, all running kubectl (or helm) in the end:

* a shell tool's command line (Claude Code ``Bash`` ``{"command": "kubectl apply -f ..."}``,
  OpenHands ``execute_bash``), read as the shell reads it (conventions.command_words);
* a tool that is kubectl itself and takes its argument string (a smolagents ``kubectl`` tool,
  ``kwargs`` ``{"args": "apply -f k8s/x.yaml -n ns"}``; any ``kubectl`` / ``helm`` tool whose
  input is ``args`` / ``command`` / ``cmd``), split as a shell would;
* one tool per kubectl verb, its arguments structured (Flux159/mcp-server-kubernetes
  src/tools/kubectl-apply.ts ``kubectl_apply {filename, namespace, dryRun, context}``,
  kubectl-rollout.ts ``kubectl_rollout {subCommand: restart|undo|...|status, context}``,
  kubectl-scale.ts, kubectl-delete.ts, kubectl-patch.ts, kubectl-create.ts, kubectl-generic.ts
  ``{command, subCommand, context}``, helm-operations.ts; a team's own ``kubectl_apply`` /
  ``kubectl_rollout_restart`` tools alike): the verb is the tool name's after ``kubectl_``, the
  context its ``context`` argument (the MCP server passes it on as ``--context``).

What changes the cluster (kubectl reference, "kubectl commands"): ``apply``, ``create``,
``replace``, ``patch``, ``edit``, ``delete``, ``scale``, ``autoscale``, ``label``, ``annotate``,
``set`` (image, env, resources ...), ``expose``, ``run``, ``drain``, ``cordon``, ``uncordon``,
``taint``, and ``rollout restart|undo|pause|resume``; helm's ``install``, ``upgrade``,
``uninstall`` / ``delete``, ``rollback``. ``get``, ``describe``, ``logs``, ``diff``, ``explain``,
``top``, ``rollout status|history``, ``wait``, ``auth can-i`` read, and a ``--dry-run`` that is
not ``none`` persists nothing ("without persisting the resource").

Where it runs: kubectl's global ``--context NAME`` (helm's ``--kube-context``) or ``--cluster``
names it; without them kubectl uses the kubeconfig's current context. ``kubectl config
current-context`` prints that name (the MCP ``kubectl_context {operation: "get"}`` answers
``{"currentContext": ...}``), ``kubectl config get-contexts`` marks it with ``*``, and ``kubectl
config use-context NAME`` / ``kubectx NAME`` (MCP ``kubectl_context {operation: "set", name}``)
makes NAME current. ``aws eks update-kubeconfig``, ``gcloud container clusters get-credentials``,
``az aks get-credentials`` switch it too, to a name the call does not print, as does a
``KUBECONFIG`` or ``--kubeconfig`` pointing kubectl at another file.

Columns (tool calls only; null elsewhere): ``cluster_act`` the changing command ("kubectl apply",
"kubectl rollout restart", "helm upgrade"); ``cluster_named`` the context it names itself (or made
current earlier on the same command line); ``cluster_current`` the context a call shows is current
(a report) or makes current (a switch); ``cluster_switched`` whether the call changed the current
context (to ``cluster_current``, or to a name unknown when that is null).
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any, Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, register

#: kubectl verbs that change the cluster (a ``rollout`` only with a changing subcommand).
_KUBECTL_CHANGES: Final = frozenset(
    {"apply", "create", "replace", "patch", "edit", "delete", "scale", "autoscale", "label", "annotate", "set",
     "expose", "run", "drain", "cordon", "uncordon", "taint"}
)  # fmt: skip
_ROLLOUT_CHANGES: Final = frozenset({"restart", "undo", "pause", "resume"})
_HELM_CHANGES: Final = frozenset({"install", "upgrade", "uninstall", "delete", "rollback"})
#: kubectl's global options that take the next word as their value (kubectl options).
_KUBECTL_VALUED: Final = frozenset(
    {"-n", "--namespace", "--context", "--cluster", "--kubeconfig", "--user", "-s", "--server", "--token",
     "--as", "--as-group", "--request-timeout", "-l", "--selector", "-f", "--filename", "-o", "--output", "-k",
     "--kustomize"}
)  # fmt: skip
_HELM_VALUED: Final = frozenset(
    {"-n", "--namespace", "--kube-context", "--kubeconfig", "-f", "--values", "--set", "--version", "--timeout"}
)  # fmt: skip
#: Commands that make another context current without printing its name.
_SWITCHERS: Final = re.compile(r"(?i)update-kubeconfig|get-credentials|(?:^|[\s;&|])(?:export\s+)?KUBECONFIG=|--kubeconfig")
#: What marks a tool call as possibly about a cluster: a literal scan before any parse.
_NEEDLES: Final = r"(?i)kube|helm|get-credentials"
#: A tool that is kubectl or helm, taking an argument string or a structured call.
_KUBE_TOOL: Final = re.compile(r"(?i)^(?:kubectl|helm|kubectx)(?:$|[._-](\w+))")
#: The argument keys a structured call names its context under (MCP contextParameter: ``context``).
_CONTEXT_KEYS: Final = ("context", "kube_context", "kubeContext", "kubecontext", "cluster_context")
#: The argument keys an argument string sits under.
_STRING_KEYS: Final = ("args", "command", "cmd", "arguments", "argv", "input")


def _extract() -> list[pl.Expr]:
    # Read on the tool spans only (a case-insensitive alternation has no literal to scan for: it
    # read every span's input and tool name).
    tool = pl.col("kind") == "tool"
    held = tool & on_rows(
        tool,
        pl.struct("input", "tool"),
        lambda e: e.struct.field("input").str.contains(_NEEDLES).fill_null(False)
        | e.struct.field("tool").str.contains(_NEEDLES).fill_null(False),
    ).fill_null(False)
    return [
        on_rows(held, pl.col("input"), lambda e: e).alias("_cv_kube_input"),
        on_rows(held, pl.col("tool"), lambda e: e).alias("_cv_kube_tool"),
        on_rows(held, pl.col("output"), lambda e: e).alias("_cv_kube_output"),
    ]


def _shown(output: str | None) -> str | None:
    """The context name a ``current-context`` call printed: its text (inside a content block's
    ``text`` or the MCP answer's ``currentContext``), first line."""
    if not output:
        return None
    text = output.strip()
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, list) and data and isinstance(data[0], dict) and isinstance(data[0].get("text"), str):
        return _shown(data[0]["text"])
    if isinstance(data, dict):
        name = data.get("currentContext", data.get("current_context", data.get("context")))
        return name.strip() if isinstance(name, str) and name.strip() else None
    first = text.splitlines()[0].strip() if text else ""
    return first if first and " " not in first and not first.lower().startswith(("error", "w0", "e0")) else None


def _starred(output: str | None) -> str | None:
    """The current context of a ``kubectl config get-contexts`` table (the row marked ``*``)."""
    for line in (output or "").splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "*":
            return words[1]
    return None


def _read_kubectl(words: list[str]) -> tuple[str | None, str | None, list[str]]:
    """kubectl's global options read: the context (or cluster) named, the dry-run mode, and the
    verb words left (options and their values out)."""
    named: str | None = None
    dry: str | None = None
    rest: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        key, eq, val = w.partition("=")
        if key in ("--context", "--kube-context", "--cluster"):
            named = val if eq else (words[i + 1] if i + 1 < len(words) else None)
            i += 1 if eq else 2
            continue
        if key == "--dry-run":
            dry = val if eq else "client"
            i += 1
            continue
        if w.startswith("-"):
            i += 2 if (not eq and (w in _KUBECTL_VALUED or w in _HELM_VALUED)) else 1
            continue
        rest.append(w)
        i += 1
    return named, dry, rest


def _command(prog: str, words: list[str], output: str | None) -> tuple[str | None, str | None, str | None, bool]:
    """One kubectl / helm / kubectx command: (act, named context, current context, switched)."""
    named, dry, rest = _read_kubectl(words)
    verb = rest[0] if rest else ""
    sub = rest[1] if len(rest) > 1 else ""
    if prog == "kubectx":
        return None, None, (verb if verb and verb != "-" else None), bool(verb)
    if prog == "kubectl" and verb == "config":
        if sub == "current-context":
            return None, None, _shown(output), False
        if sub == "get-contexts":
            return None, None, _starred(output), False
        if sub == "use-context" and len(rest) > 2:
            return None, None, rest[2], True
        return None, None, None, False
    if dry is not None and dry != "none":
        return None, named, None, False
    changes = (
        (prog == "kubectl" and (verb in _KUBECTL_CHANGES or (verb == "rollout" and sub in _ROLLOUT_CHANGES)))
        or (prog == "helm" and verb in _HELM_CHANGES)
    )
    if not changes:
        return None, named, None, False
    act = f"{prog} {verb} {sub}" if verb == "rollout" else f"{prog} {verb}"
    return act, named, None, False


def _structured(tool: str, data: dict[str, Any], output: str | None) -> tuple[str | None, str | None, str | None, bool]:
    """A per-verb kubectl tool (``kubectl_apply``, ``kubectl_rollout`` with ``subCommand``,
    ``kubectl_context`` with ``operation``, ``kubectl_config`` with ``subcommand``): its verb from the
    name, its context from the ``context`` argument."""
    m = _KUBE_TOOL.match(tool)
    prog = tool.split("_", 1)[0].split(".", 1)[0].split("-", 1)[0].lower()
    parts = (m.group(1) or "").lower().split("_") if m else []
    named = next((str(data[k]) for k in _CONTEXT_KEYS if isinstance(data.get(k), str) and data[k]), None)
    extra = [str(data[k]) for k in ("command", "subCommand", "subcommand", "sub_command", "operation")
             if isinstance(data.get(k), str)]  # fmt: skip
    words = [w for w in parts if w != "generic"] + extra
    if prog == "kubectl" and words[:1] == ["context"]:
        op = words[1] if len(words) > 1 else ""
        if op == "get":
            return None, None, _shown(output), False
        if op == "set" and isinstance(data.get("name"), str):
            return None, None, data["name"], True
        return None, None, None, False
    if prog == "kubectl" and words[:1] == ["config"]:
        words = ["config", "-".join(words[1:])]
        if words[1] == "use-context":
            target = data.get("name", named)
            return None, None, (target if isinstance(target, str) and target else None), True
    dry = data.get("dryRun", data.get("dry_run"))
    flags = ["--dry-run=client"] if dry is True or (isinstance(dry, str) and dry not in ("", "none", "false")) else []
    context = ["--context", named] if named else []
    return _command(prog, context + flags + words, output)


def _strings(data: Any) -> str | None:
    """The argument string of a kubectl tool's input: under ``args`` / ``command`` ..., or under
    smolagents' ``kwargs`` (its tool span records ``{"args": [], "kwargs": {"args": "..."}}``)."""
    if not isinstance(data, dict):
        return None
    inner = data.get("kwargs")
    if isinstance(inner, dict) and (found := _strings(inner)) is not None:
        return found
    for key in _STRING_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list) and value and all(isinstance(w, str) for w in value):
            return shlex.join(value)
    return None


def _line_commands(line: str, output: str | None) -> tuple[str | None, str | None, str | None, bool]:
    """A command line's kubectl / helm commands read in order: a context made current earlier on the
    line is the one a later command without ``--context`` runs against."""
    from forensics.conventions.command_words import commands

    act = named = current = None
    switched = bool(_SWITCHERS.search(line))
    for cmd in commands(line):
        prog = cmd[0]
        if prog not in ("kubectl", "helm", "kubectx"):
            continue
        a, n, c, s = _command(prog, cmd[1:], output)
        if s or c is not None:
            current, switched = c, switched or s
        if a is not None and act is None:
            act, named = a, n if n is not None else (current if switched and current is not None else None)
    if act is not None and named is None and switched:
        current = None  # a KUBECONFIG / credentials switch on the same line: the target is not known
    return act, named, current, switched


def cluster_call(tool: str | None, text: str | None, output: str | None) -> tuple[str | None, str | None, str | None, bool]:
    """``(act, named, current, switched)`` of one tool call (see the module docstring)."""
    from forensics.detectors.shell_commands import command_line

    if not text:
        return None, None, None, False
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    name = tool or ""
    if _KUBE_TOOL.match(name) and isinstance(data, dict):
        m = _KUBE_TOOL.match(name)
        if m is not None and m.group(1) is None:
            argv = _strings(data)
            if argv is None:
                return None, None, None, False
            prog = name.lower()
            line = argv if argv.lstrip().startswith(prog) else f"{prog} {argv}"
            return _line_commands(line, output)
        return _structured(name, data, output)
    shell = command_line(text)
    if shell is None or not re.search(r"(?:^|[\s/;&|(])(?:kubectl|helm|kubectx)(?:\s|$)", shell) and not _SWITCHERS.search(shell):
        return None, None, None, False
    return _line_commands(shell, output)


def _status(df: pl.DataFrame) -> pl.DataFrame:
    keys = ["_cv_kube_tool", "_cv_kube_input", "_cv_kube_output"]
    # The few held calls are taken out by row and read once per distinct (tool, input, output).
    held = df.select(keys).with_row_index("_row").filter(pl.col("_cv_kube_input").is_not_null())
    schema = {"cluster_act": pl.String, "cluster_named": pl.String, "cluster_current": pl.String,
              "cluster_switched": pl.Boolean}  # fmt: skip
    distinct = held.select(keys).unique()
    read = pl.DataFrame(
        [(*k, *cluster_call(*k)) for k in distinct.iter_rows()],
        schema={**dict.fromkeys(keys, pl.String), **schema},
        orient="row",
    )
    found = held.join(read, on=keys, how="left", nulls_equal=True).select("_row", *schema)
    out = df.with_row_index("_row").join(found, on="_row", how="left", maintain_order="left").drop("_row")
    return out.with_columns(pl.col("cluster_switched").fill_null(False))


register(
    Convention(
        name="cluster_commands",
        signals=(
            Signal(
                "a kubectl or helm call: a shell tool's command line (kubectl apply / rollout restart / delete / scale, "
                "helm upgrade; --context, --kube-context, --dry-run), a kubectl tool's argument string (smolagents "
                "kwargs args), or a per-verb tool with a context argument (kubectl_apply, kubectl_rollout subCommand); "
                "kubectl config current-context's output, get-contexts' * row, use-context / kubectx NAME, "
                "update-kubeconfig / get-credentials / KUBECONFIG",
                "Claude Code (Bash), OpenHands (execute_bash), smolagents (a kubectl tool), MCP kubernetes servers, "
                "Strands / AutoGen function tools named for kubectl verbs",
                "kubernetes kubectl reference (kubectl commands; global --context; config current-context, "
                "get-contexts, use-context; --dry-run none|client|server); helm reference (--kube-context); "
                "Flux159/mcp-server-kubernetes src/tools/kubectl-apply.ts, kubectl-rollout.ts, kubectl-context.ts, "
                "kubectl-generic.ts (context argument passed as --context); huggingface/smolagents "
                "src/smolagents/tools.py (Tool.__call__ args/kwargs) with openinference-instrumentation-smolagents "
                "_wrappers.py (_ToolCallWrapper input.value {args, kwargs})",
                "cluster_act, cluster_named, cluster_current, cluster_switched (unguarded_irreversible: a change "
                "applied to a production cluster, detectors/cluster_targets.py)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "cluster_act": "the kubectl / helm command a tool call ran that changes the cluster (kubectl apply, "
            "kubectl rollout restart, helm upgrade), null for a read, a dry run or any other call",
            "cluster_named": "the context (or cluster) a kubectl / helm call names itself (--context, a context "
            "argument) or made current earlier on its own command line",
            "cluster_current": "the context a call shows is current (config current-context's output, get-contexts' "
            "* row) or makes current (use-context, kubectx)",
            "cluster_switched": "whether the call changed kubectl's current context (to cluster_current, or to a "
            "name the log does not show when that is null)",
        },
    )
)
