"""Redaction of secrets and personal data: stable keyed placeholders, vectorised over whole columns.

Agent logs carry what users typed and what tools returned: API keys pasted into prompts, bearer
tokens in tool arguments, e-mail addresses, phone and card numbers. Every export (charts, the
HTML/Markdown report, Parquet written by the CLI) is redacted by default and says so on its face
(:func:`redaction_banner`); loading can opt in (:func:`redact_load_result`).

A value becomes ``<kind:6hex>``, the 6 hex being HMAC-SHA256 of the value under a per-deployment
key, so the same e-mail address in fifty spans is the same placeholder (correlation survives) but
cannot be read back. The key comes from the policy, else ``FORENSICS_REDACT_KEY``, else a
documented default that warns: with the default key anyone can confirm a guessed value.

How it runs (no Python loop over rows):

1. every rule (built-in, detect-secrets, user) is one alternative of ONE combined regex; polars
   ``str.extract_all`` finds every candidate in every text column in one pass per column;
2. the candidates are exploded and made unique (distinct values are few next to rows);
3. each unique candidate is assigned to the first rule whose anchored pattern matches it fully
   (``str.contains`` per rule over the small unique Series), validated where the kind needs it
   (Luhn for cards, digit counts for phones, :mod:`ipaddress` for IPs, detect-secrets' JWT
   check), and hashed once in Python;
4. one ``str.replace_many`` (Aho-Corasick, leftmost, longest first) per column swaps each
   accepted literal for its placeholder.

Secret detection reuses the regexes of Yelp's ``detect-secrets`` (``detect-secrets==1.5.0``),
imported from the installed package at run time: AWS access key ids and secret keys in context,
passwords in URLs, GitHub, Slack, Stripe, OpenAI, Azure storage, SendGrid, PyPI and Square
tokens. Its scanner API (``scan_line``/``analyze_line``, one Python call per line and plugin) does
not fit a columnar path, so only the compiled patterns are used; plugins whose patterns need
look-around (which polars' Rust regex engine lacks) or match only a header (``PrivateKeyDetector``
finds ``BEGIN RSA PRIVATE KEY`` but not the key body) are covered by the rules written here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import sys
import tomllib
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import polars as pl
import pyarrow as pa

from forensics.errors import ForensicsError, InputError, InternalError, MissingDependencyError, PolicyError

if TYPE_CHECKING:
    from forensics.classify import Classification
    from forensics.load import LoadResult

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
_NAMED_GROUP: Final = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")


class RedactionKeyWarning(UserWarning):
    """Redaction ran with the documented default key (set ``FORENSICS_REDACT_KEY``)."""


# --------------------------------------------------------------------------------------------
# The policy
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------------

Validator = Callable[[str], bool]


@dataclass(frozen=True)
class Rule:
    """One kind of value to redact.

    ``pattern`` is a Rust regex; ``secret_group`` (index or name) is the part that is hashed and
    replaced, the rest of the match is kept (``://user:`` before a URL's password); ``validate``
    runs in Python on the few unique candidates (Luhn, digit counts, address parsing).
    """

    kind: str
    category: str
    pattern: str
    origin: str = "forensics"
    secret_group: int | str | None = None
    validate: Validator | None = None
    #: What is hashed, so that one value written two ways is one placeholder (a card with or
    #: without spaces, an e-mail address in another case).
    canonical: Callable[[str], str] | None = None


def _digits(candidate: str) -> str:
    return "".join(c for c in candidate if c.isdigit())


def _phone_digits(candidate: str) -> str:
    return ("+" if candidate.startswith("+") else "") + _digits(candidate)


def _luhn(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _phone_international(candidate: str) -> bool:
    # E.164 allows at most 15 digits; fewer than 8 is a short code or a number, not a phone.
    return 8 <= sum(c.isdigit() for c in candidate) <= 15


def _phone_national(candidate: str) -> bool:
    # A national number with a trunk 0 has 9-12 digits (BE 9, FR 10, UK 10-11, DE 10-12); dates
    # written 01-15-2024 or 01.02.2024 have 8 and so stay, and so does a US ZIP+4 code, which
    # has 9 digits but always as 5-4 ("Waterford, CT 06385-3825", Who&When dev 103.json).
    return 9 <= sum(c.isdigit() for c in candidate) <= 12 and not _ZIP4.fullmatch(candidate)


_ZIP4: Final = re.compile(r"[0-9]{5}-[0-9]{4}")


def _ipv4(candidate: str) -> bool:
    # The pattern also swallows extra dotted parts (1.2.3.4.5, an OID or a version) so that they
    # fail here instead of losing their first four parts.
    try:
        ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    return True


def _ipv6(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    # `d::` in `std::vector` or `::1` parse as addresses; require two groups and four hex digits.
    groups = [g for g in candidate.split(":") if g]
    return len(groups) >= 2 and sum(len(g) for g in groups) >= 4


def _token_like(candidate: str) -> bool:
    # "Bearer responsibilities" is prose; a token has a digit or a punctuation character.
    return any(c.isdigit() or c in "._-~+/=" for c in candidate)


def _jwt(candidate: str) -> bool:
    from detect_secrets.plugins.jwt import JwtTokenDetector

    return bool(JwtTokenDetector.is_formally_valid(candidate))


_HEX: Final = "[0-9A-Fa-f]"
#: Line breaks of a PEM block, raw or JSON-escaped (and an escaped slash): one key logged raw, as
#: JSON, or as JSON inside JSON is one placeholder.
_PEM_NOISE: Final = re.compile(r"\\+[rnt]|[\r\n\t]+|\\+/")

#: Rules written here: kinds detect-secrets lacks, or covers only in part.
_OWN_RULES: Final = (
    # A whole PEM block, or, when the log cut it, the header and everything after it that can be
    # part of a key. The body is base64, header lines (Proc-Type: 4,ENCRYPTED) and newlines, raw
    # or JSON-escaped once or more (\n, \\n, \/: tool arguments are often JSON inside JSON); a
    # backslash is taken only before n, r, t or /, so a match never ends in half an escape (\").
    # Both alternatives use that set and never `.`: with `.*?` a header without an END would make
    # every later search scan to the end of the value, which a hostile log can repeat (quadratic).
    Rule("private-key", "secrets",
         r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:(?:[A-Za-z0-9+/=\s:,.-]|\\+[rnt/])*?"
         r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|(?:[A-Za-z0-9+/=\s:,.-]|\\+[rnt/])*)",
         canonical=lambda v: _PEM_NOISE.sub(lambda m: "/" if m.group().endswith("/") else "", v)),
    Rule("bearer", "secrets", r"(?i:\bbearer\s+([A-Za-z0-9._~+/-]{16,}=*))", secret_group=1, validate=_token_like),
    Rule("basic-auth", "secrets", r"(?i:authorization\W{0,4}basic\s+([A-Za-z0-9+/]{8,}={0,2}))", secret_group=1),
    Rule("aws-secret", "secrets",
         r"(?i:\baws_?secret_?(?:access_?)?key\b[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})\b)", secret_group=1),
    Rule("anthropic-key", "secrets", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    Rule("openai-key", "secrets", r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
    Rule("github-token", "secrets", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
    Rule("slack-token", "secrets", r"\bxox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]{10,}"),
    Rule("google-key", "secrets", r"\bAIza[0-9A-Za-z_-]{35}"),
    Rule("jwt", "secrets", r"\beyJ[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*", validate=_jwt),
    Rule("email", "email", r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\b",
         canonical=str.lower),
    # Issuer prefixes 3-6 and 22-27 only: ISO years (20xx) and epoch seconds/ms/ns (1...)
    # never start a candidate; separators are single spaces or dashes between digits.
    # Written as cards are: contiguous, in fours (4-4-4-4, up to 19 digits) or 4-6-5/4-6-4 (Amex,
    # Diners). Other groupings are something else: a glog line's "1734629832.269598 1276483"
    # (microseconds, thread id) is Luhn-valid by chance (Who&When dev 84.json).
    Rule("card", "card",
         r"\b(?:[3-6][0-9]{3}|2[2-7][0-9]{2})(?:[0-9]{9,15}|(?:[ -][0-9]{4}){2,3}[ -][0-9]{1,4}"
         r"|[ -][0-9]{6}[ -][0-9]{4,5})\b",
         validate=_luhn, canonical=_digits),
    # International (+country ...), one separator style per number so that a date after the
    # number is not taken in; NANP (415) 555-2671 / 415-555-2671; national with a trunk 0.
    Rule("phone", "phone",
         r"\+[1-9][0-9]{0,3}(?:[0-9]{4,13}|\s?\([0-9]{1,4}\)(?:[ .-]?[0-9]{2,4}){1,4}"
         r"|(?: [0-9]{1,4}){2,5}|(?:-[0-9]{1,4}){2,5}|(?:\.[0-9]{1,4}){2,5})\b",
         validate=_phone_international, canonical=_phone_digits),
    Rule("phone", "phone", r"(?:\([0-9]{3}\)\s?|\b[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}\b", validate=_phone_national,
         canonical=_digits),
    # A trunk 0 and then an area code, which never starts with 0: an ORCID's 0000-0001-9742 is
    # not a phone (Who&When dev 33.json quotes ORCID ids).
    Rule("phone", "phone", r"\b0[1-9][0-9]{0,3}(?:(?: [0-9]{2,4}){1,4}|(?:-[0-9]{2,4}){1,4}|(?:\.[0-9]{2,4}){1,4})\b",
         validate=_phone_national, canonical=_digits),
    Rule("ipv6", "ip",
         rf"(?:\b{_HEX}{{1,4}}:|::)(?:{_HEX}{{0,4}}:){{0,6}}{_HEX}{{0,4}}", validate=_ipv6,
         canonical=lambda a: str(ipaddress.IPv6Address(a))),
    Rule("ipv4", "ip", r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?:\.[0-9]+)*\b", validate=_ipv4),
)

#: detect-secrets plugins reused: (module, class, denylist index, kind, secret group, tail).
#: ``tail`` extends a fixed-length pattern over the rest of the token: StripeDetector matches 24
#: characters of keys that are now up to 99 long, and the remainder must not stay readable.
_DETECT_SECRETS: Final = (
    ("basic_auth", "BasicAuthDetector", 0, "url-password", 1, ""),
    ("aws", "AWSKeyDetector", 0, "aws-key-id", None, ""),
    ("aws", "AWSKeyDetector", 1, "aws-secret", 1, ""),
    ("github_token", "GitHubTokenDetector", 0, "github-token", None, ""),
    ("slack", "SlackDetector", 0, "slack-token", None, "[A-Za-z0-9-]*"),
    ("slack", "SlackDetector", 1, "slack-webhook", None, ""),
    ("stripe", "StripeDetector", 0, "stripe-key", None, "[0-9a-zA-Z]*"),
    ("openai", "OpenAIDetector", 0, "openai-key", None, "[A-Za-z0-9_-]*"),
    ("azure_storage_key", "AzureStorageKeyDetector", 0, "azure-storage-key", None, ""),
    ("sendgrid", "SendGridDetector", 0, "sendgrid-key", None, ""),
    ("pypi_token", "PypiTokenDetector", 0, "pypi-token", None, ""),
    ("pypi_token", "PypiTokenDetector", 1, "pypi-token", None, ""),
    ("square_oauth", "SquareOAuthDetector", 0, "square-token", None, ""),
)

_BUILTIN_KINDS: Final = frozenset(r.kind for r in _OWN_RULES) | frozenset(d[3] for d in _DETECT_SECRETS)


def _detect_secrets_version() -> str:
    try:
        from importlib.metadata import version

        return version("detect-secrets")
    except Exception:  # not installed: _detect_secrets_rules raises the useful error
        return "absent"


def _python_flags(flags: int) -> str:
    # Python's re flags -> Rust inline flags (UNICODE is the default in Rust).
    return "".join(ch for bit, ch in ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))
                   if flags & bit)


@lru_cache(maxsize=1)
def _detect_secrets_rules() -> tuple[Rule, ...]:
    try:
        import importlib

        importlib.import_module("detect_secrets.plugins")
    except ImportError as exc:
        err = MissingDependencyError("detect-secrets", "redact", "secret detection in redaction")
        # A core dependency, not an extra: say what to install rather than an extra's name.
        ForensicsError.__init__(err, err.message, hint=f"pip install {DETECT_SECRETS_PIN}")
        raise err from exc
    rules = []
    for module, cls_name, index, kind, group, tail in _DETECT_SECRETS:
        mod = importlib.import_module(f"detect_secrets.plugins.{module}")
        compiled = list(getattr(mod, cls_name).denylist)[index]
        flags = _python_flags(compiled.flags)
        body = f"(?{flags}:{compiled.pattern})" if flags else f"(?:{compiled.pattern})"
        rules.append(Rule(kind, "secrets", body + tail, origin=f"detect-secrets:{cls_name}[{index}]",
                          secret_group=group))
    return tuple(rules)


def rules_for(policy: RedactionPolicy) -> tuple[Rule, ...]:
    """The rules a policy applies, in priority order (the first rule matching at a position wins):
    user patterns, then detect-secrets' patterns, then the built-in ones."""
    user = tuple(
        Rule(name, "custom", rx, origin="policy", secret_group="secret" if "(?P<secret>" in rx or "(?<secret>" in rx else None)
        for name, rx in policy.user_patterns
    )
    builtin = (_detect_secrets_rules() if policy.secrets else ()) + _OWN_RULES
    chosen = user + tuple(r for r in builtin if getattr(policy, r.category))
    return tuple(dataclasses.replace(r, pattern=_ascii_boundaries(r.pattern)) for r in chosen)


_UNICODE_BOUNDARY: Final = re.compile(r"(?<!\\)((?:\\\\)*)\\b")


def _ascii_boundaries(pattern: str) -> str:
    r"""``\b`` -> ``(?-u:\b)``. The Rust engine's fast DFA cannot evaluate a Unicode word
    boundary once it meets a non-ASCII byte and falls back to a far slower engine (measured: 100x
    on Chinese prompts). An ASCII boundary is what every rule here means anyway."""
    return _UNICODE_BOUNDARY.sub(lambda m: m.group(1) + r"(?-u:\b)", pattern)


def _combined(rules: Sequence[Rule]) -> str:
    # Named groups become non-capturing: the combined pattern only finds matches, and two rules
    # may use the same group name.
    return "|".join(f"(?:{_NAMED_GROUP.sub('(?:', r.pattern)})" for r in rules)


# --------------------------------------------------------------------------------------------
# Redaction
# --------------------------------------------------------------------------------------------


@dataclass
class RedactionReport:
    """What a redaction replaced: occurrences per kind, and candidates a validator turned down
    (Luhn-invalid numbers, dates that looked like phones) per kind."""

    counts: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    key_source: str = ""
    policy_hash: str = ""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def merge(self, other: RedactionReport) -> RedactionReport:
        return RedactionReport(self.counts + other.counts, self.rejected + other.rejected,
                               self.key_source or other.key_source, self.policy_hash or other.policy_hash)

    def __str__(self) -> str:
        if not self.counts:
            return "nothing redacted"
        return ", ".join(f"{k}: {n:,}" for k, n in sorted(self.counts.items()))


def placeholder(kind: str, value: str, key: bytes) -> str:
    """``<kind:6hex>``: the first 6 hex of HMAC-SHA256(key, value)."""
    return f"<{kind}:{hmac.new(key, value.encode('utf-8'), hashlib.sha256).hexdigest()[:6]}>"


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):  # Parquet readers dictionary-encode repetitive strings
        return _is_text(t.value_type)
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _string_columns(table: pa.Table, columns: Iterable[str]) -> list[str]:
    cols = list(dict.fromkeys(columns))
    missing = [c for c in cols if c not in table.column_names]
    if missing:
        raise InputError(
            f"cannot redact column(s) {', '.join(f'`{c}`' for c in missing)}: the table has no such column",
            hint=f"the table's columns are: {', '.join(f'`{c}`' for c in table.column_names)}.",
        )
    bad = [c for c in cols if not _is_text(table.schema.field(c).type)]
    if bad:
        raise InputError(
            f"cannot redact column(s) {', '.join(f'`{c}` ({table.schema.field(c).type})' for c in bad)}: "
            "only string columns hold text",
            hint="pass columns= with the table's text columns.",
        )
    return cols


