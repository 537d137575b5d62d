#!/usr/bin/python3
"""Receives the sample machine's serial line over TCP (Bochs com1 in
socket-client mode) and writes each line prefixed with the wall-clock seconds
since the listener started, so that every boot step can be timed.

usage: serialstamp.py PORTFILE OUT
  Listens on a free loopback port, writes the port number to PORTFILE, and
  exits when Bochs closes the connection.
"""
import socket
import sys
import time

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
with open(sys.argv[1], "w") as f:
    f.write(str(srv.getsockname()[1]))
srv.settimeout(600)
conn, _ = srv.accept()
start = time.monotonic()
pending = b""
with open(sys.argv[2], "w") as out:
    while True:
        data = conn.recv(65536)
        if not data:
            break
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            text = line.decode("utf-8", "replace").rstrip("\r")
            out.write(f"{time.monotonic() - start:8.2f} {text}\n")
        out.flush()
    if pending:
        out.write(f"{time.monotonic() - start:8.2f} {pending.decode('utf-8', 'replace')}\n")
