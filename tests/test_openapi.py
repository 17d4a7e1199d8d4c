"""The OpenAPI description in schema/ matches the routes and what they answer."""

from __future__ import annotations

import json
import re

import yaml
from jsonschema import Draft202012Validator

from coursekit.handlers import route_table

from .conftest import REPO

SPEC = yaml.safe_load((REPO / "schema" / "openapi.yaml").read_text())


class _App:
    modules = seeding = assignments = None


def validate(payload, schema_name: str) -> None:
    # Local "#/components/..." references resolve against the document the schema sits in.
    schema = {**SPEC["components"]["schemas"][schema_name], "components": SPEC["components"]}
    Draft202012Validator(schema).validate(payload)


def test_every_route_is_described():
    described = {"/coursekit/api" + p for p in SPEC["paths"]}
    for pattern, *_ in route_table(_App()):
        assert re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern) in described


async def test_modules_answer_matches_the_description(jp_fetch):
    validate(json.loads((await jp_fetch("coursekit", "api", "modules")).body), "ModuleList")


def test_the_description_can_fail():
    try:
        validate({"modules": [{"id": 1}], "problems": [], "manifests": []}, "ModuleList")
    except Exception as err:  # jsonschema.ValidationError
        assert "required" in str(err) or "is not of type" in str(err)
    else:
        raise AssertionError("an invalid payload passed the description")
