"""Redaction throughput on a synthetic span table, next to plain polars and DuckDB regex passes.

    .venv/bin/python bench/redact_bench.py [rows]

Prints rows/s and MB/s of text for ``redact_table`` (every rule, keyed placeholders), and in the
same run: one polars ``str.replace_all`` of the e-mail pattern alone over the same columns, and
DuckDB's ``regexp_replace`` of that pattern, as floors for "one regex pass over the text".
Peak memory is the process's max RSS (``resource.getrusage``).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import pyarrow as pa

from forensics.redact import RedactionPolicy, redact_table_with_report
from forensics.schema import SPAN_SCHEMA

EMAIL = r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\b"


def build(rows: int) -> pa.Table:
    filler = ("The agent looked up the order and found that the shipment was delayed at the "
              "warehouse; it will retry the carrier API after the backoff window. ")
    secrets = [
        "contact jane.doe{i}@example.com",
        "call +1415555{i:04d}",
        "Authorization: Bearer tok_{i:08d}abcdefabcdef",
        "card 4111 1111 1111 1111",
        "from 203.0.113.{j}",
        "key AKIAIOSFODNN7EXAMPL{k}",
        "trace 4bf92f3577b34da6a3ce929d0e0e4736 at 2026-11-21T05:44:55Z",
    ]
    inputs, outputs, attrs = [], [], []
    for i in range(rows):
        s = secrets[i % len(secrets)].format(i=i % 5000, j=i % 250, k=chr(65 + i % 26))
        inputs.append(f"{filler}{s}. {filler}")
        outputs.append(f"{filler}done")
        attrs.append(json.dumps({"http.url": "https://api.example.com/v1/orders", "note": s}))
    return pa.table({
        "run_id": [f"{i // 20:032x}" for i in range(rows)],
        "span_id": [f"{i:016x}" for i in range(rows)],
        "kind": ["tool"] * rows, "status": ["ok"] * rows, "source_format": ["jsonl"] * rows,
        "source_file": ["x"] * rows, "source_line": list(range(1, rows + 1)),
        "input": inputs, "output": outputs, "attributes": attrs,
    }).cast(pa.schema([SPAN_SCHEMA.field(n) for n in
                       ("run_id", "span_id", "kind", "status", "source_format", "source_file", "source_line",
                        "input", "output", "attributes")]))


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    os.environ.setdefault("FORENSICS_REDACT_KEY", "bench")
    table = build(rows)
    cols = ["input", "output", "attributes"]
    mb = sum(table.column(c).nbytes for c in cols) / 1e6
    policy = RedactionPolicy(columns=tuple(cols))
    redact_table_with_report(table.slice(0, 100), policy)  # warm the rule cache
    (out, report), t_redact = timed(lambda: redact_table_with_report(table, policy))

    import polars as pl

    frame = pl.from_arrow(table.select(cols))
    _, t_polars = timed(lambda: frame.select(pl.col(c).str.replace_all(EMAIL, "<email>") for c in cols))

    import duckdb

    con = duckdb.connect()
    con.register("t", table.select(cols))
    sql = "select " + ", ".join(f"regexp_replace({c}, '{EMAIL}', '<email>', 'g') as {c}" for c in cols) + " from t"
    _, t_duck = timed(lambda: con.execute(sql).to_arrow_table())

    # Hostile and non-ASCII shapes: each must stay linear (seconds, not hours).
    hostile = {
        "20k PEM headers, no END (0.9 MB)": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n" * 20_000,
        "one 10 MB digit run": "4" * 10_000_000,
        "5 MB of a:a:a (valid IPv6 look-alikes)": "a:" * 2_500_000,
        "5 MB of 1.1.1 (dotted runs)": "1." * 2_500_000,
        "50k e-mails in one value": "x a@example.com y " * 50_000,
    }
    for label, value in hostile.items():
        _, t = timed(lambda v=value: redact_table_with_report(pa.table({"input": [v]}), policy.__class__(columns=("input",))))
        print(f"hostile: {label}: {t:.2f} s")
    cjk = "代理查询了订单，发现货物在仓库延误了。Ünïcödé façade " * 4
    uni = pa.table({"input": [f"{cjk} mail x{i % 100}@example.com {cjk}" for i in range(100_000)]})
    _, t_uni = timed(lambda: redact_table_with_report(uni, policy.__class__(columns=("input",))))
    print(f"non-ASCII text, 100k rows ({uni.column('input').nbytes / 1e6:.0f} MB): {t_uni:.2f} s")

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows={rows:,} text={mb:,.1f} MB replaced={report.total:,} ({report})")
    print(f"redact_table (all rules, keyed): {t_redact:.2f} s  {rows / t_redact:,.0f} rows/s  {mb / t_redact:,.1f} MB/s")
    print(f"polars replace_all (e-mail only): {t_polars:.2f} s  ratio {t_redact / t_polars:.1f}x")
    print(f"duckdb regexp_replace (e-mail only): {t_duck:.2f} s  ratio {t_redact / t_duck:.1f}x")
    print(f"peak RSS {rss_mb:,.0f} MB")


if __name__ == "__main__":
    main()
