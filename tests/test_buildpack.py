"""The buildpack path, exactly as a Heroku-style Python buildpack runs the app: `git clone` the repository,
`pip install -r requirements.txt` into a fresh virtualenv, then the Procfile's `web:` command from the clone's folder
with `PORT` set. There the clone's `dashboard/` shadows the package pip installed (gunicorn puts its working folder
first on the path), and in a checkout `assets/` and `seeds/` are not inside `dashboard/`.

The clone is of the committed HEAD: what is not committed is not deployed, and not tested here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from serving import clean_env, fetch_page_and_assets, free_port, running, stop_within, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
SEED_FIGURES = 190


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}{result.stderr}"
    return result.stdout


def venv_env(venv: Path, **extra: str) -> dict[str, str]:
    """The environment of a dyno: the virtualenv's bin first on PATH, nothing pointing at this checkout."""
    return clean_env(PATH=f"{venv / 'bin'}:{clean_env()['PATH']}", **extra)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory) -> tuple[Path, Path]:
    """(the clone, its fresh virtualenv holding requirements.txt), as a buildpack's build leaves them."""
    work = tmp_path_factory.mktemp("buildpack")
    clone, venv = work / "app", work / "venv"
    run("git", "clone", "--quiet", "--depth", "1", ROOT.as_uri(), clone, cwd=work, env=clean_env())
    run(sys.executable, "-m", "venv", venv, cwd=work, env=clean_env())
    # pip's cache (kept) spares the downloads where the index allows caching. --no-compile skips writing .pyc files
    # of the installed packages, more than half of the install's time here; Python compiles what it imports anyway.
    run(
        venv / "bin" / "pip",
        "install",
        "--quiet",
        "--no-compile",
        "-r",
        "requirements.txt",
        cwd=clone,
        env=venv_env(venv, PIP_DISABLE_PIP_VERSION_CHECK="1"),
    )
    return clone, venv


def procfile_web_command(folder: Path) -> str:
    """The Procfile's `web:` command line, as written."""
    (command,) = [
        line.removeprefix("web:").strip()
        for line in (folder / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    ]
    return command


def test_the_clone_s_package_shadows_the_installed_one(deployed):
    """The premise of this path: requirements.txt installs the package, yet from the clone's folder Python imports
    the clone's `dashboard/`, which holds no `assets/`."""
    clone, venv = deployed
    where = "import dashboard; print(dashboard.__file__)"
    python = venv / "bin" / "python"
    installed = Path(run(python, "-I", "-c", where, cwd=clone, env=venv_env(venv)).strip())
    assert installed.resolve().is_relative_to(venv.resolve())
    imported = Path(run(python, "-c", where, cwd=clone, env=venv_env(venv)).strip())
    assert imported.resolve() == (clone / "dashboard" / "__init__.py").resolve()
    assert not (clone / "dashboard" / "assets").exists()


def test_procfile_command_in_the_clone_serves_the_page_its_assets_and_healthz(deployed, tmp_path):
    clone, venv = deployed
    port = free_port()
    # HOME and the cache in the test's folder: gunicorn's control socket and the parsed tables go there.
    env = venv_env(venv, PORT=str(port), HOME=str(tmp_path), PFOCR_CACHE_DIR=str(tmp_path / "cache"))
    log = tmp_path / "web.log"
    with running(["bash", "-c", f"exec {procfile_web_command(clone)}"], cwd=clone, env=env, log=log) as server:
        health = wait_until_healthy(server, port, log=log)
        assert health["status"] == "ok" and health["figures"] == SEED_FIGURES
        bodies = fetch_page_and_assets(port)
        assert b"PFOCR dashboard" in bodies["/"]
        assert b"the embedded demo corpus" in bodies["/_dash-layout"]
        served = {path.split("?")[0]: body for path, body in bodies.items() if path.startswith("/assets/")}
        shipped = {
            f"/assets/{p.name}": p.read_bytes() for p in (clone / "assets").iterdir() if p.suffix in {".css", ".js"}
        }
        assert served == shipped, log.read_text()
        stop_within(server, 10)
