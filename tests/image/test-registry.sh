#!/usr/bin/env bash
# Bytecode images from a real registry over plain HTTP: a manifest with
# `image` attaches and drops traffic as the same object from a file does;
# cat shows Image URL / Image Digest / Pull Policy; IfNotPresent makes no
# request after a daemon restart (the registry's access log); Always sees
# a re-pushed tag; Never without a cached copy, an unknown tag, a tampered
# blob, a stopped registry and an image that is not a bytecode image fail
# with their errnos; oci: layouts on disk load with no registry.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
. "$PLUGFS_SRC/tests/image/lib-image.sh"

start_registry plain
CFG=$T_DIR/plugfs.ini
printf '[images]\ninsecure_registries = %s\npull_timeout_ms = 5000\n' "$REG" > "$CFG"
# the daemon of lib-bpf.sh knows no registry: start it again with the config
stop_plugfs_hard "$PLUGFS_PID" "$MNT"
PLUGFS_NETNS=$NSB start_plugfs --config "$CFG"
X=$IF/xdp

DROP='{"io.ebpf.programs": "{\"xdp_drop\":\"xdp\",\"tc_drop\":\"tc\"}", "io.ebpf.maps": "{}"}'
PASS='{"io.ebpf.programs": "{\"xdp_pass\":\"xdp\"}"}'
make_layout "$T_DIR/drop" v1 "$PROGS/drop.bpf.o" "$DROP"
make_layout "$T_DIR/pass" v1 "$PROGS/pass.bpf.o" "$PASS"
check "skopeo pushes the drop image" push "$T_DIR/drop" v1 test/xdp:v1 --dest-tls-verify=false
check "skopeo pushes the pass image" push "$T_DIR/pass" v1 test/pass:v1 --dest-tls-verify=false

# ---- a manifest with image attaches and passes traffic tests ----
check "ping works with no program" ping_ok
manifest "$T_DIR/img.ini" "image = $REG/test/xdp:v1"
check "cp of an image manifest (no name: the labels give it)" cp "$T_DIR/img.ini" "$X/10"
check "the image's drop blocks ping" ping_fails
check_eq "cat: Image URL" "$(field "$X/10" "Image URL")" "$REG/test/xdp:v1"
DIGEST=$(field "$X/10" "Image Digest")
check "cat: Image Digest is a sha256 digest" grep -Eq '^sha256:[0-9a-f]{64}$' <<<"$DIGEST"
check_eq "cat: Pull Policy" "$(field "$X/10" "Pull Policy")" "IfNotPresent"
check_eq "cat: Name from the labels" "$(field "$X/10" "Name")" "xdp_drop"
check_eq "cat .json: image_url, image_digest, pull_policy" \
	"$(jq -r '[.image_url, .image_digest, .pull_policy] | join(" ")' "$X/10.json")" \
	"$REG/test/xdp:v1 $DIGEST IfNotPresent"
check_eq "cat: the object's sha256 is the file's" "$(field "$X/10" "Object SHA256")" \
	"$(sha256sum "$PROGS/drop.bpf.o" | cut -d' ' -f1)"
check "the blobs are cached by digest in the object store" \
	test -f "$STATE_DIR/objects/blobs/sha256/${DIGEST#sha256:}"
manifest "$T_DIR/tc.ini" "image = $REG/test/xdp:v1"
check "tc-ingress: the same image gives the tc program" cp "$T_DIR/tc.ini" "$IF/tc-ingress/10"
check_eq "tc-ingress: Name tc_drop" "$(field "$IF/tc-ingress/10" "Name")" "tc_drop"
rm -f "$IF/tc-ingress/10"
check "rm restores traffic" rm "$X/10"
check "ping works again" ping_ok

# ---- IfNotPresent after a daemon restart: no request ----
check "cp again" cp "$T_DIR/img.ini" "$X/10"
stop_plugfs_hard "$PLUGFS_PID" "$MNT"
n0=$(registry_gets test/xdp)
PLUGFS_NETNS=$NSB start_plugfs --config "$CFG"
check "after the restart the entry is adopted" test -e "$X/10"
check "cp of the same manifest after the restart" cp "$T_DIR/img.ini" "$X/20"
check "and it drops" ping_fails
check_eq "IfNotPresent: no request reached the registry ($n0 before)" "$(registry_gets test/xdp)" "$n0"
rm -f "$X/10" "$X/20"

