#!/usr/bin/env bash
# Checks the Debian package as an operator's submit host would see it.
#
#   tools/package-check/check-package.sh          builds the package (scripts/package.sh), then checks it
#   tools/package-check/check-package.sh DEB      checks a package built before
#
# 1. Extracted with dpkg-deb -x into an empty directory, with LD_LIBRARY_PATH unset: no toolchain library is
#    resolved (ldd), `pegasus-em --version` and `--help`, a `pegasus-em server` that answers GET /health, and
#    `pegasus-service --version`.
# 2. Installed with dpkg -i: `man pegasus-em` and `man pegasus-service` render, the bash completion loads and
#    completes a command, `systemd-analyze verify` accepts both units; then dpkg -r removes everything.
# 3. The package is at most 60 MB.
# Every check must run: a missing tool or a failed step exits non-zero (nothing is skipped). Needs root for
# dpkg -i (or sudo), man-db, systemd (systemd-analyze), curl: scripts/install-deps.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

fail() {
    echo "check-package: FAILED: $*" >&2
    exit 1
}
step() { echo "check-package: $*"; }

version=$(tr -d '[:space:]' <VERSION)
deb="${1:-}"
if [ -z "$deb" ]; then
    scripts/package.sh
    deb="dist/pegasus-em_${version}_$(dpkg --print-architecture).deb"
fi
[ -f "$deb" ] || fail "no package at $deb"
deb=$(readlink -f "$deb")
for tool in dpkg-deb ldd curl python3 man systemd-analyze bash; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh installs it)"
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
# The check installs and purges the package: never on a host where pegasus-em is installed already.
status=$(dpkg-query -W -f='${Status}' pegasus-em 2>/dev/null || true)
case "$status" in
    "" | *not-installed | *config-files) ;;
    *) fail "pegasus-em is on this host already (dpkg: $status): the check would replace and then remove it" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/pegasus-package-check.XXXXXX")
server_pid=""
installed=0
cleanup() {
    set +e # every step runs, whatever the one before returned
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    [ "$installed" = 1 ] && $SUDO dpkg --purge pegasus-em >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
unset LD_LIBRARY_PATH

# --- 3. size -------------------------------------------------------------------------------------------------
size=$(stat -c %s "$deb")
[ "$size" -le 60000000 ] || fail "$deb is $size bytes, more than 60 MB"
step "size $size bytes (limit 60000000)"

# --- 1. extracted into an empty directory ----------------------------------------------------------------------
tree="$work/root"
mkdir "$tree"
dpkg-deb -x "$deb" "$tree"
for path in usr/bin/pegasus-em usr/bin/pegasus-service usr/lib/systemd/system/pegasus-service.service \
    usr/lib/systemd/user/pegasus-em.service usr/share/pegasus/pegasus-service-httpd.conf usr/share/pegasus/README.md \
    usr/share/man/man1/pegasus-em.1.gz usr/share/man/man1/pegasus-service.1.gz \
    usr/share/bash-completion/completions/pegasus-em usr/share/bash-completion/completions/pegasus-service \
    usr/share/zsh/vendor-completions/_pegasus-em usr/share/zsh/vendor-completions/_pegasus-service \
    usr/share/fish/vendor_completions.d/pegasus-em.fish usr/share/fish/vendor_completions.d/pegasus-service.fish \
    usr/share/doc/pegasus-em/copyright; do
    [ -s "$tree/$path" ] || fail "the package has no /$path"
done
dpkg-deb -c "$deb" | awk '$2 != "root/root" { bad = 1; print } END { exit bad }' \
    || fail "files above are not owned by root/root"

toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc 2>/dev/null || echo /opt/swift/usr/bin/swiftc)")")")
for b in pegasus-em pegasus-service; do
    libraries=$(ldd "$tree/usr/bin/$b") || fail "ldd $b failed"
    echo "$libraries" | sed "s/^/check-package: ldd $b: /"
    if grep -E "libswift|libFoundation|lib_Foundation|libCoreFoundation|libdispatch|libBlocksRuntime|$toolchain/|not found" \
        <<<"$libraries"; then
        fail "$b resolves the libraries above from the Swift toolchain (or not at all)"
    fi
done

em="$tree/usr/bin/pegasus-em"
[ "$("$em" --version)" = "$version" ] || fail "pegasus-em --version printed '$("$em" --version)', VERSION is '$version'"
"$em" --help >"$work/help" || fail "pegasus-em --help exited $?"
grep -q "USAGE: pegasus-em" "$work/help" || fail "pegasus-em --help printed no usage"
service_version=$("$tree/usr/bin/pegasus-service" --version) || fail "pegasus-service --version exited $?"
[ "$service_version" = "$version" ] || fail "pegasus-service --version printed '$service_version'"
step "extracted pegasus-em and pegasus-service --version print $version; --help prints the usage"

