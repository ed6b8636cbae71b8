#!/usr/bin/env bash
# Checks share/pegasus/service/pegasus-service-httpd.conf with Debian's apache2 (`apachectl -t`).
#
# The shipped file is filled in (every placeholder gets a real value; a throwaway self-signed certificate
# stands in for the site's and for the service's) and tested inside a private copy of the Debian layout
# in a temporary directory: Debian's apache2.conf and ports.conf, mods-enabled holding only the modules
# named on the file's own "a2enmod" line (plus their "# Depends:" and the Debian base modules
# mpm_event, authn_core, authz_core), and sites-enabled holding only this site. /etc/apache2 is not
# modified and Apache is never started. Variants checked: as shipped, the URL-prefix variant and the
# no-verification variant (both uncommented the way the comments say). Then two broken copies (an unknown
# directive, a placeholder left unfilled) must be rejected, which proves the check can fail.
#
# Exit status: 0 all checks passed (or "SKIPPED: ..." when apache2 is missing), 1 otherwise.
# Environment: PEGASUS_INSTALL_APACHE=1 lets the script `apt-get install -y apache2` when it runs as root
# and apache2 is missing (without starting it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
conf="$repo/share/pegasus/service/pegasus-service-httpd.conf"
debian_conf=/etc/apache2

