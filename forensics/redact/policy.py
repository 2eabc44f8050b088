"""The redaction policy, a leaf (it imports nothing of the rules or the engine): what to redact
(categories, user patterns, columns), the key and where it comes from, the ``[redact]`` TOML table,
and the banner every export prints on its face.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

import polars as pl
import pyarrow as pa

from forensics.errors import PolicyError

#: Kind names the built-in rules use (a user pattern may not take one). Filled by
#: :mod:`forensics.redact.rules` when it is imported (always, through the package), so this module
#: needs nothing of the rules and stays a leaf.
_BUILTIN_KINDS: set[str] = set()


#: Span-table columns that hold free text from the log; the defaults of :func:`redact_table`.
# Every span column that can hold log text; findings quote error_type, tool and agent too.
DEFAULT_COLUMNS: Final = ("input", "output", "error_message", "error_type", "attributes", "name", "tool", "agent")


#: Quarantine columns that can hold log content (the raw record and the detail quoting it).
QUARANTINE_COLUMNS: Final = ("raw", "detail")


#: The detect-secrets release whose patterns the secret rules reuse (see _DETECT_SECRETS).
DETECT_SECRETS_PIN: Final = "detect-secrets==1.5.0"


#: Environment variable holding the per-deployment HMAC key.
KEY_ENV: Final = "FORENSICS_REDACT_KEY"


#: Used when neither the policy nor the environment gives a key. Placeholders still correlate,
#: but anyone who knows this string can test a guessed value against a placeholder, so
#: :func:`resolve_key` warns and the banner says "default key".
DEFAULT_KEY: Final = "agent-forensics-default-redaction-key-set-FORENSICS_REDACT_KEY"


#: Bumped whenever a built-in rule changes, so the banner's policy hash changes with it.
RULESET_VERSION: Final = "1"


#: Policy switches, in banner order, with the label the banner prints.
CATEGORIES: Final = {"secrets": "secrets", "email": "e-mail", "phone": "phone", "card": "card", "ip": "ip"}


_KIND_NAME: Final = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class RedactionKeyWarning(UserWarning):
    """Redaction ran with the documented default key (set ``FORENSICS_REDACT_KEY``)."""


@dataclass(frozen=True)
class RedactionPolicy:
    """What to redact. Every category is on by default; ``patterns`` adds user kinds.

    ``patterns`` maps a kind name (lowercase, ``[a-z][a-z0-9_-]*``) to a Rust regex (the dialect
    polars uses); a named group ``secret`` limits the replacement to that part of the match
    (``ticket=(?P<secret>\\d+)`` keeps ``ticket=``). ``key`` is the HMAC key; prefer leaving it
    empty and setting the environment variable named by ``key_env`` (keys do not belong in a
    policy file checked into a repository).
    """

    secrets: bool = True
    email: bool = True
    phone: bool = True
    card: bool = True
    ip: bool = True
    patterns: tuple[tuple[str, str], ...] | Mapping[str, str] = ()
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    key: str | None = field(default=None, repr=False)
    key_env: str = KEY_ENV
    source: str = "<defaults>"

    def __post_init__(self) -> None:
        pats = self.patterns.items() if isinstance(self.patterns, Mapping) else self.patterns
        object.__setattr__(self, "patterns", tuple((str(k), str(v)) for k, v in pats))
        object.__setattr__(self, "columns", tuple(self.columns))
        where = self.source
        for name, rx in self.user_patterns:
            if not _KIND_NAME.match(name):
                raise PolicyError(
                    f"redact pattern name `{name}`: expected lowercase letters, digits, `-` or `_` "
                    "(it becomes the placeholder's kind)",
                    where=where, hint="rename it, e.g. `customer-id`.",
                )
            if name in _BUILTIN_KINDS:
                raise PolicyError(
                    f"redact pattern name `{name}` is a built-in kind", where=where,
                    hint=f"choose another name; built-in kinds are: {', '.join(sorted(_BUILTIN_KINDS))}.",
                )
            _check_regex(rx, f"redact.patterns.{name}", where)

    @property
    def user_patterns(self) -> tuple[tuple[str, str], ...]:
        """``patterns`` as ``(kind, regex)`` pairs (a Mapping given to the constructor is
        converted in ``__post_init__``)."""
        return cast(tuple[tuple[str, str], ...], self.patterns)

    @property
    def categories(self) -> tuple[str, ...]:
        """The enabled built-in categories, in banner order."""
        return tuple(c for c in CATEGORIES if getattr(self, c))

    @property
    def content_hash(self) -> str:
        """8 hex of what decides the output (categories, patterns, columns, rule set version, the
        detect-secrets version); never the key."""
        doc = {
            "categories": self.categories,
            "patterns": sorted(self.user_patterns),
            "columns": self.columns,
            "ruleset": RULESET_VERSION,
            "detect_secrets": _detect_secrets_version(),
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:8]


def _check_regex(rx: Any, key: str, where: str) -> None:
    if not isinstance(rx, str) or not rx:
        raise PolicyError(f"key `{key}`: expected a non-empty regular expression string, found {rx!r}",
                          where=where, hint="write the pattern as a TOML string.")
    try:
        matches_empty = bool(pl.Series([""]).str.contains(rx)[0])
    except Exception as exc:  # polars raises ComputeError for a bad pattern; say which key
        raise PolicyError(
            f"key `{key}`: the pattern does not compile: {str(exc).splitlines()[0]}",
            where=where, hint="patterns use Rust regex syntax (as polars does): no look-around, no back-references.",
        ) from exc
    if matches_empty:
        # A pattern that matches "" would match between every two characters of every value.
        raise PolicyError(f"key `{key}`: the pattern matches the empty string", where=where,
                          hint="make it require at least one character (use + rather than *).")


_POLICY_KEYS: Final = ("secrets", "email", "phone", "card", "ip", "columns", "key", "key_env", "patterns")


def load_redaction_policy(path: str | Path | None = None) -> RedactionPolicy:
    """Read the ``[redact]`` table of a TOML file (the classifier's policy file or its own).

    ``None``, or a file without ``[redact]``, gives the defaults (everything on). Unknown keys
    are errors, as in the classifier's policy, so a typo never silently weakens redaction.
    """
    if path is None:
        return RedactionPolicy()
    p = Path(path)
    where = str(p)
    try:
        data = tomllib.loads(p.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file: {exc.strerror or exc}", where=where,
                          hint="pass the path of a TOML file with a [redact] table.") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"not valid TOML: {exc}", where=where, hint="fix the syntax.") from exc
    table = data.get("redact", {})
    if not isinstance(table, dict):
        raise PolicyError(f"key `redact`: expected a [redact] table, found {type(table).__name__}",
                          where=where, hint="write it as a [redact] table.")
    return redaction_policy_from_dict(table, where)


def redaction_policy_from_dict(table: Mapping[str, Any], where: str = "<dict>") -> RedactionPolicy:
    """Validate a ``[redact]`` table already parsed (e.g. by the classifier's policy loader)."""
    extra = sorted(set(table) - set(_POLICY_KEYS))
    if extra:
        raise PolicyError(f"unknown key `redact.{extra[0]}`", where=where,
                          hint=f"valid keys in [redact] are: {', '.join(f'`{k}`' for k in _POLICY_KEYS)}.")
    kwargs: dict[str, Any] = {"source": where}
    for key in CATEGORIES:
        if key in table:
            if not isinstance(table[key], bool):
                raise PolicyError(f"key `redact.{key}`: expected true or false, found {table[key]!r}",
                                  where=where, hint="write true or false.")
            kwargs[key] = table[key]
    if "columns" in table:
        cols = table["columns"]
        if not isinstance(cols, list) or not cols or not all(isinstance(c, str) and c for c in cols):
            raise PolicyError(f"key `redact.columns`: expected a non-empty array of column names, found {cols!r}",
                              where=where, hint=f"the default is {list(DEFAULT_COLUMNS)}.")
        kwargs["columns"] = tuple(cols)
    for key in ("key", "key_env"):
        if key in table:
            if not isinstance(table[key], str) or not table[key]:
                raise PolicyError(f"key `redact.{key}`: expected a non-empty string", where=where,
                                  hint=f"set the key in the environment variable {KEY_ENV} instead.")
            kwargs[key] = table[key]
    if "patterns" in table:
        pats = table["patterns"]
        if not isinstance(pats, dict):
            raise PolicyError("key `redact.patterns`: expected a [redact.patterns] table of name = regex",
                              where=where, hint='e.g. [redact.patterns]\ncustomer-id = "CUST-\\\\d{6}"')
        kwargs["patterns"] = pats
    return RedactionPolicy(**kwargs)


def resolve_redaction_policy(policy: RedactionPolicy | str | Path | None) -> RedactionPolicy:
    """Accept a RedactionPolicy, a TOML path, or None (the defaults)."""
    if isinstance(policy, RedactionPolicy):
        return policy
    return load_redaction_policy(policy)


def resolve_key(policy: RedactionPolicy) -> tuple[bytes, str]:
    """The HMAC key and where it came from: ``policy``, ``env`` or ``default`` (which warns)."""
    if policy.key:
        return policy.key.encode(), "policy"
    env = os.environ.get(policy.key_env)
    if env:
        return env.encode(), "env"
    warnings.warn(
        f"redacting with the documented default key: placeholders can be checked against guessed "
        f"values. Set {policy.key_env} to a per-deployment secret.",
        RedactionKeyWarning, stacklevel=_caller_outside_forensics(),
    )
    return DEFAULT_KEY.encode(), "default"


def _caller_outside_forensics() -> int:
    """The ``stacklevel`` that names the first caller outside this package (a notebook cell, a
    script), not a line of redact.py. The CLI shows the message alone, through its logger."""
    frame, level = sys._getframe(2), 2
    while frame.f_back is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "forensics":
        frame, level = frame.f_back, level + 1
    return level


def _detect_secrets_version() -> str:
    try:
        from importlib.metadata import version

        return version("detect-secrets")
    except Exception:  # not installed: _detect_secrets_rules raises the useful error
        return "absent"


#: Key under which :func:`with_redaction_metadata` records the banner in Arrow/Parquet metadata.
METADATA_KEY: Final = b"forensics.redaction"


def redaction_banner(redacted: bool, policy: RedactionPolicy | str | Path | None = None) -> str:
    """The line every export shows: what was redacted under which policy, or that it was not.

    ``"Redacted: secrets, e-mail, phone, card, ip (policy 1a2b3c4d)"``; user patterns are listed
    as ``custom: name, ...``; ``", default key"`` is added inside the parentheses when no
    per-deployment key is set. ``redacted=False`` gives ``"NOT REDACTED (explicit opt-out)"``.
    """
    if not redacted:
        return "NOT REDACTED (explicit opt-out)"
    pol = resolve_redaction_policy(policy)
    parts = [CATEGORIES[c] for c in pol.categories]
    if pol.user_patterns:
        parts.append("custom: " + ", ".join(name for name, _ in pol.user_patterns))
    what = ", ".join(parts) if parts else "nothing (every category off)"
    default_key = not pol.key and not os.environ.get(pol.key_env)
    return f"Redacted: {what} (policy {pol.content_hash}{', default key' if default_key else ''})"


def with_redaction_metadata(table: pa.Table, redacted: bool,
                            policy: RedactionPolicy | str | Path | None = None) -> pa.Table:
    """``table`` with the banner in its schema metadata (``forensics.redaction``), which
    ``pyarrow.parquet.write_table`` stores in the file footer."""
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = redaction_banner(redacted, policy).encode()
    return table.replace_schema_metadata(meta)
