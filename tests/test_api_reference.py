"""docs/api.md's reference is the OpenAPI document's: what scripts/api_reference.py writes from it, so the page and
the rules the API enforces cannot drift apart."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

from dashboard.corpus.bundle import software_version
from dashboard.web.api.requests import PREFIX
from dashboard.web.openapi import openapi_document

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "api_reference.py"


def script():
    """scripts/api_reference.py, loaded from its file (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("api_reference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_holds_the_reference_of_the_document():
    found = script()
    page = found.PAGE.read_text(encoding="utf-8")
    assert found.written(page, found.reference(openapi_document(PREFIX, software_version()))) == page, (
        "docs/api.md's reference is out of date: python scripts/api_reference.py"
    )


def test_a_changed_rule_is_a_changed_reference():
    document = openapi_document(PREFIX, software_version())
    changed = copy.deepcopy(document)
    (limit,) = [p for p in changed["paths"]["/search"]["get"]["parameters"] if p["name"] == "limit"]
    limit["schema"]["anyOf"][0]["maximum"] = 50
    reference = script().reference
    assert "from 1 to 200" in reference(document) and "from 1 to 50" in reference(changed)
