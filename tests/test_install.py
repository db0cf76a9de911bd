"""A non-editable install works: a wheel built from the repository, installed into a fresh virtualenv, serves the
embedded default data with its stylesheet and scripts from any folder (no file found "beside the package")."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import setuptools
from serving import fetch, free_port, running, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
SEED_FIGURES = 190
NOT_IN_WHEEL = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", "build", "dist", ".venv", ".*cache", ".hypothesis", ".benchmarks", "tests"
)


def clean_env() -> dict[str, str]:
    """The environment without anything that points Python or the app at the checkout."""
    return {k: v for k, v in os.environ.items() if k not in {"PFOCR_DATA", "PYTHONPATH"}}


def run(*command: str | Path, cwd: Path) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """A fresh virtualenv holding only a wheel of this repository (the other packages come from the system's)."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    # Built from a copy, so the test leaves no build/ or egg-info in the working tree.
    shutil.copytree(ROOT, source, ignore=NOT_IN_WHEEL)
    pip = (sys.executable, "-m", "pip")
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", work / "dist", source, cwd=work)
    (wheel,) = (work / "dist").glob("pfocr_dashboard-*.whl")
    env = work / "venv"
    run(sys.executable, "-m", "venv", "--system-site-packages", env, cwd=work)
    run(env / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index", "--force-reinstall", wheel, cwd=work)
    return env, source


@pytest.fixture(scope="module")
def venv(built) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def stylesheet(built) -> bytes:
    """The stylesheet the wheel was built with."""
    return (built[1] / "assets" / "style.css").read_bytes()


def test_every_code_package_is_in_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set(setuptools.find_packages(where=str(ROOT), include=["dashboard*"]))
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages in pyproject.toml"


def test_installed_package_is_the_wheel_not_the_checkout(venv, stylesheet, tmp_path):
    code = (
        "import json, dashboard, dashboard.config as c; "
        "print(json.dumps([dashboard.__file__, str(c.ASSETS), str(c.DEFAULT_DATA)]))"
    )
    paths = json.loads(run(venv / "bin" / "python", "-c", code, cwd=tmp_path))
    for path in paths:
        assert Path(path).resolve().is_relative_to(venv.resolve()), path
    assert (Path(paths[1]) / "style.css").read_bytes() == stylesheet


def test_installed_serve_from_another_folder(venv, stylesheet, tmp_path):
    port = free_port()
    env = clean_env() | {"PFOCR_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    log = tmp_path / "serve.log"
    command = [venv / "bin" / "pfocr-dashboard", "serve", "--port", str(port)]
    with running([str(part) for part in command], cwd=tmp_path, env=env, log=log) as server:
        health = wait_until_healthy(server, port, log=log)
        assert health["status"] == "ok" and health["figures"] == SEED_FIGURES
        status, _, page = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"PFOCR dashboard" in page
        referenced = re.findall(r'(?:href|src)="(/[^"]+)"', page.decode())
        assets = {url.split("?")[0] for url in referenced if url.startswith("/assets/")}
        assert {"/assets/style.css", "/assets/clientside.js", "/assets/image-fallback.js"} <= assets
        for url in referenced:
            status, _, body = fetch(f"http://127.0.0.1:{port}{url}")
            assert status == 200 and body, url
        _, _, style = fetch(f"http://127.0.0.1:{port}/assets/style.css")
        assert style == stylesheet
        _, _, layout = fetch(f"http://127.0.0.1:{port}/_dash-layout")
        assert b"the embedded demo corpus" in layout
