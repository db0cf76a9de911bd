"""Scale-out: the state lives in the URL and the browser, not the server. Two separate server processes on one
bundle answer one user's requests, sent alternately to each, exactly as one process answers them all."""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import SEEDS
from serving import fetch, free_port, running, wait_until_healthy

from dashboard.cli import main

Send = Callable[[str, bytes | None], tuple[int, object]]
JOURNEY = ["", "?genes=TNFSF11", "?genes=TNFSF11,5594&match=all", "?organisms=Homo+sapiens&years=2010-2020"]
TABLE_REQUEST = {"startRow": 0, "endRow": 15, "sortModel": [], "filterModel": {}}


def component_values(layout: dict) -> dict[tuple[str, str], object]:
    """Every (component id, property) → value in a layout, as the browser starts with them."""
    values: dict[tuple[str, str], object] = {}

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict):
                if isinstance(props.get("id"), str):
                    values.update({(props["id"], key): value for key, value in props.items() if key != "children"})
                for value in props.values():
                    walk(value)

    walk(layout)
    return values


def to_outputs(output: str) -> list[dict] | dict:
    """Dash's `output` string (`id.prop` or `..id.prop...id.prop..`) as the renderer sends it."""
    if output.startswith(".."):
        return [dict(zip(("id", "property"), part.split(".", 1), strict=True)) for part in output[2:-2].split("...")]
    return dict(zip(("id", "property"), output.split(".", 1), strict=True))


class Browser:
    """One user's page: its component values, and the callbacks the renderer fires when they change."""

    def __init__(self, send: Send) -> None:
        self.send = send
        _, layout = send("/_dash-layout", None)
        _, self.callbacks = send("/_dash-dependencies", None)
        self.values = component_values(layout)

    def _item(self, spec: dict):
        if spec["id"].startswith("{"):  # a pattern-matching input: no such component drawn yet
            return []
        return {**spec, "value": self.values.get((spec["id"], spec["property"]))}

    def fire(self, callback: dict, changed: list[str]) -> None:
        body = {
            "output": callback["output"],
            "outputs": to_outputs(callback["output"]),
            "inputs": [self._item(spec) for spec in callback["inputs"]],
            "state": [self._item(spec) for spec in callback["state"]],
            "changedPropIds": changed,
        }
        status, answer = self.send("/_dash-update-component", json.dumps(body).encode())
        assert status in (200, 204), (callback["output"], answer)
        if status == 200:
            for component, props in answer["response"].items():
                self.values.update({(component, key): value for key, value in props.items()})

    def change(self, component: str, prop: str, value) -> None:
        """Set a value as the user would, and fire what the renderer fires: its callbacks, then theirs."""
        self.values[(component, prop)] = value
        changed = {f"{component}.{prop}"}
        for _round in range(3):
            fired = [
                callback
                for callback in self.callbacks
                if not callback.get("clientside_function")
                and any(f"{spec['id']}.{spec['property']}" in changed for spec in callback["inputs"])
            ]
            before = dict(self.values)
            for callback in fired:
                self.fire(callback, sorted(changed))
            changed = {f"{c}.{p}" for (c, p), v in self.values.items() if before.get((c, p)) != v}
            if not changed:
                break


def journey(send: Send) -> None:
    """What one user does: open the page, follow links, search, open a figure, page the table, enrich."""
    send("/", None)
    browser = Browser(send)
    for search in JOURNEY:
        browser.change("url", "search", search)
        browser.change("figure-table", "getRowsRequest", TABLE_REQUEST)
    browser.change("gene-search", "search_value", "tnf")
    _, found = send("/api/v1/genes/TNFSF11/figures", None)
    figid = found["figures"][0]["figid"]
    browser.change("url", "search", f"?genes=TNFSF11&figure={quote(figid)}")
    send(f"/api/v1/figures/{quote(figid)}", None)
    send("/api/v1/stats", None)
    send("/api/v1/genes?q=mapk", None)
    send("/api/v1/enrich", json.dumps({"genes": ["MAPK1", "MAPK3", "AKT1", "TP53"]}).encode())


class Recorder:
    """Sends each request to the next server in turn and records (server, path, body, status, answer)."""

    def __init__(self, ports: list[int]) -> None:
        self.turn = itertools.cycle(ports)
        self.log: list[tuple[str, bytes | None, int, object]] = []
        self.servers: list[int] = []

    def __call__(self, path: str, data: bytes | None) -> tuple[int, object]:
        port = next(self.turn)
        status, headers, body = fetch(f"http://127.0.0.1:{port}{path}", data=data)
        if headers.get("Content-Type", "").startswith("application/json"):
            answer = json.loads(body)
        else:
            # Dash signs a fresh random token into every page it serves (for background callbacks, which this app
            # has none of): a page differs from the next, whichever process serves it.
            answer = re.sub(rb'"end_id":"[^"]*"', b'"end_id":"(random)"', body)
        self.log.append((path, data, status, answer))
        self.servers.append(port)
        return status, answer


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    work = tmp_path_factory.mktemp("scaleout")
    bundle = work / "bundle"
    assert main(["build", str(SEEDS), "--out", str(bundle), "--no-cache"]) == 0
    env = {k: v for k, v in os.environ.items() if k != "PFOCR_DATA"} | {"PFOCR_CACHE_DIR": str(work / "none")}
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        for index, port in enumerate(ports):
            log = work / f"server-{index}.log"
            command = [sys.executable, "-m", "dashboard", "serve", "--data", str(bundle), "--port", str(port)]
            server = stack.enter_context(running(command, cwd=Path(work), env=env, log=log))
            wait_until_healthy(server, port, log=log)
        yield ports
    assert not (work / "none").exists(), "a server wrote a cache beside its bundle"


def test_one_user_alternating_between_two_processes_gets_one_process_answers(two_servers):
    alternating, alone = Recorder(two_servers), Recorder(two_servers[:1])
    journey(alternating)
    journey(alone)
    assert set(alternating.servers) == set(two_servers) and set(alone.servers) == {two_servers[0]}
    assert len(alternating.log) == len(alone.log) > 30
    for (path, data, status, answer), expected in zip(alternating.log, alone.log, strict=True):
        assert (path, data, status) == expected[:3]
        assert answer == expected[3], path
    assert any(path == "/_dash-update-component" and status == 200 for path, _, status, _ in alone.log)