#: A placeholder this module wrote. Text redacted at load time is redacted again at export, so a
#: placeholder must survive a second pass: `://<private-key:59d936>@` looks like a URL password.
PLACEHOLDER_PATTERN: Final = re.compile(r"<[a-z][a-z0-9_-]{0,31}:[0-9a-f]{6}>")


def _in_placeholder(full: str, start: int, length: int) -> bool:
    """Whether ``full[start:start + length]`` overlaps a placeholder inside ``full``."""
    end = start + length
    return any(m.start() < end and start < m.end() for m in PLACEHOLDER_PATTERN.finditer(full))


def _mapping(candidates: pl.DataFrame, rules: Sequence[Rule], key: bytes,
             report: RedactionReport) -> dict[str, str]:
    """Map each unique candidate literal to its replacement (rejected candidates are left out)."""
    values = candidates.get_column("value")
    counts = dict(zip(values.to_list(), candidates.get_column("n").to_list(), strict=True))
    unassigned = values
    mapping: dict[str, str] = {}
    for rule in rules:
        if unassigned.len() == 0:
            break
        anchored = f"^(?:{rule.pattern})$"
        hit = unassigned.str.contains(anchored)
        mine = unassigned.filter(hit)
        unassigned = unassigned.filter(~hit)
        if mine.len() == 0:
            continue
        if rule.secret_group is None:
            secrets = mine
        elif isinstance(rule.secret_group, int):
            secrets = mine.str.extract(anchored, rule.secret_group)
        else:
            secrets = mine.str.extract_groups(anchored).struct.field(rule.secret_group)
        for full, secret in zip(mine.to_list(), secrets.to_list(), strict=True):
            if not secret:  # an optional secret group that did not take part: nothing to hide
                continue
            # The secret group ends each context rule (`://user:pass@`, `Bearer tok`,
            # `aws..key: "SECRET"`), so its last occurrence is the one the group matched.
            cut = full.rfind(secret)
            if (rule.validate is not None and not rule.validate(secret)) or _in_placeholder(full, cut, len(secret)):
                report.rejected[rule.kind] += counts[full]
                continue
            ph = placeholder(rule.kind, rule.canonical(secret) if rule.canonical else secret, key)
            mapping[full] = full[:cut] + ph + full[cut + len(secret):]
            report.counts[rule.kind] += counts[full]
    return mapping


