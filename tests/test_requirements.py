"""The pinned requirements.txt (what a buildpack installs) is in step with pyproject.toml and installs the project."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = (
    "regenerate it: uv lock && uv export --frozen --no-dev --no-editable --no-hashes --output-file requirements.txt"
    " && rm uv.lock"
)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)\s*(?:;\s*(.+))?$")


def requirement_lines() -> list[str]:
    return [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip()]


def pins() -> dict[str, list[tuple[str, Marker | None]]]:
    """Package name → its pinned versions, each with the environment marker it applies under."""
    found: dict[str, list[tuple[str, Marker | None]]] = {}
    for line in requirement_lines():
        match = PIN.match(line)
        if match:
            name, version, marker = match.groups()
            found.setdefault(canonicalize_name(name), []).append((version, Marker(marker) if marker else None))
    return found


def test_requirements_install_the_project_itself():
    assert "." in requirement_lines(), "requirements.txt must install the project itself (a line '.')"


def test_every_line_is_a_pin_the_project_or_a_comment():
    for line in requirement_lines():
        assert line == "." or line.startswith("#") or PIN.match(line), f"unpinned line {line!r}; {REGENERATE}"


def test_every_dependency_is_pinned_within_its_bounds():
    pinned = pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        versions = pinned.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not pinned in requirements.txt; {REGENERATE}"
        for version, _marker in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{requirement.name}=={version} is outside {requirement.specifier}; {REGENERATE}"
            )


def test_each_package_is_pinned_once_per_environment():
    for name, versions in pins().items():
        if len(versions) > 1:
            assert all(marker is not None for _, marker in versions), f"{name} pinned twice without markers"
            here = [version for version, marker in versions if marker.evaluate()]
            assert len(here) == 1, f"{name}: {len(here)} pins apply to this Python"
