#!/bin/bash
# Pegasus simulator: create an empty Pegasus 5.1.3 master database ("workflow.db") at PATH with
# the exact schema and dbversion row that `pegasus-db-admin` writes (no Pegasus needed).
# Usage: make-master-db.sh PATH        (e.g. make-master-db.sh "$HOME/.pegasus/workflow.db")
# Exit 0 and "created PATH" or "exists PATH" (an existing database with tables is left alone).
set -euo pipefail
if (( $# != 1 )) || [[ $1 == -h || $1 == --help ]]; then
    echo "usage: $0 PATH-OF-NEW-workflow.db" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec python3 "$here/bin/_pegasus_sim_masterdb.py" "$1"
