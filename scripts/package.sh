#!/usr/bin/env bash
# Builds the Debian package dist/pegasus-em_<version>_<arch>.deb: release binaries with the Swift runtime and
# Foundation linked statically (they run on a host without the Swift toolchain), stripped; man pages generated
# from the argument parsers; bash, zsh and fish completions; the systemd units and the Apache configuration.
#
#   scripts/package.sh              build (swift build -c release --static-swift-stdlib) and package
#   scripts/package.sh --no-build   package the binaries of the last such build
#
# The version is the VERSION file (Sources/PegasusConfig/Version.swift must say the same). The release build
# this runs is also the one trigger-bench and the benchmarks use (.build/release/pegasus-em). Needs dpkg-dev
# (dpkg-shlibdeps) and binutils (strip): scripts/install-deps.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
umask 022

build=1
case "${1:-}" in
    "") ;;
    --no-build) build=0 ;;
    *) echo "usage: scripts/package.sh [--no-build]" >&2; exit 2 ;;
esac

fail() { echo "package.sh: $*" >&2; exit 1; }

version=$(tr -d '[:space:]' <VERSION)
swift_version=$(sed -n 's/^public let pegasusEMVersion = "\(.*\)"$/\1/p' Sources/PegasusConfig/Version.swift)
[ "$version" = "$swift_version" ] \
    || fail "VERSION says '$version' but Sources/PegasusConfig/Version.swift says '$swift_version'; make them equal"
arch=$(dpkg --print-architecture)
package="pegasus-em_${version}_${arch}"
binaries=(pegasus-em pegasus-service)

started=$(date +%s)
if [ "$build" = 1 ]; then
    echo "== swift build -c release --static-swift-stdlib"
    swift build -c release --static-swift-stdlib
fi
built=$(date +%s)
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || fail "$bin/$b is missing; run without --no-build"; done

# No library of the toolchain may be needed at run time (the host has no /opt/swift).
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")
toolchain_libraries='libswift|libFoundation|lib_Foundation|libCoreFoundation|libdispatch|libBlocksRuntime|libXCTest|libTesting|libicu.*swift'
for b in "${binaries[@]}"; do
    libraries=$(env -u LD_LIBRARY_PATH ldd "$bin/$b")
    if grep -E "$toolchain_libraries|$toolchain/|not found" <<<"$libraries"; then
        fail "$b needs the libraries above from the toolchain ($toolchain) or cannot find them; was it built with --static-swift-stdlib?"
    fi
done

stage="$root/.build/package/$package"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/lib/systemd/system" "$stage/usr/lib/systemd/user" \
    "$stage/usr/share/pegasus" "$stage/usr/share/man/man1" "$stage/usr/share/doc/pegasus-em" \
    "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
    "$stage/usr/share/fish/vendor_completions.d"

# Binaries, stripped as dh_strip does (the symbol table is not needed to run; backtraces lose function names).
for b in "${binaries[@]}"; do
    install -m 755 "$bin/$b" "$stage/usr/bin/$b"
    strip --remove-section=.comment --remove-section=.note "$stage/usr/bin/$b"
done

# Completions, from the binaries themselves.
for b in "${binaries[@]}"; do
    "$stage/usr/bin/$b" --generate-completion-script bash >"$stage/usr/share/bash-completion/completions/$b"
    "$stage/usr/bin/$b" --generate-completion-script zsh >"$stage/usr/share/zsh/vendor-completions/_$b"
    "$stage/usr/bin/$b" --generate-completion-script fish >"$stage/usr/share/fish/vendor_completions.d/$b.fish"
done

# Man pages: swift-argument-parser's generate-manual, built from the checkout this package resolved (offline),
# reads each binary's --experimental-dump-help. The date is the last commit's, so a rebuild gives the same page.
parser_checkout="$root/.build/checkouts/swift-argument-parser"
[ -f "$parser_checkout/Package.swift" ] || fail "$parser_checkout is missing (swift package resolve first)"
manual_scratch="$root/.build/generate-manual"
swift build -c release --package-path "$parser_checkout" --scratch-path "$manual_scratch" \
    --product generate-manual >/dev/null || fail "building swift-argument-parser's generate-manual failed"
