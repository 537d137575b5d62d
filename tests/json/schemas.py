"""nestscope's JSON schemas (docs/json-schema/), loaded once and checked, for the validators of the tests.

Uses Debian's python3-jsonschema: the validator is independent of nestscope."""
import json
import pathlib

import jsonschema

HERE = pathlib.Path(__file__).resolve().parent.parent.parent / "docs" / "json-schema"
STORE = {}
for _p in HERE.glob("*.json"):
    _s = json.loads(_p.read_text())
    jsonschema.Draft202012Validator.check_schema(_s)
    STORE[_s["$id"]] = _s


def validator(name):
    """The validator for a document's schema name ("nestscope/KIND/N"; the files use urn ids), or None."""
    sid = "urn:nestscope:schema:" + name.split("/", 1)[1].replace("/", ":") if name.startswith("nestscope/") else ""
    if sid not in STORE:
        return None
    resolver = jsonschema.RefResolver.from_schema(STORE[sid], store=STORE)
    return jsonschema.Draft202012Validator(STORE[sid], resolver=resolver)
