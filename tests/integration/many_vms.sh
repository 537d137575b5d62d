#!/bin/sh
# nestscope triage on the many-VMs dump (16+ VMs, 40+ vCPUs in L2, in L1 in
# VMX operation and never in it) against that sample's manifest (many_vms.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/many_vms.py "${NESTSCOPE:-$BUILD/nestscope}" samples/many-vms profiles
