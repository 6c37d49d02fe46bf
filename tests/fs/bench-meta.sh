#!/usr/bin/env bash
# Benchmark: metadata operations on the mount (stat, directory listings)
# against a plain directory with the same number of files, same run.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_cmd ip nsenter
B=$PLUGFS_BUILD
RUNS=${BENCH_RUNS:-500}
NS=$(make_netns meta)
ip -n "$NS" link add "bm$T_ID" type veth peer name "bn$T_ID"
PLUGFS_NETNS=$NS start_plugfs
plain=$T_DIR/plain
mkdir -p "$plain"
for i in 1 2 3 4 5; do : >"$plain/$i"; done

"$B/tests/fs/bench_meta" "root" "$MNT/log" "$MNT" "$plain/1" "$plain" "$RUNS" || exit 1
"$B/tests/fs/bench_meta" "ifaces (3 interfaces)" "$MNT/ifaces/lo/xdp" "$MNT/ifaces" "$plain/1" "$plain" "$RUNS" || exit 1
# Five programs in one chain: stat and ls -l report the size of `cat`.
X=$MNT/ifaces/bm$T_ID/xdp
for p in 10 20 30 40 50; do cp "$B/tests/bpf/pass.bpf.o" "$X/$p" || exit 1; done
"$B/tests/fs/bench_meta" "xdp chain of 5" "$X/30" "$X" "$plain/1" "$plain" "$RUNS" || exit 1
# Pluglets: the size comes from every host's report.
"$B/tests/plugins/plug_host" --run-dir "$RUN_DIR" --name meta --interval-ms 1000 >/dev/null 2>&1 &
on_exit "stop_pid $!"
hosts_up() { [ -n "$(ls "$MNT/hosts")" ]; }
wait_for 10 hosts_up || exit 1
P=$MNT/plugins/find_idx/pre
for s in 1 2 3 4 5; do cp "$B/tests/plugins/say_pre5.o" "$P/$s" || exit 1; done
"$B/tests/fs/bench_meta" "pre/ of 5, 1 host" "$P/3" "$P" "$plain/1" "$plain" "$RUNS" || exit 1
