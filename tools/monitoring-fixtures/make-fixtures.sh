#!/bin/bash
# Generate the Pegasus dashboard/monitoring test fixtures into OUTDIR (see README.md).
#
# Usage: make-fixtures.sh [make_fixtures.py options] OUTDIR
#   e.g. make-fixtures.sh /tmp/fixtures
#        make-fixtures.sh --bulk-workflows 10000 /tmp/fixtures-bulk
#
# Cached: if OUTDIR/manifest.json was written by the same generator (sha256 of make_fixtures.py)
# with the same options, nothing is done (this check needs only the system python3, not the
# Pegasus virtualenv). Concurrent calls on one OUTDIR are serialised with flock.
#
# The Pegasus virtualenv (PyPI pegasus-wms==5.1.3) is $PEGASUS_VENV, else /tmp/pegvenv.
# Exit: 0 ok / up to date; 2 usage; 3 no Pegasus virtualenv; other: generator failure.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gen="$here/make_fixtures.py"

if [[ $# -lt 1 || ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    [[ $# -lt 1 ]] && exit 2 || exit 0
fi
outdir=${!#}
case $outdir in
    -*) echo "make-fixtures.sh: the last argument must be OUTDIR" >&2; exit 2 ;;
esac

up_to_date() {
    command -v python3 > /dev/null 2>&1 && [[ -f $outdir/manifest.json ]] &&
        python3 "$gen" --check-cache "$@" 2> /dev/null
}

if up_to_date "$@"; then
    echo "fixtures up to date: $outdir/manifest.json"
    exit 0
fi

venv=${PEGASUS_VENV:-/tmp/pegvenv}
py="$venv/bin/python"
if [[ ! -x $py ]] || ! "$py" -c 'import Pegasus.db.connection' > /dev/null 2>&1; then
    cat >&2 <<EOF
make-fixtures.sh: no Pegasus virtualenv at $venv (set PEGASUS_VENV).
Create one with:
    python3 -m venv /tmp/pegvenv && /tmp/pegvenv/bin/pip install pegasus-wms==5.1.3
EOF
    exit 3
fi

mkdir -p "$outdir"
exec 9> "$outdir/.make-fixtures.lock"
flock 9
# another caller may have generated the fixtures while we waited for the lock
if up_to_date "$@"; then
    echo "fixtures up to date: $outdir/manifest.json"
    exit 0
fi
PYTHONHASHSEED=0 "$py" "$gen" "$@"
