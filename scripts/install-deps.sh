#!/usr/bin/env bash
# Installs the Debian packages plugfs needs to build, run and test, if any
# are missing. Safe to run again: it does nothing when all are present.
set -euo pipefail

pkgs=(
	build-essential pkg-config meson ninja-build
	clang llvm lld libclang-rt-14-dev
	libfuse3-dev fuse3
	libbpf-dev libelf-dev zlib1g-dev
	libinih-dev libcmocka-dev liburcu-dev
	bpftool iproute2 iputils-ping procps psmisc util-linux kmod
	python3
	groff-base man-db
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
