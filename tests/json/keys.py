"""One name, one type: every property name in nestscope's current JSON schemas
(docs/json-schema/, the highest version of each document kind) must have one
JSON type wherever it appears, so that a reader who learns "stale" or
"launch_state" in one document can read it in every other.

The types are compared after the differences that do not change what a reader
parses are set aside: a nullable member is its type, a hex string is "hex"
whether written inline or through $defs/hex, an enum or const of strings is a
string.  Names that still collide are listed, each with the document kinds
involved, in key-collisions.txt beside this file; the test fails on a
collision missing from that list (a new one) and on a listed one that no
longer collides (fixed: take it off the list, so the list only shrinks).

Usage: keys.py [--list]   (--list prints the collisions in the file's format)
"""
import collections
import json
import os
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
# (both files may be others: tests/cli/json_keys.sh proves the check fails on a schema given a collision)
SCHEMAS = pathlib.Path(os.environ.get("NESTSCOPE_JSON_SCHEMAS", HERE.parent.parent / "docs" / "json-schema"))
ALLOW = pathlib.Path(os.environ.get("NESTSCOPE_KEY_COLLISIONS", HERE / "key-collisions.txt"))


def current_schemas():
    """kind -> the schema of its highest version (decode-v1.json, decode-v2.json: v2).  The shared $defs
    (common-v1.json) count as a kind of their own, "common", so their member names are held to the rule too."""
    best = {}
    for p in SCHEMAS.glob("*.json"):
        m = re.fullmatch(r"(.+)-v(\d+)", p.stem)
        if not m:
            continue
        kind, ver = m.group(1), int(m.group(2))
        if kind not in best or ver > best[kind][0]:
            best[kind] = (ver, json.loads(p.read_text()))
    return {k: s for k, (_, s) in best.items()}


def json_type(s, defs):
    """The JSON type a reader parses for schema s, as a sorted tuple of type names."""
    if not isinstance(s, dict):
        return ("any",)
    if "$ref" in s:
        name = s["$ref"].rsplit("/", 1)[-1]
        if name == "hex":
            return ("hex",)
        target = defs.get(s["$ref"])
        return json_type(target, defs) if target is not None else ("object:" + name,)
    if "const" in s or "enum" in s:
        vals = [s["const"]] if "const" in s else s["enum"]
        kinds = {"null" if v is None else type(v).__name__ for v in vals} - {"null"}
        return tuple(sorted({"string" if k == "str" else "integer" if k == "int" else
                             "boolean" if k == "bool" else k for k in kinds}))
    for key in ("oneOf", "anyOf"):
        if key in s:
            out = set()
            for alt in s[key]:
                out.update(json_type(alt, defs))
            out.discard("null")
            return tuple(sorted(out))
    t = s.get("type", "any")
    ts = set(t if isinstance(t, list) else [t]) - {"null"}
    if ts == {"string"} and str(s.get("pattern", "")).startswith("^0x"):
        return ("hex",)
    return tuple(sorted(ts))


def ref_table(schemas):
    """Every "$ref" target of the schemas, by its full reference string."""
    table = {}
    for s in schemas:
        for name, d in s.get("$defs", {}).items():
            table[s["$id"] + "#/$defs/" + name] = d
            table["#/$defs/" + name] = d
    return table


def collisions():
    """name -> {type: sorted document kinds} for every name with more than one type."""
    kinds = current_schemas()
    extra = [json.loads(p.read_text()) for p in SCHEMAS.glob("common-v*.json")]
    defs = ref_table(list(kinds.values()) + extra)
    seen = collections.defaultdict(lambda: collections.defaultdict(set))

    def walk(node, kind):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                seen[name]["|".join(json_type(sub, defs))].add(kind)
            for v in node.values():
                walk(v, kind)
        elif isinstance(node, list):
            for v in node:
                walk(v, kind)

    for kind, s in kinds.items():
        walk(s, kind)
    return {n: {t: sorted(k) for t, k in ts.items()} for n, ts in seen.items() if len(ts) > 1}


def line(name, types):
    return name + ": " + "; ".join(f"{t} in {', '.join(k)}" for t, k in sorted(types.items()))


def allowed():
    """The listed collisions: name -> the line's text after the name."""
    out = {}
    for raw in ALLOW.read_text().splitlines():
        if raw.strip() and not raw.startswith("#"):
            name = raw.split(":", 1)[0].strip()
            out[name] = raw
    return out


def main():
    found = collisions()
    if sys.argv[1:] == ["--list"]:
        for name in sorted(found):
            print(line(name, found[name]))
        return 0
    listed = allowed()
    bad = 0
    for name in sorted(found):
        if name not in listed:
            print(f"FAIL new: {line(name, found[name])}")
            bad += 1
    for name in sorted(listed):
        if name not in found:
            print(f"FAIL fixed but still listed in {ALLOW.name}: {name}")
            bad += 1
    kinds = len(current_schemas())
    print(f"{kinds} document kinds, {len(found)} property names with two types "
          f"({len(listed)} listed as known), {bad} failures")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
