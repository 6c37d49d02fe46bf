#!/usr/bin/env bash
# Map names and pins (docs/kernel-engine.md, "Pins and state"). An object's
# internal maps are named as libbpf names those of a file it opens
# (<object>.bss, .data, .rodata): after the object file a manifest names,
# or for bytes written directly after the source file the object records.
# Replacing a map owner with an object whose maps differ unpins the maps no
# program uses any more, keeps those a sharer still uses until it goes.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"

x=$IF/xdp
# map_names ENTRY: the maps its program uses but plugfs's (chain, counts, run-time switch), sorted, one line
map_names() {
	local m
	for m in $(bpftool -j prog show id "$(field "$1" ID)" |
		sed -n 's/.*"map_ids":\[\([0-9,]*\)\].*/\1/p' | tr , ' '); do
		bpftool -j map show id "$m" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p'
	done | grep -vxE 'plugfs_(chain|counts|run_time)' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}
# map_id ENTRY NAME: the id of its program's map NAME
map_id() {
	local m
	for m in $(bpftool -j prog show id "$(field "$1" ID)" |
		sed -n 's/.*"map_ids":\[\([0-9,]*\)\].*/\1/p' | tr , ' '); do
		bpftool -j map show id "$m" | grep -q "\"name\":\"$2\"" && echo "$m"
	done
}
# pins DIR: the maps pinned in DIR, sorted, one line
pins() { ls "$1" 2>/dev/null | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }
pin_id() { bpftool -j map show pinned "$1" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p'; }

# names: from the source file (bytes written), from the manifest's object
check "cp maps_a.bpf.o" cp "$PROGS/maps_a.bpf.o" "$x/10"
check_eq "internal maps named after the source file" "$(map_names "$x/10")" \
	"counter gone maps_a.bss maps_a.data maps_a.rodata"
cp "$PROGS/maps_a.bpf.o" "$T_DIR/edge-fw.o"
manifest "$T_DIR/e.ini" "object = $T_DIR/edge-fw.o"
check "manifest naming edge-fw.o" cp "$T_DIR/e.ini" "$x/20"
check_eq "internal maps named after the object file (libbpf's rule: '-' -> '_')" \
	"$(map_names "$x/20")" "counter edge_fw.bss edge_fw.data edge_fw.rodata gone"
cp "$PROGS/maps_a.bpf.o" "$T_DIR/a_very_long_object_name.bpf.o"
manifest "$T_DIR/l.ini" "object = $T_DIR/a_very_long_object_name.bpf.o"
check "manifest naming a long file name" cp "$T_DIR/l.ini" "$x/30"
check_eq "8 characters of the object name, then the section" "$(map_names "$x/30")" \
	"a_very_l.bss a_very_l.data a_very_l.rodata counter gone"
# a move past another entry loads a copy, which shares the original's globals
bss=$(map_id "$x/20" edge_fw.bss)
check "mv 20 -> 5 (re-orders: a copy)" mv "$x/20" "$x/5"
check_eq "the copy's maps have the same names" "$(map_names "$x/5")" \
	"counter edge_fw.bss edge_fw.data edge_fw.rodata gone"
check_eq "the copy uses the original's .bss" "$(map_id "$x/5" edge_fw.bss)" "$bss"
rm -f "$x/5" "$x/10" "$x/30"
check "nothing left after names" no_leftovers

# replacing an owner alone: the map it no longer has goes
check "owner maps_a on xdp/10" cp "$PROGS/maps_a.bpf.o" "$x/10"
dir=$(field "$x/10" "Map Pin Path")
check_eq "pins of maps_a" "$(pins "$dir")" "counter gone"
cid=$(pin_id "$dir/counter")
check "replace by maps_b (counter, fresh)" cp "$PROGS/maps_b.bpf.o" "$x/10"
check_eq "same pin directory" "$(field "$x/10" "Map Pin Path")" "$dir"
check_eq "gone unpinned, fresh pinned" "$(pins "$dir")" "counter fresh"
check_eq "counter is the same map" "$(pin_id "$dir/counter")" "$cid"
rm -f "$x/10"
check "nothing left after a lone owner" no_leftovers

# replacing an owner with a sharer: the map the sharer uses stays until it goes
check "owner maps_a on xdp/10" cp "$PROGS/maps_a.bpf.o" "$x/10"
dir=$(field "$x/10" "Map Pin Path")
manifest "$T_DIR/s.ini" "object = $PROGS/maps_a.bpf.o" "map_owner = ../10"
check "sharer maps_a on xdp/20" cp "$T_DIR/s.ini" "$x/20"
gid=$(pin_id "$dir/gone")
check "replace the owner by maps_b" cp "$PROGS/maps_b.bpf.o" "$x/10"
check_eq "gone kept for the sharer" "$(pins "$dir")" "counter fresh gone"
check_eq "the sharer's gone is the pinned one" "$(pin_id "$dir/gone")" "$gid"
check "rm the sharer" rm "$x/20"
check_eq "gone unpinned with its last user" "$(pins "$dir")" "counter fresh"
check "rm the owner" rm "$x/10"
check_fails "pin directory removed with the last user" test -e "$dir"
check "nothing left after sharing" no_leftovers

finish
