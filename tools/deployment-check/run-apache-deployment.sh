#!/usr/bin/env bash
# pegasus-service behind a real Apache httpd, end to end: real requests through a private Apache 2.4 instance
# running the shipped virtual host (share/pegasus/service/pegasus-service-httpd.conf) with its placeholders
# filled in, in front of the built pegasus-service running as an ordinary (throwaway) user with PAM.
#
# Apache gets its own server root, logs and pid file in a temporary directory (apache-private.sh; the system's
# /etc/apache2 and its sites are not changed) and listens on a free port on 127.0.0.1, not 443, so that the
# forwarded port and the redirects are really checked against Apache's address. Scenarios:
#   headers   the vhost in front of a small HTTPS echo server: what reaches the service (Host, Authorization
#             unchanged, X-Forwarded-Proto/-Port/-For)
#   root      the service at the site's root: PAM login through the proxy (401 without or with a wrong
#             password, the login's redirect stays on Apache's address), the dashboard pages, a static file,
#             the monitoring API, 403 for another user's data
#   prefix    the same under /pegasus (PEGASUS_SERVICE_URL_PREFIX), plus a file from a DOCUMENT_ROOT outside
#             /var/www
#   wrong-pin a copy of the vhost pinning a certificate that is not the service's: the request fails with the
#             message docs/deployment.md tells the operator to look for
#
# Needs root (users, a PAM service file, Apache); installs apache2 when missing with PEGASUS_INSTALL_APACHE=1.
# Fails (exit 1) when anything cannot be set up or started; there is no SKIPPED.
#
# Usage: tools/deployment-check/run-apache-deployment.sh        (after `swift build`)
set -euo pipefail
# `... | apache_start` runs apache_start in this shell, so that what it records (apache_running) is kept.
shopt -s lastpipe
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
shipped="$repo/share/pegasus/service/pegasus-service-httpd.conf"
debian_conf=/etc/apache2
# shellcheck source=apache-private.sh
source "$here/apache-private.sh"

say() { echo "apache-deployment: $*"; }
fail() {
    say "FAILED: $*"
    exit 1
}
[[ $(id -u) == 0 ]] || fail "needs root (it creates users and a PAM service, and starts Apache)"
apache_require
bin=$(cd "$repo" && swift build --show-bin-path)
if [[ ! -x $bin/pegasus-service ]]; then
    say "building pegasus-service"
    (cd "$repo" && swift build --product pegasus-service > /dev/null)
fi

work=$(mktemp -d /tmp/pegasus-apache-deploy.XXXXXXXX)
suffix=$(python3 -c 'import secrets; print(secrets.token_hex(3))')
user=pgsdep${suffix}s
other=pgsdep${suffix}o
pam_service=pegasus-deploy-test-$suffix
password="Pw-$(python3 -c 'import secrets; print(secrets.token_urlsafe(15))')"
service_pid=
echo_pid=
apache_running=false
cleanup() {
    local status=$?
    if $apache_running || [[ -s $work/run/apache2.pid ]]; then apachectl_private "$work" stop 2> /dev/null || true; fi
    for pid in $service_pid $echo_pid; do
        kill "$pid" 2> /dev/null || true
        wait "$pid" 2> /dev/null || true
    done
    userdel "$user" 2> /dev/null || true
    userdel "$other" 2> /dev/null || true
    rm -f "/etc/pam.d/$pam_service"
    if [[ $status == 0 ]]; then rm -rf "$work"; else say "kept $work for inspection (log/, service.log)"; fi
}
trap cleanup EXIT

# --- users, PAM, the service's home ---------------------------------------------------------------------
home=$work/home
mkdir -p "$home/.pegasus"
for name in "$user" "$other"; do
    useradd -M -d "$home" -s /usr/sbin/nologin "$name" || fail "useradd $name"
done
echo "$user:$password" | chpasswd
printf 'auth required pam_unix.so\naccount required pam_unix.so\n' > "/etc/pam.d/$pam_service"
uid=$(id -u "$user")
gid=$(id -g "$user")
# The user's master database: the monitoring fixtures' (real Pegasus 5.1.3 schema), with the `small` workflow's
# STAMPEDE database copied next to it (without PROCESS_SWITCHING the service reads only the user's own files).
fixtures=${TMPDIR:-/tmp}/pegasus-service-fixtures
"$repo/tools/monitoring-fixtures/make-fixtures.sh" "$fixtures" > /dev/null
python3 - "$fixtures/manifest.json" "$home/.pegasus" << 'EOF'
import json, shutil, sqlite3, sys
manifest, dest = json.load(open(sys.argv[1])), sys.argv[2]
shutil.copy(manifest["master_db"], dest + "/workflow.db")
small = next(w for w in manifest["workflows"] if w["label"] == "small")
shutil.copy(small["stampede_db"], dest + "/small.stampede.db")
with sqlite3.connect(dest + "/workflow.db") as db:
    db.execute("UPDATE master_workflow SET db_url = ? WHERE wf_id = ?",
               ("sqlite:///" + dest + "/small.stampede.db", small["master_wf_id"]))
