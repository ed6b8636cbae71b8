"""Pegasus simulator: the few bits of click (8.x) command-line behaviour the 5.1.3 tools show.

Part of the "Pegasus simulator" test stand-ins (tools/pegasus-standins). NOT Pegasus.
"""

import os
import sys


class UsageError(Exception):
    pass


def usage_exit(prog, message, usage_args="[OPTIONS] [SUBMIT_DIR]"):
    sys.stderr.write(
        "Usage: %s %s\nTry '%s --help' for help.\n\nError: %s\n" % (prog, usage_args, prog, message)
    )
    sys.exit(2)


def check_submit_dir_argument(prog, value):
    """click.Path(file_okay=False, dir_okay=True, readable=True, exists=True) for SUBMIT_DIR."""
    if not os.path.exists(value):
        usage_exit(prog, "Invalid value for '[SUBMIT_DIR]': Directory %r does not exist." % value)
    if not os.path.isdir(value):
        usage_exit(prog, "Invalid value for '[SUBMIT_DIR]': Directory %r is a file." % value)
    if not os.access(value, os.R_OK):
        usage_exit(prog, "Invalid value for '[SUBMIT_DIR]': Directory %r is not readable." % value)


def parse(prog, argv, flags, valued, counted=(), help_text=""):
    """A tiny click-compatible parser.

    flags:   {"--json": "json", "-j": "json", "--grid": ("grid", True), "--nogrid": ("grid", False)}
    valued:  {"--dag-id": "dag_id", "-d": "dag_id"}
    counted: {"-v", "--verbose"} -> "verbose" count
    Returns (options dict, positional list).
    """
    opts = {}
    positional = []
    i = 0
    only_positional = False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if only_positional or not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        if arg == "--":
            only_positional = True
            continue
        if arg == "--help":
            sys.stdout.write(help_text)
            sys.exit(0)
        name, eq, inline = arg.partition("=")
        if name.startswith("--"):
            if name in counted:
                opts["verbose"] = opts.get("verbose", 0) + 1
            elif name in flags:
                if eq:
                    usage_exit(prog, "Option %r does not take a value." % name)
                target = flags[name]
                if isinstance(target, tuple):
                    opts[target[0]] = target[1]
                else:
                    opts[target] = True
            elif name in valued:
                if eq:
                    opts[valued[name]] = inline
                elif i < len(argv):
                    opts[valued[name]] = argv[i]
                    i += 1
                else:
                    usage_exit(prog, "Option %r requires an argument." % name)
            else:
                usage_exit(prog, "No such option: %s" % name)
            continue
        # short options, possibly bundled: -vvv, -jv, -dVALUE
        letters = arg[1:]
        j = 0
        while j < len(letters):
            opt = "-" + letters[j]
            j += 1
            if opt in counted:
                opts["verbose"] = opts.get("verbose", 0) + 1
            elif opt in flags:
                target = flags[opt]
                if isinstance(target, tuple):
                    opts[target[0]] = target[1]
                else:
                    opts[target] = True
            elif opt in valued:
                if j < len(letters):
                    opts[valued[opt]] = letters[j:]
                elif i < len(argv):
                    opts[valued[opt]] = argv[i]
                    i += 1
                else:
                    usage_exit(prog, "Option %r requires an argument." % opt)
                break
            else:
                usage_exit(prog, "No such option: %s" % opt)
    return opts, positional
