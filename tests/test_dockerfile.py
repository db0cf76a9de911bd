"""The Dockerfile's own commands, run here as its stages run them (no container engine on this machine): the build
stage makes a bundle of the data, and the image's command serves it — the page, its assets and `/healthz` — and
stops within 10 s of a SIGTERM."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

from conftest import ROOT, SEEDS
from serving import fetch_page_and_assets, free_port, running, stop_within, wait_until_healthy

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_the_build_stage_makes_a_bundle_that_the_image_command_serves(tmp_path):
    (build,) = re.findall(r"^RUN (python -m dashboard build .*)$", DOCKERFILE, flags=re.MULTILINE)
    default_data = re.search(r"^ARG DATA=(\S+)$", DOCKERFILE, flags=re.MULTILINE).group(1)
    assert (ROOT / default_data).resolve() == SEEDS.resolve()
    bundle = tmp_path / "bundle"
    command = [sys.executable if word == "python" else word for word in shlex.split(build)]
    command = [str(SEEDS) if word == "$DATA" else str(bundle) if word == "/bundle" else word for word in command]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=300)
    assert json.loads((bundle / "manifest.json").read_text())["counts"]["figures"] == 190

    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, flags=re.MULTILINE).group(1))
    assert re.search(r"^ENV PFOCR_DATA=/data/bundle ", DOCKERFILE, flags=re.MULTILINE)
    port = free_port()
    env = {**os.environ, "PFOCR_DATA": str(bundle), "PORT": str(port), "HOME": str(tmp_path)}
    log = tmp_path / "server.log"
    image_command = [sys.executable if word == "python" else word for word in cmd]
    with running(image_command, cwd=tmp_path, env=env, log=log) as server:
        health = wait_until_healthy(server, port, log=log)
        assert health["release"]["kind"] == "bundle" and health["figures"] == 190
        assert fetch_page_and_assets(port)
        assert stop_within(server, 10) < 10
    assert "Booting worker" in log.read_text()
