"""A migration run against production with its backup turned off, that no person asked to skip.

A schema migration is undone by restoring the snapshot taken before it: migration runners take one
by default and offer a switch to skip it (a ``--skip-backup`` flag, a ``skip_backup`` argument of a
tool wrapping the runner). With the backup off, a migration that drops a column or a table cannot
be rolled back: the change is irreversible (TAXONOMY unguarded_action: "drop"). A person asking
for the migration asked for the change, not for dropping its safety net; only a review before the
call, or a person's turn naming the skipped backup, guards it (shell_commands.unasked with the
keyword BACKUP_OFF_ASKED). The shell form (``bin/db-migrate --env production --skip-backup``) is
read by shell_commands.destructive_reason; this module reads a tool named for migrating whose JSON
arguments turn the backup off (``{"database": "orders-prod", "skip_backup": true}``, a flags list
holding ``"--skip-backup"``) and name a production target.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

#: A tool named for migrating a schema (run_migration, migrate_db, apply_migrations).
MIGRATION_TOOL: Final = r"(?i)migrat"
#: shell_commands' _PROD without its look-ahead (the regex engine has none).
PRODUCTION: Final = r"(?i)production|prod(?:[^a-z]|$)"


def backup_skipped_migrations(ctx: Context) -> pl.LazyFrame | None:
    """``run_id, span_id, reason, forbidden`` of the migration tool calls whose arguments turn the
    backup off and name production (shell_commands ``_PROD``), that no person asked to skip it;
    None when there are none."""
    from forensics.detectors.shell_commands import BACKUP_OFF, BACKUP_OFF_ASKED, BACKUP_OFF_REASON, unasked

    calls = (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "tool") & pl.col("call").str.contains(MIGRATION_TOOL).fill_null(False))
        .select("run_id", "span_id", "seq", "args", "call")
        .collect()
        .filter(pl.col("args").str.contains(BACKUP_OFF.pattern).fill_null(False))
        # Not a shell tool's command line: destructive_reason reads those.
        .filter(~pl.col("args").str.contains(r'"(?:command|cmd)"').fill_null(False))
        # Production named as a word of its own (orders-prod, --env production; not product_id).
        .filter(pl.col("args").str.contains(PRODUCTION).fill_null(False))
    )
    if calls.height == 0:
        return None
    hits = [(r, sid, seq, (BACKUP_OFF_REASON, BACKUP_OFF_ASKED)) for r, sid, seq in calls.select("run_id", "span_id", "seq").iter_rows()]
    return unasked(ctx, hits)
