#!/bin/sh
# The VMCB table against struct vmcb_control_area / vmcb_save_area in each SVM sample kernel's kvm-amd.ko
# debuginfo, read by gdb (vmcb_layout.py); a kernel without debuginfo is skipped with a note.
exec /usr/bin/python3 tests/integration/vmcb_layout.py samples "${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
