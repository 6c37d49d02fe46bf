#!/usr/bin/env bash
# Scenario 6: cat reports every field plugfs(8) lists, and the kernel values (id,
# tag, type, name, xlated and jited sizes, map ids, BTF id, load time,
# memlock) equal what `bpftool prog show id N -j` says; ls -l size is 0
# (as /proc's files) and cat reads it all; the plugfs block shows priority, position, proceed-on,
# metadata, object size and sha256.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
need_cmd python3 sha256sum
# The run counts are in the report: no stray packet may change its size
# between `ls -l` and `cat`.
quiet_veth

for hook in xdp tc-ingress; do
	e=$IF/$hook/10
	manifest "$T_DIR/m.ini" "object = $PROGS/count.bpf.o" "metadata.owner = acme" \
		"metadata.team = net"
	check "$hook: cp manifest" cp "$T_DIR/m.ini" "$e"
	cat "$e" > "$T_DIR/rep"
	id=$(field "$T_DIR/rep" ID)
	bpftool prog show id "$id" -j > "$T_DIR/bt.json"
	python3 - "$T_DIR/rep" "$T_DIR/bt.json" > "$T_DIR/cmp" <<'PY'
import json, sys, datetime
rep = {}
for line in open(sys.argv[1]):
    if ': ' in line:
        k, v = line.rstrip('\n').split(': ', 1)
        rep.setdefault(k, v)
bt = json.load(open(sys.argv[2]))
def show(name, ours, theirs):
    print('%s %s %s' % ('same' if str(ours) == str(theirs) else 'DIFF', name, '%s|%s' % (ours, theirs)))
show('id', rep['ID'], bt['id'])
show('tag', rep['Tag'], bt['tag'])
show('type', rep['Type'], bt['type'])
show('name', rep['Name'], bt['name'])
show('xlated', rep['Size Translated (bytes)'], bt['bytes_xlated'])
show('jited', rep['Size JITed (bytes)'], bt.get('bytes_jited', 0))
show('map_ids', rep['Map IDs'], '[' + ', '.join(str(m) for m in bt.get('map_ids', [])) + ']')
show('btf_id', rep['BTF ID'], bt.get('btf_id', 0))
show('memlock', rep['Kernel Allocated Memory (bytes)'], bt['bytes_memlock'])
show('gpl', rep['GPL Compatible'], 'true' if bt['gpl_compatible'] else 'false')
ours = int(datetime.datetime.strptime(rep['Loaded At'], '%Y-%m-%dT%H:%M:%S%z').timestamp())
show('loaded_at', 'ok' if abs(ours - bt['loaded_at']) <= 1 else ours, 'ok' if abs(ours - bt['loaded_at']) <= 1 else bt['loaded_at'])
PY
	while read -r verdict name vals; do
		check "$hook: $name equals bpftool ($vals)" test "$verdict" = same
	done < "$T_DIR/cmp"
	check_eq "$hook: compared 11 fields" "$(wc -l < "$T_DIR/cmp")" "11"
	# As /proc's files: size 0, the report is read to its end (plugfs(8), FILES).
	check_eq "$hook: ls -l size is 0" "$(stat -c %s "$e")" "0"
	check "$hook: cat reads the whole report" test "$(wc -c < "$T_DIR/rep")" -gt 200
	for k in "Name" "Path" "Global" "Metadata" "Map Pin Path" "Map Owner ID" "Map Used By" \
		"Priority" "Iface" "Position" "Proceed On" "Object Size (bytes)" "Object SHA256" \
		"Loaded At" "JITed" "Verified Instruction Count" "Run Count" "Run Time (ns)"; do
		check "$hook: report has '$k'" grep -q "^$k: " "$T_DIR/rep"
	done
	check_eq "$hook: name" "$(field "$T_DIR/rep" Name)" "$([ $hook = xdp ] && echo xdp_count || echo tc_count)"
	check_eq "$hook: path" "$(field "$T_DIR/rep" Path)" "$PROGS/count.bpf.o"
	check_eq "$hook: metadata" "$(field "$T_DIR/rep" Metadata)" "owner=acme, team=net"
	check_eq "$hook: iface" "$(field "$T_DIR/rep" Iface)" "$VETH_B"
	check_eq "$hook: priority" "$(field "$T_DIR/rep" Priority)" "10"
	check_eq "$hook: position" "$(field "$T_DIR/rep" Position)" "0"
	check_eq "$hook: default proceed-on" "$(field "$T_DIR/rep" "Proceed On")" \
		"$([ $hook = xdp ] && echo "pass, dispatcher_return" || echo "ok, pipe, dispatcher_return")"
	check_eq "$hook: object size" "$(field "$T_DIR/rep" "Object Size (bytes)")" "$(stat -c %s "$PROGS/count.bpf.o")"
	check_eq "$hook: sha256" "$(field "$T_DIR/rep" "Object SHA256")" "$(sha256sum < "$PROGS/count.bpf.o" | cut -d' ' -f1)"
	check_eq "$hook: map used by itself" "$(field "$T_DIR/rep" "Map Used By")" "$id"
	check "$hook: map pinned" test -e "$(field "$T_DIR/rep" "Map Pin Path")/counter"
	check "$hook: rm" rm "$e"
done
check "nothing left" no_leftovers
finish
