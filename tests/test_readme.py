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


def test_procfile_uses_the_wsgi_entry_point_and_port():
    procfile = (ROOT / "Procfile").read_text()
    assert "dashboard.web.wsgi:server" in procfile and "$PORT" in procfile and "--preload" in procfile