# A server of the extracted binary, in its own HOME and a clean environment, on a port the kernel picks (EM_PORT 0).
home="$work/home"
mkdir -p "$home/.pegasus"
printf "AUTHENTICATION = 'NoAuthentication'\nEM_ALLOW_ROOT = True\nEM_HOST = '127.0.0.1'\nEM_PORT = 0\n" \
    >"$home/.pegasus/service.py"
clean_env=(env -i "HOME=$home" PATH=/usr/bin:/bin LANG=C.UTF-8)
"${clean_env[@]}" "$em" server >"$work/server.log" 2>&1 &
server_pid=$!
health=""
for _ in $(seq 1 100); do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "pegasus-em server exited"; }
    port=$(sed -n 's|.*listening on http://[^:]*:\([0-9]*\).*|\1|p' "$work/server.log" | head -n 1)
    [ -n "$port" ] && health=$(curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null) && break
    sleep 0.3
done
[ -n "$health" ] || { cat "$work/server.log" >&2; fail "pegasus-em server did not answer GET /health in 30 s"; }
step "extracted pegasus-em server answers GET /health on port $port: $health"
"${clean_env[@]}" EM_PORT="$port" "$em" create packaged >/dev/null || fail "pegasus-em create against it failed"
"${clean_env[@]}" EM_PORT="$port" "$em" ensembles >"$work/ensembles" || fail "pegasus-em ensembles against it failed"
grep -q "^packaged " "$work/ensembles" || fail "pegasus-em ensembles does not list the new ensemble"
kill "$server_pid"
wait "$server_pid" || true
server_pid=""

# --- 2. installed ------------------------------------------------------------------------------------------------
# dpkg may be busy with another installation on a shared machine: wait for its lock, never give up silently.
installed=1 # from the first attempt on: a half-installed package is purged too
for attempt in $(seq 1 60); do
    if $SUDO dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
        break
    fi
    grep -q "lock" "$work/dpkg.log" || { cat "$work/dpkg.log" >&2; fail "dpkg -i failed"; }
    [ "$attempt" -lt 60 ] || { cat "$work/dpkg.log" >&2; fail "dpkg stayed locked for 2 minutes"; }
    sleep 2
done
step "dpkg -i installed $(dpkg-query -W -f='${Package} ${Version} (Depends: ${Depends})' pegasus-em)"
[ "$(/usr/bin/pegasus-em --version)" = "$version" ] || fail "installed /usr/bin/pegasus-em --version differs"

for page in pegasus-em pegasus-service; do
    MANPAGER=cat MANWIDTH=100 man "$page" >"$work/$page.man" 2>"$work/$page.man.err" \
        || { cat "$work/$page.man.err" >&2; fail "man $page failed"; }
    grep -q "^NAME" "$work/$page.man" && grep -q "$page" "$work/$page.man" \
        || fail "man $page rendered no NAME section"
done
grep -q "file-pattern-trigger" "$work/pegasus-em.man" || fail "man pegasus-em does not describe the subcommands"
step "man pegasus-em ($(wc -l <"$work/pegasus-em.man") lines) and man pegasus-service render"

# The bash completion loads and completes a subcommand and an option.
completion=$(bash -c '
    source /usr/share/bash-completion/completions/pegasus-em || exit 1
    complete -p pegasus-em || exit 1
    function=$(complete -p pegasus-em | sed -n "s/.*-F \([^ ]*\).*/\1/p")
    COMP_WORDS=(pegasus-em file-pat); COMP_CWORD=1; COMP_LINE="pegasus-em file-pat"; COMP_POINT=${#COMP_LINE}
    "$function" pegasus-em file-pat pegasus-em
    printf "%s\n" "${COMPREPLY[@]}"
') || fail "the bash completion does not load"
grep -q "^complete .*pegasus-em$" <<<"$completion" || fail "the bash completion registers no completion: $completion"
grep -qx "file-pattern-trigger" <<<"$completion" || fail "the bash completion does not complete file-pat: $completion"
bash -c 'source /usr/share/bash-completion/completions/pegasus-service && complete -p pegasus-service' >/dev/null \
    || fail "the pegasus-service bash completion does not load"
step "bash completions load; 'pegasus-em file-pat<TAB>' completes to file-pattern-trigger"

systemd-analyze verify /usr/lib/systemd/system/pegasus-service.service \
    || fail "systemd-analyze verify rejects pegasus-service.service"
systemd-analyze verify /usr/lib/systemd/user/pegasus-em.service \
    || fail "systemd-analyze verify rejects the user unit pegasus-em.service"
step "systemd-analyze verify accepts both installed units"

$SUDO dpkg -r pegasus-em >/dev/null
installed=0
for path in /usr/bin/pegasus-em /usr/bin/pegasus-service /usr/share/man/man1/pegasus-em.1.gz \
    /usr/lib/systemd/system/pegasus-service.service; do
    [ ! -e "$path" ] || fail "dpkg -r left $path"
done
step "dpkg -r removed the package"
echo "check-package: OK ($deb)"