generate_manual="$manual_scratch/release/generate-manual"
page_date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
manuals=$(mktemp -d)
trap 'rm -rf "$manuals"' EXIT
for b in "${binaries[@]}"; do
    "$generate_manual" "$stage/usr/bin/$b" --date "$page_date" --section 1 --output-directory "$manuals"
done
for page in "$manuals"/*.1; do
    gzip -9n <"$page" >"$stage/usr/share/man/man1/$(basename "$page").gz"
done
for b in "${binaries[@]}"; do
    [ -s "$stage/usr/share/man/man1/$b.1.gz" ] || fail "generate-manual wrote no $b.1"
done

# systemd units (they start /usr/bin/...), the Apache configuration and its README.
for unit in share/pegasus/systemd-unit/*.service; do
    if grep -E '^ExecStart=' "$unit" | grep -vE '^ExecStart=/usr/bin/' >/dev/null; then
        fail "$unit: ExecStart does not start a program in /usr/bin"
    fi
done
install -m 644 share/pegasus/systemd-unit/pegasus-service.service "$stage/usr/lib/systemd/system/"
install -m 644 share/pegasus/systemd-unit/pegasus-em.service "$stage/usr/lib/systemd/user/"
install -m 644 share/pegasus/service/pegasus-service-httpd.conf share/pegasus/service/README.md \
    "$stage/usr/share/pegasus/"
install -m 644 share/pegasus/debian/copyright "$stage/usr/share/doc/pegasus-em/copyright"

# Depends: what dpkg-shlibdeps finds the binaries linked against (libc6, libpam0g, libsqlite3-0, ...).
shlibs=$(mktemp -d)
trap 'rm -rf "$manuals" "$shlibs"' EXIT
mkdir -p "$shlibs/debian"
printf 'Source: pegasus-em\n\nPackage: pegasus-em\nArchitecture: any\n' >"$shlibs/debian/control"
depends=$(cd "$shlibs" && dpkg-shlibdeps -O "${binaries[@]/#/$stage/usr/bin/}" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || fail "dpkg-shlibdeps found no dependencies"

installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: pegasus-em
Version: $version
Architecture: $arch
Maintainer: pegasus-em for Swift maintainers <maintainers@users.noreply.r-seed-f5cf0c0a.example>
Installed-Size: $installed_size
Depends: $depends
Section: science
Priority: optional
Description: Pegasus WMS ensemble manager and service, in Swift
 pegasus-em runs throttled, prioritised ensembles of Pegasus workflows, with
 interval, cron and file-pattern triggers; its client commands and REST API are
 those of Pegasus 5.1's pegasus-em. pegasus-service is the multi-user HTTPS
 dashboard and monitoring API. The Swift runtime is linked in: no Swift
 toolchain is needed. Pegasus itself (pegasus-plan, HTCondor) is not included.
EOF
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
# systemd sees the new or removed units at once; nothing is enabled or started (that is the operator's choice).
for script in postinst postrm; do
    cat >"$stage/DEBIAN/$script" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl daemon-reload >/dev/null || true
fi
EOF
    chmod 755 "$stage/DEBIAN/$script"
done

mkdir -p dist
rm -f "dist/$package.deb"
# xz level 1 by default: about 6 times faster than dpkg's default level 6 on these 176 MB of binaries, for a
# package about 18 % larger (still well under 60 MB); PEGASUS_DEB_XZ_LEVEL=6 (or 9) for a smaller release package.
dpkg-deb --root-owner-group -Zxz -z"${PEGASUS_DEB_XZ_LEVEL:-1}" --build "$stage" "dist/$package.deb" >/dev/null
finished=$(date +%s)

echo "== dist/$package.deb"
echo "size: $(stat -c %s "dist/$package.deb") bytes; installed: ${installed_size} KiB; Depends: $depends"
echo "time: build $((built - started)) s, packaging $((finished - built)) s"
for b in "${binaries[@]}"; do echo "$b: $(stat -c %s "$stage/usr/bin/$b") bytes stripped"; done
