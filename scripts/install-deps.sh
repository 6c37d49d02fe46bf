#!/usr/bin/env bash
# Installs the Debian packages plugfs needs to build, run and test, if any
# are missing. Safe to run again: it does nothing when all are present.
set -euo pipefail

pkgs=(
	build-essential pkg-config meson ninja-build
	clang llvm lld
	libfuse3-dev fuse3
	libbpf-dev libelf-dev zlib1g-dev
	libinih-dev libcmocka-dev liburcu-dev
	bpftool iproute2 iputils-ping procps psmisc util-linux kmod
	python3
	systemtap-sdt-dev jq
	libcurl4-openssl-dev libjson-c-dev bubblewrap
	docker-registry skopeo apache2-utils openssl python3-yaml curl
	groff-base man-db systemd
	jq tmux curl prometheus-node-exporter
)

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
updated=

# install PKG...: the ones not installed yet
install() {
	local p missing=()
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "install-deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$updated" ] || { $SUDO apt-get update -q; updated=1; }
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install "${pkgs[@]}"

# The fuzzers link clang's sanitizer runtime, packaged per clang version
# (libclang-rt-14-dev on Debian 12, libclang-rt-19-dev on Debian 13): the
# one of the clang just installed.
v=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
[ -n "$v" ] && install "libclang-rt-$v-dev"
exit 0
