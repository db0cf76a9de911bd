"""Write the reference part of docs/api.md from the API's OpenAPI document: every route, its parameters (what
each is, what it accepts, its default) and its body, in the words the API's refusals use.

python scripts/api_reference.py [--check]

The part sits between two markers in docs/api.md; the rest of the page (the prose and the examples) is written by
hand. tests/test_api_reference.py fails when the page's part is not what this writes.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dashboard.corpus.bundle import software_version
from dashboard.web.api.requests import PREFIX
from dashboard.web.api.rules import describe
from dashboard.web.openapi import openapi_document

log = logging.getLogger("api_reference")
PAGE = Path(__file__).resolve().parent.parent / "docs" / "api.md"
BEGIN = "<!-- reference: written by scripts/api_reference.py from the OpenAPI document; do not edit -->"
END = "<!-- end of reference -->"


def reference(document: dict) -> str:
    """The reference part, as Markdown."""
    lines = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            lines += ["", f"### `{method.upper()} {PREFIX}{path}`", "", operation["summary"] + "."]
            parameters = operation.get("parameters", [])
            if parameters:
                lines += ["", "| parameter | in | what | accepts (default) |", "|---|---|---|---|"]
                for parameter in parameters:
                    name = f"`{parameter['name']}`" + (" (required)" if parameter["required"] else "")
                    lines.append(
                        f"| {name} | {parameter['in']} | {parameter.get('description', '')} | "
                        f"{_accepts(parameter['schema'])} |"
                    )
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                schema = body["schema"]
                lines += ["", "| body field | accepts (default) |", "|---|---|"]
                for name, field in schema["properties"].items():
                    required = " (required)" if name in schema.get("required", ()) else ""
                    lines.append(f"| `{name}`{required} | {_accepts(field)} |")
            codes = ", ".join(code for code in operation["responses"] if code != "200")
            lines += ["", "Answers 200" + (f'; errors {codes}, as `{{"error", "status"}}`.' if codes else ".")]
    return "\n".join([BEGIN, *lines, "", END])


def _accepts(schema: dict) -> str:
    said = describe(schema).replace("|", "\\|")
    default = schema.get("default")
    return said if default in (None, [], "") else f"{said} ({_shown(default)})"


def _shown(value: object) -> str:
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def written(page: str, part: str) -> str:
    """The page with its reference part replaced (or added at its end)."""
    if BEGIN in page and END in page:
        before, rest = page.split(BEGIN, 1)
        return before + part + rest.split(END, 1)[1]
    return page.rstrip("\n") + "\n\n## Reference\n\n" + part + "\n"


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether docs/api.md is up to date")
    args = parser.parse_args()
    page = PAGE.read_text(encoding="utf-8")
    new = written(page, reference(openapi_document(PREFIX, software_version())))
    if args.check:
        if new != page:
            log.error("docs/api.md's reference is out of date: python scripts/api_reference.py")
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    log.info("wrote the reference of %s", PAGE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
