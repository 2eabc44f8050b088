"""Property check shared by the loader tests: a file cut short or with bytes flipped must still
load without a crash, account for every record, and give every quarantined record a reason."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forensics


def check_damaged_file(original: Path, fmt: str, tmp_dir: Path) -> None:
    """Run the property over ``original`` read as ``fmt``; raises on the first failing example."""
    data = original.read_bytes()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(cut=st.integers(min_value=1, max_value=len(data)),
           flips=st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), max_size=3))
    def damaged(cut: int, flips: list[tuple[int, int]]) -> None:
        raw = bytearray(data[:cut])
        for pos, byte in flips:
            if pos < len(raw):
                raw[pos] = byte
        path = tmp_dir / ("damaged" + original.suffix)
        path.write_bytes(bytes(raw))
        result = forensics.load(path, format=fmt)  # an InternalError here is a loader bug
        account = result.report.files[0]
        assert account.records_read == account.rows + account.quarantined + account.merged
        assert result.spans.num_rows == account.rows
        assert result.quarantine.num_rows == account.quarantined
        if result.quarantine.num_rows:
            assert pc.min(pc.utf8_length(result.quarantine.column("reason"))).as_py() > 0

    damaged()
