#!/usr/bin/env bash
# The JSON form of ifaces/ entries (docs/json.md, "ifaces/ entries"):
# `cat <entry>.json` parses with jq, carries every field of the text form
# with the same value (xdp and tc-ingress, with globals, metadata and a
# map owner), and is not listed by ls.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
need_cmd jq

[ -f "$PROGS/global_ret.bpf.o" ] || { echo "FAIL: global_ret.bpf.o not built" >&2; exit 1; }
# no traffic at all (IPv6 would send router solicitations): the counts
# of the two forms, read one after the other, are then the same
for ns in "$NSA" "$NSB"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
# j ENTRY FILTER: a value of the entry's JSON form, raw
j() { jq -r "$2" < "$1.json"; }

for hook in xdp tc-ingress; do
	d=$IF/$hook
	manifest "$T_DIR/m.ini" "object = $PROGS/count.bpf.o" "metadata.owner = acme" \
		"metadata.team = net" "proceed_on = pass" "proceed_on = drop"
	[ $hook = xdp ] || manifest "$T_DIR/m.ini" "object = $PROGS/count.bpf.o" \
		"metadata.owner = acme" "metadata.team = net" "proceed_on = ok" "proceed_on = shot"
	check "$hook: cp manifest" cp "$T_DIR/m.ini" "$d/10"
	id10=$(field "$d/10" ID)
	manifest "$T_DIR/s.ini" "object = $PROGS/count.bpf.o" "map_owner = ../10"
	check "$hook: cp a sharer" cp "$T_DIR/s.ini" "$d/20"
	[ $hook = xdp ] && g=RET || g=TC_RET
	manifest "$T_DIR/g.ini" "object = $PROGS/global_ret.bpf.o" "global.$g = 02000000"
	check "$hook: cp global_ret with a global" cp "$T_DIR/g.ini" "$d/30"
	check "$hook: 10.json parses" jq -e . "$d/10.json"
	check_eq "$hook: ls does not list the .json views" "$(ls "$d" | tr '\n' ' ')" "10 20 30 "
	cat "$d/10" > "$T_DIR/t10"
	cat "$d/20" > "$T_DIR/t20"
	f=$d/10
	check_eq "$hook: iface" "$(j $f .iface)" "$(field "$T_DIR/t10" Iface)"
	check_eq "$hook: hook" "$(j $f .hook)" "$hook"
	check_eq "$hook: priority" "$(j $f .priority)" "10"
	check_eq "$hook: position" "$(j $f .position)" "0"
	if [ $hook = xdp ]; then
		check_eq "$hook: mode" "$(j $f .mode)" "$(field "$T_DIR/t10" Mode)"
		check_eq "$hook: proceed_on" "$(j $f '.proceed_on | join(", ")')" "drop, pass"
	else
		check_eq "$hook: direction" "$(j $f .direction)" "ingress"
		check_eq "$hook: proceed_on" "$(j $f '.proceed_on | join(", ")')" "ok, shot"
	fi
	check_eq "$hook: proceed_on as the text" "$(j $f '.proceed_on | join(", ")')" "$(field "$T_DIR/t10" "Proceed On")"
	check_eq "$hook: name" "$(j $f .name)" "$(field "$T_DIR/t10" Name)"
	check_eq "$hook: path" "$(j $f .path)" "$PROGS/count.bpf.o"
	check_eq "$hook: metadata" "$(j $f '.metadata | to_entries | map("\(.key)=\(.value)") | join(", ")')" \
		"$(field "$T_DIR/t10" Metadata)"
	check_eq "$hook: no globals" "$(j $f '.globals | length')" "0"
	check_eq "$hook: map_pin_path" "$(j $f .map_pin_path)" "$(field "$T_DIR/t10" "Map Pin Path")"
	check_eq "$hook: 10 owns its maps" "$(j $f .map_owner_id)" "null"
	check_eq "$hook: 20's owner is 10" "$(j $d/20 .map_owner_id)" "$id10"
	check_eq "$hook: map_used_by" "$(j $f '.map_used_by | map(tostring) | join(", ")')" \
		"$(field "$T_DIR/t10" "Map Used By")"
	check_eq "$hook: chain_slot" "$(j $f .chain_slot)" "$(field "$T_DIR/t10" "Chain Slot")"
	check_eq "$hook: object_size" "$(j $f .object_size)" "$(field "$T_DIR/t10" "Object Size (bytes)")"
	check_eq "$hook: object_sha256" "$(j $f .object_sha256)" "$(field "$T_DIR/t10" "Object SHA256")"
	check_eq "$hook: kernel.id" "$(j $f .kernel.id)" "$id10"
	check_eq "$hook: kernel.name" "$(j $f .kernel.name)" "$(field "$T_DIR/t10" Name | tail -n1)"
	for k in "type:Type" "loaded_at:Loaded At" "tag:Tag" "gpl_compatible:GPL Compatible" \
		"btf_id:BTF ID" "size_translated_bytes:Size Translated (bytes)" "jited:JITed" \
		"size_jited_bytes:Size JITed (bytes)" \
		"kernel_allocated_memory_bytes:Kernel Allocated Memory (bytes)" \
		"verified_instruction_count:Verified Instruction Count" "run_count:Run Count" \
		"run_time_ns:Run Time (ns)"; do
		check_eq "$hook: kernel.${k%%:*}" "$(j $f ".kernel.${k%%:*}")" "$(sed -n "s/^${k#*:}: //p" "$T_DIR/t10" | tail -n1)"
	done
	check_eq "$hook: kernel.map_ids" "[$(j $f '.kernel.map_ids | map(tostring) | join(", ")')]" \
		"$(field "$T_DIR/t10" "Map IDs")"
	check_eq "$hook: verdicts as the text" \
		"$(j $f '.kernel.verdicts | to_entries | map("\(.key)=\(.value)") | join(", ")')" \
		"$(field "$T_DIR/t10" Verdicts)"
	check_eq "$hook: counted" "$(j $f .kernel.counted)" "true"
	check_eq "$hook: global in hex" "$(j $d/30 '.globals | to_entries | map("\(.key)=\(.value)") | join(", ")')" \
		"$(field "$d/30" Global)"
	check_eq "$hook: rm of a .json view is EACCES" "$(errno_of rm "$d/10.json")" "Permission denied"
	check "$hook: and leaves its entry" test -e "$d/10"
	check "$hook: rm" rm "$d/20" "$d/10" "$d/30"
	check_fails "$hook: the view goes with its entry" test -e "$d/10.json"
done
check "nothing left" no_leftovers
finish
