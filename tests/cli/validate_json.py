#!/usr/bin/python3
"""Validates JSON documents against nestscope's schemas (docs/json-schema/).

usage: validate_json.py SCHEMA_ID FILE...   (SCHEMA_ID e.g. nestscope/decode/1)
Uses Debian's python3-jsonschema; the validator is independent of nestscope.
"""
import json
import pathlib
import sys

import jsonschema

here = pathlib.Path(__file__).resolve().parent.parent.parent / "docs" / "json-schema"
store = {}
for p in here.glob("*.json"):
    s = json.loads(p.read_text())
    jsonschema.Draft202012Validator.check_schema(s)
    store[s["$id"]] = s

# documents name their schema "nestscope/KIND/N"; the files use urn ids
schema = store["urn:nestscope:schema:" + sys.argv[1].split("/", 1)[1].replace("/", ":")]
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
bad = 0
for f in sys.argv[2:]:
    doc = json.loads(pathlib.Path(f).read_text())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:5]:
        print(f"{f}: {'/'.join(map(str, e.path))}: {e.message}")
    bad += bool(errors)
print(f"{len(sys.argv) - 2 - bad} of {len(sys.argv) - 2} documents valid against {sys.argv[1]}")
sys.exit(1 if bad else 0)