EOF
small_id=$(python3 -c 'import json,sys; print(next(w["master_wf_id"] for w in json.load(open(sys.argv[1]))["workflows"] if w["label"] == "small"))' "$fixtures/manifest.json")
chown -R "$uid:$gid" "$home"
chmod 700 "$home"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
apache_port=$(free_port)
service_port=$(free_port)
echo_port=$(free_port)
site=https://pegasus.example.org:$apache_port

# --- Apache: a private server root listening on 127.0.0.1:$apache_port ------------------------------------
apache_certificates "$work"
apache_layout "$work"
echo "Listen 127.0.0.1:$apache_port" > "$work/apache2/ports.conf"
echo "hello from the document root" > "$work/htdocs/index.html"
chmod -R a+rX "$work/htdocs"
# Starts Apache with stdin as the site (the vhost's port becomes $apache_port, as the file's comment says).
apache_start() {
    local conf=$work/apache2/sites-available/pegasus-service.conf
    sed -E "s/<VirtualHost \*:443>/<VirtualHost *:$apache_port>/" > "$conf"
    ln -sfn "$conf" "$work/apache2/sites-enabled/pegasus-service.conf"
    : > "$work/log/error.log"
    apachectl_private "$work" start || fail "Apache did not start: $(cat "$work/log/error.log")"
    apache_running=true
    local deadline=$((SECONDS + 20))
    until curl -s -o /dev/null --cacert "$work/ssl/site-cert.pem" --resolve "pegasus.example.org:$apache_port:127.0.0.1" \
        "$site/"; do
        ((SECONDS < deadline)) || fail "Apache does not answer on $apache_port: $(cat "$work/log/error.log")"
        sleep 0.2
    done
}
apache_stop() {
    local pid
    pid=$(cat "$work/run/apache2.pid" 2> /dev/null || true)
    apachectl_private "$work" stop || true
    apache_running=false
    while [[ -n $pid ]] && kill -0 "$pid" 2> /dev/null; do sleep 0.1; done
}

# --- requests through Apache ---------------------------------------------------------------------------------
# request [curl options...] URL: sets status, body (file $work/body) and headers (file $work/headers)
request() {
    status=$(curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' --cacert "$work/ssl/site-cert.pem" \
        --resolve "pegasus.example.org:$apache_port:127.0.0.1" "$@")
}
expect() { # STATUS WHAT [TEXT]: the last request answered STATUS (and its body contains TEXT)
    if [[ $status != "$1" ]]; then
        fail "$2: status $status, expected $1; body: $(head -c 400 "$work/body")"
    fi
    if [[ -n ${3:-} ]] && ! grep -qF -- "$3" "$work/body"; then
        fail "$2: no '$3' in the body: $(head -c 400 "$work/body")"
    fi
    say "ok: $2 ($status)"
}
header() { grep -i "^$1:" "$work/headers" | head -n 1 | sed -E 's/^[^:]+:[[:space:]]*//' | tr -d '\r'; }
login=(-u "$user:$password")

# --- headers: what reaches the service --------------------------------------------------------------------
say "scenario headers: the shipped vhost in front of an HTTPS echo server"
python3 - "$echo_port" "$work/ssl/service-cert.pem" "$work/ssl/service-key.pem" << 'EOF' &
import http.server, json, ssl, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Echo)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[2], sys.argv[3])
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
EOF
echo_pid=$!
deadline=$((SECONDS + 20))
until python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$echo_port" 2> /dev/null; do
    ((SECONDS < deadline)) && kill -0 "$echo_pid" 2> /dev/null || fail "the echo server did not start"
    sleep 0.2
done
apache_fill "$work" "$echo_port" < "$shipped" | apache_start
request "${login[@]}" "$site/u/$user/?x=1"
expect 200 "a request through Apache reaches the service"
python3 - "$work/body" "$apache_port" "$user:$password" << 'EOF' || fail "forwarded request: see above"
import base64, json, sys
seen = json.load(open(sys.argv[1]))
h = {k.lower(): v for k, v in seen["headers"].items()}
port, credentials = sys.argv[2], sys.argv[3]
want = {
    "host": f"pegasus.example.org:{port}",
    "authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
    "x-forwarded-proto": "https",
    "x-forwarded-port": port,
    "x-forwarded-for": "127.0.0.1",
    "x-forwarded-host": f"pegasus.example.org:{port}",
}
bad = {k: (h.get(k), v) for k, v in want.items() if h.get(k) != v}
if seen["path"] != "/u/" + credentials.split(":")[0] + "/?x=1":
    bad["path"] = (seen["path"], "unchanged")
for k, (got, expected) in bad.items():
    print(f"apache-deployment: forwarded {k}: {got!r}, expected {expected!r}")
sys.exit(1 if bad else 0)
EOF
say "ok: Host, Authorization, X-Forwarded-Proto/-Port/-For/-Host reach the service as they should"
apache_stop
kill "$echo_pid"
wait "$echo_pid" 2> /dev/null || true
echo_pid=

