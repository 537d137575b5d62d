#!/usr/bin/python3
"""Validates JSON documents against nestscope's schemas (docs/json-schema/).

usage: validate_json.py SCHEMA_ID FILE...   (SCHEMA_ID e.g. nestscope/decode/2)
Uses Debian's python3-jsonschema; the validator is independent of nestscope.
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "json"))
from schemas import validator as schema_validator  # noqa: E402

validator = schema_validator(sys.argv[1])
if validator is None:
    sys.exit(f"validate_json.py: no schema {sys.argv[1]} in docs/json-schema")
bad = 0
for f in sys.argv[2:]:
    doc = json.loads(pathlib.Path(f).read_text())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:5]:
        print(f"{f}: {'/'.join(map(str, e.path))}: {e.message}")
    bad += bool(errors)
print(f"{len(sys.argv) - 2 - bad} of {len(sys.argv) - 2} documents valid against {sys.argv[1]}")
sys.exit(1 if bad else 0)
