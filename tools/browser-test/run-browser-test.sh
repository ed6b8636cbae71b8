#!/usr/bin/env bash
# Headless-browser test of the pegasus-service dashboard.
#
# Starts the built pegasus-service (HTTPS, NoAuthentication, no process switching) as a throwaway user and
# loads the main pages in headless Chromium: the workflow list, workflow details, the hostile workflow, the
# charts of the 100,000-job `large` fixture, the statistics page, and the ensemble and trigger pages. Each page
# must answer 200, render its expected text, load every stylesheet/script/image it references, contain no
# unescaped injected markup, and log nothing to the browser console (any console message fails the test: the
# dashboard needs none). A screenshot of every page is written to $BROWSER_SCREENSHOTS (default
# .build/browser-screenshots/) and the paths are printed.
#
# Why a throwaway user: the dashboard resolves the target user's home from the password database (getpwnam)
# and never serves root's data. So the test creates a system user `pegasus-browser` whose home is a fresh
# temporary directory holding
#   - a copy of the monitoring fixtures' master database (tools/monitoring-fixtures, the same cached set the
#     Swift tests use in /tmp/pegasus-service-fixtures); its rows point at the fixtures' submit directories and
#     STAMPEDE databases, which are world-readable and read in place;
#   - an ensemble manager store made by the real `pegasus-em server` running as that user with the Pegasus
#     simulator (examples/workflows: two diamond runs, one failing; a cron trigger; a file-pattern trigger
#     that submitted a batch, plus a pending file held back by pausing the ensemble). The simulated runs
#     register in the copied master DB, so ensemble workflows link to real monitoring pages;
#   - .pegasus/service.py for both servers.
# The user is removed again at the end (if this script created it).
#
# Needs root (user creation, and `apt-get install chromium` when Chromium is missing): without it, or when
# Chromium cannot be installed, it fails (exit 1), as on any other failure. There is no SKIPPED.
#
# Usage: tools/browser-test/run-browser-test.sh        (after `swift build`)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

say() { echo "browser-test: $*"; }
if [[ $(id -u) -ne 0 ]]; then
    say "FAILED: needs root (it runs the service as a throwaway user, and installs chromium if missing)"
    exit 1
fi
chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
    say "installing chromium"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium > /dev/null; then
        apt-get update -q > /dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium > /dev/null
    fi
    chromium=$(command -v chromium)
fi

bin=$(swift build --show-bin-path)
if [[ ! -x $bin/pegasus-service || ! -x $bin/pegasus-em ]]; then
    say "building pegasus-service and pegasus-em"
    swift build --product pegasus-service > /dev/null
    swift build --product pegasus-em > /dev/null
fi

fixtures=/tmp/pegasus-service-fixtures
tools/monitoring-fixtures/make-fixtures.sh "$fixtures" > /dev/null
manifest=$fixtures/manifest.json
# label -> "master_wf_id stampede_wf_id wf_uuid"
fixture() {
    python3 - "$manifest" "$1" << 'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
w = next(w for w in m["workflows"] if w["label"] == sys.argv[2])
print(w["master_wf_id"], w["stampede_wf_id"], w["wf_uuid"])
EOF
}
master_db=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["master_db"])' "$manifest")

