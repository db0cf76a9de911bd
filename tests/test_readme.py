"""The README's two commands are the ones that work: CI runs the README's test command, word for word."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text(), flags=re.DOTALL)


def test_ci_runs_the_readme_test_command():
    run, test = readme_commands()[:2]
    assert "pfocr-dashboard serve" in run
    assert "pytest" in test and "chromium-driver" in test
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test.strip() in ci_lines


def test_procfile_runs_the_launcher_which_becomes_gunicorn_on_the_wsgi_entry_point():
    """The Procfile's command binds $PORT itself (the launcher reads PORT) and then execs gunicorn, with its master
    preloading the WSGI module, on the socket it bound."""
    from dashboard.web import gunicorn_config
    from dashboard.web.launcher import gunicorn_command

    assert (ROOT / "Procfile").read_text().strip() == "web: python -m dashboard web"
    command = gunicorn_command(7)
    assert command[-1] == "dashboard.web.wsgi:server" and "fd://7" in command
    assert "python:dashboard.web.gunicorn_config" in command and gunicorn_config.preload_app