# ---- Always sees a re-pushed tag; IfNotPresent keeps the cached one ----
check "re-push v1 with the pass object" push "$T_DIR/pass" v1 test/xdp:v1 --dest-tls-verify=false
manifest "$T_DIR/keep.ini" "image = $REG/test/xdp:v1" "name = xdp_pass" 
check_eq "IfNotPresent keeps the cached image (no xdp_pass in it)" "$(cp_errno "$T_DIR/keep.ini" "$X/10")" \
	"Invalid argument"
manifest "$T_DIR/always.ini" "image = $REG/test/xdp:v1" "image_pull_policy = Always"
check "Always pulls the re-pushed tag" cp "$T_DIR/always.ini" "$X/10"
check_eq "Always: the pass program now" "$(field "$X/10" "Name")" "xdp_pass"
check_eq "cat: Pull Policy Always" "$(field "$X/10" "Pull Policy")" "Always"
check "Always: traffic passes" ping_ok
check "the new digest is shown" test "$(field "$X/10" "Image Digest")" != "$DIGEST"
rm -f "$X/10"

# ---- Never ----
manifest "$T_DIR/never.ini" "image = $REG/test/pass:v1" "image_pull_policy = Never"
check_eq "Never without a cached copy: ENOENT" "$(cp_errno "$T_DIR/never.ini" "$X/10")" \
	"No such file or directory"
check "the log says why" grep -q "not in the cache and the pull policy is Never" "$MNT/log"
manifest "$T_DIR/pass.ini" "image = $REG/test/pass:v1"
check "pull it once" cp "$T_DIR/pass.ini" "$X/10"
check "Never with the cached copy loads" cp "$T_DIR/never.ini" "$X/20"
rm -f "$X/10" "$X/20"

# ---- by digest; an image index gives its linux/amd64 manifest ----
PASS_DIGEST=$(jq -r '.manifests[0].digest' "$T_DIR/pass/index.json")
manifest "$T_DIR/bydigest.ini" "image = $REG/test/pass@$PASS_DIGEST"
check "image by digest loads" cp "$T_DIR/bydigest.ini" "$X/10"
check_eq "by digest: the digest shown" "$(field "$X/10" "Image Digest")" "$PASS_DIGEST"
rm -f "$X/10"
manifest "$T_DIR/nodigest.ini" "image = $REG/test/pass@sha256:$(printf '%064d' 0)"
check_eq "an unknown digest: ENOENT" "$(cp_errno "$T_DIR/nodigest.ini" "$X/10")" "No such file or directory"
make_layout "$T_DIR/multi" arm "$PROGS/pass.bpf.o" "$PASS"
ARM=$LAYOUT_DIGEST
make_layout "$T_DIR/multi" amd "$PROGS/drop.bpf.o" "$DROP"
AMD=$LAYOUT_DIGEST
make_index "$T_DIR/multi" v1 "$AMD" "$ARM"
check "skopeo pushes an image index" push "$T_DIR/multi" v1 test/multi:v1 --all --dest-tls-verify=false
manifest "$T_DIR/multi.ini" "image = $REG/test/multi:v1"
check "an index: loads" cp "$T_DIR/multi.ini" "$X/10"
check_eq "an index: the linux/amd64 manifest's program" "$(field "$X/10" "Name")" "xdp_drop"
check_eq "an index: its digest" "$(field "$X/10" "Image Digest")" "$AMD"
rm -f "$X/10"
manifest "$T_DIR/multil.ini" "image = oci:$T_DIR/multi:v1"
check_eq "an index in a layout: the linux/amd64 manifest's program" \
	"$(cp "$T_DIR/multil.ini" "$X/10" && field "$X/10" "Name")" "xdp_drop"
rm -f "$X/10"

# ---- errors ----
manifest "$T_DIR/unknown.ini" "image = $REG/test/xdp:nosuchtag"
check_eq "unknown tag: ENOENT" "$(cp_errno "$T_DIR/unknown.ini" "$X/10")" "No such file or directory"
check "the log has the registry's answer" grep -q "MANIFEST_UNKNOWN" "$MNT/log"

make_layout "$T_DIR/tamper" v1 "$PROGS/count.bpf.o" "$PASS"
check "push an image to tamper with" push "$T_DIR/tamper" v1 test/tamper:v1 --dest-tls-verify=false
blob=$(find "$REG_DIR/storage" -path "*/blobs/sha256/*/${LAYER_DIGEST#sha256:}/data")
check "the registry stores the layer" test -f "$blob"
printf 'x' >> "$blob"
manifest "$T_DIR/tamper.ini" "image = $REG/test/tamper:v1"
check_eq "tampered layer: EBADMSG" "$(cp_errno "$T_DIR/tamper.ini" "$X/10")" "Bad message"
check "the log names the digest" grep -q "digest mismatch: expected $LAYER_DIGEST" "$MNT/log"
check "nothing was loaded" test ! -e "$X/10"

