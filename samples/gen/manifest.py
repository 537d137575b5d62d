#!/usr/bin/python3
"""Writes samples/<kernel>/manifest.json: the ground truth of one generator
run.  It gathers what the harness recorded inside the machine (every VMWRITE,
every exit, each blob's header, the capability MSRs, the dump moments) and
adds what only the host knows: the Debian packages, the emulator, timings.

usage: manifest.py OUTDIR KVER WORKDIR
"""
import datetime
import hashlib
import json
import pathlib
import subprocess
import sys

out, kver, work = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
here = pathlib.Path(__file__).resolve().parent


def package(suffix=""):
    r = subprocess.run([str(here / "debian-kernel.sh"), "package", kver, suffix] if suffix else
                       [str(here / "debian-kernel.sh"), "package", kver], capture_output=True, text=True)
    name, version, suite = r.stdout.split() if r.returncode == 0 else (f"linux-image-{kver}{suffix}", None, None)
    return {"name": name, "version": version, "suite": suite}


def sha256(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def load(p):
    return json.loads(p.read_text())


# what made the kdump (older runs recorded neither: Debian 12's 1.7.2 and -d 31)
mkd_version = (work / "makedumpfile.version").read_text().strip() if (work / "makedumpfile.version").exists() else "1.7.2"
mkd_level = int((work / "makedumpfile.level").read_text()) if (work / "makedumpfile.level").exists() else 31
bochs = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "bochs"], capture_output=True, text=True).stdout
timings = {}
for line in (work / "timings.txt").read_text().splitlines():
    name, secs = line.split()
    timings[name] = int(secs)

configs = {}
for cfg in ("basic", "rich"):
    m = load(out / cfg / "manifest-harness.json")
    for s in m["steps"]:
        s["sha256"] = sha256(out / cfg / s["file"])
    configs[cfg] = m

vms = []
for role, name in (("hold", "manifest-vm-hold.json"), ("hold-io", "manifest-vm-hold-io.json"),
                   ("nosync", "manifest-vm-nosync.json")):
    m = load(out / "dump" / name)
    vms.append({"role": role, "pid": m["harness_pid"], "config": m["config"], "moment": m.get("dump"),
                "manifest": f"dump/{name}", "kernel_symbols": m["kernel_symbols"],
                "capability_msrs": m["capability_msrs"], "addresses": m["addresses"]})
machine = (out / "dump" / "machine.txt").read_text().splitlines()

manifest = {
    "schema": "nestscope/samples/1",
    "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "kernel": {"abi": kver, "release": configs["basic"]["kernel_release"],
               "version": configs["basic"]["kernel_version"], "package": package(),
               "debuginfo": package("-dbg")},
    "machine": {"emulator": f"bochs {bochs}", "cpu_model": "corei7_skylake_x", "ram_mib": 512,
                "boot": "pvhboot (samples/pvhboot): the kernel's PVH entry, no XZ decompression",
                "kernel_cmdline": next((l[8:] for l in machine if l.startswith("cmdline ")), None)},
    "timings_s": timings,
    "configs": configs,
    "l1_memory_images": {cfg: f"{cfg}/l1-memory-after_vmclear.img.gz" for cfg in configs},
    "dump": {"file": "dump/vmcore.kdump", "sha256": sha256(out / "dump" / "vmcore.kdump"),
             "format": f"kdump-compressed, makedumpfile {mkd_version} -c -d {mkd_level} "
                       f"({'user pages excluded' if mkd_level & 8 else 'user pages kept'})",
             "how": "Bochs's debugger wrote all RAM while the machine stood at the nosync VM's "
                    "magic breakpoint; raw2elf made it an ELF core with the kernel's own VMCOREINFO "
                    "note; makedumpfile compressed it",
             "vmcoreinfo": next((l.split()[1:] for l in machine if l.startswith("vmcoreinfo ")), None),
             "vms": vms},
}
(out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
print(f"manifest: {out / 'manifest.json'}")
