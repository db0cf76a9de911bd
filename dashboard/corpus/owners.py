"""Corpus floor: whether the process that left a working folder behind (a cache staging folder, a temporary text
index; both named after their owner's pid) is gone, so that the folder can be removed."""

from __future__ import annotations

import os


def process_gone(pid: str) -> bool:
    """True when `pid` (ASCII digits) names no running process on this machine; anything else counts as alive."""
    if not pid.isascii() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists, under another user
    return False
