#!/usr/bin/env bash
# tracing/'s errors: an unknown tracepoint, symbol or binary is ENOENT with
# the name in `log`; an xdp program is EINVAL naming ifaces/; a bad name is
# EINVAL; a failed cp leaves no entry, pin or state. kprobe and fentry:
# each probes the kernel first; where it has the feature the test counts
# real events, where not it checks EOPNOTSUPP and the exact log line.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/tracing/lib-tracing.sh"

logged() { grep -qF -- "$1" "$MNT/log"; }
nothing_left() {
	[ ! -e "$TR/$1" ] && [ ! -e "$STATE_DIR/tracing/$1.ini" ] &&
		! ls "$BPFFS_DIR/tracing" 2>/dev/null | grep -q "$1"
}

manifest "$T_DIR/tp.ini" "object = $TPROGS/tp_getpid.bpf.o" "attach = tracepoint:syscalls:sys_enter_nope"
check_eq "unknown tracepoint: ENOENT" "$(errno_of cp "$T_DIR/tp.ini" "$TR/badtp")" "No such file or directory"
check "unknown tracepoint: named in log" logged "tracepoint:syscalls:sys_enter_nope"
check "unknown tracepoint: nothing left" nothing_left badtp

manifest "$T_DIR/sym.ini" "object = $TPROGS/probe_add.bpf.o" "name = probe_add" \
	"attach = uprobe:$TARGET:no_such_function"
check_eq "unknown symbol: ENOENT" "$(errno_of cp "$T_DIR/sym.ini" "$TR/badsym")" "No such file or directory"
check "unknown symbol: named in log" logged "no_such_function"
check "unknown symbol: nothing left" nothing_left badsym

manifest "$T_DIR/bin.ini" "object = $TPROGS/probe_add.bpf.o" "name = probe_add" \
	"attach = uprobe:/no/such/binary:main"
check_eq "unknown binary: ENOENT" "$(errno_of cp "$T_DIR/bin.ini" "$TR/badbin")" "No such file or directory"
check "unknown binary: named in log" logged "/no/such/binary"

manifest "$T_DIR/raw.ini" "object = $TPROGS/raw_getpid.bpf.o" "attach = raw_tracepoint:no_such_event"
check_eq "unknown raw tracepoint: ENOENT" "$(errno_of cp "$T_DIR/raw.ini" "$TR/badraw")" "No such file or directory"
check "unknown raw tracepoint: named in log" logged "no_such_event"

# a failed overwrite keeps the old entry as it was
cp "$TPROGS/tp_getpid.bpf.o" "$TR/keep" || fail "keep: cp"
before="$(field "$TR/keep" ID) $(field "$TR/keep" "Link ID")"
check_eq "failed overwrite: ENOENT" "$(errno_of cp "$T_DIR/tp.ini" "$TR/keep")" "No such file or directory"
check_eq "failed overwrite: the old program and link stay" \
	"$(field "$TR/keep" ID) $(field "$TR/keep" "Link ID")" "$before"
check "failed overwrite: its link is attached" bpftool link show id "$(field "$TR/keep" "Link ID")"
rm "$TR/keep"

check_eq "xdp program: EINVAL" "$(errno_of cp "$PLUGFS_BUILD/tests/bpf/pass.bpf.o" "$TR/xdp")" "Invalid argument"
check "xdp program: log names ifaces/" logged "is a xdp program: it goes into ifaces/"
check "xdp program: nothing left" nothing_left xdp

check_eq "uprobe without a point: EINVAL" "$(errno_of cp "$TPROGS/probe_add.bpf.o" "$TR/nopoint")" "Invalid argument"
check "uprobe without a point: log says to give attach" logged "give \`attach =\`"
check_eq "bad name: EINVAL" "$(errno_of cp "$TPROGS/tp_getpid.bpf.o" "$TR/bad:name")" "Invalid argument"
check "a name with dots works" cp "$TPROGS/tp_getpid.bpf.o" "$TR/open.snoop"
check "its pins use ':' for '.' (bpffs refuses dots)" test -e "$BPFFS_DIR/tracing/open:snoop/link_count_getpid"
check_eq "no staging pins left" "$(ls "$BPFFS_DIR/tracing" | tr '\n' ' ')" "open:snoop "

# ---- kprobe: CONFIG_KPROBES ----
if [ -e /sys/kernel/tracing/kprobe_events ] || [ -e /sys/bus/event_source/devices/kprobe ]; then
	say "this kernel has kprobes: counting real events"
	held unlink 100
	manifest "$T_DIR/kp.ini" "object = $TPROGS/kprobe_unlink.bpf.o" "global.target_pid = $(le32 "$TPID")"
	check "kprobe: cp" cp "$T_DIR/kp.ini" "$TR/kp"
	release
	check_eq "kprobe: 100 unlinks counted" "$(count "$TR/kp")" 100
else
	say "this kernel has no kprobes: checking the error"
	check_eq "kprobe: EOPNOTSUPP" "$(errno_of cp "$TPROGS/kprobe_unlink.bpf.o" "$TR/kp")" "Operation not supported"
	check "kprobe: the log says why" logged "tracing/kp: program 'count_unlink' (kprobe do_unlinkat): this kernel has no kprobes (CONFIG_KPROBES unset: /sys/kernel/tracing/kprobe_events is absent)"
	manifest "$T_DIR/krp.ini" "object = $TPROGS/kprobe_unlink.bpf.o" "retprobe = true"
	check_eq "kretprobe: EOPNOTSUPP" "$(errno_of cp "$T_DIR/krp.ini" "$TR/krp")" "Operation not supported"
	check "kretprobe: the log says why" logged "(kretprobe do_unlinkat): this kernel has no kprobes"
	check "kprobe: nothing left" nothing_left kp
fi

# ---- fentry: BPF trampolines (probed with bpftool, without plugfs) ----
probe=$BPFFS_DIR-probe
if bpftool prog load "$TPROGS/fentry_unlink.bpf.o" "$probe" >/dev/null 2>&1; then
	rm -f "$probe"
	say "this kernel has BPF trampolines: counting real events"
	held unlink 100
	manifest "$T_DIR/fe.ini" "object = $TPROGS/fentry_unlink.bpf.o" "global.target_pid = $(le32 "$TPID")"
	check "fentry: cp" cp "$T_DIR/fe.ini" "$TR/fe"
	release
	check_eq "fentry: 100 unlinks counted" "$(count "$TR/fe")" 100
else
	rm -f "$probe"
	say "this kernel refuses BPF trampolines: checking the error"
	check_eq "fentry: EOPNOTSUPP" "$(errno_of cp "$TPROGS/fentry_unlink.bpf.o" "$TR/fe")" "Operation not supported"
	check "fentry: the log says why" logged "tracing/fe: this kernel refuses BPF trampolines: loading the fentry/fexit/LSM program answered EPERM"
	check "fentry: nothing left" nothing_left fe
fi
finish
