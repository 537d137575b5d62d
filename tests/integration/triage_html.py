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
  holds no element the name spelled, and the title shows it literally;
- an AMD host's report (samples/svm, 6.1 and 7.2): a panel per vCPU of the
  manifest, vCPU -> L1 -> L2 drawn with struct vcpu_svm's address, vmcb01 and
  vmcb02 at the addresses the harness's kprobe read (vmcb02 loaded: the VMs
  hold in L2), vmcb12 at its GPA; the story at L2's RIP; L0's last #VMEXIT
  with its code, EXITINFO1 (the port the harness wrote, decoded by the APM's
  IOIO format) and EXITINFO2 as vmcb02 held them; vmcb12's controls as L1
  wrote them, VMRUN's intercept named where L1 set it; no APM check failing;
  the side-by-side table holding exactly the manifest's vmcb12/vmcb02
  differences among the controls KVM caches unchanged, the exit fields
  stale, nothing unexplained; the filter; a file name of markup stays text.
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
from itest import Checks, hexint  # noqa: E402

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

# ---- an AMD host (struct vcpu_svm) ----
# the controls KVM caches unchanged from vmcb12 at VMRUN (nested_copy_vmcb_control_to_cache), by the manifest's
# name and the VMCB table's, and the exit information it writes to vmcb12 only at the #VMEXIT to L1
SVM_CACHED = {"intercept_word3": "INTERCEPT_WORD3", "intercept_word4": "INTERCEPT_WORD4", "asid": "ASID",
              "iopm_base_pa": "IOPM_BASE_PA", "msrpm_base_pa": "MSRPM_BASE_PA", "nested_cr3": "NESTED_CR3",
              "tsc_offset": "TSC_OFFSET"}
SVM_EXIT_INFO = {"exit_code": "EXIT_CODE", "exit_info_1": "EXIT_INFO_1", "exit_info_2": "EXIT_INFO_2"}
WORD4_VMRUN = 1 << 0     # APM vol. 2, appendix B, table B-1: offset 010h bit 0, intercept VMRUN
IOIO_PORT_SHIFT = 16     # APM vol. 2, 15.10.2: EXITINFO1 of an IOIO intercept, bits 31:16 the port


def cells(tr):
    return [td.alltext() for td in tr.find("td")]


