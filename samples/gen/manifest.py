#!/usr/bin/python3
"""Writes samples/<kernel>/manifest.json: the ground truth of one generator
run.  It gathers what the harness recorded inside the machine (every VMWRITE,
every exit, each blob's header, the capability MSRs, the dump moments) and
adds what only the host knows: the Debian packages, the emulator, timings.

usage: manifest.py OUTDIR KVER WORKDIR
       manifest.py --many OUTDIR KVER WORKDIR RESULTS
  --many: samples/many-vms/<kernel>/manifest.json, from the VMs the machine
  sent (RESULTS/vmNN/manifest-vm.json and each vCPU's manifest-harness.json)
"""
import datetime
import hashlib
import json
import pathlib
import subprocess
import sys

many = sys.argv[1] == "--many"
args = sys.argv[2:] if many else sys.argv[1:]
out, kver, work = pathlib.Path(args[0]), args[1], pathlib.Path(args[2])
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

machine = (out / "dump" / "machine.txt").read_text().splitlines()


def header(release, version):
    """What every manifest says first: the kernel, the machine, the times."""
    return {
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kernel": {"abi": kver, "release": release, "version": version, "package": package(),
                   "debuginfo": package("-dbg")},
        "machine": {"emulator": f"bochs {bochs}", "cpu_model": "corei7_skylake_x", "ram_mib": 512,
                    "boot": "pvhboot (samples/pvhboot): the kernel's PVH entry, no XZ decompression",
                    "kernel_cmdline": next((l[8:] for l in machine if l.startswith("cmdline ")), None)},
        "timings_s": timings,
    }


def dump_record(vm_that_stopped):
    return {"file": "dump/vmcore.kdump", "sha256": sha256(out / "dump" / "vmcore.kdump"),
            "format": f"kdump-compressed, makedumpfile {mkd_version} -c -d {mkd_level} "
                      f"({'user pages excluded' if mkd_level & 8 else 'user pages kept'})",
            "how": "Bochs's debugger wrote all RAM while the machine stood at the "
                   f"{vm_that_stopped} VM's magic breakpoint; raw2elf made it an ELF core with the kernel's own "
                   "VMCOREINFO note; makedumpfile compressed it",
            "vmcoreinfo": next((l.split()[1:] for l in machine if l.startswith("vmcoreinfo ")), None)}


def write(manifest):
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"manifest: {out / 'manifest.json'}")


def many_vms(results):
    """Every VM the many mode made, in the order /init started them."""
    vms, caps, symbols, release, version = [], None, None, None, None
    for vmdir in sorted(results.glob("vm[0-9]*")):
        vm = load(vmdir / "manifest-vm.json")
        vcpus = []
        for i, rel in enumerate(vm["vcpu_manifests"]):
            m = load(vmdir / rel)
            release, version = m["kernel_release"], m["kernel_version"]
            if m.get("capability_msrs"):
                caps = caps or m["capability_msrs"]
                if m["capability_msrs"] != caps:
                    sys.exit(f"manifest.py: {vmdir.name} vCPU {i} was given other capabilities")
            symbols = symbols or m.get("kernel_symbols")
            moment = m.get("dump")
            if not moment:
                sys.exit(f"manifest.py: {vmdir.name} vCPU {i} ({m['moment']}) never reached its moment")
            top = ("level", "vmxon", "current_vmcs", "launch_state")
            vcpus.append({"index": m["vcpu"], "moment": m["moment"], **{k: moment[k] for k in top},
                          "at_moment": {k: v for k, v in moment.items() if k not in top and k != "moment"},
                          "addresses": m["addresses"], "controls": m.get("controls"),
                          "exits": m.get("exits", []), "vmwrite_count": m.get("vmwrite_count", len(m.get("vmwrites", [])))})
        vms.append({"name": vmdir.name, "pid": vm["harness_pid"], "config": vm["config"], "vcpu_count": vm["vcpus"],
                    "l1_memory": vm["l1_memory"], "vcpus": vcpus})
    return vms, caps, symbols, release, version


if many:
    vms, caps, symbols, release, version = many_vms(pathlib.Path(args[3]))
    levels = [v["level"] for vm in vms for v in vm["vcpus"]]
    stopped = [vm["name"] for vm in vms for v in vm["vcpus"] if v["moment"] == "nosync"]
    write({"schema": "nestscope/samples-many/1", **header(release, version),
           "dump": {**dump_record(f"{stopped[0]} (nosync)" if stopped else "last"),
                    "summary": {"vms": len(vms), "vcpus": len(levels), "in_l2": levels.count("L2"),
                                "in_l1_vmx": levels.count("L1"), "no_vmx": levels.count("no VMX")},
                    "capability_msrs": caps, "kernel_symbols": symbols, "vms": vms}})
    sys.exit(0)

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

write({
    "schema": "nestscope/samples/1",
    **header(configs["basic"]["kernel_release"], configs["basic"]["kernel_version"]),
    "configs": configs,
    "l1_memory_images": {cfg: f"{cfg}/l1-memory-after_vmclear.img.gz" for cfg in configs},
    "dump": {**dump_record("nosync"), "vms": vms},
})
