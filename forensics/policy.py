"""The policy: every threshold, SLA, budget and tool-name pattern the detectors use, in one file.

The shipped defaults are ``forensics/policy.toml``; a user's file is read the same way and fully
validated (unknown keys are errors too, so a typo never silently falls back to a default). Every
result carries ``Policy.version`` (name, version and a short hash of the file's content), so a
finding can always be traced to the exact rules that produced it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from forensics.errors import PolicyError

DEFAULT_POLICY_NAME: Final = "policy.toml"



@dataclass(frozen=True)
class Threshold:
    """One number a rule reads from the policy, declared next to the rule that reads it.

    A detector class lists its own in ``thresholds`` (``Stall.thresholds`` holds ``stall_seconds``);
    :func:`declared_thresholds` collects them and :func:`load_policy` validates a policy file's
    ``[thresholds]`` and ``[budgets]`` tables against them: unknown keys, types and ranges.
    """

    key: str
    default: Any
    doc: str
    #: What a valid value is, in words (shown in the error for an invalid one).
    expected: str
    valid: Callable[[Any], bool]
    types: tuple[type, ...] = (int,)
    table: str = "thresholds"
    #: False: a policy file written before the key existed loads with ``default``.
    required: bool = True


#: Thresholds read by the shared preparation rather than one detector (declared here, in one place).
SHARED_THRESHOLDS: Final = (
    Threshold("empty_result_is_error", True,
              "silent_failure.error_as_data (prepared for every detector): an empty tool result counts as error-shaped.",
              "true or false", lambda v: True, (bool,)),
)


def declared_thresholds() -> dict[str, Threshold]:
    """Every threshold the registered detectors declare (plus :data:`SHARED_THRESHOLDS`), by key.

    Two detectors may read the same key; they must then declare it identically."""
    from forensics.detectors.registry import all_detectors

    found: dict[str, tuple[Threshold, str]] = {t.key: (t, __name__) for t in SHARED_THRESHOLDS}
    for cls in all_detectors():
        for t in getattr(cls, "thresholds", ()):
            owner = f"{cls.__module__}.{cls.__qualname__}"
            seen = found.get(t.key)
            if seen is not None and (seen[0].default, seen[0].table, seen[0].types) != (t.default, t.table, t.types):
                raise PolicyError(f"threshold `{t.key}` is declared twice, differently: by {seen[1]} and {owner}",
                                  hint="declare a shared threshold once, in the detector that owns it.")
            found.setdefault(t.key, (t, owner))
    return {key: t for key, (t, _) in found.items()}


_TOOLS: Final = (
    "read_only",
    "side_effecting",
    "irreversible",
    "escalation",
    "escalation_targets",
    "acknowledgement",
    "delivery",
    "approval",
    "fallback",
)
_CLAIM_KEYS: Final = ("action", "claim", "tool")
# `redact` belongs to forensics.redact (one policy file can carry both); it is checked there.
_TOP: Final = ("policy", "thresholds", "budgets", "context_windows", "tools", "claims", "strength", "redact")


@dataclass(frozen=True)
class Claim:
    """A final-answer phrase (``claim`` regex) that needs a successful tool call matching ``tool``."""

    action: str
    claim: str
    tool: str


@dataclass(frozen=True)
class Policy:
    """A validated policy. Build with :func:`load_policy`; fields mirror the TOML tables."""

    name: str
    policy_version: str
    content_hash: str
    path: str
    repeat_count: int
    stall_seconds: float
    retry_limit: int
    backoff_growth: float
    escalation_sla_seconds: float
    confidence_gate: float
    context_fraction: float
    max_delegation_depth: int
    max_fan_out: int
    empty_result_is_error: bool
    max_tokens_per_run: int
    max_cost_usd_per_run: float
    fleet_factor: float = 5.0
    fleet_min_runs: int = 2
    fleet_floor_tokens: int = 100_000
    fleet_floor_cost_usd: float = 1.0
    backoff_min_retries: int = 2
    context_windows: dict[str, int] = field(default_factory=dict)
    read_only: str = ""
    side_effecting: str = ""
    irreversible: str = ""
    escalation: str = ""
    escalation_targets: str = ""
    acknowledgement: str = ""
    delivery: str = ""
    approval: str = ""
    fallback: str = ""
    claims: tuple[Claim, ...] = ()
    #: Detectors whose hints (findings too thin to set a class: a tool irreversible by its name
    #: alone) count as weak findings here: ``[strength] promote``.
    promote_hints: tuple[str, ...] = ()
    #: Thresholds a detector declares beyond the fields above (a new detector's own keys), by key;
    #: read as attributes like the others (``policy.my_threshold``).
    declared: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, key: str) -> Any:
        # Only called when normal lookup fails: the declared thresholds of detectors added later.
        declared = self.__dict__.get("declared", {})
        if key in declared:
            return declared[key]
        raise AttributeError(f"policy has no `{key}`")

    @property
    def version(self) -> str:
        """``name@version+hash``: recorded on every finding and run row."""
        return f"{self.name}@{self.policy_version}+{self.content_hash}"

    def __repr__(self) -> str:
        return f"Policy({self.version!r}, path={self.path!r})"


def default_policy_path() -> Path:
    """The shipped default policy file."""
    return Path(str(resources.files("forensics").joinpath(DEFAULT_POLICY_NAME)))


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file; ``None`` reads the shipped defaults.

    Raises :class:`PolicyError` naming the file, the key, what was expected and what was found.
    """
    p = default_policy_path() if path is None else Path(path)
    where = str(p)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PolicyError(
            f"cannot read the policy file: {exc.strerror or exc}",
            where=where,
            hint="pass the path of a TOML policy file, or None for the shipped defaults "
            f"({default_policy_path()}).",
        ) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(
            f"not valid TOML: {exc}",
            where=where,
            hint="fix the syntax; the shipped policy.toml shows every table and key.",
        ) from exc
    return _build(data, where, hashlib.sha256(raw).hexdigest()[:10])


