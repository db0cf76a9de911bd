"""axe-core in the browser tests: inject it into the page a Selenium driver shows, run it, and say what it found.

The engine is the `axe.min.js` that the `axe-playwright-python` package ships (a test dependency): only that file
is read, as package data; Playwright itself is never imported and needs no browser of its own.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

SCRIPT_TIMEOUT = 60  # seconds: axe on the whole page, colour contrast included, takes a few on two cores
MAX_TARGETS = 8  # failing nodes named per violation in a report; the rest are counted

RUN_AXE = """
const options = arguments[0], done = arguments[arguments.length - 1];
axe.run(document, options).then(
  (results) => done({violations: results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map((n) => n.target.flat(Infinity).join(" >> ")),
  }))}),
  (error) => done({error: String(error && error.stack || error)}),
);
"""


@cache
def axe_source() -> str:
    """The text of axe-core's `axe.min.js`, as shipped in the `axe_playwright_python` package."""
    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_version(driver) -> str:
    """The version of the axe-core injected into the current page (injecting it if needed)."""
    inject_axe(driver)
    return driver.execute_script("return axe.version")


def inject_axe(driver) -> None:
    """Put axe-core into the current page, once per page load."""
    if not driver.execute_script("return typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        driver.execute_script(axe_source())


def axe_violations(driver, impacts: tuple[str, ...] = ("critical", "serious")) -> list[dict]:
    """axe-core's violations of the current page whose impact is one of `impacts`, each as
    {"id", "impact", "help", "helpUrl", "targets"} (targets: CSS selectors of the failing nodes)."""
    inject_axe(driver)
    driver.set_script_timeout(SCRIPT_TIMEOUT)
    answer = driver.execute_async_script(RUN_AXE, {"resultTypes": ["violations"]})
    if "error" in answer:
        raise RuntimeError(f"axe.run failed: {answer['error']}")
    return [v for v in answer["violations"] if v["impact"] in impacts]


def format_violations(violations: list[dict]) -> str:
    """One line per violation — impact, rule id, what it asks — then the failing nodes, for a failure message."""
    lines = []
    for v in violations:
        shown = v["targets"][:MAX_TARGETS]
        more = len(v["targets"]) - len(shown)
        lines.append(f"  {v['impact']}: {v['id']} — {v['help']} ({len(v['targets'])} node(s))")
        lines.extend(f"      {target}" for target in shown)
        if more:
            lines.append(f"      … and {more} more")
    return "\n".join(lines)
