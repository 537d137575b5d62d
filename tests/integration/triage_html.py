"""nestscope triage --html, opened in real headless Chromium (Debian's
chromium): the DOM Chromium builds, after the report's own script ran, is
checked against the samples' manifests, never against nestscope's output:

- the 6.1 dump's report: one panel per vCPU the manifest lists, the nesting
  drawing (L0, a section per VM, vCPU -> L1 -> L2 with each VMCS copy, the
  loaded one marked: vmcs02, since every dumped vCPU is in L2), each panel's
  story at the RIP the harness's L2 was at, GUEST_RIP marked stale in the
  side-by-side vmcs12/vmcs02 table exactly where the manifest says vmcs12
  and vmcs02 disagree, the SDM check counts, the filter; a screenshot;
- the file is self-contained: nothing in it names another resource (no src,
  href, url(), @import), and a Content-Security-Policy forbids fetching;
- the many-VMs dump's report: a panel per vCPU and a section per VM of its
  manifest, and the filter, given in the address, leaves exactly one VM's
  panels shown;
- hostile text (a dump file name made of markup) stays text: Chromium's DOM
  holds no element the name spelled, and the title shows it literally.
usage: triage_html.py NESTSCOPE SAMPLES [SCREENSHOT_OUT]
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from chromedom import CHROMIUM, chromium_dom  # noqa: E402
from itest import Checks  # noqa: E402

nestscope, samples = sys.argv[1:3]
shot_out = sys.argv[3] if len(sys.argv) > 3 else None
samples = pathlib.Path(samples)
check = Checks()
tmp = tempfile.TemporaryDirectory()
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp.name}/profile"]


def report(dump, out, *extra):
    r = subprocess.run([nestscope, "triage", *extra, "--html", out, dump], capture_output=True, text=True)
    check(r.returncode == 0 and os.path.getsize(out) > 0, f"triage --html {os.path.basename(dump)} writes {out} "
          f"[{r.stderr.strip()}]")
    return pathlib.Path(out).read_text()


def dom(path, fragment=""):
    return chromium_dom(check, FLAGS, path, fragment)


def self_contained(text, what):
    found = re.findall(r"\b(?:src|href)\s*=|url\(|@import|@font-face|https?://", text)
    check(not found and "Content-Security-Policy" in text and "default-src 'none'" in text,
          f"{what}: self-contained, fetching forbidden ({found[:3]})")


if CHROMIUM is None:
    print("FAIL chromium is not installed (setup.sh installs Debian's chromium)")
    sys.exit(1)

# ---- the 6.1 dump ----
for man_path in sorted(samples.glob("6.1.*/manifest.json")):
    man = json.loads(man_path.read_text())
    kver = man["kernel"]["release"]
    out = os.path.join(tmp.name, f"{kver}.html")
    text = report(str(man_path.parent / man["dump"]["file"]), out)
    self_contained(text, kver)
    root = dom(out)
    panels = root.find("details", "panel")
    check(len(panels) == len(man["dump"]["vms"]), f"{kver}: one panel per vCPU ({len(panels)})")
    nest = root.find("div", id="nesting")
    check(len(nest) == 1 and nest[0].find(cls="l0") and len(nest[0].find("section", "vm")) == len(man["dump"]["vms"]),
          f"{kver}: the nesting drawing: L0 and a section per VM")
    check(root.find("input", id="filter") and root.find("select", id="state") and root.find("script"),
          f"{kver}: the filter is there")
    for mvm in man["dump"]["vms"]:
        pid, moment = mvm["pid"], mvm["moment"]
        sec = [s for s in root.find("section", "vm") if s.attrs.get("data-pid") == str(pid)]
        what = f"{kver} {mvm['role']}"
        check(len(sec) == 1, f"{what}: its section (pid {pid})")
        if len(sec) != 1:
            continue
        sec = sec[0]
        loaded = [b.alltext() for b in sec.find("span", "loaded")]
        boxes = " ".join(b.alltext() for b in sec.find("span", "vmcs"))
        check(len(loaded) == 1 and loaded[0].startswith("vmcs02 ") and "vmcs01 0x" in boxes and
              "cached_vmcs12 0x" in boxes and f"vmcs12 GPA {mvm['addresses']['vmcs12_pa']}" in boxes,
              f"{what}: vCPU -> L1 -> L2 drawn with vmcs01, vmcs02 (loaded), cached_vmcs12 and vmcs12 at "
              f"{mvm['addresses']['vmcs12_pa']} ({loaded})")
        panel = sec.find("details", "panel")
        story = panel[0].find(cls="story-line")[0].alltext() if panel and panel[0].find(cls="story-line") else ""
        check(story.startswith(f"L2 at RIP {moment['l2_rip']},"), f"{what}: the panel's story: {story}")
        stale = [r.attrs.get("data-field") for r in panel[0].find("tr", "stale")] if panel else []
        check(("GUEST_RIP" in stale) == (moment["vmcs12_vs_vmcs02"] != "agree") and "VM_EXIT_REASON" in stale,
              f"{what}: stale fields marked in the side-by-side table ({moment['vmcs12_vs_vmcs02']}: {stale})")
        checks = panel[0].find("p", "checks") if panel else []
        check(checks and re.search(r"\d+ rules, \d+ pass, 0 fail", checks[0].alltext()),
              f"{what}: the SDM check counts ({checks[0].alltext() if checks else None})")
    # the screenshot: the 6.1 report with its panels open
    shot = os.path.join(tmp.name, "triage-6.1.png")
    r = subprocess.run([CHROMIUM, *FLAGS, "--window-size=1100,1000", f"--screenshot={shot}",
                        pathlib.Path(out).resolve().as_uri() + "#open"], capture_output=True, text=True, timeout=180)
    png = pathlib.Path(shot).read_bytes() if os.path.exists(shot) else b""
    check(r.returncode == 0 and png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 1100,
          f"{kver}: Chromium saves a 1100-pixel-wide screenshot of the report ({len(png)} bytes)")
    if shot_out and png:
        shutil.copy(shot, shot_out)

    # hostile text: a dump whose file name is markup
    evil = os.path.join(tmp.name, "<img src=x onerror=alert(1)>'\"&.kdump")
    os.symlink((man_path.parent / man["dump"]["file"]).resolve(), evil)
    hout = os.path.join(tmp.name, "hostile.html")
    report(evil, hout)
    hroot = dom(hout)
    title = hroot.find("title")
    check(not hroot.find("img") and title and os.path.basename(evil) in title[0].alltext(),
          f"{kver}: a file name of markup stays text ({title[0].alltext() if title else None})")

# ---- the many-VMs dump ----
for man_path in sorted((samples / "many-vms").glob("*/manifest.json")):
    man = json.loads(man_path.read_text())
    kver = man["kernel"]["release"]
    out = os.path.join(tmp.name, f"many-{kver}.html")
    text = report(str(man_path.parent / man["dump"]["file"]), out)
    self_contained(text, f"many-vms {kver}")
    root = dom(out)
    mvms = man["dump"]["vms"]
    nvcpus = sum(len(vm["vcpus"]) for vm in mvms)
    panels = root.find("details", "panel")
    check(len(panels) == nvcpus and len(root.find("section", "vm")) == len(mvms) and
          all(not p.attrs.get("open") and p.attrs.get("open") != "" for p in panels),
          f"many-vms {kver}: {len(panels)} collapsed panels (manifest: {nvcpus} vCPUs), "
          f"{len(root.find('section', 'vm'))} VM sections ({len(mvms)})")
    pick = mvms[-1]
    froot = dom(out, f"#filter=pid%20{pick['pid']}%20")
    shown = [p for p in froot.find("details", "panel") if "hidden" not in p.attrs]
    want = {f"vm{pick['pid']}-vcpu{v['index']}" for v in pick["vcpus"]}
    check({p.attrs.get("id") for p in shown} == want,
          f"many-vms {kver}: the filter 'pid {pick['pid']}' leaves {pick['name']}'s {len(want)} panel(s) shown "
          f"({len(shown)} shown)")

check.finish()
