"""nestscope triage's cost per vCPU as the number of VMs in a dump grows.

Every figure comes from one dump's memory and is measured in this run.  The
many-VMs dump (samples/many-vms/KVER: 17 VMs, 45 vCPUs in L2, in L1 in VMX
operation and never in VMX operation) is written as raw images in which KVM's
vm_list links only some of its VMs (bench/vmlist_cut.c), so that triage walks
1, 4 or 17 VMs of the same memory:

- no VM linked: triage's fixed cost (the dump, the profile, KVM's symbols);
- one VM (the one with the most vCPUs): its cost per vCPU alone on the list,
  (cost(it) - cost(none)) / its vCPUs, and among all 17, (cost(all) -
  cost(all but it)) / its vCPUs;
- four VMs (the four largest), the same way;
- all 17: (cost(all) - cost(none)) / 45.
If nothing in the walk grows with the number of VMs, the same vCPUs cost the
same whether 1, 4 or 17 VMs are listed: the ratios are about 1.  (The average
of different VMs would compare their vCPUs' states too: a vCPU in L2 is
checked and compared with vmcs02, one that never ran VMX is not.)

The cost is the number of instructions triage executes (valgrind's callgrind:
exact, and unmoved by the machine's other work; a vCPU costs a few hundred
thousand instructions, a fraction of a millisecond, which CPU time on a busy
machine does not resolve: without valgrind this part is skipped).  Last, the
two kdumps of this kernel as committed, in instructions and in CPU time (the
least of N runs): the 3-VM dump and the many-VMs dump have the same fixed
cost (kernel, profile, RAM, makedumpfile -d 31), so (cost(many) - cost(3
VMs)) / (vCPUs(many) - 3) is the cost per vCPU in a compressed dump, pages
inflated.

usage: triage_many.py NESTSCOPE VMLIST_CUT KVER N
"""
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile

ns, cut, kver, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
many = f"samples/many-vms/{kver}/dump/vmcore.kdump"
three = f"samples/{kver}/dump/vmcore.kdump"
tmp = tempfile.TemporaryDirectory()


def triage_json(dump):
    return json.loads(subprocess.run([ns, "triage", "--json", dump], capture_output=True, text=True).stdout)


def kind(v):
    return "L2" if v["mode"] == "L2" else "L1" if v["vmxon"] else "no VMX"


def mix(vcpus):
    return ", ".join(f"{sum(kind(v) == k for v in vcpus)} {k}" for k in ("L2", "L1", "no VMX"))


doc = triage_json(many)
vms = doc["vms"]  # in vm_list order
off = json.load(open(f"profiles/{kver}.json"))["user_types"]["kvm"]["fields"]["vm_list"]["offset"]
order = sorted(range(len(vms)), key=lambda i: (-len(vms[i]["vcpus"]), i))
everyone = frozenset(range(len(vms)))
one, four = frozenset(order[:1]), frozenset(order[:4])


def cut_images():
    """The raw images, by the VMs each keeps linked; each checked to list those VMs and their vCPUs."""
    images = {}
    for keep in (frozenset(), one, four, everyone - one, everyone - four, everyone):
        path = f"{tmp.name}/cut-{len(images)}.raw"
        args = [("+" if i in keep else "-") + vm["kvm"] for i, vm in enumerate(vms)]
        subprocess.run([cut, many, path, str(off), *args], check=True, stdout=subprocess.DEVNULL)
        s = triage_json(path)["summary"]
        want = (len(keep), sum(len(vms[i]["vcpus"]) for i in keep))
        if (s["vm_count"], s["vcpu_count"]) != want:
            sys.exit(f"the image keeping {want[0]} VMs shows {s['vm_count']} VMs, {s['vcpu_count']} vCPUs")
        images[keep] = path
    return images


def cpu_times(paths):
    """The least CPU time (user + system) of n runs of triage on each path, the runs interleaved."""
    best = dict.fromkeys(paths, float("inf"))
    for i in range(n + 1):
        for p in paths:
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([ns, "triage", p], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if i:  # the first round fills the page cache
                best[p] = min(best[p], r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return best


def instructions(path):
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", ns, "triage", path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return int(re.search(r"Collected : (\d+)", r.stderr).group(1))


valgrind = shutil.which("valgrind")


def vcpus(keep):
    return [v for i in sorted(keep) for v in vms[i]["vcpus"]]


if valgrind:
    cost = {keep: instructions(path) for keep, path in cut_images().items()}

    def per_vcpu(with_, without):
        return (cost[with_] - cost[without]) / len(vcpus(with_ - without))

    print(f"triage's cost per vCPU, in instructions (valgrind --tool=callgrind), on the many-VMs dump's memory "
          f"({len(vms)} VMs, {len(vcpus(everyone))} vCPUs) with vm_list cut to fewer VMs:")
    print(f"  no VM listed: {cost[frozenset()]:,} (the fixed cost: dump, profile, symbols)")
    for name, s in (("1 VM", one), ("4 VMs", four)):
        alone, among = per_vcpu(s, frozenset()), per_vcpu(everyone, everyone - s)
        print(f"  {name} ({len(vcpus(s))} vCPUs: {mix(vcpus(s))}): per vCPU {alone:,.0f} with {len(s)} listed, "
              f"{among:,.0f} among all {len(vms)}: ratio {among / alone:.3f}")
    print(f"  all {len(vms)} VMs ({len(vcpus(everyone))} vCPUs: {mix(vcpus(everyone))}): per vCPU "
          f"{per_vcpu(everyone, frozenset()):,.0f}")
    print("flat: the same vCPUs cost the same per vCPU with 1, 4 or 17 VMs listed when the ratios are about 1")
else:
    print("valgrind is not installed (setup.sh installs it): no instruction counts, so no cost per vCPU by "
          "number of VMs")

t = cpu_times([three, many])
n3, nm = triage_json(three)["summary"]["vcpu_count"], doc["summary"]["vcpu_count"]
print(f"the kdumps as committed, {n3} and {nm} vCPUs (same fixed cost), per vCPU beyond the 3-VM dump:")
if valgrind:
    i3, im = instructions(three), instructions(many)
    print(f"  {(im - i3) / (nm - n3):,.0f} instructions ({i3:,} and {im:,} in all)")
print(f"  {1000 * (t[many] - t[three]) / (nm - n3):.2f} ms CPU time, the least of {n} runs ({t[three]:.4f}s and "
      f"{t[many]:.4f}s in all: the {nm}-vCPU triage costs {t[many] / t[three]:.2f} times the {n3}-vCPU one)")
