#!/usr/bin/env bash
# A staged install (meson install --destdir): the daemon, the CLIs, the
# library with its headers, pkg-config file and man pages go in; examples
# stay out; the systemd unit passes systemd-analyze verify against it.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_cmd meson systemd-analyze

B=$PLUGFS_BUILD
STAGE=$T_DIR/stage
check "meson install --destdir" meson install -C "$B" --no-rebuild --quiet --destdir "$STAGE"
prefix=$(meson introspect "$B" --buildoptions | python3 -c \
	'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
P=$STAGE$prefix
check "the daemon is installed" test -x "$P/sbin/plugfs"
check "ebpf_injecter is installed" test -x "$P/bin/ebpf_injecter"
check "pluglet-run is installed" test -x "$P/bin/pluglet-run"
check "plugfs-top is installed" test -x "$P/bin/plugfs-top"
check "plugfs-top(1) is installed" test -f "$P/share/man/man1/plugfs-top.1"
check "the fault kinds header is installed" test -f "$P/include/pluglet/fault.h"
check "libpluglet.so is installed" test -n "$(find "$P" -name 'libpluglet.so*' | head -n1)"
check "the public headers are installed" test -f "$P/include/pluglet/host.h" -a -f "$P/include/pluglet/anchor.h"
check "the pkg-config file is installed" test -n "$(find "$P" -name libpluglet.pc | head -n1)"
check "plugfs(8) is installed" test -f "$P/share/man/man8/plugfs.8"
for ex in find_idx_host med_host; do
	check_eq "example $ex is not installed" "$(find "$STAGE" -name "$ex" | wc -l)" 0
done

# The unit as shipped, pointed at the staged daemon; man pages from the stage.
sed "s|/usr/local/sbin/plugfs|$P/sbin/plugfs|" "$PLUGFS_SRC/examples/systemd/plugfs.service" \
	>"$T_DIR/plugfs.service"
check "systemd-analyze verify plugfs.service" \
	env MANPATH="$P/share/man" systemd-analyze verify "$T_DIR/plugfs.service"
finish
