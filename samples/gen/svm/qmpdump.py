#!/usr/bin/env python3
"""Stops a QEMU machine through its QMP socket, has QEMU write its physical
memory from address 0 as a raw image (pmemsave), and quits it.  The sample
generator makes the image an ELF core with the kernel's VMCOREINFO
(raw2elf.c) and then a kdump (makedumpfile), as for the VMX samples: QEMU's
own kdumps carry a wrong phys_base in their sub-header (VMCOREINFO's decimal
read as hex) and makedumpfile 1.7 finds no mem_map in them, and QEMU 7.2's
ELF cores have program headers makedumpfile cannot count.
With --kdump it has QEMU write its own kdump instead (dump-guest-memory,
kdump-zlib: what `virsh dump --memory-only` asks for; qemu-kdump.sh).

usage: qmpdump.py SOCKET OUT.raw SIZE | qmpdump.py --kdump SOCKET OUT.kdump"""
import json
import socket
import sys


def main():
    kdump = sys.argv[1:2] == ["--kdump"]
    if kdump:
        sock_path, out = sys.argv[2], sys.argv[3]
    else:
        sock_path, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3], 0)
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path)
    f = s.makefile("rw")

    def call(cmd, **args):
        f.write(json.dumps({"execute": cmd, "arguments": args} if args else {"execute": cmd}) + "\n")
        f.flush()
        while True:  # events come between: the reply is the line with "return" or "error"
            msg = json.loads(f.readline())
            if "error" in msg:
                sys.exit(f"qmpdump.py: {cmd}: {msg['error'].get('desc')}")
            if "return" in msg:
                return msg["return"]

    json.loads(f.readline())  # the greeting
    call("qmp_capabilities")
    call("stop")
    if kdump:
        call("dump-guest-memory", paging=False, protocol="file:" + out, format="kdump-zlib")
    else:
        call("pmemsave", val=0, size=size, filename=out)
    call("quit")


if __name__ == "__main__":
    main()
