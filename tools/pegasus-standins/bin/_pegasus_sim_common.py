"""Pegasus simulator: helpers shared by the stand-in tools.

Part of the "Pegasus simulator" test stand-ins (tools/pegasus-standins). NOT Pegasus.
Standard library only; runs with the system python3.
"""

import json
import os
import pwd
import re
import socket
import sys
import time

PEGASUS_VERSION = "5.1.3"
# A fixed, made-up build stamp in the format the real planner writes (yyyyMMddHHmmssZ).
PEGASUS_BUILD = "20240801183155Z"
SIMULATOR_LABEL = "Pegasus simulator (test stand-in, not the real Pegasus)"

BIN_DIR = os.path.dirname(os.path.realpath(__file__))

# The fields of Pegasus.braindump.Braindump in 5.1.3, in the order the planner writes them
# ("app" is accepted by the dataclass but not written by the planner).
BRAINDUMP_FIELDS = (
    "user", "grid_dn", "submit_hostname", "root_wf_uuid", "wf_uuid", "dax", "dax_label",
    "dax_index", "dax_version", "pegasus_wf_name", "timestamp", "basedir", "submit_dir",
    "planner", "planner_version", "pegasus_build", "planner_arguments", "jsd", "rundir",
    "bindir", "vogroup", "uses_pmc", "properties", "condor_log", "notify", "dag", "type",
    "script",
)
# The field order of the Braindump dataclass (what slurp_braindb returns, e.g. pegasus-run --json).
BRAINDUMP_DATACLASS_FIELDS = (
    "user", "grid_dn", "submit_hostname", "root_wf_uuid", "wf_uuid", "dax", "dax_label",
    "dax_index", "dax_version", "pegasus_wf_name", "timestamp", "basedir", "submit_dir",
    "planner", "planner_version", "planner_arguments", "pegasus_build", "jsd", "rundir",
    "bindir", "vogroup", "uses_pmc", "properties", "condor_log", "dag", "type", "notify",
    "script", "app",
)
BRAINDUMP_KNOWN_KEYS = set(BRAINDUMP_DATACLASS_FIELDS)

SIM_CONFIG_FILE = "sim.json"          # run knobs stored by pegasus-plan
SIM_STATE_FILE = "sim-state.json"     # written by the simulated DAGMan/monitord
SIM_REMOVE_MARKER = "sim-remove-requested"
SIM_DAEMON_LOG = "pegasus-sim-daemon.log"


# ----------------------------------------------------------------------------------------------
# users, hosts, time


def username():
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return os.environ.get("USER") or "user"


def submit_hostname():
    try:
        return socket.getfqdn() or "Unknown"
    except OSError:
        return "Unknown"


def planner_timestamp(now=None):
    """The braindump timestamp: yyyyMMdd'T'HHmmssZ in local time, e.g. 20240801T114455-0700."""
    return time.strftime("%Y%m%dT%H%M%S%z", time.localtime(now if now is not None else time.time()))


def epoch_of_planner_timestamp(ts):
    """Pegasus.tools.utils.epochdate for the planner timestamp format (int, or None)."""
    import calendar
    import datetime

    m = re.match(r"^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(\.\d+)?(Z|([+-])(\d{2}):?(\d{2}))$", ts or "")
    if not m:
        return None
    t = datetime.datetime(*(int(m.group(i)) for i in range(1, 7)))
    if m.group(8) != "Z":
        off = datetime.timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        t = t + off if m.group(9) == "-" else t - off
    return int(calendar.timegm(t.timetuple()))


def java_log_timestamp(now=None):
    """Pegasus LogManager date format: yyyy.MM.dd HH:mm:ss.SSS zzz"""
    now = time.time() if now is None else now
    lt = time.localtime(now)
    return "%s.%03d %s" % (time.strftime("%Y.%m.%d %H:%M:%S", lt), int((now % 1) * 1000), time.strftime("%Z", lt))


def dagman_timestamp(now=None):
    return time.strftime("%m/%d/%y %H:%M:%S", time.localtime(time.time() if now is None else now))


# ----------------------------------------------------------------------------------------------
# properties files (java.util.Properties subset: key=value, key: value, key value, # ! comments)


