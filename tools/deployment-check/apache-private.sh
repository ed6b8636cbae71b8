# Sourced by the deployment checks: a private Apache httpd 2.4 in a temporary directory, built from the Debian
# package's files without changing them (/etc/apache2 stays as it is; nothing is enabled system-wide).
#
#   apache_require             installs apache2 when missing (root and PEGASUS_INSTALL_APACHE=1), else fails
#   apache_layout WORK         a Debian-style server root in WORK/apache2: Debian's apache2.conf and ports.conf,
#                              mods-enabled holding only the modules of the shipped file's own "a2enmod" line
#                              (with their "# Depends:") and the Debian base modules; logs, pid and lock in WORK
#   apache_fill WORK           stdin: the shipped virtual host; stdout: every placeholder replaced (throwaway
#                              certificates from apache_certificates WORK, service on 127.0.0.1:5000, the
#                              public name pegasus.example.org)
#   apachectl_private WORK ARGS...   Debian's apachectl on that server root
# Callers set `shipped` (the path of pegasus-service-httpd.conf) and `debian_conf` (/etc/apache2) first.

apache_present() { [[ -x /usr/sbin/apache2 && -x /usr/sbin/apachectl && -f $debian_conf/apache2.conf ]]; }

apache_require() {
    apache_present && return 0
    if [[ ${PEGASUS_INSTALL_APACHE:-0} == 1 && $(id -u) == 0 ]] && command -v apt-get > /dev/null; then
        echo "Installing apache2 (PEGASUS_INSTALL_APACHE=1)"
        # Keep the package's maintainer scripts from starting the system's Apache: a policy-rc.d of our own, in a
        # subshell whose EXIT trap removes it however the installation ends.
        if [[ ! -e /usr/sbin/policy-rc.d ]]; then
            (
                trap 'rm -f /usr/sbin/policy-rc.d' EXIT
                printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
                chmod 755 /usr/sbin/policy-rc.d
                apache_apt_install
            )
        else
            apache_apt_install
        fi
    fi
    apache_present && return 0
    echo "FAILED: apache2 (the Debian package) is not installed and could not be installed" \
        "(PEGASUS_INSTALL_APACHE=1 as root installs it)"
    exit 1
}

apache_apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q apache2 > /dev/null 2>&1 ||
        { apt-get update -q > /dev/null 2>&1 && apt-get install -y -q apache2 > /dev/null 2>&1; } || true
}

apache_certificates() { # WORK: throwaway site and service certificates in WORK/ssl
    mkdir -p "$1/ssl"
    local name cn
    for name in site service other; do
        cn=localhost
        [[ $name == site ]] && cn=pegasus.example.org
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=$cn" \
            -addext "subjectAltName=DNS:$cn" -keyout "$1/ssl/$name-key.pem" -out "$1/ssl/$name-cert.pem" \
            > /dev/null 2>&1
    done
}

apache_layout() { # WORK
    local work=$1 root=$1/apache2 modules m loaded
    mkdir -p "$root"/{mods-enabled,conf-enabled,sites-available,sites-enabled} "$work"/{run,lock,log,htdocs}
    chmod 755 "$work" # apachectl creates a run directory owned by www-data inside it
    cp "$debian_conf/apache2.conf" "$debian_conf/ports.conf" "$root/"
    ln -s "$debian_conf/mods-available" "$root/mods-available"
    cat > "$root/envvars" << ENVVARS
export APACHE_RUN_USER=www-data
export APACHE_RUN_GROUP=www-data
export APACHE_PID_FILE=$work/run/apache2.pid
export APACHE_RUN_DIR=$work/run
export APACHE_LOCK_DIR=$work/lock
export APACHE_LOG_DIR=$work/log
export LANG=C
ENVVARS
    # Only to silence AH00558 (no global ServerName) in the output.
    echo "ServerName localhost" > "$root/conf-enabled/servername.conf"
    # Modules: the file's own a2enmod line, so that a directive of an unlisted module fails the check.
    modules=$(sed -nE 's/^#[[:space:]]*a2enmod[[:space:]]+//p' "$shipped" | head -n 1)
    [[ -n $modules ]] || {
        echo "FAILED: no 'a2enmod' line in $shipped"
        exit 1
    }
    for m in mpm_event authn_core authz_core $modules; do apache_enable_module "$root" "$m"; done
    loaded=("$root"/mods-enabled/*.load)
    loaded=("${loaded[@]##*/}")
    echo "Modules: ${loaded[*]%.load}"
}

apache_enable_module() { # ROOT MODULE: like a2enmod: the module, its "# Depends:", its .conf
    local root=$1 m=$2 dep
    [[ -e "$root/mods-enabled/$m.load" ]] && return 0
    [[ -f "$debian_conf/mods-available/$m.load" ]] || {
        echo "FAILED: unknown module '$m'"
        exit 1
    }
    ln -s "$debian_conf/mods-available/$m.load" "$root/mods-enabled/$m.load"
    if [[ -f "$debian_conf/mods-available/$m.conf" ]]; then
        ln -s "$debian_conf/mods-available/$m.conf" "$root/mods-enabled/$m.conf"
    fi
    for dep in $(sed -nE 's/^#[[:space:]]*Depends:[[:space:]]*//p' "$debian_conf/mods-available/$m.load" | tr ',' ' '); do
        apache_enable_module "$root" "$dep"
    done
}

apache_fill() { # WORK [SERVICE_PORT [SERVICE_CERT]]
    sed -E \
        -e "s|\bPATH_TO_SERVICE_CERT\b|${3:-$1/ssl/service-cert.pem}|g" \
        -e "s|\bPATH_TO_SSL_CERT\b|$1/ssl/site-cert.pem|g" \
        -e "s|\bPATH_TO_SSL_KEY\b|$1/ssl/site-key.pem|g" \
        -e "s|\bSERVICE_HOST\b|127.0.0.1|g" \
        -e "s|\bSERVICE_PORT\b|${2:-5000}|g" \
        -e "s|\bDOCUMENT_ROOT\b|$1/htdocs|g" \
        -e "s|\bHOSTNAME\b|pegasus.example.org|g"
}

# The URL-prefix variant, uncommented the way the file's comments say.
apache_prefix_variant() {
    sed -E \
        -e 's/^([[:space:]]*)(ProxyPass(Reverse)?[[:space:]]+\/[[:space:]])/\1#\2/' \
        -e 's/^([[:space:]]*)#((ProxyPass(Reverse)?[[:space:]]+\/pegasus|DocumentRoot|<Directory|[[:space:]]*Require all granted|<\/Directory>)([[:space:]]|$))/\1\2/' \
        -e 's|<Location "/">|<Location "/pegasus">|'
}

apachectl_private() { # WORK ARGS...
    local work=$1
    shift
    APACHE_CONFDIR="$work/apache2" APACHE_ENVVARS="$work/apache2/envvars" /usr/sbin/apachectl "$@"
}
