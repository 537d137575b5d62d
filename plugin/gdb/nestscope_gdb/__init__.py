"""nestscope's gdb front end: thin commands over libnestscope (ctypes)."""


def register():
    from . import commands, functions, printers
    commands.register()
    functions.register()
    printers.register()