def _marker(frame: pl.DataFrame, cols: Sequence[str]) -> str:
    """A separator that occurs in none of the values: private-use characters plus random ones,
    checked (log text is hostile and may contain any fixed marker)."""
    for _ in range(8):
        marker = "\ue000" + "".join(chr(0xE001 + b % 0x1000) for b in secrets.token_bytes(6)) + "\ue000"
        present = frame.select(pl.any_horizontal(pl.col(c).str.contains(marker, literal=True).any() for c in cols))
        if not present.item():
            return marker
    raise InternalError("could not find a separator absent from the text being redacted")


def redact_table_with_report(
    table: pa.Table,
    policy: RedactionPolicy | str | Path | None = None,
    columns: Sequence[str] | None = None,
) -> tuple[pa.Table, RedactionReport]:
    """:func:`redact_table`, also returning what was replaced per kind."""
    pol = resolve_redaction_policy(policy)
    cols = _string_columns(table, pol.columns if columns is None else columns)
    key, key_source = resolve_key(pol)
    report = RedactionReport(key_source=key_source, policy_hash=pol.content_hash)
    rules = rules_for(pol)
    if not cols or table.num_rows == 0 or not rules:
        return table, report
    combined = _combined(rules)
    plain = table.select(cols)
    plain = plain.cast(pa.schema([pa.field(f.name, pa.large_string()) for f in plain.schema]))
    frame = cast(pl.DataFrame, pl.from_arrow(plain))  # a Table gives a DataFrame
    # Cut every value at the matches: wrap each match in a marker absent from the data, split on
    # it, and the pieces alternate text, match, text, ... (odd positions are matches). Mapping
    # whole pieces is a hash lookup, linear in the text; a literal search-and-replace of the
    # matches (str.replace_many) builds an automaton that grows with the square of a match's
    # length, and a hostile log can make one match megabytes long.
    marker = _marker(frame, cols)
    pieces = frame.select(
        pl.col(c).str.replace_all(combined, f"{marker}${{0}}{marker}").str.split(marker) for c in cols
    )
    candidates = (
        pl.concat([pieces.get_column(c).list.gather_every(2, 1).explode() for c in cols], how="vertical")
        .drop_nulls()
        .alias("value")
        .to_frame()
        .filter(pl.col("value").str.len_bytes() > 0)
        .group_by("value")
        .len(name="n")
    )
    mapping = _mapping(candidates, rules, key, report)
    if not mapping:
        return table, report
    old = pl.Series("old", list(mapping), dtype=pl.String)
    new = pl.Series("new", list(mapping.values()), dtype=pl.String)
    replaced = pieces.select(
        pl.col(c).list.eval(pl.element().replace(old, new)).list.join("") for c in cols
    )
    out = table
    for c in cols:
        i = out.schema.get_field_index(c)
        arr = replaced.get_column(c).to_arrow().cast(out.schema.field(c).type)
        out = out.set_column(i, out.schema.field(c), arr)
    return out, report


