"""Redaction of secrets and personal data: stable keyed placeholders, vectorised over whole columns.

Rooms: :mod:`~forensics.redact.policy` (what to redact, the key, the banner; a leaf),
:mod:`~forensics.redact.rules` (one rule per kind, the combined regex), :mod:`~forensics.redact.engine`
(the vectorised passes and the entry points). ``from forensics.redact import X`` keeps working.

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

from forensics.redact.engine import (
    FINDING_TEXT_COLUMNS,
    PLACEHOLDER_PATTERN,
    RedactionReport,
    placeholder,
    redact_classification,
    redact_frame,
    redact_load_result,
    redact_table,
    redact_table_with_report,
    redact_text,
)
from forensics.redact.policy import (
    CATEGORIES,
    DEFAULT_COLUMNS,
    DEFAULT_KEY,
    DETECT_SECRETS_PIN,
    KEY_ENV,
    METADATA_KEY,
    QUARANTINE_COLUMNS,
    RULESET_VERSION,
    RedactionKeyWarning,
    RedactionPolicy,
    load_redaction_policy,
    redaction_banner,
    redaction_policy_from_dict,
    resolve_key,
    resolve_redaction_policy,
    with_redaction_metadata,
)
from forensics.redact.rules import (
    Rule,
    Validator,
    _detect_secrets_rules,
    rules_for,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_COLUMNS",
    "DEFAULT_KEY",
    "DETECT_SECRETS_PIN",
    "FINDING_TEXT_COLUMNS",
    "KEY_ENV",
    "METADATA_KEY",
    "PLACEHOLDER_PATTERN",
    "QUARANTINE_COLUMNS",
    "RULESET_VERSION",
    "RedactionKeyWarning",
    "RedactionPolicy",
    "RedactionReport",
    "Rule",
    "Validator",
    "_detect_secrets_rules",
    "load_redaction_policy",
    "placeholder",
    "redact_classification",
    "redact_frame",
    "redact_load_result",
    "redact_table",
    "redact_table_with_report",
    "redact_text",
    "redaction_banner",
    "redaction_policy_from_dict",
    "resolve_key",
    "resolve_redaction_policy",
    "rules_for",
    "with_redaction_metadata",
]
