# Prometheus helpers for the tests of metrics/ (source after tests/lib.sh):
# the real node exporter with only its textfile collector, and the value of
# a series in a file of the text format.
#   start_node_exporter DIR   serves DIR on 127.0.0.1:<free port>; sets NE_URL
#   prom_value FILE NAME LABEL...  the first sample of NAME whose labels
#                                  include every LABEL (k="v"), "" if none
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}

start_node_exporter() {
	[ -x "$NODE_EXPORTER" ] || skip "no $NODE_EXPORTER (Debian prometheus-node-exporter)"
	need_cmd curl python3
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$1" \
		>"$T_DIR/node_exporter.log" 2>&1 &
	on_exit "stop_pid $!"
	NE_URL=http://127.0.0.1:$port/metrics
}

prom_value() {
	python3 - "$@" <<'PY'
import re, sys
path, name, want = sys.argv[1], sys.argv[2], sys.argv[3:]
for line in open(path):
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line.strip())
    if not m or m.group(1) != name:
        continue
    have = {k + '="' + v + '"'
            for k, v in re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', m.group(3) or '')}
    if all(w in have for w in want):
        print(m.group(4))
        break
PY
}
