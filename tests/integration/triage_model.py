"""triage's three renderings of one synthetic model (tests/unit/test_triage_model.c leaves them in a directory),
checked where the unit test cannot: the JSON against the triage/2 schema (Debian's python3-jsonschema), and the
HTML in real headless Chromium (Debian's chromium) after its own script ran:

- the same story per vCPU in all three: the text's story line, JSON's story.text and the panel's story line, and
  the text's events, JSON's story.events and the panel's events row;
- hostile names stay text: the file name (<script> setting document.title, an <img> whose onerror would) and the
  process name (markup, quotes, '&', bytes that are no UTF-8) run nothing, add no element, and show literally: the
  title and the VM's heading hold the same characters as JSON's dump and comm; the report's own script did run
  (its filter count is there), so a script in the names would have had its chance;
- 100 VMs: 200 panels in 100 sections, 25 open (those with problems), and the filter set from the address leaves
  one VM's 2 panels, or the 25 vCPUs whose story names the failing rule.
usage: triage_model.py TEST_BINARY
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "json"))
from chromedom import CHROMIUM, chromium_dom  # noqa: E402
from itest import Checks  # noqa: E402
from schemas import validator  # noqa: E402

binary = sys.argv[1]
check = Checks()
tmp = tempfile.TemporaryDirectory()
out = pathlib.Path(tmp.name)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp.name}/profile"]
MANY_VMS, MANY_VCPUS, MANY_PROBLEMS = 100, 200, 25   # the unit test's many_vms model
FAILING_RULE = "guest.rflags.reserved"


def dom(path, fragment=""):
    return chromium_dom(check, FLAGS, path, fragment)


if CHROMIUM is None:
    print("FAIL chromium is not installed (setup.sh installs Debian's chromium)")
    sys.exit(1)

r = subprocess.run([binary], env={**os.environ, "NS_TRIAGE_MODEL_OUT": tmp.name}, capture_output=True, text=True)
check(r.returncode == 0, f"{os.path.basename(binary)} passes and writes its documents [{r.stdout[-300:]}]")
for name in ("model.txt", "model.json", "model.html", "many.json", "many.html"):
    check((out / name).exists(), f"{name} written")
if check.failures:
    check.finish()

# ---- JSON against the schema ----
v = validator("nestscope/triage/2")
for name in ("model.json", "many.json"):
    errors = list(v.iter_errors(json.loads((out / name).read_text())))
    check(not errors, f"{name} valid against nestscope/triage/2 "
          f"({['/'.join(map(str, e.path)) + ': ' + e.message[:120] for e in errors[:3]]})")

# ---- the same story in text, JSON and HTML ----
doc = json.loads((out / "model.json").read_text())
text = (out / "model.txt").read_bytes().decode("latin-1")
root = dom(out / "model.html")
tstories, tevents = [], []
for line in text.splitlines():
    if line.startswith("    story        "):
        tstories.append(line[len("    story        "):])
        tevents.append([])
    elif line.startswith("      event      "):
        tevents[-1].append(line[len("      event      "):])
jstories = [c["story"] for vm in doc["vms"] for c in vm["vcpus"]]
panels = root.find("details", "panel")
hstories = [p.find(cls="story-line")[0].text() for p in panels]
hevents = []
for p in panels:
    row = [tr for tr in p.find("tr") if tr.find("td") and tr.find("td")[0].text() == "events"]
    ev = row[0].find("td")[1].text() if row else ""
    hevents.append([] if ev == "none pending or in flight" else ev.split("\n"))
check(len(tstories) == len(jstories) == len(hstories) == 7, f"7 vCPUs' stories in each ({len(tstories)}, "
      f"{len(jstories)}, {len(hstories)})")
for i, (t, j, h) in enumerate(zip(tstories, jstories, hstories)):
    check(t == j["text"] == h, f"vCPU {i}: one story line in text, JSON and HTML: {t[:90]}")
for i, (t, j, h) in enumerate(zip(tevents, jstories, hevents)):
    check(t == j["events"] == h, f"vCPU {i}: the same {len(t)} event(s) in text, JSON and HTML")
check(sum(len(e) for e in tevents) == 7, f"the model's 7 events are all told ({sum(len(e) for e in tevents)})")
failures = [j["failure"] for j in jstories if j["failure"]]
hfailures = [tr.find("td")[1].text() for p in panels for tr in p.find("tr", "problem")]
check(failures == hfailures and len(failures) == 2, f"the failed entry and the VM-instruction error in JSON and HTML "
      f"({len(failures)}, {len(hfailures)})")

# ---- hostile names ----
title = root.find("title")
scripts = root.find("script")
check(title and title[0].text() == "nestscope triage: " + doc["dump"] and "PWNED" not in title[0].text()[:25],
      f"the file name of markup is the title's text, no script set it ({title[0].text()[:80] if title else None!r})")
check(len(scripts) == 1 and not root.find("img") and "<script>" in doc["dump"],
      f"no element the names spelled: {len(scripts)} script (the report's own), {len(root.find('img'))} img")
dump_p = [p for p in root.find("p", "meta") if p.find("code")]
check(dump_p and dump_p[0].find("code")[0].text() == doc["dump"], "the dump line shows the file name literally")
comm = doc["vms"][0]["comm"]
head = root.find("section", "vm")[0].find(cls="vmhead")[0].text()
check(head.startswith(f"VM pid 4242 ({comm}),") and "<script>" in comm and "\u00ff" in comm,
      f"the process name shows literally, its byte 0xff as JSON's \\u00ff: {head!r}")
shown = root.find("span", id="shown")
check(shown and shown[0].text() == "7 shown", f"the report's own script ran ({shown[0].text() if shown else None!r})")

# ---- 100 VMs ----
many = json.loads((out / "many.json").read_text())
check(many["summary"]["vm_count"] == MANY_VMS and many["summary"]["vcpu_count"] == MANY_VCPUS,
      f"many.json: {MANY_VMS} VMs, {MANY_VCPUS} vCPUs")
root = dom(out / "many.html")
panels = root.find("details", "panel")
opened = [p for p in panels if "open" in p.attrs]
check(len(panels) == MANY_VCPUS and len(root.find("section", "vm")) == MANY_VMS and len(opened) == MANY_PROBLEMS,
      f"many.html: {len(panels)} panels in {len(root.find('section', 'vm'))} sections, {len(opened)} open")
pick = many["vms"][42]
froot = dom(out / "many.html", f"#filter=pid%20{pick['pid']}%20")
shown = [p.attrs.get("id") for p in froot.find("details", "panel") if "hidden" not in p.attrs]
vms_shown = [s for s in froot.find("section", "vm") if "hidden" not in s.attrs]
check(shown == [f"vm{pick['pid']}-vcpu0", f"vm{pick['pid']}-vcpu1"] and len(vms_shown) == 1,
      f"the filter 'pid {pick['pid']}' leaves its 2 panels and 1 section ({shown}, {len(vms_shown)})")
froot = dom(out / "many.html", f"#filter={FAILING_RULE}")
shown = [p for p in froot.find("details", "panel") if "hidden" not in p.attrs]
count = froot.find("span", id="shown")
check(len(shown) == MANY_PROBLEMS and count and count[0].text() == f"{MANY_PROBLEMS} shown" and
      all(p.attrs.get("data-problem") == "1" for p in shown),
      f"the filter '{FAILING_RULE}' leaves the {MANY_PROBLEMS} vCPUs it fails on ({len(shown)})")

check.finish()
