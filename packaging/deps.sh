#!/bin/sh
# Install cutover's build and test dependencies. Idempotent: package managers
# skip what is already there, so running this twice is safe and cheap.
set -eu

DEB_PKGS="build-essential autoconf automake libtool pkg-config
  libarchive-dev libssh2-1-dev zlib1g-dev libinih-dev libssl-dev libcmocka-dev
  openssh-server openssh-client clang xz-utils zstd bzip2 zip
  debhelper devscripts lintian rpm rpmlint elfutils fakeroot python3 time bc sudo
  libcurl4-openssl-dev nginx-light curl openssl ca-certificates chromium"
RPM_PKGS="gcc make autoconf automake libtool pkgconf-pkg-config
  libarchive-devel libssh2-devel zlib-devel inih-devel openssl-devel libcmocka-devel
  openssh-server openssh-clients clang xz zstd bzip2 zip rpm-build rpmlint python3 sudo
  libcurl-devel nginx curl openssl ca-certificates chromium"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if command -v apt-get >/dev/null 2>&1; then
	missing=""
	for p in $DEB_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		# shellcheck disable=SC2086
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
	fi
elif command -v dnf >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	as_root dnf install -y $RPM_PKGS
else
	echo "deps.sh: no apt-get or dnf found; install by hand: libarchive, libssh2, zlib, inih, openssl, cmocka, openssh-server" >&2
	exit 2
fi
