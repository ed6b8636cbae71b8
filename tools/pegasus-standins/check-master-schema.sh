#!/bin/bash
# Pegasus simulator: check that the master DB schema embedded in bin/_pegasus_sim_masterdb.py is
# the one the real Pegasus creates. Runs the real `pegasus-db-admin update -t master` (the call
# pegasus-plan makes) from a Pegasus virtualenv in a temporary HOME, and compares every schema
# object (tables, indexes, their SQL) and the dbversion row with a database made by
# make-master-db.sh. Enum CHECK lists and index order depend on Python's hash seed in Pegasus,
# so the values inside "IN (...)" lists are sorted before comparing.
#
# Usage: check-master-schema.sh [--skip-if-missing]
#   The virtualenv is $PEGASUS_VENV, else /tmp/pegvenv (pip install pegasus-wms==5.1.3).
# Exit: 0 same schema; 1 mismatch (a diff is printed); 2 no Pegasus virtualenv (0 with
# --skip-if-missing, printing SKIPPED).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
skip_if_missing=false
[[ ${1:-} == --skip-if-missing ]] && skip_if_missing=true

venv=${PEGASUS_VENV:-/tmp/pegvenv}
py="$venv/bin/python"
admin=""
if [[ -x $py ]]; then
    admin=$("$py" - <<'PY' 2>/dev/null || true
import os, Pegasus
print(os.path.join(os.path.dirname(Pegasus.__file__), "cli", "pegasus-db-admin.py"))
PY
)
fi
if [[ ! -x $py || -z $admin || ! -f $admin ]]; then
    if $skip_if_missing; then
        echo "SKIPPED: no Pegasus virtualenv at $venv (set PEGASUS_VENV)"
        exit 0
    fi
    echo "check-master-schema: no Pegasus virtualenv at $venv (set PEGASUS_VENV)" >&2
    exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home"
: > "$tmp/empty.properties"
(cd "$tmp" && HOME="$tmp/home" "$py" "$admin" update -t master -c "$tmp/empty.properties") > "$tmp/admin.out" 2>&1 || {
    echo "check-master-schema: pegasus-db-admin failed:" >&2
    cat "$tmp/admin.out" >&2
    exit 1
}
"$here/make-master-db.sh" "$tmp/sim.db" > /dev/null

python3 - "$tmp/home/.pegasus/workflow.db" "$tmp/sim.db" "$tmp/admin.out" "$here/bin" <<'PY'
import re, sqlite3, sys
real, sim, admin_out, bindir = sys.argv[1:5]
sys.dont_write_bytecode = True
sys.path.insert(0, bindir)
import _pegasus_sim_masterdb as m

def norm_sql(sql):
    if sql is None:
        return None
    return re.sub(r"IN \(([^)]*)\)",
                  lambda g: "IN (" + ", ".join(sorted(x.strip() for x in g.group(1).split(","))) + ")", sql)

def describe(path):
    c = sqlite3.connect(path)
    objects = sorted((t, n, tb, norm_sql(s)) for t, n, tb, s in
                     c.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    lines = ["%s %s ON %s: %s" % (t, n, tb, s) for t, n, tb, s in objects]
    for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
        for col in c.execute('PRAGMA table_info("%s")' % name):
            lines.append("column %s: %r" % (name, col))
        for fk in c.execute('PRAGMA foreign_key_list("%s")' % name):
            lines.append("foreign key %s: %r" % (name, fk[2:]))
    for row in c.execute("SELECT id, version_number, version FROM dbversion"):
        lines.append("dbversion %r" % (row,))
    for pragma in ("user_version", "encoding", "auto_vacuum", "journal_mode"):
        lines.append("pragma %s = %r" % (pragma, c.execute("PRAGMA " + pragma).fetchone()[0]))
    return lines

a, b = describe(real), describe(sim)
ok = True
if a != b:
    import difflib
    sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(a, b, "pegasus-db-admin", "simulator", lineterm=""))
    ok = False
printed = open(admin_out).read()
expect = "Database version: '%s'" % m.PRINTED_DB_VERSION
if expect not in printed:
    print("pegasus-db-admin printed %r, the simulator prints %r" % (printed.strip(), expect))
    ok = False
if ok:
    print("OK: the simulator's master DB schema equals pegasus-db-admin's (%d schema lines compared)" % len(a))
sys.exit(0 if ok else 1)
PY
