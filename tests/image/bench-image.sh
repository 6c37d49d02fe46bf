#!/usr/bin/env bash
# Benchmark: cp of a load manifest to an attached program, the object named
# by `object` (a file) against `image` (a bytecode image in a real registry,
# cached: IfNotPresent, the second and later loads make no request), and
# against `source` (C compiled on every load), same run, same veth.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
. "$PLUGFS_SRC/tests/image/lib-image.sh"
RUNS=${BENCH_RUNS:-40}
X=$IF/xdp

start_registry bench
printf '[images]\ninsecure_registries = %s\n' "$REG" > "$T_DIR/plugfs.ini"
stop_plugfs_hard "$PLUGFS_PID" "$MNT"
PLUGFS_NETNS=$NSB start_plugfs --config "$T_DIR/plugfs.ini"
make_layout "$T_DIR/pass" v1 "$PROGS/pass.bpf.o" '{"io.ebpf.programs": "{\"xdp_pass\":\"xdp\"}"}'
push "$T_DIR/pass" v1 bench/pass:v1 --dest-tls-verify=false || exit 1
printf 'object = %s\n' "$PROGS/pass.bpf.o" > "$T_DIR/file.ini"
printf 'image = %s/bench/pass:v1\n' "$REG" > "$T_DIR/image.ini"
# the compiler runs as nobody: the source in a directory everyone may read
mkdir -m 755 "$T_DIR/src"
printf '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nSEC("xdp") int xdp_pass(struct xdp_md *c) { return XDP_PASS; }\nchar L[] SEC("license") = "GPL";\n' > "$T_DIR/src/pass.bpf.c"
printf 'source = %s\n' "$T_DIR/src/pass.bpf.c" > "$T_DIR/source.ini"
cp "$T_DIR/image.ini" "$X/10" && rm "$X/10" || exit 1	# pulls once: the cache is warm
gets0=$(registry_gets bench/pass)

# one_run MANIFEST: microseconds from cp to attached (cp returns once attached), then rm
one_run() {
	local t0 t1
	t0=$(date +%s%N)
	cp "$1" "$X/10" || return 1
	t1=$(date +%s%N)
	rm "$X/10"
	echo $(((t1 - t0) / 1000))
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
: > "$T_DIR/file.us"; : > "$T_DIR/image.us"; : > "$T_DIR/source.us"
for ((i = 0; i < RUNS; i++)); do
	one_run "$T_DIR/file.ini" >> "$T_DIR/file.us" || exit 1
	one_run "$T_DIR/image.ini" >> "$T_DIR/image.us" || exit 1
	((i % 4 == 0)) && { one_run "$T_DIR/source.ini" >> "$T_DIR/source.us" || exit 1; }
done
f=$(median < "$T_DIR/file.us")
m=$(median < "$T_DIR/image.us")
s=$(median < "$T_DIR/source.us")
echo "cp to attached, median of $RUNS (source: $(wc -l < "$T_DIR/source.us")), same veth, same run:"
printf '  object = file            %8d us  (baseline)\n' "$f"
printf '  image (cached)           %8d us  x%s\n' "$m" "$(awk -v a="$m" -v b="$f" 'BEGIN {printf "%.2f", a / b}')"
printf '  source (clang each load) %8d us  x%s\n' "$s" "$(awk -v a="$s" -v b="$f" 'BEGIN {printf "%.2f", a / b}')"
echo "  registry requests during the image runs: $(($(registry_gets bench/pass) - gets0))"
