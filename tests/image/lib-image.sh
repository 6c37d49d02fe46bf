# Helpers for the image tests (source after tests/lib.sh and lib-bpf.sh): a
# real registry (Debian's docker-registry) started inside the daemon's
# namespace on 127.0.0.1, plain HTTP or TLS with a CA made here and htpasswd
# basic auth; bytecode images written as OCI layouts with tar, gzip,
# sha256sum and jq, and pushed with skopeo.
need_cmd docker-registry skopeo jq sha256sum tar gzip openssl htpasswd python3 curl base64

# in_b CMD...: runs CMD in the daemon's namespace, where the registry listens
in_b() { ip netns exec "$NSB" "$@"; }

free_port() {
	in_b python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# make_ca DIR: a CA and a certificate for 127.0.0.1 signed by it
make_ca() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=plugfs test CA" \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null || return 1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$d/ext.cnf"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/ext.cnf" -out "$d/server.crt" 2>/dev/null
}

# start_token_server DIR USER PASS: a bearer-token endpoint (token-server.py)
# for the registry; TOKEN_REALM, TOKEN_CERT (its signing certificate), TOKEN_LOG
start_token_server() {
	local d=$1 port
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=plugfs test token signer" \
		-keyout "$d/token.key" -out "$d/token.crt" 2>/dev/null || return 1
	port=$(free_port)
	TOKEN_REALM=http://127.0.0.1:$port/token
	TOKEN_CERT=$d/token.crt
	TOKEN_LOG=$d/token.log
	ip netns exec "$NSB" python3 "$PLUGFS_SRC/tests/image/token-server.py" "$port" "$d/token.key" \
		"$d/token.crt" plugfs-test-issuer "$2:$3" >>"$TOKEN_LOG" 2>&1 &
	on_exit "stop_pid $!"
	wait_for 10 in_b python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)"
}

# start_registry NAME [tls|token USER PASS]: REG (127.0.0.1:port), REG_LOG, REG_DIR, REG_PID
# (tls: HTTPS with a CA made here and htpasswd basic auth; token: plain HTTP
# with bearer tokens from start_token_server)
start_registry() {
	local name=$1 mode=${2:-plain} port
	REG_DIR=$T_DIR/registry-$name
	mkdir -p "$REG_DIR/storage"
	port=$(free_port)
	REG=127.0.0.1:$port
	REG_LOG=$REG_DIR/registry.log
	{
		printf 'version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$REG_DIR/storage"
		printf 'http:\n  addr: %s\n  secret: plugfs-test-%s\n' "$REG" "$T_ID"
		if [ "$mode" = tls ]; then
			make_ca "$REG_DIR/ca" || return 1
			htpasswd -Bbc "$REG_DIR/htpasswd" "$3" "$4" 2>/dev/null
			printf '  tls:\n    certificate: %s\n    key: %s\n' "$REG_DIR/ca/server.crt" "$REG_DIR/ca/server.key"
			printf 'auth:\n  htpasswd:\n    realm: plugfs-test\n    path: %s\n' "$REG_DIR/htpasswd"
		elif [ "$mode" = token ]; then
			start_token_server "$REG_DIR/token" "$3" "$4" || return 1
			printf 'auth:\n  token:\n    realm: %s\n    service: plugfs-test\n' "$TOKEN_REALM"
			printf '    issuer: plugfs-test-issuer\n    rootcertbundle: %s\n' "$TOKEN_CERT"
		fi
	} > "$REG_DIR/config.yml"
	ip netns exec "$NSB" docker-registry serve "$REG_DIR/config.yml" >>"$REG_LOG" 2>&1 &
	REG_PID=$!
	on_exit "stop_pid $REG_PID"
	wait_for 10 in_b python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)"
}

stop_registry() { stop_pid "$REG_PID"; }

# Restarts the registry on the same port and storage (after stop_registry).
restart_registry() {
	ip netns exec "$NSB" docker-registry serve "$REG_DIR/config.yml" >>"$REG_LOG" 2>&1 &
	REG_PID=$!
	on_exit "stop_pid $REG_PID"
	wait_for 10 in_b python3 -c "import socket; socket.create_connection(('127.0.0.1', ${REG##*:}), 1)"
}

