"""Boundary strings and numbers for the string and number keywords of a merged node."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final

from evreg.contracts.compat.witness.constraints import Flat
from evreg.contracts.compat.witness.regex_strings import MAX_LEN, regex_strings, search

__all__ = ["FORMATS", "beyond", "numbers", "strings", "tidy"]

_WORDS: Final = ("a", "", "x", "A", "0", "ab", "abc", "hello", " ", "a b", "-", "Z9", "é")
_NUMBERS: Final[tuple[int | float, ...]] = (
    *(0, 1, -1, 2, 0.5, 1.5, -0.5, 3, 5, 7, 10, 11, 13, 100, 101, 1000, 0.25, 0.1, 1.1, 3.14),
    *(1e6, -1e6, 2**31, 2**53),
)
FORMATS: Final[dict[str, tuple[str, ...]]] = {
    "date-time": ("2024-01-01T00:00:00Z", "2024-12-31T23:59:59.999+01:00"),
    "date": ("2024-01-01", "2024-12-31"),
    "time": ("00:00:00Z", "23:59:59+01:00"),
    "duration": ("P1D", "PT1H"),
    "email": ("a@example.com", "first.last@example.org"),
    "idn-email": ("a@example.com",),
    "hostname": ("example.com", "a"),
    "idn-hostname": ("example.com",),
    "ipv4": ("192.0.2.1", "0.0.0.0"),
    "ipv6": ("2001:db8::1", "::1"),
    "uri": ("https://example.com/", "urn:x:y"),
    "uri-reference": ("https://example.com/", "/a"),
    "iri": ("https://example.com/",),
    "iri-reference": ("/a",),
    "uri-template": ("https://example.com/{id}",),
    "uuid": ("00000000-0000-4000-8000-000000000000", "123e4567-e89b-42d3-a456-426614174000"),
    "json-pointer": ("/a", ""),
    "relative-json-pointer": ("0", "1/a"),
    "regex": (".*", "^a$"),
}


def beyond(low: int, high: int | None) -> list[int]:
    """The sizes one step outside ``[low, high]``."""
    return ([low - 1] if low > 0 else []) + ([high + 1] if high is not None else [])


def strings(flat: Flat) -> tuple[str, ...]:
    """Strings valid under the string keywords of ``flat``, the likeliest first."""
    return _strings(flat.min_len, flat.max_len, flat.patterns, flat.formats)


def numbers(flat: Flat, integer: bool) -> tuple[int | float, ...]:
    """Numbers (integers) valid under the number keywords of ``flat``, the smallest first."""
    typed = tuple((x, type(x).__name__) for x in (flat.lo, flat.hi, *flat.mults))  # 1 vs 1.0
    return _numbers(typed, flat.lo_ex, flat.hi_ex, integer)


@lru_cache(maxsize=1024)
def _strings(
    lo: int, hi: int | None, patterns: tuple[str, ...], formats: tuple[str, ...]
) -> tuple[str, ...]:
    pool: list[str] = []
    for fmt in formats:
        pool += FORMATS.get(fmt, ())
    if patterns:
        for s in regex_strings(patterns[0]):
            pad = "a" * max(0, lo - len(s))
            pool += [s, s + pad, pad + s]
        # for what the generator cannot follow (lookaheads, several patterns): mixed strings
        pool += [*_WORDS, *(("Aa1-" * n)[:n] for n in (*range(1, 17), 24, 32, 64, lo, lo + 1))]
    else:
        short = max(lo, 1) if hi is None or hi >= max(lo, 1) else lo
        pool += ["a" * short, "", "a" * lo, "a" * (lo + 1)]
        if hi is not None and hi <= MAX_LEN:
            pool += ["a" * hi, "a" * max(hi - 1, 0)]
        pool += _WORDS
    top = MAX_LEN if hi is None else hi
    return tuple(
        s
        for s in dict.fromkeys(pool)
        if lo <= len(s) <= top and all(search(p, s) for p in patterns)
    )


@lru_cache(maxsize=1024)
def _numbers(
    typed: tuple[tuple[Any, str], ...], lo_ex: bool, hi_ex: bool, integer: bool
) -> tuple[int | float, ...]:
    lo, hi = typed[0][0], typed[1][0]
    mults = [m for m, _ in typed[2:]]
    edges: list[float] = []
    if lo is not None:
        edges += [lo, lo + 1, lo + 0.5, lo + 0.001, lo + 2]
    if hi is not None:
        edges += [hi, hi - 1, hi - 0.5, hi - 0.001, hi - 2]
    for m in mults:
        ks = [1, 2, 3, 4, 5, 6, 7, 10, 12, -1, 0]
        if lo is not None and abs(lo / m) < 2**53:
            ks += [math.ceil(lo / m) + j for j in range(3)]
        if hi is not None and abs(hi / m) < 2**53:
            ks += [math.floor(hi / m) - j for j in range(3)]
        edges += [_mul(k, m) for k in ks]
    valid: list[int | float] = []
    for raw in (*edges, *_NUMBERS):
        value = tidy(raw)
        if integer and not isinstance(value, int):
            continue
        if lo is not None and (value < lo or (lo_ex and value == lo)):
            continue
        if hi is not None and (value > hi or (hi_ex and value == hi)):
            continue
        if all(_multiple(value, m) for m in mults):
            valid.append(value)
    valid = list(dict.fromkeys(valid))
    if not valid:
        return ()
    first = min(valid, key=lambda v: (abs(v), v < 0))
    fraction = next((v for v in valid if isinstance(v, float)), first)
    # a whole number written as a float (1.0): draft-04 does not count it as an integer
    whole = [] if integer or not isinstance(first, int) else [float(first)]
    rest = (v for v in valid if v is not first and v is not fraction)
    return (first, fraction, *rest, *whole)


def _mul(k: int, m: float) -> int | float:
    if isinstance(m, int):
        return k * m
    try:
        return float(Decimal(k) * Decimal(repr(m)))
    except InvalidOperation:  # pragma: no cover - repr of a float is always a decimal
        return k * m


def tidy(value: float) -> int | float:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def _multiple(value: float, m: float) -> bool:
    if isinstance(m, float) or isinstance(value, float):
        quotient = value / m
        return math.isfinite(quotient) and quotient == int(quotient)
    return value % m == 0
