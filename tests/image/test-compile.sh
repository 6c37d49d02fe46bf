#!/usr/bin/env bash
# C sources compiled on load (DeChainy's compile_hook / patch_hook): a
# manifest's source with cflags compiles with clang and loads; C text
# written with cp compiles too; writing new source over the entry replaces
# it; a compile error is EINVAL with clang's message in log; the compiler
# runs in a sandbox as nobody (no network, nothing of the host but /usr
# and the source's directory; a source only root may read is refused;
# killed past the time limit); no compiler: ENOEXEC.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
need_cmd clang bwrap
X=$IF/xdp

mkdir -p "$T_DIR/src" "$T_DIR/elsewhere"
cat > "$T_DIR/src/verdict.bpf.c" <<'C'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verdict.h"

SEC("xdp")
int xdp_verdict(struct xdp_md *ctx)
{
	return VERDICT;
}

char LICENSE[] SEC("license") = "GPL";
C
echo '#ifndef VERDICT
#define VERDICT XDP_PASS
#endif' > "$T_DIR/src/verdict.h"

check "ping works with no program" ping_ok
manifest "$T_DIR/drop.ini" "source = $T_DIR/src/verdict.bpf.c" "cflags = -DVERDICT=XDP_DROP -Wall"
check "source + cflags compiles and loads" cp "$T_DIR/drop.ini" "$X/10"
check "the cflags took effect: ping fails" ping_fails
check_eq "cat: Name" "$(field "$X/10" "Name")" "xdp_verdict"
check_eq "cat: Path is the source" "$(field "$X/10" "Path")" "$T_DIR/src/verdict.bpf.c"
manifest "$T_DIR/pass.ini" "source = $T_DIR/src/verdict.bpf.c"
check "new source over the entry (patch_hook) replaces it" cp "$T_DIR/pass.ini" "$X/10"
check "ping works with the default verdict" ping_ok
rm -f "$X/10"

# C text written directly
sed 's/return VERDICT;/return XDP_DROP;/; /verdict.h/d' "$T_DIR/src/verdict.bpf.c" > "$T_DIR/drop.bpf.c"
check "cp of C text compiles and loads" cp "$T_DIR/drop.bpf.c" "$X/10"
check "and drops" ping_fails
rm -f "$X/10"
check "ping works again" ping_ok

# a pluglet as C text: compiled, then checked by the VM's verifier
printf '#include <linux/types.h>\n__u64 seven(void *args)\n{\n\treturn 7;\n}\n' > "$T_DIR/seven.c"
check "mkdir plugins/ctext" mkdir "$MNT/plugins/ctext"
check "plugins/: cp of C text compiles and is accepted" cp "$T_DIR/seven.c" "$MNT/plugins/ctext/post/1"
check "cat shows the compiled object" grep -q "^Entry: (only global function)" "$MNT/plugins/ctext/post/1"
rm -f "$MNT/plugins/ctext/post/1"

# compile errors
printf 'int broken(void) { return undeclared_thing; }\n' > "$T_DIR/src/bad.bpf.c"
manifest "$T_DIR/bad.ini" "source = $T_DIR/src/bad.bpf.c"
check_eq "a compile error: EINVAL" "$(errno_of cp "$T_DIR/bad.ini" "$X/10")" "Invalid argument"
check "clang's message is in log" grep -q "bad.bpf.c:1:.*error: use of undeclared identifier 'undeclared_thing'" "$MNT/log"
check "the log says where /src is" grep -q "runs as nobody with $T_DIR/src as /src" "$MNT/log"
check "nothing was loaded" test ! -e "$X/10"

# the sandbox: a header outside the source's directory is not there
echo '#define VERDICT XDP_DROP' > "$T_DIR/elsewhere/secret.h"
sed "s|\"verdict.h\"|\"$T_DIR/elsewhere/secret.h\"|" "$T_DIR/src/verdict.bpf.c" > "$T_DIR/src/peek.bpf.c"
manifest "$T_DIR/peek.ini" "source = $T_DIR/src/peek.bpf.c"
check_eq "a header outside the source's directory: EINVAL" "$(errno_of cp "$T_DIR/peek.ini" "$X/10")" \
	"Invalid argument"
check "clang did not find it" grep -q "secret.h' file not found" "$MNT/log"
check "clang compiles that source outside the sandbox (the header is real)" \
	clang -O2 -target bpf -I"/usr/include/$(gcc -print-multiarch)" -c "$T_DIR/src/peek.bpf.c" -o "$T_DIR/peek.o"

# the compiler runs as nobody: a source only root may read is not compiled
cp "$T_DIR/src/verdict.bpf.c" "$T_DIR/src/secret.bpf.c"
chmod 600 "$T_DIR/src/secret.bpf.c"
manifest "$T_DIR/secret.ini" "source = $T_DIR/src/secret.bpf.c"
check_eq "a source only root may read: EINVAL" "$(errno_of cp "$T_DIR/secret.ini" "$X/10")" "Invalid argument"
check "clang could not read it" grep -q "error reading '/src/secret.bpf.c'" "$MNT/log"

# a compiler chosen by the config shows what it sees: only lo, no /etc/hostname;
# one that does not finish is killed at the time limit
cat > "$T_DIR/fakecc" <<'SH'
#!/bin/sh
echo "fakecc: interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
echo "fakecc: uid $(id -u) gid $(id -g)"
[ -e /etc/hostname ] && echo "fakecc: /etc/hostname visible" || echo "fakecc: no /etc/hostname"
case " $* " in *" -DSLOW "*) sleep 30 ;; esac
exit 1
SH
chmod +x "$T_DIR/fakecc"
printf '[images]\nclang = %s\ncompile_timeout_ms = 1500\n' "$T_DIR/fakecc" > "$T_DIR/fake.ini"
printf '[images]\nclang = /nonexistent/clang\n' > "$T_DIR/none.ini"
stop_plugfs_hard "$PLUGFS_PID" "$MNT"
PLUGFS_NETNS=$NSB start_plugfs --config "$T_DIR/fake.ini"
check_eq "the fake compiler fails: EINVAL" "$(errno_of cp "$T_DIR/pass.ini" "$X/10")" "Invalid argument"
check "no network in the compiler's sandbox: only lo" grep -q "fakecc: interfaces: lo $" "$MNT/log"
check "no /etc of the host in it" grep -q "fakecc: no /etc/hostname" "$MNT/log"
check "the compiler runs as nobody" grep -q "fakecc: uid 65534 gid 65534" "$MNT/log"
manifest "$T_DIR/slow.ini" "source = $T_DIR/src/verdict.bpf.c" "cflags = -DSLOW"
t0=$SECONDS
check_eq "past the time limit: ETIMEDOUT" "$(errno_of cp "$T_DIR/slow.ini" "$X/10")" "Connection timed out"
check "killed in time ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 10
check "the log says so" grep -q "compiler killed after 1500 ms" "$MNT/log"
stop_plugfs_hard "$PLUGFS_PID" "$MNT"
PLUGFS_NETNS=$NSB start_plugfs --config "$T_DIR/none.ini"
check_eq "no compiler: ENOEXEC" "$(errno_of cp "$T_DIR/pass.ini" "$X/10")" "Exec format error"
check "the log names it" grep -q "no C compiler: '/nonexistent/clang' is not installed" "$MNT/log"
check_eq "an ELF object still loads" "$(errno_of cp "$PROGS/pass.bpf.o" "$X/10")" ""
rm -f "$X/10"
check "nothing left" no_leftovers
finish
