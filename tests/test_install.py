"""A non-editable install works: a wheel built from the repository, installed into a fresh virtualenv, serves the
embedded default data with its stylesheet and scripts from any folder (no file found "beside the package").

The virtualenv gets its dependencies from the interpreter running the suite, a virtualenv or not: a `.pth` file lists
that interpreter's site-packages folders. Its lines are plain folders, so the `.pth` files inside those folders (an
editable install's finder of this checkout among them) are not run there."""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
import setuptools
from serving import clean_env, fetch, fetch_page_and_assets, free_port, running, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
SEED_FIGURES = 190
NOT_IN_WHEEL = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", "build", "dist", ".venv", ".*cache", ".hypothesis", ".benchmarks", "tests"
)


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


def running_site_packages() -> list[str]:
    """The site-packages folders the interpreter running the suite imports its packages from."""
    paths = sysconfig.get_paths()
    folders = [paths["purelib"], paths["platlib"], *site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return [folder for folder in dict.fromkeys(folders) if Path(folder).is_dir()]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """A fresh virtualenv holding only a wheel of this repository (the other packages are the running suite's)."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    # Built from a copy, so the test leaves no build/ or egg-info in the working tree.
    shutil.copytree(ROOT, source, ignore=NOT_IN_WHEEL)
    pip = (sys.executable, "-m", "pip")
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", work / "dist", source, cwd=work)
    (wheel,) = (work / "dist").glob("pfocr_dashboard-*.whl")
    env = work / "venv"
    run(sys.executable, "-m", "venv", env, cwd=work)
    python = env / "bin" / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).strip())
    (purelib / "running_suite_site_packages.pth").write_text("".join(f"{f}\n" for f in running_site_packages()))
    run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--force-reinstall", wheel, cwd=work)
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
        "import json, sys, dashboard, dashboard.config as c, pyarrow; "
        "print(json.dumps([[dashboard.__file__, str(c.ASSETS), str(c.DEFAULT_DATA)], sys.path, list(sys.modules)]))"
    )
    paths, path, modules = json.loads(run(venv / "bin" / "python", "-c", code, cwd=tmp_path))
    for found in paths:
        assert Path(found).resolve().is_relative_to(venv.resolve()), found
    assert (Path(paths[1]) / "style.css").read_bytes() == stylesheet
    # Neither PYTHONPATH nor the editable install's finder (a .pth in the suite's site-packages) reached the virtualenv.
    assert ROOT.resolve() not in {Path(entry or tmp_path).resolve() for entry in path}
    assert not [name for name in modules if name.startswith("__editable__")]


def test_installed_serve_from_another_folder(venv, stylesheet, tmp_path):
    port = free_port()
    env = clean_env(PFOCR_CACHE_DIR=str(tmp_path / "cache"), HOME=str(tmp_path))
    log = tmp_path / "serve.log"
    command = [venv / "bin" / "pfocr-dashboard", "serve", "--port", str(port)]
    with running([str(part) for part in command], cwd=tmp_path, env=env, log=log) as server:
        health = wait_until_healthy(server, port, log=log)
        assert health["status"] == "ok" and health["figures"] == SEED_FIGURES
        bodies = fetch_page_and_assets(port)
        assert b"PFOCR dashboard" in bodies["/"]
        assets = {path.split("?")[0] for path in bodies if path.startswith("/assets/")}
        assert {"/assets/style.css", "/assets/clientside.js", "/assets/image-fallback.js"} <= assets
        _, _, style = fetch(f"http://127.0.0.1:{port}/assets/style.css")
        assert style == stylesheet
        assert b"the embedded demo corpus" in bodies["/_dash-layout"]