work=""
policy_rc_d_installed=0
cleanup() {
    if [[ -n "$work" ]]; then rm -rf "$work"; fi
    if [[ $policy_rc_d_installed == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

[[ -f "$conf" ]] || { echo "FAIL: $conf not found"; exit 1; }

# --- apache2 present? --------------------------------------------------------------------------------
have_apache() { [[ -x /usr/sbin/apache2 && -x /usr/sbin/apachectl && -f $debian_conf/apache2.conf ]]; }
if ! have_apache; then
    if [[ "${PEGASUS_INSTALL_APACHE:-0}" == 1 && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "Installing apache2 (PEGASUS_INSTALL_APACHE=1)"
        # Keep the package's maintainer scripts from starting Apache.
        if [[ ! -e /usr/sbin/policy-rc.d ]]; then
            printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            policy_rc_d_installed=1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q apache2 >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q apache2 >/dev/null 2>&1; } || true
    fi
    if ! have_apache; then
        if [[ "${PEGASUS_INSTALL_APACHE:-0}" == 1 ]]; then
            echo "SKIPPED: apache2 (Debian package) is not installed and could not be installed"
        else
            echo "SKIPPED: apache2 (Debian package) is not installed; PEGASUS_INSTALL_APACHE=1 (as root) installs it"
        fi
        exit 0
    fi
fi

work=$(mktemp -d /tmp/pegasus-apache-check.XXXXXXXX)
chmod 755 "$work" # apachectl creates a run directory owned by www-data inside it

# --- throwaway certificates ----------------------------------------------------------------------------
mkdir -p "$work/ssl" "$work/htdocs"
for name in site service; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
        -keyout "$work/ssl/$name-key.pem" -out "$work/ssl/$name-cert.pem" >/dev/null 2>&1
done

# --- private Debian-style server root ------------------------------------------------------------------
root="$work/apache2"
mkdir -p "$root"/{mods-enabled,conf-enabled,sites-available,sites-enabled} "$work"/{run,lock,log}
cp "$debian_conf/apache2.conf" "$debian_conf/ports.conf" "$root/"
ln -s "$debian_conf/mods-available" "$root/mods-available"
cat >"$root/envvars" <<EOF
export APACHE_RUN_USER=www-data
export APACHE_RUN_GROUP=www-data
export APACHE_PID_FILE=$work/run/apache2.pid
export APACHE_RUN_DIR=$work/run
export APACHE_LOCK_DIR=$work/lock
export APACHE_LOG_DIR=$work/log
export LANG=C
EOF
# Only to silence AH00558 (no global ServerName) in the output.
echo "ServerName localhost" >"$root/conf-enabled/servername.conf"

# Modules: the file's own a2enmod line, so that a directive of an unlisted module fails the check.
modules=$(sed -nE 's/^#[[:space:]]*a2enmod[[:space:]]+//p' "$conf" | head -n 1)
[[ -n "$modules" ]] || { echo "FAIL: no 'a2enmod' line in $conf"; exit 1; }
enable_module() { # like a2enmod: the module, its "# Depends:", its .conf
    local m=$1 dep
    [[ -e "$root/mods-enabled/$m.load" ]] && return 0
    [[ -f "$debian_conf/mods-available/$m.load" ]] || { echo "FAIL: unknown module '$m'"; exit 1; }
    ln -s "$debian_conf/mods-available/$m.load" "$root/mods-enabled/$m.load"
    if [[ -f "$debian_conf/mods-available/$m.conf" ]]; then
        ln -s "$debian_conf/mods-available/$m.conf" "$root/mods-enabled/$m.conf"
    fi
    for dep in $(sed -nE 's/^#[[:space:]]*Depends:[[:space:]]*//p' "$debian_conf/mods-available/$m.load" | tr ',' ' '); do
        enable_module "$dep"
    done
}
for m in mpm_event authn_core authz_core $modules; do enable_module "$m"; done
loaded=("$root"/mods-enabled/*.load)
loaded=("${loaded[@]##*/}")
echo "Modules: ${loaded[*]%.load}"

# --- filling and variants --------------------------------------------------------------------------------
fill() { # stdin: the shipped file; stdout: the file with every placeholder replaced
    sed -E \
        -e "s|\bPATH_TO_SERVICE_CERT\b|$work/ssl/service-cert.pem|g" \
        -e "s|\bPATH_TO_SSL_CERT\b|$work/ssl/site-cert.pem|g" \
        -e "s|\bPATH_TO_SSL_KEY\b|$work/ssl/site-key.pem|g" \
        -e "s|\bSERVICE_HOST\b|127.0.0.1|g" \
        -e "s|\bSERVICE_PORT\b|5000|g" \
        -e "s|\bDOCUMENT_ROOT\b|$work/htdocs|g" \
        -e "s|\bHOSTNAME\b|pegasus.example.org|g"
}
variant() { # $1: shipped | prefix | noverify | unknown-directive | unfilled
    case $1 in
        shipped) fill <"$conf" ;;
        prefix)
            fill <"$conf" | sed -E \
                -e 's/^([[:space:]]*)(ProxyPass(Reverse)?[[:space:]]+\/[[:space:]])/\1#\2/' \
                -e 's/^([[:space:]]*)#((ProxyPass(Reverse)?[[:space:]]+\/pegasus|DocumentRoot)[[:space:]])/\1\2/' \
                -e 's|<Location "/">|<Location "/pegasus">|'
            ;;
        noverify)
            fill <"$conf" | sed -E \
                -e 's/^([[:space:]]*)(SSLProxyVerify[[:space:]]+require|SSLProxyCACertificateFile[[:space:]])/\1#\2/' \
                -e 's/^([[:space:]]*)#(SSLProxyVerify[[:space:]]+none|SSLProxyCheckPeerExpire[[:space:]]+off)/\1\2/'
            ;;
        unknown-directive) fill <"$conf" | sed -E 's|^</VirtualHost>|    PegasusNoSuchDirective on\n&|' ;;
        unfilled) sed -E "s|\bPATH_TO_SSL_KEY\b|$work/ssl/site-key.pem|g" <"$conf" ;; # PATH_TO_SSL_CERT stays
    esac
}
check() { # $1 variant, $2 expect ok|fail; returns 0 when apachectl's verdict is the expected one
    local name=$1 expect=$2 site="$root/sites-available/pegasus-service.conf" out rc
    variant "$name" >"$site"
    if [[ $expect == ok ]] && grep -vE '^[[:space:]]*#' "$site" |
        grep -nwE 'HOSTNAME|PATH_TO_[A-Z_]+|SERVICE_HOST|SERVICE_PORT|DOCUMENT_ROOT'; then
        echo "FAIL [$name]: placeholder left in an active line"
        return 1
    fi
    ln -sfn "$site" "$root/sites-enabled/pegasus-service.conf"
    echo "--- $name: APACHE_CONFDIR=\$TMP/apache2 apachectl -t"
    set +e
    out=$(APACHE_CONFDIR="$root" APACHE_ENVVARS="$root/envvars" /usr/sbin/apachectl -t 2>&1)
    rc=$?
    set -e
    printf '%s\n' "$out" | sed "s|$work|\$TMP|g"
    if [[ $expect == ok && $rc == 0 ]]; then echo "PASS [$name]: accepted"; return 0; fi
    if [[ $expect == fail && $rc != 0 ]]; then echo "PASS [$name]: rejected (exit $rc), as it must be"; return 0; fi
    if [[ $expect == ok ]]; then echo "FAIL [$name]: apachectl rejected the configuration (exit $rc)"; fi
    if [[ $expect == fail ]]; then echo "FAIL [$name]: apachectl accepted a broken configuration"; fi
    return 1
}

failures=0
check shipped ok || failures=$((failures + 1))
check prefix ok || failures=$((failures + 1))
check noverify ok || failures=$((failures + 1))
check unknown-directive fail || failures=$((failures + 1))
check unfilled fail || failures=$((failures + 1))

if ((failures > 0)); then
    echo "FAILED: $failures check(s)"
    exit 1
fi
echo "OK: pegasus-service-httpd.conf passes apachectl -t (3 variants); 2 broken copies rejected"
