"""Files that appear whole or not at all: written under a hidden temporary name, fsynced, renamed
(or linked, to never replace), then the directory fsynced. Shared by the dataset and the nightly
job's Parquet outputs.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def fsync_dir(directory: Path) -> None:
    """Make a rename inside ``directory`` durable (the directory entry itself is fsynced)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(data: Mapping[str, Any], target: Path, *, exclusive: bool = False) -> bool:
    """Write ``data`` to a hidden temp file, fsync, then rename (or link, when ``exclusive``, so an
    existing file is never replaced). Returns False when ``exclusive`` and the target existed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(json.dumps(data, indent=2, sort_keys=True).encode())
        fh.flush()
        os.fsync(fh.fileno())
    try:
        if exclusive:
            try:
                os.link(tmp, target)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)
    return True


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write to a temp name beside ``path``, fsync, rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
