# Helpers for the tracing/ integration tests (source after tests/lib.sh): a
# daemon on a private mount, the traced program, counters read from the
# entries' pinned maps.
need_root; need_fuse; need_bpffs; need_cmd bpftool jq

TPROGS=$PLUGFS_BUILD/tests/tracing
TARGET=$TPROGS/trace-target
for p in tp_getpid raw_getpid probe_add usdt_tick kprobe_unlink fentry_unlink; do
	[ -f "$TPROGS/$p.bpf.o" ] || { echo "FAIL: $TPROGS/$p.bpf.o not built" >&2; exit 1; }
done

# field FILE KEY: the first "KEY: value" of a report
field() { sed -n "s/^$2: //p" "$1" | head -n1; }
# errno_of CMD...: the strerror text CMD failed with ("" if it succeeded)
errno_of() { "$@" 2>&1 >/dev/null | sed -E 's/.*: //' | tail -n1; }
# le32 N: N as the 4 little-endian bytes of a u32 global, in hex
le32() { printf '%08x' "$1" | sed -E 's/(..)(..)(..)(..)/\4\3\2\1/'; }
# count ENTRY [KEY]: counts[KEY] (default 0) of a tracing/ entry
count() {
	local dir
	dir=$(field "$1" "Map Pin Path")
	bpftool -j map lookup pinned "$dir/counts" key "${2:-0}" 0 0 0 | jq -r '.formatted.value'
}
# manifest FILE key=value...: writes a load manifest
manifest() {
	local f=$1; shift
	printf '%s\n' "$@" > "$f"
}
# held MODE N: starts trace-target waiting on a fifo; sets TPID (its pid)
# and GO (write to it to start the N events)
held() {
	GO=$T_DIR/go.$RANDOM
	mkfifo "$GO"
	"$TARGET" -w "$1" "$2" < "$GO" &
	TPID=$!
	on_exit "kill $TPID 2>/dev/null"
}
# release: starts the held target's events and waits for it to finish
release() {
	echo go > "$GO"
	wait "$TPID"
}

# tests that need interfaces start the daemon in a namespace first (lib-bpf.sh)
[ -n "${PLUGFS_PID:-}" ] || start_plugfs
TR=$MNT/tracing
