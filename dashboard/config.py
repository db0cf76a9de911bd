"""Settings from the environment and command-line flags (read by every floor's entry points, imports no floor)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = PROJECT_ROOT / "seeds"


def _env_paths() -> list[str]:
    raw = os.environ.get("PFOCR_DATA", "")
    return [p for p in raw.split(os.pathsep) if p.strip()]


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Where the data is, where the cache goes, and how to serve."""

    data: tuple[str, ...] = field(default_factory=lambda: tuple(_env_paths() or [str(DEFAULT_DATA)]))
    cache_dir: str | None = field(default_factory=lambda: os.environ.get("PFOCR_CACHE_DIR") or None)
    use_cache: bool = field(default_factory=lambda: not _env_flag("PFOCR_NO_CACHE"))
    host: str = field(default_factory=lambda: os.environ.get("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("PORT", "8050")))
    debug: bool = field(default_factory=lambda: _env_flag("DASH_DEBUG"))
