#!/usr/bin/env python3
"""Writes one man page per nestscope command, from the command's own --help.

    mkman.py NESTSCOPE MAIN_PAGE TEMPLATES OUTDIR

NESTSCOPE is the built binary: 'NESTSCOPE help --commands' lists the commands
(name, a tab, the summary; the CLI's table and the core's commands.def), and
'NESTSCOPE CMD --help' is the text each page is made from, so a page cannot
say what --help does not.  MAIN_PAGE is docs/nestscope.1: its .TH date and
its ENVIRONMENT and FILES sections are copied into every page (they are
written once, there).  TEMPLATES holds nestscope-debuggers.7.in, the page for
the commands inside crash, gdb and drgn, whose command list is
'NESTSCOPE help --man' (the text crash's and gdb's help print).

The --help texts share one shape, which this reads:

    usage: nestscope CMD ...          SYNOPSIS (with its indented lines)
    paragraphs                        DESCRIPTION
      -x, --long ARG   text           OPTIONS (deeper-indented lines continue)
    indented lines in a paragraph     kept as they are (.nf)
    Examples:                         EXAMPLES
    Exit status: ...                  EXIT STATUS

A debugger command's --help holds the command's own help after the CLI's
paragraph ("NAME - summary", "Usage: NAME ..."): its usage line opens a
subsection.
"""

import re
import subprocess
import sys

OPTION = re.compile(r"^( {1,8})(--?[A-Za-z].*?)(?: {2,}(.*))?$")


def esc(text):
    """troff-escapes text: backslashes, hyphens (options, file names), leading dots."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def option_head(spec):
    """'-c, --caps SOURCE' with the options bold and their arguments italic."""
    out = []
    for word in re.split(r"(\s+|,|\||\[|\])", spec):
        if not word or word.isspace() or word in ",|[]":
            out.append(esc(word))
        elif word.startswith("-"):
            name, eq, arg = word.partition("=")
            out.append("\\fB" + esc(name) + "\\fR" + (esc(eq) + "\\fI" + esc(arg) + "\\fR" if eq else ""))
        else:
            out.append("\\fI" + esc(word) + "\\fR")
    return "".join(out)


def run(binary, *args):
    return subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout


def section(page, name):
    """The body of section name in a man page's source, up to the next .SH."""
    m = re.search(r"^\.SH %s\n(.*?)(?=^\.SH )" % re.escape(name), page, re.M | re.S)
    if not m:
        sys.exit("mkman.py: the main page has no %s section" % name)
    return m.group(1)


def paragraphs(lines):
    """Blank-line separated blocks of lines."""
    block = []
    for line in lines:
        if line.strip():
            block.append(line.rstrip())
        elif block:
            yield block
            block = []
    if block:
        yield block


def render(cmd, summary, text):
    """(SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, EXAMPLES) of one --help text, as troff."""
    synopsis, desc, options, status, examples = [], [], [], [], []
    lines = text.splitlines()
    first = True
    for block in paragraphs(lines):
        head = block[0]
        if first and head.lower().startswith("usage:"):
            first = False
            for line in block:
                line = re.sub(r"^(usage:|\s+)\s*", "", line, flags=re.I)
                if line:
                    synopsis.append(esc(line))
            continue
        first = False
        if head == "%s - %s" % (cmd, summary):
            continue  # the NAME line, again: the debugger command's own help begins
        if head.startswith("Usage: "):
            desc += [".SS \"%s\"" % esc(cmd + " " + "arguments"), ".nf", esc(head[len("Usage: "):])]
            desc += [esc(line.strip()) for line in block[1:]] + [".fi"]
            continue
        if head.rstrip(":").lower() == "examples":
            examples += [".nf"] + [esc(line.strip()) for line in block[1:]] + [".fi"]
            continue
        m = re.match(r"exit status:\s*(.*)", head, re.I)
        if m:
            status += [esc(" ".join([m.group(1)] + [line.strip() for line in block[1:]]))]
            continue
        if OPTION.match(head):
            indent = None
            for line in block:
                m = OPTION.match(line)
                if m and (indent is None or len(m.group(1)) <= indent + 4):
                    indent = len(m.group(1))
                    options += [".TP", option_head(m.group(2))]
                    if m.group(3):
                        options.append(esc(m.group(3)))
                elif options:
                    options.append(esc(line.strip()))
            continue
        # prose, with any indented lines in it kept as they are
        out = [".PP"]
        verbatim = False
        for line in block:
            if line.startswith(" ") != verbatim:
                verbatim = not verbatim
                out.append(".nf" if verbatim else ".fi")
            out.append(esc(line.strip() if not verbatim else line[2:]))
        if verbatim:
            out.append(".fi")
        (options if options else desc).extend(out)
    return synopsis, desc, options, status, examples


def page(cmd, summary, text, date, version, env, files):
    synopsis, desc, options, status, examples = render(cmd, summary, text)
    if not synopsis:
        sys.exit("mkman.py: 'nestscope %s --help' has no usage line" % cmd)
    out = ['.\\" Generated by docs/man/mkman.py from \'nestscope %s --help\': do not edit.' % cmd,
           '.TH NESTSCOPE\\-%s 1 "%s" "nestscope %s" "User Commands"' % (esc(cmd.upper()), date, version),
           ".SH NAME", "nestscope\\-%s \\- %s" % (esc(cmd), esc(summary)),
           ".SH SYNOPSIS", ".nf"] + ["\\fB" + s.replace(" ", "\\fR ", 1) if s.startswith("nestscope ") else s
                                     for s in synopsis] + [".fi"]
    out += [".SH DESCRIPTION"] + desc
    if options:
        out += [".SH OPTIONS"] + options
    if status:
        out += [".SH EXIT STATUS"] + status
    out += [".SH ENVIRONMENT", env.rstrip("\n"), ".SH FILES", files.rstrip("\n")]
    if examples:
        out += [".SH EXAMPLES"] + examples
    out += [".SH SEE ALSO", ".BR nestscope (1),", ".BR nestscope\\-debuggers (7)"]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: mkman.py NESTSCOPE MAIN_PAGE TEMPLATES OUTDIR")
    binary, main_page, templates, outdir = sys.argv[1:]
    with open(main_page) as f:
        source = f.read()
    th = re.search(r'^\.TH \S+ 1 "([^"]*)" "nestscope ([^"]*)"', source, re.M)
    if not th:
        sys.exit("mkman.py: %s has no .TH line with a date and version" % main_page)
    date, version = th.groups()
    env, files = section(source, "ENVIRONMENT"), section(source, "FILES")
    for line in run(binary, "help", "--commands").splitlines():
        cmd, summary = line.split("\t", 1)
        text = run(binary, cmd, "--help")
        with open("%s/nestscope-%s.1" % (outdir, cmd), "w") as f:
            f.write(page(cmd, summary, text, date, version, env, files))
    with open("%s/nestscope-debuggers.7.in" % templates) as f:
        template = f.read()
    marker = '.\\" COMMANDS\n'
    if marker not in template:
        sys.exit("mkman.py: nestscope-debuggers.7.in has no COMMANDS marker")
    with open("%s/nestscope-debuggers.7" % outdir, "w") as f:
        f.write(template.replace(marker, run(binary, "help", "--man"))
                .replace("@DATE@", date).replace("@VERSION@", version))


if __name__ == "__main__":
    main()