make_layout "$T_DIR/nolabels" v1 "$PROGS/pass.bpf.o" '{"org.example": "x"}'
check "push an image without bytecode labels" push "$T_DIR/nolabels" v1 test/nolabels:v1 --dest-tls-verify=false
manifest "$T_DIR/nolabels.ini" "image = $REG/test/nolabels:v1"
check_eq "not a bytecode image: EINVAL" "$(cp_errno "$T_DIR/nolabels.ini" "$X/10")" "Invalid argument"
check "the log says so" grep -q "not a bytecode image" "$MNT/log"

# ---- oci: layouts on disk ----
manifest "$T_DIR/layout.ini" "image = oci:$T_DIR/drop:v1"
check "oci: layout loads" cp "$T_DIR/layout.ini" "$X/10"
check "and drops" ping_fails
check_eq "oci: Image Digest is the layout's" "$(field "$X/10" "Image Digest")" "$(jq -r '.manifests[0].digest' "$T_DIR/drop/index.json")"
rm -f "$X/10"
manifest "$T_DIR/layout2.ini" "image = oci:$T_DIR/drop:v2"
check_eq "oci: unknown tag: ENOENT" "$(cp_errno "$T_DIR/layout2.ini" "$X/10")" "No such file or directory"

# ---- plugins/: a pluglet from an image, its entry from the labels ----
make_layout "$T_DIR/plug" v1 "$PLUGFS_BUILD/tests/plugins/two.o" '{"io.ebpf.programs": "{\"second\":\"pluglet\"}"}'
check "mkdir plugins/imgplug" mkdir "$MNT/plugins/imgplug"
manifest "$T_DIR/plug.ini" "image = oci:$T_DIR/plug:v1"
check "plugins/: cp of an image manifest" cp "$T_DIR/plug.ini" "$MNT/plugins/imgplug/post/1"
check "cat shows the entry from the labels" grep -q "^Entry: second" "$MNT/plugins/imgplug/post/1"
check "cat shows the image as the source" grep -q "^Source: oci:$T_DIR/plug:v1" "$MNT/plugins/imgplug/post/1"
rm -f "$MNT/plugins/imgplug/post/1"

# ---- tracing/: the same call gives its bytes ----
TP=$PLUGFS_BUILD/tests/tracing/tp_getpid.bpf.o
make_layout "$T_DIR/tp" v1 "$TP" '{"io.ebpf.programs": "{\"count_getpid\":\"tracepoint\"}"}'
check "push a tracepoint image" push "$T_DIR/tp" v1 test/tp:v1 --dest-tls-verify=false
manifest "$T_DIR/tp.ini" "image = $REG/test/tp:v1"
check "tracing/: cp of an image manifest attaches" cp "$T_DIR/tp.ini" "$MNT/tracing/imgtp"
check_eq "tracing/: attached where its SEC() says" "$(field "$MNT/tracing/imgtp" "Attach Point")" \
	"tracepoint:syscalls:sys_enter_getpid"
check_eq "tracing/: Path names the image" "$(field "$MNT/tracing/imgtp" "Path")" "$REG/test/tp:v1"
rm -f "$MNT/tracing/imgtp"

# ---- a stopped registry ----
stop_registry
check_eq "stopped registry: EHOSTUNREACH" "$(cp_errno "$T_DIR/always.ini" "$X/10")" "No route to host"
check "IfNotPresent with the cache needs no registry" cp "$T_DIR/pass.ini" "$X/10"
rm -f "$X/10"
# a registry that accepts the connection and never answers: ETIMEDOUT at pull_timeout_ms
port=$(free_port)
ip netns exec "$NSB" python3 -c "import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(4); c = s.accept(); time.sleep(60)" &
on_exit "stop_pid $!"
wait_for 5 grep -q ":$(printf '%04X' "$port") " /proc/$!/net/tcp
manifest "$T_DIR/mute.ini" "image = 127.0.0.1:$port/test/xdp:v1"
t0=$SECONDS
check_eq "a registry that never answers: ETIMEDOUT" "$(cp_errno "$T_DIR/mute.ini" "$X/10")" "Connection timed out"
check "after pull_timeout_ms ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 8
check "nothing left" no_leftovers
finish
