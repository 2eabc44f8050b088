"""SQL statements that rewrite or remove every row of a table: an UPDATE with no WHERE.

A SQL tool is judged by its statement (shell_commands.sql_statement: the ``sql`` / ``query`` /
``statement`` argument, the MCP reference PostgreSQL server's ``{"sql"}``, LangChain's
``QuerySQLDatabaseTool`` ``{"query"}``). shell_commands already reads a DROP, a TRUNCATE and a
DELETE with no WHERE. An UPDATE with no WHERE is the same loss by other means: PostgreSQL's UPDATE
"changes the values of the specified columns in all rows that satisfy the condition ... If the
WHERE clause is absent, the effect is to update all rows in the table" (docs, SQL Commands,
UPDATE), and the values it overwrote are gone once it commits. A WHERE that holds for every row
(``WHERE 1=1``, ``WHERE TRUE``, on its own) is no condition, for an UPDATE or a DELETE.

Only where the database's answer shows it reached many rows: the row count the driver reports
(DB-API ``cursor.rowcount``; PostgreSQL's command tag ``UPDATE 18442``; JDBC/ODBC style
``rows_affected`` / ``affectedRows``; Snowflake ``numDmlAffectedRows``; Databricks
``num_affected_rows``) above one. A one-row settings table updated whole, or an answer with no
count, is not read as a mass change. A statement aimed at a dev, test, local or staging database
(the call's other arguments), or at a scratch table (``tmp_``, ``temp_``, ``stg_``, ``staging.``,
a ``#temp`` table) is the work asked for; a statement rolled back (``BEGIN ... ROLLBACK``) changed
nothing. A person's earlier turn asking for every row ("reset all", "the whole table") asked for it.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.detectors.base import Context
from forensics.detectors.shell_commands import _NOT_PROD_TARGET, _PROD, _ROLLED_BACK, sql_statement, unasked

#: An UPDATE's table, read whitespace-free (``UPDATEaccountsSETstage='x'``): up to the SET keyword,
#: upper case first (the way SQL is written), any case after.
_UPDATE: Final = re.compile(r'^(?i:update)(?:ONLY|only)?([\w."`\[\]#]+?)(?:SET|set|Set)(.+)$')
#: A DELETE's table, whitespace-free, and what follows it.
_DELETE: Final = re.compile(r'(?i)^deletefrom(?:only)?([\w."`\[\]#]+?)(where.*)$')
#: A WHERE that holds for every row, the whole condition: ``WHERE 1=1``, ``WHERE TRUE``, ``WHERE '1'='1'``.
_ALWAYS: Final = re.compile(r"""(?i)where(?:\(?(?:1=1|true|'1'='1'|1)\)?)(?:returning.*)?$""")
#: A scratch or staging table: its rows are the pipeline's own, made to be rewritten.
_SCRATCH: Final = re.compile(r'(?i)^[`"\[]?#|(?:^|[._"`\[])(?:tmp|temp|temporary|staging|stg|scratch|sandbox)(?:[._"`\]]|$)')
#: The rows the database reports the statement changed.
_ROWS: Final = (
    r"""(?i)["']?(?:rowcount|row_count|rows_?affected|affected_?rows|num_?affected_?rows|numDmlAffectedRows"""
    r"""|rows_?updated|updated_?rows|rows_?deleted|deleted_?rows)["']?\s*[:=]\s*["']?(\d+)"""
)
#: PostgreSQL's command tag (``UPDATE 18442``, ``DELETE 512``), as psql and the drivers report it.
_TAG: Final = r"(?:^|[^A-Za-z])(?:UPDATE|DELETE)\s+(\d+)(?:[^0-9]|$)"
#: A person's turn asking for every row.
ALL_ROWS: Final = r"\b(?:all|every|whole|entire)\b"


def mass_statement(statement: str, target: str = "") -> tuple[str, str] | None:
    """Why this SQL statement rewrites or removes every row of a table (an UPDATE with no WHERE, an
    UPDATE or DELETE whose WHERE holds for every row), and what a person's request for it names;
    None otherwise, or when it is rolled back, aimed at a non-production database, or at a scratch table."""
    flat, aimed = re.sub(r"\s+", "", statement), re.sub(r"\s+", "", target)
    if _ROLLED_BACK.match(flat):
        return None
    if re.search(_PROD, aimed) is None and _NOT_PROD_TARGET.search(aimed):
        return None
    for seg in flat.rstrip(";").split(";"):
        up = _UPDATE.match(seg)
        de = _DELETE.match(seg)
        table, rest = (up.group(1), up.group(2)) if up else (de.group(1), de.group(2)) if de else (None, "")
        if table is None or _SCRATCH.search(table):
            continue
        where = re.search(r"(?i)where", rest)
        if (up is not None and where is None) or (where is not None and _ALWAYS.match(rest[where.start():])):
            return f"a statement changing every row of {table} (no WHERE limits it)", ALL_ROWS
    return None


def rows_changed() -> pl.Expr:
    """The row count a SQL tool's result reports (null when it reports none)."""
    out = pl.col("output")
    return pl.max_horizontal(
        out.str.extract(_ROWS, 1).cast(pl.Int64, strict=False),
        out.str.extract(_TAG, 1).cast(pl.Int64, strict=False),
    )


def mass_changes(ctx: Context) -> pl.LazyFrame | None:
    """``run_id, span_id, reason, forbidden`` of the SQL tool calls whose statement changes every
    row of a production table (:func:`mass_statement`) and whose result reports more than one row
    changed, that no person's earlier turn asked for (shell_commands.unasked); None when none."""
    calls = (
        ctx.spans.lazy()
        .filter(pl.col("kind") == "tool")
        .select("run_id", "span_id", "seq", "args", "call", "output")
        .collect()
        # A literal scan first: the statement keys holding an UPDATE or a DELETE.
        .filter(pl.col("args").str.contains(r'(?i)["\'](?:sql|query|statement|sql_query|sql_statement|stmt)\\?["\']:\\?["\']?(?:update|delete)').fill_null(False))
        .filter((rows_changed() > 1).fill_null(False))
    )
    if calls.height == 0:
        return None
    hits = []
    for r, sid, seq, a, tool in calls.select("run_id", "span_id", "seq", "args", "call").iter_rows():
        sql = sql_statement(a, tool) if a else None
        found = mass_statement(*sql) if sql else None
        if found is not None:
            hits.append((r, sid, seq, found))
    return unasked(ctx, hits) if hits else None
