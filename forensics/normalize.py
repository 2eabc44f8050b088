"""Ids and times, normalised the same way whatever format they came from.

* Ids: OTLP hex (any case, optional ``0x``), protojson base64 and decimal integers all become the
  same lowercase hex string, so a span exported by two backends joins with itself. Opaque ids
  (UUIDs, ``trace_…``, ``span_…``) are kept, lowercased only when they are UUIDs.
* Times: integers or floats in ns, µs, ms or s since the epoch (told apart by magnitude), numeric
  strings, and ISO-8601 strings with or without a zone (no zone means UTC) become int ns since the
  epoch, UTC.

Both raise :class:`ValueError` with a message saying what was found; loaders turn that into a
quarantine reason.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

IdWidth = Literal["trace", "span", "any"]

_HEX_WIDTH = {"trace": 32, "span": 16}
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_B64_RE = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")

#: Largest id we accept as a decimal integer: 128 bits (any-agent writes 128-bit trace ids in decimal).
_MAX_ID_INT = (1 << 128) - 1


def norm_id(value: Any, width: IdWidth = "any") -> str | None:
    """Normalise an id to its canonical text form; ``None``/empty means absent.

    ``width`` is the id's role: ``trace`` ids pad to 32 hex digits and ``span`` ids to 16 when they
    arrive as integers or base64, so the same id from two encodings compares equal.

    Raises :class:`ValueError` for values that cannot be an id (floats, booleans, nested objects).
    """
    if value.__class__ is str:
        # The common cases first: an id seen lately (a run's trace id is on every one of its spans,
        # a parent's id on each of its children), canonical OTLP hex, the SDK console's 0x-prefixed hex.
        # Only results that do not depend on ``width`` are remembered.
        seen = _RECENT_IDS.get(value)
        if seen is not None:
            return seen
        if len(value) in (16, 32) and _HEX_RE.fullmatch(value):
            return _remember(value, value.lower())
        if len(value) == 34 and value[:2] == "0x" and _HEX_RE.fullmatch(value, 2):
            return _remember(value, value[2:].lower())
        if len(value) == 18 and value[:2] == "0x" and _HEX_RE.fullmatch(value, 2):
            # 64 bits: a span id as is, a trace id padded to 128 (not remembered: depends on width).
            return _pad(value[2:].lower(), width)
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, float | dict | list):
        raise ValueError(f"an id must be a string or an integer, found {type(value).__name__} {value!r:.60}")
    if isinstance(value, int):
        return _int_to_hex(value, width)
    if not isinstance(value, str):
        raise ValueError(f"an id must be a string or an integer, found {type(value).__name__}")
    text = value.strip()
    if not text:
        return None
    if text[:2] in ("0x", "0X") and len(text) > 2 and _is_hex(text[2:]):
        return _pad(text[2:].lower(), width)
    want = _HEX_WIDTH.get(width)
    if _is_hex(text) and (want is None or len(text) == want or len(text) in (16, 32)):
        # All-digit hex of the OTLP widths stays hex: the spec's canonical form wins over decimal.
        return text.lower()
    if text.isdigit():
        return _int_to_hex(int(text), width)
    if _UUID_RE.match(text):
        return text.lower()
    if len(text) in (12, 24, 16, 32) or text.endswith("="):
        decoded = _b64_to_hex(text)
        if decoded is not None:
            return decoded
    return text


#: Hex ids normalised lately, raw text -> canonical; emptied when full (the ids of a run sit together).
_RECENT_IDS: dict[str, str] = {}
_RECENT_IDS_MAX = 16_384


def _remember(raw: str, canonical: str) -> str:
    if len(_RECENT_IDS) >= _RECENT_IDS_MAX:
        _RECENT_IDS.clear()
    _RECENT_IDS[raw] = canonical
    return canonical


def _is_hex(text: str) -> bool:
    return _HEX_RE.fullmatch(text) is not None


def _pad(hex_text: str, width: IdWidth) -> str:
    want = _HEX_WIDTH.get(width)
    return hex_text.rjust(want, "0") if want and len(hex_text) < want else hex_text


def _int_to_hex(number: int, width: IdWidth) -> str:
    if number < 0 or number > _MAX_ID_INT:
        raise ValueError(f"an integer id must be between 0 and 2**128-1, found {number}")
    return _pad(format(number, "x"), width)


def _b64_to_hex(text: str) -> str | None:
    """Decode protojson base64 ids (8 or 16 bytes); ``None`` if the text is not such an id."""
    if not _B64_RE.match(text):
        return None
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) not in (8, 16):
        return None
    return raw.hex()


# --- times -----------------------------------------------------------------------------------

#: Bounds of a plausible timestamp: 1970-01-01 .. 2200-01-01, in ns. Outside: a unit mix-up or junk.
_MIN_NS = 0
_MAX_NS = 7_258_118_400 * 1_000_000_000
_FRACTION_RE = re.compile(r"(\.\d+)")


def to_ns(value: Any) -> int | None:
    """Convert a timestamp to int ns since the epoch (UTC). ``None``/``""``/``0``-like means absent.

    Numbers are told apart by magnitude: < 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds,
    else nanoseconds. Raises :class:`ValueError` for anything else, or times outside 1970..2200.
    """
    if value.__class__ is str and _quick_iso_shape(value):
        # The common cases first: ISO with at most microseconds (fromisoformat reads it whole), and
        # with exactly microseconds and a zone offset (Phoenix's ``+00:00``): what the general path
        # below computes, without its regex and string surgery.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return _in_range((parsed - _EPOCH) // _MICROSECOND * 1_000, value)
    if value.__class__ is str and value.isdigit():
        ns = _number_to_ns(int(value))  # OTLP's ns as a decimal string: the general path's first case
    elif value is None:
        return None
    elif isinstance(value, bool):
        raise ValueError(f"a time must be a number or an ISO-8601 string, found boolean {value}")
    elif isinstance(value, int):
        ns = _number_to_ns(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a time must be finite, found {value}")
        ns = _number_to_ns(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.lstrip("-").replace(".", "", 1).isdigit():
            ns = _number_to_ns(float(text) if "." in text else int(text))
        else:
            ns = _iso_to_ns(text)
    else:
        raise ValueError(f"a time must be a number or an ISO-8601 string, found {type(value).__name__}")
    return _in_range(ns, value)


def _quick_iso_shape(value: str) -> bool:
    if len(value) < 19 or value[4] != "-" or value[10] not in "T ":
        return False
    return len(value) <= 27 or (len(value) <= 32 and value[26] in "+-Z" and value[19] == "."
                                and value[20:26].isdigit())


def _in_range(ns: int, value: Any) -> int | None:
    """``ns`` checked: 0 is "not set" (OTLP writes 0; the epoch itself as ISO text alike), and a
    time outside 1970..2200 is a unit mix-up."""
    if ns == 0:
        return None
    if not _MIN_NS <= ns <= _MAX_NS:
        raise ValueError(f"time {value!r:.40} is outside 1970..2200 (a unit mix-up?)")
    return ns


def _number_to_ns(number: float) -> int:
    magnitude = abs(number)
    if magnitude < 1e11:
        return int(round(number * 1_000_000_000))
    if magnitude < 1e14:
        return int(round(number * 1_000_000))
    if magnitude < 1e17:
        return int(round(number * 1_000))
    return int(number)


def _iso_to_ns(text: str) -> int:
    # fromisoformat keeps at most microseconds; keep the nanoseconds ourselves.
    extra_ns = 0
    match = _FRACTION_RE.search(text, 10) if len(text) > 19 else None
    if match and len(match.group(1)) > 7:
        digits = match.group(1)[1:]
        extra_ns = int(digits[6:9].ljust(3, "0"))
        text = text[: match.start()] + "." + digits[:6] + text[match.end():]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected an ISO-8601 time, found {text!r:.60}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    delta = parsed - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000 + extra_ns


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def duration_to_ns(value: Any) -> int | None:
    """Parse a duration: a number of ns, or an ISO-8601 duration such as ``PT1.5S``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"a duration must be a number or an ISO-8601 duration, found {value}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"a duration must be finite, found {value}")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        match = _ISO_DURATION_RE.match(text)
        if match and any(match.groups()):
            days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
            return int(round((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1e9))
    raise ValueError(f"expected a duration in ns or ISO-8601 (e.g. PT1.5S), found {value!r:.40}")


_ISO_DURATION_RE = re.compile(r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def as_text(value: Any) -> str | None:
    """Render a value as text for the ``input``/``output`` columns (JSON text when structured)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    import orjson

    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return str(value)


def as_int(value: Any) -> int | None:
    """Tokens and counts: int, numeric string or integral float; else ``None``-safe ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, found {value}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"expected a whole number, found {value}")
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(f"expected a whole number, found {value!r:.40}")


def as_float(value: Any) -> float | None:
    """Costs: numbers or numeric strings; NaN/Infinity are rejected."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found {value}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, found {value!r:.40}") from None
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, found {value!r:.40}")
    return number