# --- the real service as $user --------------------------------------------------------------------------------
service_start() { # [URL prefix]
    {
        echo "AUTHENTICATION = 'PAMAuthentication'"
        echo "PAM_SERVICE = '$pam_service'"
        echo "PROCESS_SWITCHING = False"
        echo "SERVER_HOST = '127.0.0.1'"
        echo "SERVER_PORT = $service_port"
        [[ -z ${1:-} ]] || echo "PEGASUS_SERVICE_URL_PREFIX = '$1'"
    } > "$home/.pegasus/service.py"
    chown "$uid:$gid" "$home/.pegasus/service.py"
    : > "$work/service.log"
    (cd "$home" && exec setpriv --reuid="$uid" --regid="$gid" --init-groups -- env -i HOME="$home" USER="$user" \
        LOGNAME="$user" LANG=C.UTF-8 PATH=/usr/bin:/bin "$bin/pegasus-service") > "$work/service.log" 2>&1 &
    service_pid=$!
    local deadline=$((SECONDS + 60))
    until grep -q "pegasus-service listening on" "$work/service.log"; do
        if ((SECONDS > deadline)) || ! kill -0 "$service_pid" 2> /dev/null; then
            fail "pegasus-service did not start: $(cat "$work/service.log")"
        fi
        sleep 0.2
    done
    # Apache pins the certificate the service generated at its first start (public; copied where Apache reads it).
    cp "$home/.pegasus/service-cert.pem" "$work/ssl/pinned-service-cert.pem"
    chmod 644 "$work/ssl/pinned-service-cert.pem"
}
service_stop() {
    kill "$service_pid"
    wait "$service_pid" 2> /dev/null || true
    service_pid=
}

# checks PREFIX: every request of the root and prefix scenarios, under PREFIX ("" or "/pegasus")
checks() {
    local p=$1 location
    request "$site$p/"
    expect 401 "no credentials: the service asks for them through Apache"
    [[ $(header WWW-Authenticate) == Basic* ]] || fail "no Basic WWW-Authenticate challenge through Apache"
    request -u "$user:wrong-$password" "$site$p/"
    expect 401 "a wrong password is refused (PAM, through the proxy)"
    request "${login[@]}" "$site$p/"
    expect 302 "PAM login through the proxy: the service's start page redirects"
    location=$(header Location)
    case $location in
        "$p/u/$user/" | "$site$p/u/$user/") say "ok: the redirect stays on Apache's address ($location)" ;;
        *) fail "the redirect leaves Apache's address or the prefix: Location: $location" ;;
    esac
    request "${login[@]}" -L "$site$p/"
    expect 200 "the redirect followed: the user's workflow list" "small"
    if grep -qE "127\.0\.0\.1:$service_port|localhost:$service_port" "$work/body"; then
        fail "a page links to the service's own address instead of Apache's"
    fi
    request "${login[@]}" "$site$p/u/$user/r/$small_id/w"
    expect 200 "a workflow page" "small"
    request "${login[@]}" "$site$p/u/$user/info"
    expect 200 "the info page"
    request "${login[@]}" "$site$p/static/dashboard.css"
    expect 200 "a static file"
    [[ $(header Content-Type) == text/css* ]] || fail "the static file is not text/css: $(header Content-Type)"
    request "${login[@]}" "$site$p/api/v1/user/$user/root"
    expect 200 "the monitoring API" '"wf_uuid"'
    request "${login[@]}" "$site$p/api/v1/user/$other/root"
    expect 403 "another user's data is refused" '"message"'
}

say "scenario root: pegasus-service at the root of the site, as user $user with PAM"
service_start
apache_fill "$work" "$service_port" "$work/ssl/pinned-service-cert.pem" < "$shipped" | apache_start
checks ""
apache_stop
service_stop

say "scenario prefix: pegasus-service under /pegasus"
service_start /pegasus
apache_fill "$work" "$service_port" "$work/ssl/pinned-service-cert.pem" < "$shipped" | apache_prefix_variant \
    | apache_start
checks /pegasus
request "$site/index.html"
expect 200 "a file from the DOCUMENT_ROOT outside /var/www (the <Directory> block)" "hello from the document root"
request "${login[@]}" "$site/api/v1/user/$user/root"
expect 404 "outside the prefix, the service is not reached"

say "scenario wrong-pin: a copy of the vhost pinning another certificate (LogLevel ssl:info, as the docs say)"
apache_stop
apache_fill "$work" "$service_port" "$work/ssl/other-cert.pem" < "$shipped" | apache_prefix_variant \
    | sed -E 's|^</VirtualHost>|    LogLevel warn ssl:info\n&|' | apache_start
request "${login[@]}" "$site/pegasus/api/v1/user/$user/root"
expect 500 "a wrong pinned certificate: Apache answers 500" "Error during SSL Handshake with remote server"
for message in "AH00898: Error during SSL Handshake with remote server" "Certificate Verification: Error (18): self-signed certificate"; do
    grep -qF "$message" "$work/log/error.log" || fail "no '$message' in Apache's error log: $(cat "$work/log/error.log")"
    say "ok: Apache's error log says '$message'"
done
apache_stop
service_stop
say "OK: pages, a static file, the monitoring API, PAM login, 403 and redirects through Apache, at the root and under /pegasus; a wrong pinned certificate fails with the documented messages"
