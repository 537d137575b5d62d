# nestscope for gdb: `source /path/to/nestscope-gdb.py` (README: auto-load).
#
# Adds the commands kvm, vmcs12, vmcs02, vmcs01, vmcs12-abi and kvm-symbols, the
# convenience function $vmcs12_field, and pretty-printers for struct vmcs12
# and struct kvm_nested_state, registered for kvm-intel.ko's objfile, and for struct vmcb
# and struct vcpu_svm, registered for kvm-amd.ko's.  The work is done by libnestscope (found next
# to this file in a build tree, in the install's lib directory, or at
# $NESTSCOPE_LIB), the same C core the crash extension and the CLI use.
#
# Installed (make install, the python3-nestscope package): ~/.gdbinit's line
#   source /usr/share/nestscope/gdb/nestscope-gdb.py
# loads it in every gdb; gdb's auto-load runs it when it reads a kernel's kvm-intel.ko or kvm-amd.ko debug file
# (docs/packaging.md).
import os
import sys

# the package beside the real file: gdb's auto-load runs this through a link (nestscope-gdb-autoload)
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import gdb  # noqa: E402

import nestscope_gdb  # noqa: E402

# auto-loaded, gdb.current_objfile() is the module's (the printers go on its list); sourced, it is None
nestscope_gdb.register(gdb.current_objfile())