# Requests the registry logged for a repository's manifests and blobs.
registry_gets() { grep -c "\"GET /v2/$1/\(manifests\|blobs\)/" "$REG_LOG"; }

# _blob DIR FILE: stores FILE as a blob of layout DIR; prints its digest and size
_blob() {
	local sum size
	sum=$(sha256sum "$2" | cut -d' ' -f1)
	size=$(stat -c %s "$2")
	cp "$2" "$1/blobs/sha256/$sum"
	echo "sha256:$sum $size"
}

# make_layout DIR TAG OBJECT LABELS_JSON [layer-media-type]: a bytecode image
# as an OCI layout, the object at the root of a gzip'ed tar layer, the
# labels in the image config
make_layout() {
	local dir=$1 tag=$2 obj=$3 labels=$4 ltype=${5:-application/vnd.oci.image.layer.v1.tar+gzip}
	local w=$T_DIR/layout-work.$$ ld ls cd cs md ms diff
	rm -rf "$w"; mkdir -p "$w/root" "$dir/blobs/sha256"
	cp "$obj" "$w/root/$(basename "$obj")"
	tar -C "$w/root" --owner=0 --group=0 --numeric-owner -cf "$w/layer.tar" .
	diff=sha256:$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
	gzip -n -c "$w/layer.tar" > "$w/layer.tar.gz"
	read -r ld ls < <(_blob "$dir" "$w/layer.tar.gz")
	jq -cn --argjson l "$labels" --arg diff "$diff" \
		'{architecture: "amd64", os: "linux", config: {Labels: $l},
		  rootfs: {type: "layers", diff_ids: [$diff]}}' > "$w/config.json"
	read -r cd cs < <(_blob "$dir" "$w/config.json")
	jq -cn --arg cd "$cd" --argjson cs "$cs" --arg ld "$ld" --argjson ls "$ls" --arg lt "$ltype" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
		  layers: [{mediaType: $lt, digest: $ld, size: $ls}]}' > "$w/manifest.json"
	read -r md ms < <(_blob "$dir" "$w/manifest.json")
	echo '{"imageLayoutVersion": "1.0.0"}' > "$dir/oci-layout"
	jq -cn --arg md "$md" --argjson ms "$ms" --arg tag "$tag" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		  digest: $md, size: $ms, annotations: {"org.opencontainers.image.ref.name": $tag}}]}' \
		> "$dir/index.json"
	rm -rf "$w"
	LAYOUT_DIGEST=$md
	LAYER_DIGEST=$ld
}

# make_index DIR TAG AMD64_MANIFEST ARM64_MANIFEST: an image index (arm64
# listed first) of two manifests already in the layout, tagged TAG
make_index() {
	local dir=$1 tag=$2 a=$3 b=$4 w=$T_DIR/index.json.$$ id is
	jq -cn --arg a "$a" --argjson asz "$(stat -c %s "$dir/blobs/sha256/${a#sha256:}")" \
		--arg b "$b" --argjson bsz "$(stat -c %s "$dir/blobs/sha256/${b#sha256:}")" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		  manifests: [
		   {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $b, size: $bsz,
		    platform: {os: "linux", architecture: "arm64"}},
		   {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $a, size: $asz,
		    platform: {os: "linux", architecture: "amd64"}}]}' > "$w"
	read -r id is < <(_blob "$dir" "$w")
	rm -f "$w"
	jq -cn --arg d "$id" --argjson s "$is" --arg tag "$tag" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.index.v1+json",
		  digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": $tag}}]}' \
		> "$dir/index.json"
}

# push LAYOUT TAG REPO:TAG [skopeo options...]: copies the layout's image to the registry
push() {
	local layout=$1 tag=$2 dest=$3; shift 3
	in_b skopeo --insecure-policy copy -q "$@" "oci:$layout:$tag" "docker://$REG/$dest" >/dev/null
}

# errno of a cp (strerror text), as lib-bpf.sh's errno_of
cp_errno() { errno_of cp "$1" "$2"; }
