#!/usr/bin/env bash
# Benchmark: cp of a tracepoint program to attached, against plain libbpf
# open + load + attach in the same run (bench_tracing.c).
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_bpffs
start_plugfs
on_exit "rm -rf '$BPFFS_DIR-engine'"
"$PLUGFS_BUILD/tests/tracing/bench_tracing" "$PLUGFS_BUILD/tests/tracing/tp_getpid.bpf.o" \
	"$MNT/tracing" "${BENCH_RUNS:-200}" "$BPFFS_DIR-engine" "$T_DIR/engine-state" || exit 1

