"""Corpus floor: the one reader of whole numbers that come from outside (files, URLs, forms, API bodies).

ASCII digits only: `str.isdigit()` is true for `²` or `٣`, and `int()` accepts `٣` and `1_000`; neither is a
number a user typed on purpose here.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")


def is_ascii_digits(text: object) -> bool:
    """True for a string of 1–18 ASCII digits (an NCBI Gene id, a count), nothing else."""
    return isinstance(text, str) and _ASCII_DIGITS.fullmatch(text) is not None


def to_int(value: object) -> int | None:
    """A whole number from a string of ASCII digits (spaces around allowed) or a real int/integral float; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e15 else None
    if isinstance(value, str):
        text = value.strip()
        return int(text) if is_ascii_digits(text) else None
    return None


def to_int_in(value: object, low: int, high: int) -> int | None:
    """`to_int`, and only when it lies within [low, high]."""
    number = to_int(value)
    return number if number is not None and low <= number <= high else None
