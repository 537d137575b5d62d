#!/usr/bin/env python3
"""Stops a QEMU machine through its QMP socket and has QEMU write its memory
as a kdump-compressed dump (zlib), then quits it.  With -device vmcoreinfo the
dump carries the guest kernel's VMCOREINFO.

usage: qmpdump.py SOCKET OUT.kdump"""
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
