#!/usr/bin/python3
"""Every JSON document the test suite made nestscope print, validated against the schema it names.

usage: validate_all.py DIR   (DIR: what tests/json/nestscope-shim.sh kept: run.*.json with run.*.args)

A document names its schema ("schema": "nestscope/KIND/N"); each must validate against docs/json-schema/ with
Debian's python3-jsonschema (independent of nestscope).  An output of several documents is split and each is
checked; a document that names no schema, or one that is not in docs/json-schema/, is an error.  Prints one line
per schema with its count, each failure with the command line that made it, and exits 1 on any failure.
"""
import collections
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from schemas import validator  # noqa: E402


def documents(text):
    dec = json.JSONDecoder()
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return
        doc, at = dec.raw_decode(text, at)
        yield doc


validators = {}
counts = collections.Counter()
failures = []
for f in sorted(pathlib.Path(sys.argv[1]).glob("run.*.json")):
    args = f.with_suffix(".args").read_text().strip() if f.with_suffix(".args").exists() else "?"
    try:
        docs = list(documents(f.read_text()))
    except ValueError as e:
        failures.append(f"nestscope {args}: not JSON: {e}")
        continue
    for i, doc in enumerate(docs):
        name = doc.get("schema") if isinstance(doc, dict) else None
        if name not in validators:
            validators[name] = validator(name) if isinstance(name, str) else None
        v = validators[name]
        where = f"nestscope {args}" + (f" (document {i + 1} of {len(docs)})" if len(docs) > 1 else "")
        if v is None:
            failures.append(f"{where}: names no known schema ({name!r})")
            continue
        counts[name] += 1
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:3]:
            failures.append(f"{where}: {'/'.join(map(str, e.path))}: {e.message[:200]}")
for name, n in sorted(counts.items()):
    print(f"{name}: {n} documents")
for line in failures[:50]:
    print("FAIL " + line)
if len(failures) > 50:
    print(f"... and {len(failures) - 50} more failures")
print(f"{sum(counts.values())} JSON documents from the suite's runs of nestscope, {len(failures)} failures")
sys.exit(1 if failures else 0)
