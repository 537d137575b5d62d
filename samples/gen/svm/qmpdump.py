#!/usr/bin/env python3
"""Stops a QEMU machine through its QMP socket and has QEMU write its memory
as a kdump-compressed dump (zlib, in makedumpfile's flattened format), then
quits it.  With -device vmcoreinfo the dump carries the guest kernel's
VMCOREINFO.  (QEMU 7.2's ELF cores have program headers makedumpfile 1.7
cannot count, so the kdump format it is.)

usage: qmpdump.py SOCKET OUT"""
import json
import socket
import sys


def main():
    sock_path, out = sys.argv[1:3]
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
    call("dump-guest-memory", paging=False, protocol="file:" + out, format="kdump-zlib")
    call("quit")


if __name__ == "__main__":
    main()