for man_path in sorted(samples.glob("svm/*/manifest.json")):
    man = json.loads(man_path.read_text())
    kver = man["kernel"]
    dump = man_path.parent / man["dump"]["file"]
    mvms = man["dump"]["vms"]
    out = os.path.join(tmp.name, f"svm-{kver}.html")
    text = report(str(dump), out)
    self_contained(text, f"svm {kver}")
    root = dom(out)
    panels = root.find("details", "panel")
    check(len(panels) == sum(vm["vcpus"] for vm in mvms) and len(root.find("section", "vm")) == len(mvms),
          f"svm {kver}: a panel per vCPU and a section per VM of the manifest ({len(panels)} panels)")
    for mvm in mvms:
        pid, last = mvm["pid"], mvm["steps"][-1]
        k02, k01, v12 = last["kvm"]["vmcb02"], last["kvm"]["vmcb01"], last["vmcb12"]["fields"]
        f02 = k02["fields"]
        what = f"svm {kver} pid {pid}"
        sec = [x for x in root.find("section", "vm") if x.attrs.get("data-pid") == str(pid)]
        check(len(sec) == 1, f"{what}: its section")
        if len(sec) != 1:
            continue
        sec = sec[0]
        node = sec.find("span", "vcpu-node")
        loaded = [b.alltext() for b in sec.find("span", "loaded")]
        boxes = [b.alltext() for b in sec.find("span", "vmcs")]
        want_loaded = f"vmcb02 {k02['address']} (loaded)" if mvm["guest_mode"] else f"vmcb01 {k01['address']} (loaded)"
        check(node and hexint(node[0].find("code")[0].alltext()) == hexint(mvm["vcpu_svm"]) and
              loaded == [want_loaded] and any(b.startswith(f"vmcb01 {k01['address']}") for b in boxes) and
              f"vmcb12 GPA {mvm['vmcb12_gpa']}" in boxes,
              f"{what}: vCPU {mvm['vcpu_svm']} -> L1 (vmcb01 {k01['address']}) -> L2 (vmcb02 {k02['address']}, "
              f"vmcb12 at {mvm['vmcb12_gpa']}), {want_loaded.split()[0]} loaded ({loaded}; {boxes})")
        panel = sec.find("details", "panel")
        if not panel:
            check(False, f"{what}: its panel")
            continue
        panel = panel[0]
        story = panel.find(cls="story-line")
        story = story[0].alltext() if story else ""
        check(panel.attrs.get("data-state") == ("l2" if mvm["guest_mode"] else "l1-svm") and
              story.startswith(f"{'L2' if mvm['guest_mode'] else 'L1'} at RIP {mvm['l2_rip']},"),
              f"{what}: the panel's state and story ({panel.attrs.get('data-state')}: {story})")
        exit_row = panel.find("tr", "l0-exit")
        code = cells(exit_row[0])[1].split()[0] if exit_row else ""
        info = {r.attrs["data-field"]: cells(r)[1] for r in panel.find("table", "story")[0].find("tr")
                if r.attrs.get("data-field")} if panel.find("table", "story") else {}
        i1, i2, ii = info.get("EXIT_INFO_1", ""), info.get("EXIT_INFO_2", ""), info.get("EXIT_INT_INFO", "")
        port = hexint(f02["exit_info_1"]) >> IOIO_PORT_SHIFT & 0xffff
        check(code and hexint(code) == hexint(mvm["l0_exit_code"]) and
              i1.startswith(f"EXIT_INFO_1 {f02['exit_info_1']} ") and i2.startswith(f"EXIT_INFO_2 {f02['exit_info_2']} ")
              and ii.startswith(f"EXIT_INT_INFO {f02['exit_int_info']} ") and port == hexint(last["port"]) and
              f"port={last['port']}" in i1,
              f"{what}: L0's last #VMEXIT {mvm['l0_exit_code']} with EXITINFO1 {f02['exit_info_1']} (port "
              f"{last['port']}), EXITINFO2 {f02['exit_info_2']} and EXITINTINFO {f02['exit_int_info']} "
              f"({code}; {i1}; {i2}; {ii})")
        ctl = panel.find("table", "controls")
        rows = {r.attrs["data-field"]: cells(r) for r in ctl[0].find("tr") if r.attrs.get("data-field")} if ctl else {}
        bad = [n for k, n in SVM_CACHED.items() if n in rows and hexint(rows[n][1]) != hexint(v12[k])]
        vmrun = bool(hexint(v12["intercept_word4"]) & WORD4_VMRUN)
        check(rows and not bad and ("VMRUN" in rows.get("INTERCEPT_WORD4", ["", "", ""])[2].split()) == vmrun and
              hexint(rows.get("MISC_CTL", ["", "-1"])[1]) & 1 == hexint(v12["np_enable"]),
              f"{what}: vmcb12's controls as L1 wrote them, VMRUN's intercept named: {vmrun} (differ: {bad})")
        checks = panel.find("p", "checks")
        check(checks and re.search(r"\d+ rules, \d+ pass, 0 fail", checks[0].alltext()),
              f"{what}: the APM check counts ({checks[0].alltext() if checks else None})")
        diff = [t for t in panel.find("table", "diff") if "controls" not in t.classes()]
        drows = {r.attrs["data-field"]: r for r in diff[0].find("tr") if r.attrs.get("data-field")} if diff else {}
        differ = {n for k, n in {**SVM_CACHED, **SVM_EXIT_INFO}.items() if hexint(v12[k]) != hexint(f02[k])}
        shown = {n for n in drows if n in {**SVM_CACHED, **SVM_EXIT_INFO}.values()}
        stale = {n for n, r in drows.items() if "stale" in r.classes()}
        want_stale = {n for n in SVM_EXIT_INFO.values() if n in differ} if mvm["guest_mode"] else set()
        check(diff and shown == differ and want_stale <= stale and
              not [n for n, r in drows.items() if "unexplained" in r.classes()],
              f"{what}: the side-by-side table holds the manifest's differences {sorted(differ)}, the exit fields "
              f"stale, nothing unexplained ({sorted(shown)}; stale {sorted(stale)})")
    pick = mvms[-1]
    froot = dom(out, f"#filter=pid%20{pick['pid']}%20")
    shown = [p for p in froot.find("details", "panel") if "hidden" not in p.attrs]
    check([p.attrs.get("id") for p in shown] == [f"vm{pick['pid']}-vcpu0"],
          f"svm {kver}: the filter 'pid {pick['pid']}' leaves its one panel shown ({len(shown)} shown)")
    evil = os.path.join(tmp.name, f"svm-{kver}-<img src=x onerror=alert(1)>'\"&.kdump")
    os.symlink(dump.resolve(), evil)
    hout = os.path.join(tmp.name, f"svm-{kver}-hostile.html")
    report(evil, hout)
    hroot = dom(hout)
    title = hroot.find("title")
    check(not hroot.find("img") and title and os.path.basename(evil) in title[0].alltext(),
          f"svm {kver}: a file name of markup stays text ({title[0].alltext() if title else None})")

check.finish()
