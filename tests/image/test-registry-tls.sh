#!/usr/bin/env bash
# Bytecode images from a registry over TLS (a CA made here, trusted through
# the daemon's [images] ca_files) with htpasswd basic auth: the right
# credentials from a docker-style auth file (the manifest's registry_auth
# or the daemon's auth_file) load and drop traffic; no credentials, a wrong
# password and an untrusted certificate fail with EACCES and the reason in log.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
. "$PLUGFS_SRC/tests/image/lib-image.sh"

check "a TLS registry with basic auth starts" start_registry sec tls alice s3cret
auth_file() { printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG" "$(printf '%s' "$1" | base64 -w0)" > "$2"; }
auth_file alice:s3cret "$T_DIR/good.json"
auth_file alice:wrong "$T_DIR/bad.json"
printf '[images]\nca_files = %s\npull_timeout_ms = 5000\n' "$REG_DIR/ca/ca.crt" > "$T_DIR/ca.ini"
printf '[images]\nca_files = %s\nauth_file = %s\n' "$REG_DIR/ca/ca.crt" "$T_DIR/good.json" > "$T_DIR/ca-auth.ini"
stop_plugfs_hard "$PLUGFS_PID" "$MNT"
PLUGFS_NETNS=$NSB start_plugfs --config "$T_DIR/ca.ini"
X=$IF/xdp

make_layout "$T_DIR/drop" v1 "$PROGS/drop.bpf.o" '{"io.ebpf.programs": "{\"xdp_drop\":\"xdp\"}"}'
check_fails "skopeo without credentials is refused" push "$T_DIR/drop" v1 sec/xdp:v1 --dest-tls-verify=false
check "skopeo pushes with credentials" push "$T_DIR/drop" v1 sec/xdp:v1 --dest-tls-verify=false \
	--dest-creds alice:s3cret

manifest "$T_DIR/none.ini" "image = $REG/sec/xdp:v1"
check_eq "no credentials: EACCES" "$(cp_errno "$T_DIR/none.ini" "$X/10")" "Permission denied"
check "the log says the registry asks for them" grep -q "asks for basic credentials" "$MNT/log"
manifest "$T_DIR/bad.ini" "image = $REG/sec/xdp:v1" "registry_auth = $T_DIR/bad.json"
check_eq "wrong password: EACCES" "$(cp_errno "$T_DIR/bad.ini" "$X/10")" "Permission denied"
check "the log has the registry's answer" grep -q "answered 401 (credentials refused): .*UNAUTHORIZED" "$MNT/log"
manifest "$T_DIR/good.ini" "image = $REG/sec/xdp:v1" "registry_auth = $T_DIR/good.json"
check "right password: loads" cp "$T_DIR/good.ini" "$X/10"
check "and drops" ping_fails
check_eq "cat: Image URL" "$(field "$X/10" "Image URL")" "$REG/sec/xdp:v1"
rm -f "$X/10"
check "ping works again" ping_ok

# the daemon's default auth file; and without the CA, the certificate is not trusted
stop_plugfs_hard "$PLUGFS_PID" "$MNT"
PLUGFS_NETNS=$NSB start_plugfs --config "$T_DIR/ca-auth.ini"
manifest "$T_DIR/always.ini" "image = $REG/sec/xdp:v1" "image_pull_policy = Always"
check "the daemon's auth_file gives the credentials" cp "$T_DIR/always.ini" "$X/10"
rm -f "$X/10"
stop_plugfs_hard "$PLUGFS_PID" "$MNT"
PLUGFS_NETNS=$NSB start_plugfs
manifest "$T_DIR/noca.ini" "image = $REG/sec/xdp:v1" "image_pull_policy = Always" \
	"registry_auth = $T_DIR/good.json"
check_eq "a certificate from an unknown CA: EACCES" "$(cp_errno "$T_DIR/noca.ini" "$X/10")" "Permission denied"
check "the log says why" grep -qi "certificate" "$MNT/log"
check "nothing left" no_leftovers
finish
