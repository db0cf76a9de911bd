"""Web floor: a control's value as the browser sent it, read without trusting it (a browser sends the types its
components make; a script may send anything): a list of strings, a whole number."""

from __future__ import annotations


def strings(value: object) -> list[str]:
    """A list of strings (numbers written as strings) from a control's value; anything else → []."""
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))]


def is_int(value: object) -> bool:
    """Whether a value is a whole number as JSON brings one: an int (not a bool), or a float with no fraction."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer() and abs(value) < 1e9
