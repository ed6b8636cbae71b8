#!/bin/bash
# Self-test of the Pegasus simulator (tools/pegasus-standins): runs the stand-in pegasus-plan,
# pegasus-run, pegasus-remove and pegasus-analyzer in a temporary HOME and checks their output,
# the submit directories, braindump.yml and the master DB rows. Where a Pegasus 5.1.3 virtualenv
# exists ($PEGASUS_VENV, else /tmp/pegvenv) it also compares with the real tools: braindump
# parsing, pegasus-run output, pegasus-analyzer output and the master DB schema.
#
# Usage: tools/pegasus-standins/selftest.sh      (KEEP_TMP=1 keeps the temporary directory)
# Prints one line per check and a final "N passed, M failed"; exits 1 if any check failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin="$here/bin"
export PATH="$bin:$PATH"
# the knobs must come from the command line only
while IFS= read -r var; do unset "$var"; done < <(env | sed -n 's/^\(PEGASUS_SIM_[A-Z_]*\)=.*/\1/p')

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pegasus-sim-selftest.XXXXXX")
export HOME="$tmp/home"
mkdir -p "$HOME"
db="$HOME/.pegasus/workflow.db"

venv=${PEGASUS_VENV:-/tmp/pegvenv}
have_venv=false
if [[ -x $venv/bin/python ]] && (cd "$tmp" && "$venv/bin/python" -c 'import Pegasus.braindump' 2>/dev/null); then
    have_venv=true
    pegasus_cli=$(cd "$tmp" && "$venv/bin/python" -c 'import os, Pegasus; print(os.path.join(os.path.dirname(Pegasus.__file__), "cli"))')
fi

passed=0
failed=0