def _fail(where: str, key: str, expected: str, found: Any, hint: str | None = None) -> PolicyError:
    shown = f"{type(found).__name__} {found!r}" if found is not _MISSING else "nothing (key missing)"
    return PolicyError(
        f"key `{key}`: expected {expected}, found {shown}",
        where=where,
        hint=hint or f"see the shipped defaults in {default_policy_path()} for `{key}`.",
    )


_MISSING: Final = object()


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, _MISSING)
    if not isinstance(value, dict):
        raise _fail(where, key, f"a [{key}] table", value)
    return value


def _unknown(table: dict[str, Any], known: tuple[str, ...] | list[str], prefix: str, where: str) -> None:
    extra = sorted(set(table) - set(known))
    if extra:
        raise PolicyError(
            f"unknown key `{prefix}{extra[0]}`",
            where=where,
            hint=f"valid keys in [{prefix.rstrip('.')}] are: {', '.join(f'`{k}`' for k in known)}.",
        )


def _number(table: dict[str, Any], spec: dict[str, Threshold], prefix: str, where: str) -> dict[str, Any]:
    _unknown(table, list(spec), prefix, where)
    out: dict[str, Any] = {}
    for key, t in spec.items():
        value = table.get(key, _MISSING if t.required else t.default)
        # bool is an int subclass in Python; a threshold of `true` is a mistake, not 1.
        ok = (
            value is not _MISSING
            and isinstance(value, t.types)
            and (bool in t.types or not isinstance(value, bool))
        )
        if not ok:
            raise _fail(where, f"{prefix}{key}", t.expected, value)
        out[key] = value
    for key, value in out.items():
        if not spec[key].valid(value):
            raise _fail(where, f"{prefix}{key}", spec[key].expected, value)
    return out


