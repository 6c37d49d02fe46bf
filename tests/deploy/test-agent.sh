#!/usr/bin/env bash
# The node agent of deploy/kubernetes as it runs in its pod: the start script
# taken from the ConfigMap starts plugfs with its config, copies every
# manifest of the manifests directory into the tree (keys with "__" for
# "/"), retries one that fails and becomes ready only when all applied;
# stopped and started again (a pod restart), the programs never left.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
. "$PLUGFS_SRC/tests/image/lib-image.sh"
# the agent runs its own daemon (nsenter, not ip netns exec: the mount must
# be made in our mount namespace, as in the pod's shared one)
stop_plugfs_hard "$PLUGFS_PID" "$MNT"
mkdir -p "$BPFFS_DIR"

python3 - "$PLUGFS_SRC/deploy/kubernetes/configmap.yaml" "$T_DIR/apply.sh" <<'PY'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d['metadata']['name'] == 'plugfs-config':
        open(sys.argv[2], 'w').write(d['data']['apply-manifests.sh'])
PY
check "the start script is in the ConfigMap" test -s "$T_DIR/apply.sh"
printf '[paths]\nstate_dir = %s\nrun_dir = %s\nbpffs_dir = %s\n' "$STATE_DIR" "$RUN_DIR" "$BPFFS_DIR" \
	> "$T_DIR/plugfs.ini"
M=$T_DIR/manifests
mkdir -p "$M"
make_layout "$T_DIR/drop" v1 "$PROGS/drop.bpf.o" '{"io.ebpf.programs": "{\"xdp_drop\":\"xdp\"}"}'
printf 'image = oci:%s/drop:v1\n' "$T_DIR" > "$M/ifaces__${VETH_B}__xdp__10"
printf 'object = %s\n' "$PROGS/pass.bpf.o" > "$M/ifaces__${VETH_B}__tc-ingress__20"
# not there yet: the agent retries it
printf 'image = oci:%s/later:v1\n' "$T_DIR" > "$M/ifaces__${VETH_B}__xdp__30"
READY=$T_DIR/ready

start_agent() {
	rm -f "$READY"
	PATH=$PLUGFS_BUILD/fs:$PATH PLUGFS_MNT=$MNT PLUGFS_CONFIG=$T_DIR/plugfs.ini PLUGFS_MANIFESTS=$M \
		PLUGFS_READY=$READY PLUGFS_RETRY_SECONDS=1 \
		nsenter "--net=/run/netns/$NSB" sh "$T_DIR/apply.sh" >>"$T_DIR/agent.log" 2>&1 &
	AGENT=$!
	on_exit "stop_pid $AGENT; fusermount3 -u -z '$MNT'"
}
start_agent
check "the agent mounts the tree" wait_for 10 mountpoint -q "$MNT"
check "it applies the image manifest" wait_for 10 test -e "$IF/xdp/10"
check "and the file manifest" wait_for 10 test -e "$IF/tc-ingress/20"
check "the image's program drops" ping_fails
sleep 1.5
check "not ready while a manifest fails" test ! -e "$READY"
check "the failure is said" grep -q "xdp/30 failed; the reason is in" "$T_DIR/agent.log"
make_layout "$T_DIR/later" v1 "$PROGS/count.bpf.o" '{"io.ebpf.programs": "{\"xdp_count\":\"xdp\"}"}'
check "ready once the retry applies it" wait_for 10 test -e "$READY"
check "xdp/30 is there" test -e "$IF/xdp/30"
check_eq "chain order" "$(ls "$IF/xdp" | tr '\n' ' ')" "10 30 "

# a pod restart: TERM stops the daemon, the programs stay; the new agent applies again
id0=$(field "$IF/xdp/10" "ID")
check "TERM stops the agent" stop_pid "$AGENT"
check "the mount is gone with it" wait_for 5 sh -c "! mountpoint -q '$MNT'"
check "traffic still dropped with no daemon" ping_fails
start_agent
check "the restarted agent is ready again" wait_for 15 test -e "$READY"
check "the entries are there" test -e "$IF/xdp/10" -a -e "$IF/xdp/30" -a -e "$IF/tc-ingress/20"
check_eq "the image entry shows its image" "$(field "$IF/xdp/10" "Image URL")" "oci:$T_DIR/drop:v1"
check "it still drops" ping_fails
say "xdp/10 program id before the restart $id0, after $(field "$IF/xdp/10" "ID")"
rm -f "$IF/xdp/10" "$IF/xdp/30" "$IF/tc-ingress/20"
check "ping works after rm" ping_ok
stop_pid "$AGENT"
check "nothing left" no_leftovers
finish
