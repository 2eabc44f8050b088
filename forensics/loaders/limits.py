"""The limits every read keeps (line, record, string and nesting sizes; ``$FORENSICS_LIMITS``)
and opening a file within them (gzip inflated by magic bytes, never past ``max_decompressed_bytes``)."""

from __future__ import annotations

import gzip
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import IO, Any

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile or broken input from exhausting memory or time.

    Every limit is overridable (``forensics.load(..., limits=Limits(max_line_bytes=...))``); a
    record over a limit is quarantined with a reason naming the limit, and the file goes on.
    """

    #: Longest JSON-lines record read into memory.
    max_line_bytes: int = 256 * MiB
    #: Largest single JSON document (not JSON-lines) parsed whole.
    max_document_bytes: int = 1024 * MiB
    #: Most bytes a gzip file may inflate to (a gzip bomb stops here).
    max_decompressed_bytes: int = 16 * 1024 * MiB
    #: Most a gzip file may inflate relative to its compressed size (JSON logs inflate 5-30x; a
    #: bomb 1000x), checked once 64 MiB have come out.
    max_inflation_ratio: int = 200
    #: Most characters of a quarantined record's raw text kept in the quarantine table.
    max_raw_chars: int = 64 * 1024
    #: Most attributes one record may carry.
    max_attributes: int = 100_000
    #: Rows per Arrow record batch.
    batch_rows: int = 65_536

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults with ``$FORENSICS_LIMITS`` applied: ``name=value`` pairs separated by commas,
        sizes with an optional K/M/G suffix (powers of 1024), e.g. ``max_line_bytes=1G,max_attributes=500000``.
        The one way to change a limit from the command line."""
        text = (os.environ if environ is None else environ).get("FORENSICS_LIMITS", "").strip()
        if not text:
            return cls()
        known = {f.name for f in fields(cls)}
        values: dict[str, int] = {}
        for item in text.split(","):
            name, sep, raw = (part.strip() for part in item.partition("="))
            number = _size(raw) if sep else None
            if name not in known or number is None or number < 1:
                from ..errors import InputError

                raise InputError(f"FORENSICS_LIMITS: expected name=number with name one of {', '.join(sorted(known))}, "
                                 f"found {item.strip()!r}",
                                 hint="e.g. FORENSICS_LIMITS=max_line_bytes=1G,max_attributes=500000; docs/LIMITS.md")
            values[name] = number
        return cls(**values)


def _size(text: str) -> int | None:
    match = re.fullmatch(r"(\d+)\s*([KMG]?)(?:i?B)?", text.strip(), re.IGNORECASE)
    if match is None:
        return None
    return int(match.group(1)) * 1024 ** " KMG".index(match.group(2).upper() or " ")


DEFAULT_LIMITS = Limits.from_env()

#: Bytes of a file that sniffing looks at.
SNIFF_BYTES = 64 * 1024


class LimitExceeded(Exception):
    """Raised by the bounded readers; carries the quarantine reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def open_binary(path: str, limits: Limits = DEFAULT_LIMITS) -> IO[bytes]:
    """Open a file for reading bytes, inflating ``.gz`` (by magic bytes, not name) within limits."""
    raw = open(path, "rb")
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        compressed = os.fstat(raw.fileno()).st_size
        limit = limits.max_decompressed_bytes
        if compressed * limits.max_inflation_ratio < limit:
            limit = max(64 * MiB, compressed * limits.max_inflation_ratio)
        bounded = _BoundedReader(gzip.GzipFile(fileobj=raw, mode="rb"), limit, raw)
        return io.BufferedReader(bounded, buffer_size=MiB)
    return raw


class _BoundedReader(io.RawIOBase):
    """A reader that stops with :class:`LimitExceeded` past ``limit`` bytes (gzip bombs)."""

    def __init__(self, inner: gzip.GzipFile, limit: int, owner: IO[bytes]) -> None:
        self._inner = inner
        self._limit = limit
        self._owner = owner
        self._count = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._count = self._inner.seek(offset, whence)
        return self._count

    def tell(self) -> int:
        return self._inner.tell()

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        self._count += len(data)
        if self._count > self._limit:
            raise LimitExceeded(
                "decompressed-too-large",
                f"the gzip stream inflates past {self._limit:,} bytes (the smaller of max_decompressed_bytes and "
                "max_inflation_ratio x the compressed size: a gzip bomb?); the records before that point are kept. "
                "Hint: raise Limits.max_decompressed_bytes / max_inflation_ratio if the file is genuine",
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        self._owner.close()
        super().close()