def redact_table(
    table: pa.Table,
    policy: RedactionPolicy | str | Path | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """Replace secrets and personal data in the text ``columns`` of ``table`` with ``<kind:6hex>``.

    ``columns`` defaults to the policy's (``input, output, error_message, attributes, name``
    unless the policy says otherwise). Row count, column order, types and metadata, and every
    other column are unchanged. Raises :class:`InputError` for a column the table lacks or that
    is not text.
    """
    return redact_table_with_report(table, policy, columns)[0]


def redact_frame(
    frame: pl.DataFrame,
    policy: RedactionPolicy | str | Path | None = None,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """:func:`redact_table` for a polars DataFrame (what the report and the charts hold)."""
    out = pl.from_arrow(redact_table(frame.to_arrow(), policy, columns))
    return cast(pl.DataFrame, out)


def redact_text(text: str, policy: RedactionPolicy | str | Path | None = None) -> str:
    """Redact one string (a report line, a chart title) with the same rules and placeholders."""
    table = pa.table({"text": pa.array([text], pa.string())})
    out = redact_table(table, policy, columns=("text",))
    return str(out.column("text")[0].as_py())


def redact_load_result(result: LoadResult, policy: RedactionPolicy | str | Path | None = None) -> LoadResult:
    """Opt-in redaction at load time: the spans' text columns and the quarantine's ``raw`` and
    ``detail`` (which quote the records they could not read)."""
    pol = resolve_redaction_policy(policy)
    spans = redact_table(result.spans, pol)
    quarantine = redact_table(result.quarantine, pol, columns=[c for c in QUARANTINE_COLUMNS
                                                                if c in result.quarantine.column_names])
    return dataclasses.replace(result, spans=spans, quarantine=quarantine)


#: Findings columns that quote log content (explanations name tools, agents, final answers).
FINDING_TEXT_COLUMNS: Final = ("explanation",)


def redact_classification(result: Classification, policy: RedactionPolicy | str | Path | None = None) -> Classification:
    """The classifier's result with log content in the findings' ``explanation`` redacted (ids,
    classes and counts are the toolkit's own and stay)."""
    findings = redact_table(result.findings, policy, columns=FINDING_TEXT_COLUMNS)
    return dataclasses.replace(result, findings=findings)


# --------------------------------------------------------------------------------------------
# What exports print on their face
# --------------------------------------------------------------------------------------------

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