def _regex(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(where, key, "a non-empty regular expression string", value)
    # The detectors run patterns through polars (Rust regex); compile them here so a bad pattern
    # fails with its key rather than deep inside a query.
    problem = _regex_problem(value)
    if problem is not None:
        raise _fail(
            where,
            key,
            "a valid regular expression (Rust regex syntax, as polars uses)",
            value,
            hint=f"the pattern does not compile: {problem}".splitlines()[0],
        )
    return value


@functools.lru_cache(maxsize=1024)
def _regex_problem(value: str) -> str | None:
    """Why polars cannot compile ``value``, or None. Remembered per pattern: a policy is loaded
    again by every ``classify`` and every report chart, and compiling its 33 patterns was most
    of the ~0.04 CPU s each load cost (the result for a pattern never changes)."""
    try:
        import polars as pl

        pl.Series([""]).str.contains(value)
    except Exception as exc:
        return str(exc)
    return None


def _build(data: dict[str, Any], where: str, content_hash: str) -> Policy:
    _unknown(data, _TOP, "", where)
    if "redact" in data:
        from .redact import redaction_policy_from_dict

        redaction_policy_from_dict(_table(data, "redact", where), where=where)  # fail early, with the file named
    meta = _table(data, "policy", where)
    _unknown(meta, ("name", "version"), "policy.", where)
    name = meta.get("name", _MISSING)
    if not isinstance(name, str) or not name:
        raise _fail(where, "policy.name", "a non-empty string", name)
    version = meta.get("version", _MISSING)
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version:
        raise _fail(where, "policy.version", "a non-empty string", version)

    declared = declared_thresholds()
    tables = {name: {k: t for k, t in declared.items() if t.table == name} for name in ("thresholds", "budgets")}
    thresholds = _number(_table(data, "thresholds", where), tables["thresholds"], "thresholds.", where)
    budgets = _number(_table(data, "budgets", where), tables["budgets"], "budgets.", where)

    windows_raw = _table(data, "context_windows", where)
    windows: dict[str, int] = {}
    for model, size in windows_raw.items():
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise _fail(where, f"context_windows.{model}", "a positive integer number of tokens", size)
        windows[model] = size

    tools_raw = _table(data, "tools", where)
    _unknown(tools_raw, _TOOLS, "tools.", where)
    tools: dict[str, Any] = {
        key: _regex(tools_raw.get(key, _MISSING), f"tools.{key}", where) for key in _TOOLS
    }

    claims_raw = data.get("claims", [])
    if not isinstance(claims_raw, list):
        raise _fail(where, "claims", "an array of [[claims]] tables", claims_raw)
    claims = []
    for i, item in enumerate(claims_raw):
        key = f"claims[{i}]"
        if not isinstance(item, dict):
            raise _fail(where, key, "a table with action, claim and tool", item)
        _unknown(item, _CLAIM_KEYS, f"{key}.", where)
        action = item.get("action", _MISSING)
        if not isinstance(action, str) or not action:
            raise _fail(where, f"{key}.action", "a non-empty string", action)
        claims.append(
            Claim(
                action=action,
                claim=_regex(item.get("claim", _MISSING), f"{key}.claim", where),
                tool=_regex(item.get("tool", _MISSING), f"{key}.tool", where),
            )
        )

    # Optional: a policy file without [strength] promotes nothing.
    promote = _promoted(_table(data, "strength", where) if "strength" in data else {}, where)

    fields = {f.name for f in dataclasses.fields(Policy)}
    values = {**thresholds, **budgets}
    return Policy(
        name=name,
        policy_version=version,
        content_hash=content_hash,
        path=where,
        context_windows=windows,
        claims=tuple(claims),
        promote_hints=promote,
        declared={k: v for k, v in values.items() if k not in fields},
        **{k: v for k, v in values.items() if k in fields},
        **tools,
    )


def _promoted(table: dict[str, Any], where: str) -> tuple[str, ...]:
    """``[strength] promote``: the detector names whose hints count as weak findings."""
    from forensics.detectors.registry import all_detectors

    _unknown(table, ("promote",), "strength.", where)
    names = table.get("promote", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _fail(where, "strength.promote", "an array of detector names", names)
    known = sorted(d.name for d in all_detectors())
    for n in names:
        if n not in known:
            raise _fail(where, "strength.promote", "registered detector names", n,
                        hint="`forensics detectors` lists them, e.g. unguarded_irreversible.")
    return tuple(names)


def resolve_policy(policy: Policy | str | Path | None) -> Policy:
    """Accept a Policy, a path, or None (the shipped defaults)."""
    if isinstance(policy, Policy):
        return policy
    return load_policy(policy)
