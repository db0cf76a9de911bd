"""Settings from the environment and command-line flags (read by every floor's entry points, imports no floor).

The stylesheet and scripts (`assets/`) and the embedded default data (`seeds/`) live at the top of the repository
and travel in the wheel as the data packages `dashboard.assets` and `dashboard.seeds`: they are found through the
installed package, so a wheel, `pip install .` and an editable checkout all serve the same files — and a checkout
run without installing it (a buildpack's Procfile, `PYTHONPATH=.`) finds them beside its `dashboard/`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path


def package_folder(package: str, top_folder: str) -> Path:
    """The folder on disk of one of dashboard's data packages, wherever it is installed — or, when the code runs
    from a checkout that is not installed, the checkout's own top-level folder."""
    # Each folder holds an __init__.py: as a regular package it is found in an editable checkout too (setuptools'
    # editable finder does not map a namespace folder nested in a package), and files() is a plain path.
    try:
        return Path(str(resources.files(package)))
    except ModuleNotFoundError:
        # A PaaS buildpack installs the requirements, not the package, and runs the Procfile in the clone: there
        # `dashboard/` is the checkout's, which holds no `assets/` or `seeds/` (they sit beside it).
        checkout = Path(__file__).resolve().parent.parent / top_folder
        if (checkout / "__init__.py").is_file():
            return checkout
        raise


ASSETS = package_folder("dashboard.assets", "assets")
DEFAULT_DATA = package_folder("dashboard.seeds", "seeds")


def split_data_paths(raw: str) -> list[str]:
    """`PFOCR_DATA`'s paths (separated by `:`), blanks dropped; a URL (`https://…`, served alone) is one path."""
    if re.match(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://", raw):
        return [raw.strip()]
    return [path for path in raw.split(os.pathsep) if path.strip()]


def _env_paths() -> list[str]:
    return split_data_paths(os.environ.get("PFOCR_DATA", ""))


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
