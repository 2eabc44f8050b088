"""The engine: every text column redacted in a few vectorised passes (extract candidates with the
combined regex, make them unique, assign each to its rule and validate it, hash it once, one
``replace_many`` per column), and the entry points for tables, frames, text, loads and results.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast

import polars as pl
import pyarrow as pa

from forensics.errors import InputError, InternalError
from forensics.redact.policy import (
    QUARANTINE_COLUMNS,
    RedactionPolicy,
    resolve_key,
    resolve_redaction_policy,
)
from forensics.redact.rules import Rule, _combined, rules_for

if TYPE_CHECKING:
    from forensics.classify import Classification
    from forensics.load import LoadResult


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


def _marker(values: Sequence[pl.Series]) -> str:
    """A separator that occurs in none of the values: private-use characters plus random ones,
    checked (log text is hostile and may contain any fixed marker)."""
    for _ in range(8):
        marker = "\ue000" + "".join(chr(0xE001 + b % 0x1000) for b in secrets.token_bytes(6)) + "\ue000"
        if not any(v.str.contains(marker, literal=True).any() for v in values):
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
    # Only the values the combined regex matches in are cut into pieces below: one `contains`
    # pass finds them without building anything, and most log values hold nothing to redact
    # (measured on the bench night, 584k spans: the cut of every value took 2.8 s CPU, the
    # `contains` pass 0.5 s). A value with no match is one piece, the whole value; it is still
    # looked up in the mapping below, as the cut would have, so the result is the same.
    hits = frame.select(pl.col(c).str.contains(combined).fill_null(False) for c in cols)
    if not any(hits.get_column(c).any() for c in cols):
        return table, report
    # Cut every value at the matches: wrap each match in a marker absent from the data, split on
    # it, and the pieces alternate text, match, text, ... (odd positions are matches). Mapping
    # whole pieces is a hash lookup, linear in the text; a literal search-and-replace of the
    # matches (str.replace_many) builds an automaton that grows with the square of a match's
    # length, and a hostile log can make one match megabytes long.
    matched = {c: frame.get_column(c).filter(hits.get_column(c)) for c in cols}
    marker = _marker(list(matched.values()))
    pieces = {c: v.str.replace_all(combined, f"{marker}${{0}}{marker}").str.split(marker) for c, v in matched.items()}
    candidates = (
        pl.concat([pieces[c].list.gather_every(2, 1).explode() for c in cols], how="vertical")
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
    out = table
    for c in cols:
        values, hit = frame.get_column(c), hits.get_column(c)
        # A value with no match is one piece: replaced only when it is, whole, a mapped literal.
        whole = values.is_in(old.implode())
        if not hit.any() and not whole.any():
            continue  # nothing in this column changes: its array is kept as it was
        replaced = values.replace(old, new)
        if hit.any():
            joined = pieces[c].list.eval(pl.element().replace(old, new)).list.join("")
            replaced = replaced.scatter(hit.arg_true(), joined)
        i = out.schema.get_field_index(c)
        out = out.set_column(i, out.schema.field(c), replaced.to_arrow().cast(out.schema.field(c).type))
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
