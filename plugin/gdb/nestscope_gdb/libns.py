"""libnestscope for gdb: the shared ctypes layer (nestscope_abi, also the drgn
package's) with its errors raised as gdb.GdbError.  Commands, options and help
text are the core's (commands.def); nothing is parsed or decoded in Python."""
import os
import sys

import gdb

# build tree: plugin/gdb/nestscope_gdb -> plugin/python; install: share/nestscope/gdb/nestscope_gdb ->
# share/nestscope/python
sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")))

import nestscope_abi  # noqa: E402
from nestscope_abi import (READ, MEMBER, SYMBOL, TYPESIZE, EVAL, PID, MEMBERS,  # noqa: E402,F401
                           Target, Frontend, AbiMember, DATADIR)

try:
    _core = nestscope_abi.Core()
except nestscope_abi.NestscopeError as e:
    raise gdb.GdbError(str(e)) from None
lib = _core.lib


def _gdb_errors(fn):
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except nestscope_abi.NestscopeError as e:
            raise gdb.GdbError(str(e)) from None
    call.__doc__ = fn.__doc__
    return call


commands = _core.commands
help_text = _core.help_text
options = _core.options
operand = _core.operand
vmcs12_slots = _core.vmcs12_slots
section_keys = _core.section_keys
launch_state = _core.launch_state
nested_flags = _core.nested_flags
svm_value = _core.svm_value
svm_exit_name = _core.svm_exit_name
vmcb_field = _gdb_errors(_core.vmcb_field)
command = _gdb_errors(_core.command)
region = _gdb_errors(_core.region)
vmcs12_field = _gdb_errors(_core.vmcs12_field)
