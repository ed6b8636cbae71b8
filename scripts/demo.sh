#!/usr/bin/env bash
# A demo of pegasus-em: the ensemble manager with a file-pattern trigger, on the bundled example workflows.
# Pegasus' planner and HTCondor are replaced by the Pegasus simulator (tools/pegasus-standins), which prints the
# same output and writes the same submit directories and master DB rows as Pegasus 5.1.3 without running jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-deps.sh
echo "== building pegasus-em"
swift build --product pegasus-em >/tmp/pegasus-em-demo-build.log 2>&1 || { cat /tmp/pegasus-em-demo-build.log; exit 1; }
em="$root/.build/debug/pegasus-em"

demo=$(mktemp -d /tmp/pegasus-em-demo.XXXXXX)
export HOME="$demo/home"                          # a private ~/.pegasus for the demo
mkdir -p "$HOME/.pegasus" "$demo/inbox"
cp -r "$root/examples" "$demo/examples"           # plan runs write submit directories beside the examples
cat >"$HOME/.pegasus/service.py" <<CONF
# demo configuration (see the README for every key)
AUTHENTICATION = "NoAuthentication"
EM_ALLOW_ROOT = True
EM_PORT = 0
CONF
export PEGASUS_HOME="$root/tools/pegasus-standins"  # the Pegasus simulator's pegasus-plan, pegasus-run, ...
export PATH="$PEGASUS_HOME/bin:$PATH"

"$em" server -v >"$demo/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; echo "(demo files kept in $demo)"' EXIT
for _ in $(seq 100); do
    port=$(grep -o 'listening on http://[^ ]*' "$demo/server.log" | sed 's/.*://' || true)
    [ -n "$port" ] && break
    sleep 0.1
done
export EM_PORT="$port"
step() { printf '\n$ %s\n' "$*"; "$@"; }

echo "== pegasus-em server is listening on 127.0.0.1:$EM_PORT (Pegasus simulator mode)"
step "$em" create demo -P 2 -R 2
cd "$demo/examples/workflows/diamond"
step "$em" submit demo.diamond1 ./plan.sh
step "$em" submit -p 10 demo.diamond2 ./plan.sh --sim-status 1
cd "$demo/examples/workflows/process-inputs"
step "$em" file-pattern-trigger demo inbox 2s ./plan.sh "$demo/inbox/*.dat"
echo "(writing three files into $demo/inbox)"
for i in 1 2 3; do echo "sample $i" >"$demo/inbox/sample$i.dat"; done
sleep 5
step "$em" ensembles
step "$em" workflows demo
step "$em" triggers demo
step "$em" trigger-status demo inbox
first=$("$em" workflows demo --json | python3 -c 'import json,sys; print([w["name"] for w in json.load(sys.stdin) if w["name"].startswith("inbox_")][0])')
step "$em" status "demo.$first"
step "$em" analyze demo.diamond2
step "$em" stop-trigger demo inbox
step "$em" triggers demo
echo
echo "== done: the server log is $demo/server.log"
