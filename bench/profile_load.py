"""Where forensics.load spends its CPU on an OTel SDK JSON-lines file, stage by stage (issue 15).

    .venv/bin/python bench/profile_load.py FILE                 # the first 8 chunks (~134 MB, ~150k spans)
    .venv/bin/python bench/profile_load.py FILE --chunks 0      # the whole file

Each stage is run alone on the same lines, best of ``--repeat``, in CPU seconds of this process (all
threads: DuckDB's and polars' included), so the figures hold on a shared machine where wall time
does not. The stages: framing (newlines, UTF-8), the layout regex (``fits``), DuckDB's parse of the
line, the attribute struct and key lists, the leftover-attribute text, the whole mapping query, and
the share DuckDB's own ``read_json`` takes to read the same bytes. Generate a file with
``bench/bench_load.py --runs 20000 --keep FILE``. A benchmark, not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def best(fn: Callable[[], Any], repeat: int) -> float:
    """The least CPU seconds (all threads) ``fn`` took in ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--chunks", type=int, default=8, help="chunks of vectorised_frames.CHUNK_BYTES to profile (0: all)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import duckdb
    import numpy as np
    import pyarrow as pa

    from forensics.loaders import vectorised, vectorised_frames
    from forensics.loaders.base import Limits

    path, limits = str(args.file), Limits()
    rows: list[tuple[str, float]] = []

    def frames(fits: bool) -> list[pa.Table]:
        saved = vectorised_frames._fits
        if not fits:  # every line fits: the framing alone
            vectorised_frames._fits = lambda text, pattern=None: pa.Array.from_buffers(
                pa.bool_(), len(text), [None, pa.py_buffer(np.packbits(np.ones(len(text), bool), bitorder="little"))])
        try:
            tables = []
            for _, table in vectorised_frames._frames(path, limits):
                if table is not None:
                    tables.append(table)
                if args.chunks and len(tables) >= args.chunks:
                    break
            return tables
        finally:
            vectorised_frames._fits = saved

    framing = best(lambda: frames(False), args.repeat)
    tables: list[pa.Table] = []
    framed = best(lambda: tables.__setitem__(slice(None), frames(True)), args.repeat)
    rows += [("framing (read, newlines, UTF-8)", framing), ("layout regex (fits, polars)", framed - framing)]
    lines = pa.concat_tables(tables)
    size = sum(chunk.buffers()[2].size for t in tables for chunk in t.column("line").chunks)

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("lines", lines)
    query = vectorised._query()
    line_shape = re.search(r"json_transform\(line, '(.*?)'\)", query)
    attr_shape = re.search(r"json_transform\(r\.attributes, '(.*?)'\)", query)
    if line_shape is None or attr_shape is None:
        raise SystemExit("the vectorised query no longer has the shapes this script profiles: update profile_load.py")
    con.execute(f"CREATE TEMP TABLE parsed AS SELECT json_transform(line, '{line_shape.group(1)}') AS r FROM lines")
    con.execute("CREATE TEMP TABLE attrs AS SELECT r.attributes AS a, r.resource AS res FROM parsed")

    def sql(text: str) -> Callable[[], Any]:
        return lambda: con.sql(text).to_arrow_table()

    shape = json.loads(attr_shape.group(1))
    keys = len(shape)
    # The mapped keys these lines hold: a struct of only those is what a query planned for the file's
    # keys would build (the other keys' lines handed over), against the full struct above.
    held = {k for (k,) in con.sql("SELECT DISTINCT unnest(json_keys(a)) FROM attrs").fetchall()}
    narrow = json.dumps({k: v for k, v in shape.items() if k in held}, separators=(",", ":"))
    stages = [
        ("duckdb parse of the line (json_transform)", f"SELECT json_transform(line, '{line_shape.group(1)}') FROM lines"),
        (f"attribute struct ({keys} keys)", f"SELECT json_transform(a, '{attr_shape.group(1)}') FROM attrs"),
        (f"attribute struct, only the {narrow.count(':')} keys held", f"SELECT json_transform(a, '{narrow}') FROM attrs"),
        ("attribute + resource key lists (json_keys)", "SELECT json_keys(a), json_keys(res, '$.attributes') FROM attrs"),
        ("the whole mapping query", query),
    ]
    rows += [(name, best(sql(text), args.repeat)) for name, text in stages]
    file = str(args.file).replace("'", "''")
    whole = best(sql(f"SELECT * FROM read_json('{file}', format='newline_delimited', maximum_object_size=1000000000)"), 1)
    share = size / args.file.stat().st_size

    print(f"{lines.num_rows:,} lines, {size / 1e6:.0f} MB of {args.file.stat().st_size / 1e6:.0f} MB; CPU seconds, best of {args.repeat}")
    for name, seconds in rows:
        print(f"  {name:<45} {seconds:7.2f}")
    print(f"  {'duckdb read_json, same share of the file':<45} {whole * share:7.2f}   (whole file {whole:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