cleanup() {
    # stop the simulated DAGMan processes this test started (their pids are in monitord.pid)
    local f pid
    while IFS= read -r -d '' f; do
        pid=$(awk '/^pid /{print $2}' "$f" 2>/dev/null || true)
        [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
    done < <(find "$tmp" -name monitord.pid -print0 2>/dev/null)
    if [[ ${KEEP_TMP:-} == 1 ]]; then
        echo "# kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
    failed=$((failed + 1))
    echo "not ok - $1"
    if [[ -n ${2:-} ]]; then printf '%s\n' "$2" | sed 's/^/#   /' | head -40; fi
}
# check DESCRIPTION COMMAND...: the command's status decides
check() {
    local desc=$1
    shift
    if "$@"; then ok "$desc"; else not_ok "$desc" "${DETAIL:-}"; fi
    DETAIL=""
}
skipped=0
skip() { echo "ok - $1 # SKIP $2"; skipped=$((skipped + 1)); }

# sql DB QUERY -> rows with '|' separators
sql() {
    python3 - "$1" "$2" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
for row in c.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
}

# rows DIR [DB] -> "STATE|status|restart_count" for the workflow planned into DIR, oldest first
rows() {
    local d=$1 database=${2:-$db}
    [[ -f $database ]] || return 0
    sql "$database" "SELECT s.state, s.status, s.restart_count FROM master_workflowstate s
        JOIN master_workflow w ON w.wf_id = s.wf_id WHERE w.submit_dir = '$d' ORDER BY s.timestamp, s.rowid"
}

# wait_for SECONDS COMMAND...: poll until the command succeeds
wait_for() {
    local limit=$1
    shift
    local deadline=$((SECONDS + ${limit%.*} + 1))
    while ((SECONDS < deadline)); do
        if "$@"; then return 0; fi
        sleep 0.1
    done
    "$@"
}

rows_are() { [[ "$(rows "$1" "${3:-$db}")" == "$2" ]]; }

# plan ARGS...: run pegasus-plan in $wf; sets RC, OUT, ERR (files) and SUBMIT (EM rule)
plan() {
    RC=0
    # (the braces keep bash's "Killed" job report of --sim-crash out of the test output)
    { (cd "$wf" && pegasus-plan "$@") > "$tmp/plan.out" 2> "$tmp/plan.err" || RC=$?; } 2> /dev/null
    SUBMIT=$(em_submit_dir "$tmp/plan.out" || true)
}

# the pegasus-em rule: last line starting with "pegasus-run", its last token that is a directory
em_submit_dir() {
    local line
    line=$(grep '^pegasus-run' "$1" | tail -n 1) || return 1
    local -a toks
    read -r -a toks <<< "$line"
    local i
    for ((i = ${#toks[@]} - 1; i >= 1; i--)); do
        if [[ -d ${toks[i]} ]]; then
            echo "${toks[i]}"
            return 0
        fi
    done
    return 1
}

# run DIR [ARGS...]: pegasus-run; sets RC and the files run.out / run.err
run() {
    local d=$1
    shift
    RC=0
    pegasus-run "$@" "$d" > "$tmp/run.out" 2> "$tmp/run.err" || RC=$?
}

has() { grep -qF -- "$2" "$1"; }
hasx() { grep -qxF -- "$2" "$1"; }
eq() {
    if [[ "$1" == "$2" ]]; then return 0; fi
    DETAIL="expected: $2"$'\n'"actual:   $1"
    return 1
}

bd_field() { sed -n "s/^$2: //p" "$1/braindump.yml" | head -n 1; }

wf="$tmp/wf"
mkdir -p "$wf"
cp "$repo/examples/workflows/diamond/workflow.yml" "$wf/workflow.yml"
user=$(python3 -c 'import os, pwd; print(pwd.getpwuid(os.getuid()).pw_name)')
fast=(--sim-start-delay 0.1 --sim-duration 0.3)

echo "# Pegasus simulator self-test in $tmp (Pegasus virtualenv: $($have_venv && echo "$venv" || echo none))"

# ------------------------------------------------------------------------------------------
# pegasus-plan: normal output

plan --dir submit --sites condorpool --output-sites local workflow.yml "${fast[@]}"
check "plan: exit status 0" eq "$RC" 0
check "plan: preamble line 1" hasx "$tmp/plan.out" "I have concretized your abstract workflow. The workflow has been entered "
check "plan: preamble line 2" hasx "$tmp/plan.out" 'into the workflow database with a state of "planned". The next step is '
check "plan: preamble line 3" hasx "$tmp/plan.out" "to start or execute your workflow. The invocation required is"
check "plan: invocation line is 'pegasus-run  <abs dir>' (two spaces)" \
    grep -qxE "pegasus-run  /.*/submit/$user/pegasus/diamond/run0001" "$tmp/plan.out"
check "plan: the pegasus-em rule finds the submit dir" eq "$SUBMIT" "$wf/submit/$user/pegasus/diamond/run0001"
check "plan: Time taken line last" grep -qE '^[0-9]{4}\.[0-9]{2}\.[0-9]{2} [0-9:.]+ [A-Z+0-9-]+:   Time taken to execute is [0-9.]+ seconds $' <(tail -n 1 "$tmp/plan.out")
check "plan: condor_submit_dag lines" has "$tmp/plan.out" "File for submitting this DAG to HTCondor           : diamond-0.dag.condor.sub "
check "plan: master DB created and reported" has "$tmp/plan.out" "Database version: '5.0.1' (sqlite:///$db)"
check "plan: 'Pegasus database was successfully created.'" has "$tmp/plan.out" "Pegasus database was successfully created."
d1=$SUBMIT
for f in braindump.yml diamond-0.dag diamond-0.dag.condor.sub sim.json workflow.yml; do
    check "plan: $f in the submit dir" test -f "$d1/$f"
done
fields=$(sed -n 's/^\([a-z_]*\): .*/\1/p' "$d1/braindump.yml" | paste -sd' ')
check "plan: braindump.yml has the 5.1 fields in order" eq "$fields" \
    "user grid_dn submit_hostname root_wf_uuid wf_uuid dax dax_label dax_index dax_version pegasus_wf_name timestamp basedir submit_dir planner planner_version pegasus_build planner_arguments jsd rundir bindir vogroup uses_pmc properties condor_log notify dag type"
uuid=$(bd_field "$d1" wf_uuid | tr -d '"')
check "plan: wf_uuid is a 36-character uuid4" grep -qxE '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}' <<< "$uuid"
check "plan: root_wf_uuid = wf_uuid" eq "$(bd_field "$d1" root_wf_uuid | tr -d '"')" "$uuid"
check "plan: braindump submit_dir" eq "$(bd_field "$d1" submit_dir)" "\"$d1\""
check "plan: braindump planner_version 5.1.3" eq "$(bd_field "$d1" planner_version)" '"5.1.3"'
check "plan: properties file exists" test -f "$d1/$(bd_field "$d1" properties | tr -d '"')"
check "plan: master DB has dbversion 14" eq "$(sql "$db" 'SELECT version_number, version FROM dbversion')" "14|14"
check "plan: no master rows before pegasus-run" eq "$(rows "$d1")" ""
if $have_venv; then
    got=$(cd "$tmp" && "$venv/bin/python" -c 'import sys; from Pegasus.tools.utils import slurp_braindb; c = slurp_braindb(sys.argv[1]); print(c["wf_uuid"], c["dag"], c["submit_dir"])' "$d1" 2>&1 || true)
    check "plan: the real Pegasus parses braindump.yml" eq "$got" "$uuid diamond-0.dag $d1"
else
    skip "plan: the real Pegasus parses braindump.yml" "no Pegasus virtualenv"
fi
plan --dir submit workflow.yml
check "plan: the next plan gets run0002" eq "$SUBMIT" "$wf/submit/$user/pegasus/diamond/run0002"
check "plan: existing master DB is not re-created" eq "$(grep -c 'successfully created' "$tmp/plan.out" || true)" 0

# --relative-dir, --forward, label from a non-Pegasus file
plan --dir submit --relative-dir custom/here workflow.yml
check "plan: --relative-dir" eq "$SUBMIT" "$wf/submit/custom/here"
plan --dir submit --forward grid workflow.yml
check "plan: --forward grid gives 'pegasus-run  --grid <dir>'" grep -qxE 'pegasus-run  --grid /.*/run[0-9]{4}' "$tmp/plan.out"
check "plan: the pegasus-em rule still finds the dir with --forward" test -d "$SUBMIT"
echo "just some text" > "$wf/not-pegasus.txt"
plan --dir submit not-pegasus.txt
check "plan: label of a non-Pegasus file is its basename stem" eq "${SUBMIT%/run0001}" "$wf/submit/$user/pegasus/not-pegasus"
plan --dir submit missing.yml
check "plan: missing workflow file exits 1" eq "$RC" 1
check "plan: missing workflow file, FATAL message" has "$tmp/plan.err" "[FATAL ERROR]"
plan --dir submit --no-such-option workflow.yml
check "plan: unknown option exits 1 with the usage" eq "$RC:$(head -c 13 "$tmp/plan.out")" "1:Pegasus 5.1.3"

# ------------------------------------------------------------------------------------------
# pegasus-plan --json

plan --dir submit --json workflow.yml
check "json: exit status 0" eq "$RC" 0
json_check=$(python3 - "$tmp/plan.out" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
problems = []
if not os.path.isdir(d.get("submit_dir", "")):
    problems.append("submit_dir missing")
bd = open(os.path.join(d["submit_dir"], "braindump.yml")).read()
if '"%s"' % d["wf_uuid"] not in bd:
    problems.append("wf_uuid differs from braindump.yml")
if d.get("pegasus-run") != "pegasus-run --json  " + d["submit_dir"]:
    problems.append("pegasus-run value %r" % d.get("pegasus-run"))
if "I have concretized" not in d.get("message", ""):
    problems.append("no message")
print(" ".join(problems) or "ok")
PY
)
check "json: stdout is one JSON document with submit_dir, wf_uuid, pegasus-run, message" eq "$json_check" ok
check "json: no stdout line starts with pegasus-run" eq "$(grep -c '^pegasus-run' "$tmp/plan.out" || true)" 0
check "json: log lines go to stderr" has "$tmp/plan.err" "Time taken to execute is"

# ------------------------------------------------------------------------------------------
# pegasus-plan failure knobs

plan --dir submit workflow.yml --sim-exit 3
check "--sim-exit 3: exit status 3" eq "$RC" 3
check "--sim-exit 3: invocation line still printed" test -d "$SUBMIT"

plan --dir submit workflow.yml --sim-no-run-line
check "--sim-no-run-line: exit 0" eq "$RC" 0
check "--sim-no-run-line: no line starts with pegasus-run" eq "$(grep -c '^pegasus-run' "$tmp/plan.out" || true)" 0

plan --dir submit workflow.yml --sim-no-braindump
check "--sim-no-braindump: planned" test -d "$SUBMIT"
check "--sim-no-braindump: no braindump.yml" test ! -e "$SUBMIT/braindump.yml"
run "$SUBMIT"
check "--sim-no-braindump: pegasus-run exits 1" eq "$RC" 1
check "--sim-no-braindump: 'is not a valid submit-dir'" hasx "$tmp/run.out" "Error: $SUBMIT is not a valid submit-dir"

plan --dir submit workflow.yml --sim-bad-braindump
check "--sim-bad-braindump: wf_uuid is null" eq "$(bd_field "$SUBMIT" wf_uuid)" null
if $have_venv; then
    got=$(cd "$tmp" && "$venv/bin/python" -c 'import sys; from Pegasus.tools.utils import slurp_braindb; print(slurp_braindb(sys.argv[1])["wf_uuid"])' "$SUBMIT" 2>&1 || true)
    check "--sim-bad-braindump: the real Pegasus reads wf_uuid None" eq "$got" None
fi

plan --dir submit workflow.yml --sim-invalid-braindump
d_inv=$SUBMIT
run "$d_inv"
check "--sim-invalid-braindump: pegasus-run exits 1 with a traceback" eq "$RC:$(head -n 1 "$tmp/run.err")" "1:Traceback (most recent call last):"
if $have_venv; then
    got=$(cd "$tmp" && "$venv/bin/python" -c 'import sys; from Pegasus.tools.utils import slurp_braindb; slurp_braindb(sys.argv[1])' "$d_inv" 2>&1 || true)
    check "--sim-invalid-braindump: the real Pegasus fails on it too" grep -q '^yaml\.[a-z]*\.[A-Za-z]*Error: ' <<< "$got"
fi

plan --dir submit workflow.yml --sim-braindump-unknown-key
d_unk=$SUBMIT
run "$d_unk"
check "--sim-braindump-unknown-key: pegasus-run exits 1" eq "$RC" 1
if $have_venv; then
    got=$(cd "$tmp" && "$venv/bin/python" -c 'import sys; from Pegasus.tools.utils import slurp_braindb; slurp_braindb(sys.argv[1])' "$d_unk" 2>&1 | tail -n 1 || true)
    check "--sim-braindump-unknown-key: the real Pegasus raises TypeError" grep -q '^TypeError: .*unexpected keyword argument' <<< "$got"
fi

for sig in TERM KILL; do
    (cd "$wf" && exec setsid pegasus-plan --dir submit workflow.yml --sim-sleep 60 > "$tmp/sleep.out" 2>&1) &
    spid=$!
    sleep 0.8
    kill -s "$sig" -- "-$spid" 2>/dev/null || true
    gone() { ! kill -0 "$spid" 2>/dev/null; }
    { check "--sim-sleep: SIG$sig to its process group ends the planner" wait_for 3 gone; } 2> /dev/null
    { wait "$spid" || true; } 2> /dev/null
done

plan --dir submit workflow.yml --sim-crash
check "--sim-crash: killed by SIGKILL (status 137)" eq "$RC" 137
check "--sim-crash: no invocation line" eq "$(grep -c '^pegasus-run' "$tmp/plan.out" || true)" 0
check "--sim-crash: crashed after the condor_submit_dag lines" has "$tmp/plan.out" "-no_submit given"

RC=0
(cd "$wf" && PEGASUS_SIM_STATUS=7 PEGASUS_SIM_FAIL_FIRST_RUN=yes pegasus-plan --dir submit workflow.yml) > "$tmp/plan.out" 2>&1 || RC=$?
d_env=$(em_submit_dir "$tmp/plan.out" || true)
check "PEGASUS_SIM_* environment knobs" eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], d["fail_first_run"])' "$d_env/sim.json")" "7 True"

# ------------------------------------------------------------------------------------------
# pegasus-run: a successful run

run "$d1"
check "run: exit status 0" eq "$RC" 0
check "run: 'Submitting to condor' on stderr" hasx "$tmp/run.err" "Submitting to condor diamond-0.dag.condor.sub"
check "run: '1 job(s) submitted to cluster N.' on stderr" grep -qxE '1 job\(s\) submitted to cluster [0-9]+\.' "$tmp/run.err"
check "run: monitor hint" hasx "$tmp/run.out" "pegasus-status -l $d1"
check "run: remove hint" hasx "$tmp/run.out" "pegasus-remove $d1"
check "run: monitord.pid exists when pegasus-run returns" test -f "$d1/monitord.pid"
cp "$tmp/run.out" "$tmp/run1.out"
cp "$tmp/run.err" "$tmp/run1.err"
run "$d1"
check "run: a second pegasus-run is refused (exit 1)" eq "$RC" 1
check "run: 'It looks like the workflow is already running!'" has "$tmp/run.err" "Error: It looks like the workflow is already running! If you are sure"
check "run: STARTED then TERMINATED status 0" wait_for 5 rows_are "$d1" $'WORKFLOW_STARTED||0\nWORKFLOW_TERMINATED|0|0'
check "run: monitord.pid removed at the end" wait_for 3 test ! -e "$d1/monitord.pid"
mw=$(sql "$db" "SELECT wf_uuid, dax_label, dax_version, dag_file_name, submit_dir, user, planner_version, db_url, archived, grid_dn IS NULL, typeof(timestamp) FROM master_workflow WHERE submit_dir = '$d1'")
check "run: master_workflow row" eq "$mw" "$uuid|diamond|5.0|diamond-0.dag|$d1|$user|5.1.3|sqlite:///$d1/diamond-0.stampede.db|0|1|integer"
check "run: master_workflow.planner_arguments without quotes" eq "$(sql "$db" "SELECT planner_arguments FROM master_workflow WHERE submit_dir = '$d1'")" \
    "--dir submit --sites condorpool --output-sites local workflow.yml"
ts=$(sql "$db" "SELECT group_concat(typeof(s.timestamp)), max(s.timestamp) > min(s.timestamp) FROM master_workflowstate s JOIN master_workflow w ON w.wf_id = s.wf_id WHERE w.submit_dir = '$d1'")
check "run: state timestamps are epoch floats, STARTED < TERMINATED" eq "$ts" "real,real|1"
check "run: dagman.out has the DAGMan id line" grep -qE 'condor_scheduniv_exec\.[0-9]+\.0 \(CONDOR_DAGMAN\) STARTING UP' "$d1/diamond-0.dag.dagman.out"

plan --dir submit workflow.yml --sim-start-delay 0.1 --sim-duration 5
d_pipe=$SUBMIT
start=$SECONDS
pegasus-run "$d_pipe" 2>&1 | cat > /dev/null
check "run: returns at once when its output is a pipe (the daemon holds no inherited descriptor)" test $((SECONDS - start)) -lt 3
touch "$d_pipe/diamond-0.dag.halt"
run "$d_pipe"
check "run: a halted workflow is released (exit 0 while monitord.pid exists)" eq "$RC:$(cat "$tmp/run.out")" \
    "0:Found a previously halted workflow. Releasing it now."
check "run: the .dag.halt file is removed" test ! -e "$d_pipe/diamond-0.dag.halt"

RC=0
pegasus-analyzer "$d1" > "$tmp/an.out" 2> "$tmp/an.err" || RC=$?
check "analyzer (success): exit 0" eq "$RC" 0
check "analyzer (success): Summary header" hasx "$tmp/an.out" "************************************Summary*************************************"
check "analyzer (success): Submit Directory" hasx "$tmp/an.out" " Submit Directory   : $d1"
check "analyzer (success): Workflow Status success" hasx "$tmp/an.out" " Workflow Status    : success"
check "analyzer (success): all 7 jobs succeeded" hasx "$tmp/an.out" " # jobs succeeded   :      7 (100.00%)"
check "analyzer (success): no failed job" hasx "$tmp/an.out" " # jobs failed      :      0 (0.00%)"
check "analyzer (success): end of status report" hasx "$tmp/an.out" "pegasus-analyzer: end of status report"

# compare with the real tools
strip_log_time() { sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,]+:/TIME:/' "$1"; }
compare_analyzer() {
    local d=$1 rrc=0 src=0
    (cd "$tmp" && "$venv/bin/python" "$pegasus_cli/pegasus-analyzer.py" "$d") > "$tmp/real.out" 2> "$tmp/real.err" || rrc=$?
    pegasus-analyzer "$d" > "$tmp/sim.out" 2> "$tmp/sim.err" || src=$?
    DETAIL=$(diff "$tmp/real.out" "$tmp/sim.out"; diff <(strip_log_time "$tmp/real.err") <(strip_log_time "$tmp/sim.err"))
    [[ $rrc == "$src" ]] && cmp -s "$tmp/real.out" "$tmp/sim.out" \
        && cmp -s <(strip_log_time "$tmp/real.err") <(strip_log_time "$tmp/sim.err")
}
if $have_venv; then
    check "analyzer (success): same output and exit status as the real pegasus-analyzer" compare_analyzer "$d1"
    plan --dir submit workflow.yml
    d_real=$SUBMIT
    mkdir -p "$tmp/fakecondor"
    printf '#!/bin/sh\necho "4242.0 - 4242.0"\n' > "$tmp/fakecondor/condor_submit"
    chmod +x "$tmp/fakecondor/condor_submit"
    rrc=0
    (cd "$tmp" && PATH="$tmp/fakecondor:$PATH" "$venv/bin/python" "$pegasus_cli/pegasus-run.py" "$d_real") > "$tmp/real.out" 2> "$tmp/real.err" || rrc=$?
    same_run_output() {
        DETAIL=$(diff "$tmp/real.out" <(sed "s|$d1|$d_real|g" "$tmp/run1.out"); diff <(sed 's/cluster [0-9]*\./cluster N./' "$tmp/real.err") <(sed 's/cluster [0-9]*\./cluster N./' "$tmp/run1.err"))
        [[ $rrc == 0 && -z $DETAIL ]]
    }
    check "run: same output as the real pegasus-run (with a stub condor_submit)" same_run_output
    (cd "$tmp" && PATH="$tmp/fakecondor:$PATH" "$venv/bin/python" "$pegasus_cli/pegasus-run.py" --json "$d_real") > "$tmp/real.json" 2> /dev/null || true
    run "$d_real" --json
    same_json() {
        DETAIL=$(diff "$tmp/real.json" "$tmp/run.out")
        [[ $RC == 0 && -z $DETAIL ]] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/run.out"
    }
    check "run --json: same JSON as the real pegasus-run --json" same_json
else
    skip "analyzer/run: comparison with the real tools" "no Pegasus virtualenv"
fi

# ------------------------------------------------------------------------------------------
# failures of the run

plan --dir submit workflow.yml "${fast[@]}" --sim-status 1
d_fail=$SUBMIT
run "$d_fail"
check "--sim-status 1: TERMINATED with status 1" wait_for 5 rows_are "$d_fail" $'WORKFLOW_STARTED||0\nWORKFLOW_TERMINATED|1|0'
wait_for 3 test ! -e "$d_fail/monitord.pid" || true
RC=0
pegasus-analyzer "$d_fail" > "$tmp/an.out" 2> "$tmp/an.err" || RC=$?
check "analyzer (failure): exit 2" eq "$RC" 2
check "analyzer (failure): Workflow Status failure" hasx "$tmp/an.out" " Workflow Status    : failure"
check "analyzer (failure): one failed job" hasx "$tmp/an.out" " # jobs failed      :      1 (14.29%)"
check "analyzer (failure): failed jobs' details" hasx "$tmp/an.out" "******************************Failed jobs' details******************************"
check "analyzer (failure): the failed job" hasx "$tmp/an.out" " last state: POST_SCRIPT_FAILURE"
check "analyzer (failure): 'Workflow Failed' on stderr" has "$tmp/an.err" "Workflow Failed  wf_uuid: "
if $have_venv; then
    check "analyzer (failure): same output as the real pegasus-analyzer" compare_analyzer "$d_fail"
fi

plan --dir submit workflow.yml "${fast[@]}" --sim-run-exit 5
d_rx=$SUBMIT
run "$d_rx"
check "--sim-run-exit 5: pegasus-run exits 5" eq "$RC" 5
check "--sim-run-exit 5: condor_submit error message" hasx "$tmp/run.out" "Error: Running ('/usr/bin/condor_submit', '-terse', 'diamond-0.dag.condor.sub') failed with 5"
sleep 0.6
check "--sim-run-exit 5: no master rows, no monitord.pid" eq "$(rows "$d_rx")$(ls "$d_rx/monitord.pid" 2>/dev/null || true)" ""

plan --dir submit workflow.yml "${fast[@]}" --sim-no-monitord
d_nm=$SUBMIT
run "$d_nm"
check "--sim-no-monitord: pegasus-run exits 0" eq "$RC" 0
check "--sim-no-monitord: the run ends (monitord.pid removed)" wait_for 5 test ! -e "$d_nm/monitord.pid"
check "--sim-no-monitord: no master rows" eq "$(rows "$d_nm")" ""
RC=0
pegasus-analyzer "$d_nm" > "$tmp/an.out" 2> "$tmp/an.err" || RC=$?
check "--sim-no-monitord: analyzer cannot load the workflow DB (exit 1)" eq "$RC" 1

plan --dir submit workflow.yml "${fast[@]}" --sim-fail-first-run
d_ff=$SUBMIT
run "$d_ff"
check "--sim-fail-first-run: first run FAILED (status 1)" wait_for 5 rows_are "$d_ff" $'WORKFLOW_STARTED||0\nWORKFLOW_TERMINATED|1|0'
wait_for 3 test ! -e "$d_ff/monitord.pid" || true
run "$d_ff"
check "--sim-fail-first-run: rerun accepted" eq "$RC" 0
check "--sim-fail-first-run: rerun rescues the condor log" hasx "$tmp/run.err" "Rescued diamond-0.log as diamond-0.log.000"
check "--sim-fail-first-run: rerun SUCCESSFUL, restart_count 1" wait_for 5 rows_are "$d_ff" \
    $'WORKFLOW_STARTED||0\nWORKFLOW_TERMINATED|1|0\nWORKFLOW_STARTED||1\nWORKFLOW_TERMINATED|0|1'
wait_for 3 test ! -e "$d_ff/monitord.pid" || true
RC=0
pegasus-analyzer "$d_ff" > "$tmp/an.out" 2>&1 || RC=$?
check "--sim-fail-first-run: analyzer reports success after the rerun" eq "$RC:$(grep -c 'Workflow Status    : success' "$tmp/an.out")" "0:1"
if $have_venv; then
    check "--sim-fail-first-run: same analyzer output as the real one" compare_analyzer "$d_ff"
fi

# ------------------------------------------------------------------------------------------
# pegasus-remove

plan --dir submit workflow.yml --sim-start-delay 2 --sim-duration 6
d_rm=$SUBMIT
run "$d_rm"
RC=0
pegasus-remove "$d_rm" > "$tmp/rm.out" 2> "$tmp/rm.err" || RC=$?
check "remove before DAGMan started: exit 1 (no dagman.out yet, as the real tool)" eq "$RC" 1
check "remove before DAGMan started: FileNotFoundError traceback" grep -q "^FileNotFoundError: .*diamond-0.dag.dagman.out" "$tmp/rm.err"
check "remove: wait for WORKFLOW_STARTED" wait_for 5 rows_are "$d_rm" "WORKFLOW_STARTED||0"
RC=0
pegasus-remove "$d_rm" > "$tmp/rm.out" 2> "$tmp/rm.err" || RC=$?
check "remove: exit 0" eq "$RC" 0
check "remove: 'Job N.0 marked for removal'" grep -qxE 'Job [0-9]+\.0 marked for removal' "$tmp/rm.out"
check "remove: success line" hasx "$tmp/rm.out" "✨ Success"
check "remove: TERMINATED with status 2 at once" wait_for 1.5 rows_are "$d_rm" $'WORKFLOW_STARTED||0\nWORKFLOW_TERMINATED|2|0'
check "remove: reason recorded as by monitord" eq "$(sql "$db" "SELECT reason FROM master_workflowstate s JOIN master_workflow w ON w.wf_id = s.wf_id WHERE w.submit_dir = '$d_rm' AND s.state = 'WORKFLOW_TERMINATED'")" \
    "DAGMan aborted as it received SIGUSR1 signal."
check "remove: monitord.pid removed" wait_for 2 test ! -e "$d_rm/monitord.pid"
RC=0
pegasus-analyzer "$d_rm" > "$tmp/an.out" 2>&1 || RC=$?
check "analyzer (removed): exit 2, zero failed jobs message" eq "$RC:$(grep -c '^It seems your workflow failed with zero failed jobs' "$tmp/an.out")" "2:1"
if $have_venv; then
    check "analyzer (removed): same output as the real pegasus-analyzer" compare_analyzer "$d_rm"
fi
RC=0
pegasus-remove "$d_rm" > "$tmp/rm.out" 2>&1 || RC=$?
check "remove after the end: exit 42, 'not found'" eq "$RC:$(grep -cE '^Job [0-9]+\.0 not found$' "$tmp/rm.out")" "42:1"
mkdir -p "$tmp/not-a-submit-dir"
RC=0
pegasus-remove "$tmp/not-a-submit-dir" > "$tmp/rm.out" 2>&1 || RC=$?
check "remove: invalid submit dir exits 1" eq "$RC:$(cat "$tmp/rm.out")" "1:Error: $tmp/not-a-submit-dir is not a valid submit-dir"
RC=0
pegasus-remove "$tmp/does-not-exist" > "$tmp/rm.out" 2>&1 || RC=$?
check "remove: missing directory is a usage error (exit 2)" eq "$RC:$(tail -n 1 "$tmp/rm.out")" \
    "2:Error: Invalid value for '[SUBMIT_DIR]': Directory '$tmp/does-not-exist' does not exist."
run "$tmp/does-not-exist"
check "run: missing directory is a usage error (exit 2)" eq "$RC" 2

# ------------------------------------------------------------------------------------------
# master DB location from the properties, --submit, concurrency, survival

other="$tmp/other/master.db"
printf 'pegasus.catalog.master.url = sqlite:///%s\n' "$other" > "$wf/custom.properties"
plan --conf custom.properties --dir submit workflow.yml "${fast[@]}"
d_other=$SUBMIT
check "properties: the planner reports the configured master DB" has "$tmp/plan.out" "Database version: '5.0.1' (sqlite:///$other)"
run "$d_other"
check "properties: rows go to pegasus.catalog.master.url" wait_for 5 rows_are "$d_other" $'WORKFLOW_STARTED||0\nWORKFLOW_TERMINATED|0|0' "$other"
check "properties: nothing in the default master DB" eq "$(rows "$d_other")" ""

plan --dir submit workflow.yml "${fast[@]}" --submit
d_sub=$(sed -n 's/^.*:   pegasus-remove \(.*\) $/\1/p' "$tmp/plan.out" | tail -n 1)
check "--submit: exit 0" eq "$RC" 0
check "--submit: pegasus-run's output is logged by the planner" grep -qE ':   1 job\(s\) submitted to cluster [0-9]+\. $' "$tmp/plan.out"
check "--submit: no line starts with pegasus-run" eq "$(grep -c '^pegasus-run' "$tmp/plan.out" || true)" 0
check "--submit: the workflow runs" wait_for 5 rows_are "$d_sub" $'WORKFLOW_STARTED||0\nWORKFLOW_TERMINATED|0|0'

pids=()
for i in 1 2 3 4 5 6 7 8; do
    (cd "$wf" && pegasus-plan --dir submit workflow.yml "${fast[@]}" > "$tmp/par$i.out" 2>&1) &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
par_dirs=()
for i in 1 2 3 4 5 6 7 8; do par_dirs+=("$(em_submit_dir "$tmp/par$i.out" || echo "none$i")"); done
check "concurrency: 8 parallel plans get 8 distinct submit dirs" eq "$(printf '%s\n' "${par_dirs[@]}" | grep -v '^none' | sort -u | wc -l | tr -d ' ')" 8
for d in "${par_dirs[@]}"; do pegasus-run "$d" > /dev/null 2>&1 & done
wait
all_done() {
    local d
    for d in "${par_dirs[@]}"; do rows_are "$d" $'WORKFLOW_STARTED||0\nWORKFLOW_TERMINATED|0|0' || return 1; done
}
check "concurrency: 8 parallel runs all record STARTED and TERMINATED" wait_for 10 all_done

plan --dir submit workflow.yml --sim-start-delay 0.1 --sim-duration 1.5
d_surv=$SUBMIT
(exec setsid bash -c 'pegasus-run "$1" > /dev/null 2>&1; sleep 60' _ "$d_surv") &
gpid=$!
sleep 0.7
kill -KILL -- "-$gpid" 2>/dev/null || true
{ wait "$gpid" || true; } 2> /dev/null
check "survival: the run finishes after its caller's process group was killed" wait_for 5 rows_are "$d_surv" $'WORKFLOW_STARTED||0\nWORKFLOW_TERMINATED|0|0'

# ------------------------------------------------------------------------------------------
# examples/workflows

ex="$tmp/examples"
mkdir -p "$ex"
cp -R "$repo/examples/workflows/diamond" "$repo/examples/workflows/process-inputs" "$ex/"
RC=0
(cd "$ex/diamond" && ./plan.sh "${fast[@]}") > "$tmp/ex.out" 2>&1 || RC=$?
d_ex=$(em_submit_dir "$tmp/ex.out" || true)
check "examples/diamond/plan.sh: planned" eq "$RC:$d_ex" "0:$ex/diamond/submit/$user/pegasus/diamond/run0001"
check "examples/diamond: 4 compute jobs + 3 auxiliary jobs" eq "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["jobs"]))' "$d_ex/sim.json")" 7
mkdir -p "$tmp/incoming"
touch "$tmp/incoming/a b.dat" "$tmp/incoming/q\"uote.dat" "$tmp/incoming/--odd.dat"
RC=0
(cd "$tmp/incoming" && "$ex/process-inputs/plan.sh" --sim-duration 0.2 --inputs "a b.dat" "$tmp/incoming/q\"uote.dat" "--odd.dat") > "$tmp/ex.out" 2>&1 || RC=$?
d_pi=$(em_submit_dir "$tmp/ex.out" || true)
check "examples/process-inputs/plan.sh --inputs: planned" eq "$RC:${d_pi%/run0001}" "0:$ex/process-inputs/submit/$user/pegasus/process-inputs"
gen=$(ls "$ex"/process-inputs/generated/*.yml | head -n 1)
check "examples/process-inputs: inputs listed with absolute paths" has "$gen" "pfn: \"$tmp/incoming/a b.dat\""
check "examples/process-inputs: one job per input" eq "$(python3 -c 'import json,sys; print(sum(1 for j in json.load(open(sys.argv[1]))["jobs"] if j.startswith("process_")))' "$d_pi/sim.json")" 3
check "examples/process-inputs: --sim option passed to pegasus-plan" eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["duration"])' "$d_pi/sim.json")" 0.2
if $have_venv; then
    got=$(cd "$tmp" && "$venv/bin/python" -c 'import sys; from Pegasus import workflow; w = workflow.load(open(sys.argv[1])); print(w.name, len(w.jobs))' "$gen" 2>&1 || true)
    check "examples/process-inputs: the real Pegasus loads the generated workflow" eq "$got" "process-inputs 3"
    got=$(cd "$tmp" && "$venv/bin/python" -c 'import sys; from Pegasus import workflow; w = workflow.load(open(sys.argv[1])); print(w.name, len(w.jobs))' "$ex/diamond/workflow.yml" 2>&1 || true)
    check "examples/diamond: the real Pegasus loads workflow.yml" eq "$got" "diamond 4"
fi
RC=0
"$ex/process-inputs/plan.sh" > /dev/null 2>&1 || RC=$?
check "examples/process-inputs/plan.sh without --inputs: exit 1" eq "$RC" 1

# ------------------------------------------------------------------------------------------
# master DB schema

"$here/make-master-db.sh" "$tmp/made/workflow.db" > /dev/null
check "make-master-db.sh: dbversion 14 and the master tables" eq \
    "$(sql "$tmp/made/workflow.db" "SELECT (SELECT version FROM dbversion), (SELECT count(*) FROM sqlite_master WHERE name IN ('master_workflow', 'master_workflowstate', 'ensemble', 'ensemble_workflow', 'trigger'))")" "14|5"
if $have_venv; then
    RC=0
    PEGASUS_VENV=$venv "$here/check-master-schema.sh" > "$tmp/schema.out" 2>&1 || RC=$?
    DETAIL=$(cat "$tmp/schema.out")
    check "schema: equals the schema pegasus-db-admin creates" eq "$RC" 0
else
    echo "# schema comparison with pegasus-db-admin skipped: no Pegasus virtualenv at $venv (set PEGASUS_VENV)"
    skip "schema: equals the schema pegasus-db-admin creates" "no Pegasus virtualenv"
fi

((skipped == 0)) || echo "# $skipped checks skipped (no Pegasus virtualenv)"
echo "$passed passed, $failed failed"
((failed == 0))
