"""The rules: one per kind of secret or personal datum (written here, or detect-secrets' own
patterns), each a Rust regex with an optional validator (Luhn, digit counts, :mod:`ipaddress`), and
the ONE combined regex the engine extracts candidates with.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from forensics.errors import ForensicsError, MissingDependencyError
from forensics.redact.policy import _BUILTIN_KINDS, DETECT_SECRETS_PIN, RedactionPolicy

_NAMED_GROUP: Final = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")


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


# The built-in kinds, told to the policy (which refuses a user pattern named like one of them).
_BUILTIN_KINDS.update(r.kind for r in _OWN_RULES)
_BUILTIN_KINDS.update(d[3] for d in _DETECT_SECRETS)
