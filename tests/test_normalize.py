"""Ids and times: every encoding of the same value normalises to the same text / ns."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forensics.normalize import as_float, as_int, duration_to_ns, norm_id, to_ns


class TestIds:
    def test_uppercase_hex_from_the_otlp_proto_example_is_lowercased(self) -> None:
        assert norm_id("5B8EFFF798038103D269B633813FC60C", "trace") == "5b8efff798038103d269b633813fc60c"

    def test_protojson_base64_ids_become_hex(self) -> None:
        # otlp2parquet's testdata writes ids as base64; the first line's ids, decoded by hand.
        assert norm_id("aYQql5kRA2zz6CIIbsqgBw==", "trace") == "69842a979911036cf3e822086ecaa007"
        assert norm_id("Wmn8F4uo+Dc=", "span") == "5a69fc178ba8f837"

    def test_decimal_integer_ids_become_padded_hex(self) -> None:
        assert norm_id(255, "span") == "00000000000000ff"
        assert norm_id("255", "trace") == "000000000000000000000000000000ff"
        big = 0x1234567890ABCDEF1234567890ABCDEF
        assert norm_id(big, "trace") == "1234567890abcdef1234567890abcdef"

    def test_0x_prefix_is_dropped(self) -> None:
        assert norm_id("0xEEE19B7EC3C1B174", "span") == "eee19b7ec3c1b174"

    def test_sixteen_digit_all_numeric_hex_stays_hex(self) -> None:
        # OTLP's canonical form wins: a 16-char id of digits is hex, not a decimal number.
        assert norm_id("1234567890123456", "span") == "1234567890123456"

    def test_uuids_and_opaque_ids_are_kept(self) -> None:
        assert norm_id("1F6F4B1C-8E46-4D2B-9A8A-0A4B7F6C2D11") == "1f6f4b1c-8e46-4d2b-9a8a-0a4b7f6c2d11"
        assert norm_id("trace_0123456789abcdef0123456789abcdef") == "trace_0123456789abcdef0123456789abcdef"

    def test_absent_ids(self) -> None:
        assert norm_id(None) is None
        assert norm_id("") is None
        assert norm_id("   ") is None

    @pytest.mark.parametrize("bad", [1.5, True, {"a": 1}, [1], -1, 1 << 130])
    def test_values_that_cannot_be_ids_raise(self, bad: object) -> None:
        with pytest.raises(ValueError):
            norm_id(bad)

    @given(st.binary(min_size=16, max_size=16))
    def test_any_trace_id_is_the_same_in_hex_base64_and_decimal(self, raw: bytes) -> None:
        hex_form = norm_id(raw.hex().upper(), "trace")
        assert hex_form == raw.hex()
        assert norm_id(base64.b64encode(raw).decode(), "trace") == hex_form
        assert norm_id(int.from_bytes(raw, "big"), "trace") == hex_form


class TestTimes:
    NS = 1_544_712_660_000_000_000  # the OTLP proto example's startTimeUnixNano

    @pytest.mark.parametrize(
        "value",
        [
            "1544712660000000000",
            1544712660000000000,
            1544712660000000,  # µs
            1544712660000,  # ms
            1544712660,  # s
            1544712660.0,
            "2018-12-13T14:51:00Z",
            "2018-12-13T14:51:00+00:00",
            "2018-12-13T16:51:00+02:00",
            "2018-12-13T14:51:00",  # no zone means UTC
            "2018-12-13 14:51:00",
        ],
    )
    def test_every_encoding_of_one_instant_is_the_same_ns(self, value: object) -> None:
        assert to_ns(value) == self.NS

    def test_nanosecond_iso_fractions_are_kept(self) -> None:
        assert to_ns("2018-12-13T14:51:00.123456789Z") == self.NS + 123_456_789
        assert to_ns("2018-12-13T14:51:00.1Z") == self.NS + 100_000_000

    def test_zero_and_empty_mean_not_set(self) -> None:
        assert to_ns("0") is None
        assert to_ns(0) is None
        assert to_ns("") is None
        assert to_ns(None) is None

    @pytest.mark.parametrize("bad", ["yesterday", float("nan"), float("inf"), True, "9999-01-01T00:00:00Z", [1]])
    def test_junk_and_out_of_range_times_raise(self, bad: object) -> None:
        with pytest.raises(ValueError):
            to_ns(bad)

    def test_durations(self) -> None:
        assert duration_to_ns("PT1.5S") == 1_500_000_000
        assert duration_to_ns("PT2M") == 120_000_000_000
        assert duration_to_ns(42) == 42
        with pytest.raises(ValueError):
            duration_to_ns("1.5 seconds")


def test_numbers() -> None:
    assert as_int("12") == 12
    assert as_float("0.25") == 0.25
    with pytest.raises(ValueError):
        as_float("NaN")
    with pytest.raises(ValueError):
        as_int("twelve")


def test_a_0x_prefixed_64_bit_id_pads_like_any_other_spelling() -> None:
    """0x + 16 hex digits is a span id as written and a trace id padded to 128 bits, whatever the
    prefix's case and whichever role was asked first (the fast path once cached it unpadded)."""
    for text in ("0x0123456789ABCDEF", "0X0123456789abcdef"):
        assert norm_id(text, "span") == "0123456789abcdef"
        assert norm_id(text, "trace") == "00000000000000000123456789abcdef"
        assert norm_id(text, "span") == "0123456789abcdef"


def test_the_epoch_means_not_set_in_every_spelling() -> None:
    """OTLP writes 0 for a time that is not set; the same instant as ISO text means the same, on
    every parsing path (one fast path raised "outside 1970..2200" for it instead)."""
    for value in (0, "0", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00", "1970-01-01T00:00:00.000000+00:00",
                  "1970-01-01T00:00:00.000000000Z"):
        assert to_ns(value) is None, value
    with pytest.raises(ValueError, match="outside 1970..2200"):
        to_ns("1969-12-31T23:59:59Z")