out=${BROWSER_SCREENSHOTS:-$root/.build/browser-screenshots}
mkdir -p "$out"
rm -f "$out"/*.png "$out"/*.html
tmp=$(mktemp -d /tmp/pegasus-browser-XXXXXX)
chmod 755 "$tmp"
home=$tmp/home
user=pegasus-browser
created_user=false
service_pid=
em_pid=
failed=0

cleanup() {
    local status=$?
    for pid in $service_pid $em_pid; do
        if kill -0 "$pid" 2> /dev/null; then
            kill "$pid" 2> /dev/null || true
            wait "$pid" 2> /dev/null || true
        fi
    done
    chown -R 0:0 "$fixtures" 2> /dev/null || true
    if $created_user; then userdel "$user" 2> /dev/null || true; fi
    if [[ $status -eq 0 ]]; then
        rm -rf "$tmp"
    else
        say "kept $tmp for inspection (service.log, em.log, *.console)"
    fi
}
trap cleanup EXIT

if id "$user" > /dev/null 2>&1; then
    usermod --home "$home" "$user"
else
    useradd --system --no-create-home --home-dir "$home" --shell /usr/sbin/nologin --user-group "$user"
    created_user=true
fi
uid=$(id -u "$user")
gid=$(id -g "$user")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
service_port=$(free_port)
em_port=$(free_port)

mkdir -p "$home/.pegasus" "$tmp/incoming"
cp "$master_db" "$home/.pegasus/workflow.db"
cat > "$home/.pegasus/service.py" << EOF
AUTHENTICATION = 'NoAuthentication'
PROCESS_SWITCHING = False
SERVER_HOST = '127.0.0.1'
SERVER_PORT = $service_port
EM_PORT = $em_port
EM_INTERVAL = 1
EOF
cp -r examples/workflows "$tmp/work"
rm -rf "$tmp/work"/*/submit "$tmp/work"/*/generated
chown -R "$uid:$gid" "$tmp"
# Without PROCESS_SWITCHING the service reads only files owned by the user whose data it shows: lend the shared
# fixtures to the throwaway user for the run (cleanup gives them back to root).
chown -R "$uid:$gid" "$fixtures"

simulator=$root/tools/pegasus-standins
# Runs a command as the throwaway user.
as_user() {
    setpriv --reuid="$uid" --regid="$gid" --init-groups -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
        LANG=C.UTF-8 PEGASUS_HOME="$simulator" PATH="$simulator/bin:$bin:/usr/local/bin:/usr/bin:/bin" "$@"
}
# Starts a server as the throwaway user in the background, in $home; sets server_pid to the server's own pid
# (the background subshell execs setpriv, which execs env, which execs the server).
start_as_user() { # log command...
    local log=$1
    shift
    (
        cd "$home"
        exec setpriv --reuid="$uid" --regid="$gid" --init-groups -- env -i HOME="$home" USER="$user" \
            LOGNAME="$user" LANG=C.UTF-8 PEGASUS_HOME="$simulator" \
            PATH="$simulator/bin:$bin:/usr/local/bin:/usr/bin:/bin" "$@"
    ) > "$log" 2>&1 &
    server_pid=$!
}
wait_for_line() { # file pattern seconds pid
    local deadline=$((SECONDS + $3))
    until grep -q "$2" "$1" 2> /dev/null; do
        if ((SECONDS > deadline)) || ! kill -0 "$4" 2> /dev/null; then
            say "FAILED: no '$2' in $1:"
            cat "$1" >&2
            exit 1
        fi
        sleep 0.2
    done
}
em_query() { python3 -c 'import sqlite3,sys; print(sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True).execute(sys.argv[2]).fetchone()[0])' "$home/.pegasus/em.db" "$1"; }
wait_until() { # sql-returning-1 seconds what
    local deadline=$((SECONDS + $2))
    until [[ $(em_query "$1") == 1 ]]; do
        if ((SECONDS > deadline)); then
            say "FAILED: timed out waiting for $3"
            as_user pegasus-em workflows demo >&2 || true
            cat "$tmp/em.log" >&2
            exit 1
        fi
        sleep 0.5
    done
}

# --- The ensemble manager store, made by the real EM with the Pegasus simulator.
say "creating ensembles, workflows and triggers with pegasus-em (Pegasus simulator)"
start_as_user "$tmp/em.log" "$bin/pegasus-em" server
em_pid=$server_pid
wait_for_line "$tmp/em.log" "listening on" 60 "$em_pid"
(
    cd "$tmp/work/diamond"
    as_user pegasus-em create -P 2 -R 3 demo
    as_user pegasus-em create nightly-batch
    as_user pegasus-em submit demo.run1 ./plan.sh
    as_user pegasus-em submit demo.run2 ./plan.sh --sim-status 1
    as_user pegasus-em cron-trigger demo nightly "$tmp/work/diamond/plan.sh" --cron '0 3 * * *'
    as_user pegasus-em file-pattern-trigger --settle 1s demo ingest 2s "$tmp/work/process-inputs/plan.sh" \
        "$tmp/incoming/*.dat"
) > "$tmp/em-client.log" 2>&1 || {
    cat "$tmp/em-client.log" >&2
    exit 1
}
as_user touch "$tmp/incoming/a.dat" "$tmp/incoming/b.dat"
active="state IN ('READY', 'PLANNING', 'QUEUED', 'RUNNING')"
wait_until "SELECT (SELECT fire_count FROM trigger WHERE name = 'ingest') >= 1 AND
    (SELECT COUNT(*) FROM workflow WHERE $active) = 0" 120 "the workflows to finish"
# A file that arrives while the ensemble is paused stays pending (its workflow waits in READY).
as_user pegasus-em pause demo > /dev/null
as_user touch "$tmp/incoming/c.dat"
wait_until "SELECT (SELECT fire_count FROM trigger WHERE name = 'ingest') >= 2" 60 "the second file batch"
kill "$em_pid"
wait "$em_pid" || true
em_pid=
run1_uuid=$(em_query "SELECT wf_uuid FROM workflow WHERE name = 'run1'")

# --- The service.
say "starting pegasus-service as $user on https://127.0.0.1:$service_port"
start_as_user "$tmp/service.log" "$bin/pegasus-service"
service_pid=$server_pid
wait_for_line "$tmp/service.log" "listening on https://" 60 "$service_pid"
base=https://127.0.0.1:$service_port

# --- Pages.
read -r medium_root medium_wf medium_uuid <<< "$(fixture medium)"
read -r large_root large_wf _ <<< "$(fixture large)"
read -r hostile_root hostile_wf _ <<< "$(fixture hostile)"
u=/u/$user

browser() {
    timeout 300 "$chromium" --headless --no-sandbox --disable-gpu --ignore-certificate-errors --hide-scrollbars \
        --user-data-dir="$tmp/chromium-profile" --no-first-run --disable-extensions "$@"
}

# check NAME PATH EXPECTED-TEXT...
check() {
    local name=$1 path=$2
    shift 2
    local url=$base$path problems=()
    local status
    status=$(curl -k -s -o /dev/null -w '%{http_code}' "$url")
    [[ $status == 200 ]] || problems+=("HTTP status $status")
    if ! browser --enable-logging=stderr --v=0 --dump-dom "$url" > "$out/$name.html" 2> "$tmp/$name.console"; then
        problems+=("chromium failed (see $tmp/$name.console)")
    fi
    for text in "$@"; do
        grep -qF -- "$text" "$out/$name.html" || problems+=("missing text: $text")
    done
    if grep -q ':CONSOLE' "$tmp/$name.console"; then
        problems+=("console: $(grep ':CONSOLE' "$tmp/$name.console" | sed 's/^.*:CONSOLE[^]]*] //' | head -5)")
    fi
    if grep -qiE '<script>alert|onerror=alert' "$out/$name.html"; then
        problems+=("unescaped injected markup in the page")
    fi
    # Every stylesheet, script and image the page references must load.
    local resource
    while read -r resource; do
        [[ -n $resource ]] || continue
        status=$(curl -k -s -o /dev/null -w '%{http_code}' "$base$resource")
        [[ $status == 200 ]] || problems+=("$resource: HTTP $status")
    done < <(python3 - "$out/$name.html" << 'EOF'
import html.parser, sys
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        ref = a.get("href") if tag == "link" else a.get("src") if tag in ("script", "img") else None
        if ref and ref.startswith("/"):
            print(ref)
P().feed(open(sys.argv[1], encoding="utf-8", errors="replace").read())
EOF
    )
    browser --screenshot="$out/$name.png" --window-size=1400,1000 "$url" > /dev/null 2>&1 ||
        problems+=("no screenshot")
    if ((${#problems[@]})); then
        say "FAIL $name ($path)"
        printf '    %s\n' "${problems[@]}"
        failed=1
    else
        say "ok   $name ($path) -> $out/$name.png"
    fi
}

check workflow-list "$u/" medium large hostile
check workflow-details "$u/r/$medium_root/w/$medium_wf" medium "$medium_uuid"
check hostile-details "$u/r/$hostile_root/w/$hostile_wf" hostile
check large-charts "$u/r/$large_root/w/$large_wf/charts" "Charts of large"
check statistics "$u/r/$medium_root/w/$medium_wf/statistics" "Statistics of medium"
check ensembles "$u/ensembles" demo nightly-batch
check ensemble "$u/ensembles/demo" run1 run2 "wf_uuid=$run1_uuid"
check ensemble-workflow "$u/ensembles/demo/workflows/run2" "State history" "Plan command" FAILED
check triggers "$u/triggers" nightly ingest "cron 0 3 * * * (UTC)" "every 2s"
check trigger "$u/triggers/demo/ingest" "Pending files (1)" "$tmp/incoming/c.dat" "$tmp/incoming/a.dat"
# The link from an ensemble workflow to its monitoring page works.
link=$(grep -o "href=\"[^\"]*wf_uuid=$run1_uuid\"" "$out/ensemble.html" | head -1 | sed 's/^href="//; s/"$//; s/&amp;/\&/g')
if [[ -n $link ]]; then
    check ensemble-monitoring-link "$link" "$run1_uuid"
else
    say "FAIL ensemble: no monitoring link for run1 ($run1_uuid)"
    failed=1
fi

if ((failed)); then
    say "FAILED (screenshots and DOMs in $out)"
    exit 1
fi
say "all pages passed; screenshots in $out"
