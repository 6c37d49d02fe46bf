#!/usr/bin/env bash
# Bearer-token auth: the registry (docker-registry with token auth) answers
# 401 with a Bearer challenge; plugfs gets a token from the realm with the
# auth file's credentials (the token server checks them) and asks again.
# Wrong credentials at the token server: EACCES with its answer in log.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
. "$PLUGFS_SRC/tests/image/lib-image.sh"

check "a registry with token auth and its token server start" start_registry tok token bob t0ken
printf '[images]\ninsecure_registries = %s\npull_timeout_ms = 5000\n' "$REG" > "$T_DIR/plugfs.ini"
stop_plugfs_hard "$PLUGFS_PID" "$MNT"
PLUGFS_NETNS=$NSB start_plugfs --config "$T_DIR/plugfs.ini"
X=$IF/xdp
auth_file() { printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG" "$(printf '%s' "$1" | base64 -w0)" > "$2"; }
auth_file bob:t0ken "$T_DIR/good.json"
auth_file bob:nope "$T_DIR/bad.json"

make_layout "$T_DIR/drop" v1 "$PROGS/drop.bpf.o" '{"io.ebpf.programs": "{\"xdp_drop\":\"xdp\"}"}'
check "skopeo pushes with a token" push "$T_DIR/drop" v1 tok/xdp:v1 --dest-tls-verify=false \
	--dest-creds bob:t0ken
check "the registry challenged with Bearer" \
	in_b sh -c "curl -si http://$REG/v2/tok/xdp/manifests/v1 | grep -qi '^www-authenticate: Bearer realm=\"$TOKEN_REALM\"'"

manifest "$T_DIR/bad.ini" "image = $REG/tok/xdp:v1" "registry_auth = $T_DIR/bad.json"
check_eq "wrong credentials at the token server: EACCES" "$(cp_errno "$T_DIR/bad.ini" "$X/10")" "Permission denied"
check "the log has the token server's answer" grep -q "bad credentials" "$MNT/log"
n0=$(grep -c 'scope=repository:tok/xdp:pull user=bob' "$TOKEN_LOG")
manifest "$T_DIR/good.ini" "image = $REG/tok/xdp:v1" "registry_auth = $T_DIR/good.json"
check "the right credentials: a token, then the image" cp "$T_DIR/good.ini" "$X/10"
check "the token was asked for with the pull scope and the user" \
	test "$(grep -c 'scope=repository:tok/xdp:pull user=bob' "$TOKEN_LOG")" -gt "$n0"
check "and it drops" ping_fails
rm -f "$X/10"
check "ping works again" ping_ok
check "nothing left" no_leftovers
finish