def read_properties(path):
    props = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line[0] in "#!":
            continue
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + lines[i].strip()
            i += 1
        m = re.match(r"^([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
        if m:
            props[m.group(1)] = m.group(2)
        else:
            props[line] = ""
    return props


def master_db_url_from_properties(props):
    """Pegasus.db.connection._get_master_uri: pegasus.catalog.master.url, then pegasus.dashboard.output."""
    for key in ("pegasus.catalog.master.url", "pegasus.dashboard.output"):
        value = props.get(key)
        if value:
            return value
    return None


# ----------------------------------------------------------------------------------------------
# braindump.yml


def _yaml_string(value):
    # A JSON string is a valid YAML double-quoted scalar (Jackson writes strings double-quoted).
    return json.dumps(value, ensure_ascii=False)


def dump_braindump(entries):
    """Serialise like the planner (Jackson YAML): '---', strings double-quoted, null, booleans."""
    out = ["---"]
    for key, value in entries.items():
        if value is None:
            text = "null"
        elif value is True:
            text = "true"
        elif value is False:
            text = "false"
        else:
            text = _yaml_string(str(value))
        out.append("%s: %s" % (key, text))
    return "\n".join(out) + "\n"


class BraindumpError(Exception):
    """Raised with (exception_type, message) like the real yaml/dataclass errors."""

    def __init__(self, exc_type, message):
        super().__init__(message)
        self.exc_type = exc_type
        self.message = message


def _parse_scalar(raw, lineno):
    raw = raw.strip()
    if raw == "" or raw in ("~", "null", "Null", "NULL"):
        return None
    if raw[0] == '"':
        try:
            value, end = json.JSONDecoder().raw_decode(raw)
        except ValueError:
            raise BraindumpError(
                "yaml.scanner.ScannerError",
                "while scanning a quoted scalar\n  in \"<file>\", line %d\nfound unexpected end of stream" % lineno,
            )
        rest = raw[end:].strip()
        if rest and not rest.startswith("#"):
            raise BraindumpError("yaml.parser.ParserError", "expected <block end>, but found '<scalar>'\n  in \"<file>\", line %d" % lineno)
        return value
    if raw[0] == "'":
        if len(raw) < 2 or not raw.endswith("'"):
            raise BraindumpError(
                "yaml.scanner.ScannerError",
                "while scanning a quoted scalar\n  in \"<file>\", line %d\nfound unexpected end of stream" % lineno,
            )
        return raw[1:-1].replace("''", "'")
    if raw[0] in "[{":
        closing = "]" if raw[0] == "[" else "}"
        if not raw.endswith(closing):
            raise BraindumpError(
                "yaml.parser.ParserError",
                "while parsing a flow node\nexpected the node content, but found '<stream end>'\n  in \"<file>\", line %d" % lineno,
            )
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    if raw[0] in "&*!|>%@`":
        raise BraindumpError(
            "yaml.scanner.ScannerError",
            "while scanning for the next token\nfound character %r that cannot start any token\n  in \"<file>\", line %d" % (raw[0], lineno),
        )
    value = raw.split(" #", 1)[0].strip()
    if value.lower() == "true":
        return True
    if value.lower() == "false":
        return False
    if re.match(r"^[-+]?\d+$", value):
        return int(value)
    if re.match(r"^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$", value):
        return float(value)
    return value


def parse_braindump_text(text):
    """Parse the flat YAML mapping of a braindump file.

    Mirrors Pegasus.braindump.loads: not a mapping -> ValueError("Invalid braindump file.");
    a key the Braindump dataclass does not know -> TypeError. Errors are raised as BraindumpError.
    """
    result = {}
    seen_content = False
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped in ("---", "...") and not line.startswith(" "):
            continue
        if line[0] in " \t":
            raise BraindumpError("yaml.scanner.ScannerError", "mapping values are not allowed here\n  in \"<file>\", line %d" % lineno)
        m = re.match(r"^([^:#\s][^:]*?)\s*:(\s+(.*))?$", line)
        if not m:
            if not seen_content and not result:
                # a lone scalar document is valid YAML but not a mapping
                seen_content = True
                continue
            raise BraindumpError(
                "yaml.scanner.ScannerError",
                "could not find expected ':'\n  in \"<file>\", line %d" % lineno,
            )
        if seen_content:
            raise BraindumpError("yaml.scanner.ScannerError", "mapping values are not allowed here\n  in \"<file>\", line %d" % lineno)
        key = m.group(1).strip().strip("'\"")
        result[key] = _parse_scalar(m.group(3) or "", lineno)
    if not result:
        raise BraindumpError("ValueError", "Invalid braindump file.")
    for key in result:
        if key not in BRAINDUMP_KNOWN_KEYS:
            raise BraindumpError("TypeError", "Braindump.__init__() got an unexpected keyword argument '%s'" % key)
    return result


def slurp_braindb(submit_dir):
    """Pegasus.tools.utils.slurp_braindb for braindump.yml: {} if there is no braindump at all.

    Returns a dict with every Braindump field (None when absent), as the real one does.
    Raises BraindumpError for an unreadable/invalid file.
    """
    path = os.path.join(submit_dir, "braindump.yml")
    if not os.path.exists(path):
        # The real tool falls back to a 4.x braindump.txt; without one it returns {}.
        return {}
    if not os.path.isfile(path):
        raise BraindumpError("TypeError", "%s is not a valid file" % os.path.realpath(path))
    with open(path, encoding="utf-8", errors="replace") as f:
        parsed = parse_braindump_text(f.read())
    config = {k: parsed.get(k) for k in BRAINDUMP_DATACLASS_FIELDS}
    if config.get("uses_pmc") is not None:
        config["uses_pmc"] = bool(config["uses_pmc"])
    return config


def print_python_traceback(prog, error, stream=None):
    """What an uncaught exception in the real (Python) tool looks like on stderr."""
    stream = stream or sys.stderr
    stream.write("Traceback (most recent call last):\n")
    stream.write('  File "%s", line 1, in <module>\n' % prog)
    stream.write("%s: %s\n" % (error.exc_type, error.message))
    stream.flush()


# ----------------------------------------------------------------------------------------------
# simulator state files in the submit dir


def read_json(path, default=None):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def write_json_atomic(path, data):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def sim_home_dir():
    """Where the simulated HTCondor keeps its cluster counter."""
    home = os.environ.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".pegasus", "simulator")


def next_condor_cluster_id():
    """A per-user, monotonically increasing HTCondor cluster id (flock-protected counter)."""
    import fcntl

    directory = sim_home_dir()
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "condor_cluster_id")
    with open(path, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        f.seek(0)
        text = f.read().strip()
        current = int(text) if text.isdigit() else 0
        nxt = current + 1
        f.seek(0)
        f.truncate()
        f.write("%d\n" % nxt)
        f.flush()
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    return nxt


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
            if fields and fields[0] == "Z":
                return False
    except OSError:
        pass
    return True
