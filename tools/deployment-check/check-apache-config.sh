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
# Exit status: 0 all checks passed, 1 otherwise (also when apache2 is missing and cannot be installed).
# Environment: PEGASUS_INSTALL_APACHE=1 lets the script `apt-get install -y apache2` when it runs as root
# and apache2 is missing (without starting it). The private layout is made by apache-private.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
shipped="$repo/share/pegasus/service/pegasus-service-httpd.conf"
debian_conf=/etc/apache2
# shellcheck source=apache-private.sh
source "$here/apache-private.sh"

work=""
trap '[[ -z "$work" ]] || rm -rf "$work"' EXIT
[[ -f "$shipped" ]] || { echo "FAIL: $shipped not found"; exit 1; }
apache_require

work=$(mktemp -d /tmp/pegasus-apache-check.XXXXXXXX)
apache_certificates "$work"
apache_layout "$work"
root="$work/apache2"

variant() { # $1: shipped | prefix | noverify | unknown-directive | unfilled
    case $1 in
        shipped) apache_fill "$work" <"$shipped" ;;
        prefix) apache_fill "$work" <"$shipped" | apache_prefix_variant ;;
        noverify)
            apache_fill "$work" <"$shipped" | sed -E \
                -e 's/^([[:space:]]*)(SSLProxyVerify[[:space:]]+require|SSLProxyCACertificateFile[[:space:]])/\1#\2/' \
                -e 's/^([[:space:]]*)#(SSLProxyVerify[[:space:]]+none|SSLProxyCheckPeerExpire[[:space:]]+off)/\1\2/'
            ;;
        unknown-directive) apache_fill "$work" <"$shipped" | sed -E 's|^</VirtualHost>|    PegasusNoSuchDirective on\n&|' ;;
        unfilled) sed -E "s|\bPATH_TO_SSL_KEY\b|$work/ssl/site-key.pem|g" <"$shipped" ;; # PATH_TO_SSL_CERT stays
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
    out=$(apachectl_private "$work" -t 2>&1)
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
