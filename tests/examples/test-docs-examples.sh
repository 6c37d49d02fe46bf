#!/usr/bin/env bash
# The documentation says what the code does, and keeps saying it: every
# option of pluglet-run and ebpf_injecter is in its man page; every
# manifest key, config key, errno and `cat` report field the code has is in
# plugfs(8) (and the guide); every helper, host macro and host function is
# in docs/pluglet-api.md; every example opens with what it shows and how to
# run it. (tests/fs/test-docs.sh checks that every page renders cleanly.)
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_cmd groff

S=$PLUGFS_SRC
B=$PLUGFS_BUILD
render() { groff -man -Tutf8 -rLL=5000n -rHY=0 "$1" 2>/dev/null | sed 's/.\x08//g' | tr -s ' '; }
# words TEXT: true when every later argument occurs in TEXT (fixed string)
has() { grep -qF -- "$2" <<<"$1"; }
hasw() { grep -qw -- "$2" <<<"$1"; }

for page in plugfs.8 ebpf_injecter.8 pluglet-run.1; do
	check "$page exists" test -f "$S/docs/$page"
	check "$page installed by docs/meson.build" grep -q "'$page'" "$S/docs/meson.build"
	out=$(groff -ww -z -man "$S/docs/$page" 2>&1)
	check_eq "$page renders without warnings" "$out" ""
done

# ---- pluglet-run(1) ----
run1=$(render "$S/docs/pluglet-run.1")
for opt in $("$B/vm/pluglet-run" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u) \
	   $(grep -oE '\{ "[a-z-]+", (no|required)_argument' "$S/vm/pluglet-run.c" | grep -oE '"[a-z-]+"' | tr -d '"' | sed 's/^/--/'); do
	check "pluglet-run(1) documents $opt" has "$run1" "$opt"
done
short=$(grep -oE 'getopt_long\(argc, argv, "[^"]+"' "$S/vm/pluglet-run.c" | sed -E 's/.*"([^"]+)"/\1/' | tr -d :)
for ((i = 0; i < ${#short}; i++)); do
	check "pluglet-run(1) documents -${short:i:1}" grep -qE -- "-${short:i:1}\b" <<<"$run1"
done
check "pluglet-run(1) documents the exit status 2" grep -qE '^ +2 ' <<<"$run1"

# ---- ebpf_injecter(8) ----
inj8=$(render "$S/docs/ebpf_injecter.8")
help=$("$B/injector/ebpf_injecter" --help 2>&1)
for opt in $(grep -oE -- '^ +-[a-z]\b' <<<"$help" | tr -d ' ' | sort -u) $(grep -oE -- '--[a-z]+' <<<"$help" | sort -u); do
	check "ebpf_injecter(8) documents $opt" grep -qE -- "(^|[^a-z-])$opt\b" <<<"$inj8"
done
short=$(grep -oE 'getopt_long\(argc, argv, "[^"]+"' "$S/injector/ebpf_injecter.c" | sed -E 's/.*"([^"]+)"/\1/' | tr -d :)
for ((i = 0; i < ${#short}; i++)); do
	check "ebpf_injecter(8) documents -${short:i:1}" grep -qE -- "(^|[^a-z-])-${short:i:1}\b" <<<"$inj8"
done
for act in add rm replace rm_pluglet status; do
	check "ebpf_injecter(8) documents action $act" grep -qE "^ +$act\b" <<<"$inj8"
done
for st in $(grep -oE '[0-9] [a-z]' <<<"$help" | cut -c1 | sort -u); do
	check "ebpf_injecter(8) documents exit status $st" grep -qE "^ +$st\b" <<<"$inj8"
done

# ---- plugfs(8) and the guide: manifest keys, config keys, errnos, report fields ----
man8=$(render "$S/docs/plugfs.8")
guide=$(cat "$S/docs/guide.md")
for key in $(grep -oE 'str(n)?cmp\(name, "[a-z_.]+"' "$S/fs/manifest.c" | grep -oE '"[a-z_.]+"' | tr -d '"' | sort -u); do
	check "plugfs(8) documents manifest key $key" has "$man8" "$key"
	check "guide.md documents manifest key $key" has "$guide" "$key"
done
for key in $(grep -oE 'strcmp\((name|section), "[a-z_]+"\)' "$S/fs/config.c" | grep -oE '"[a-z_]+"' | tr -d '"' | sort -u); do
	check "plugfs(8) documents config key/section $key" hasw "$man8" "$key"
done
# Every errno the daemon, the engine and the channel it uses can return.
for e in $(grep -ohE -- '-E[A-Z0-9]+\b' "$S"/fs/*.c "$S"/bpf/*.c "$S"/injector/{wire,client,server,status}.c | tr -d - | sort -u); do
	check "plugfs(8) explains $e" grep -qE "^ +$e\b" <<<"$man8"
done
# Report fields: the kernel engine's entries (bpf/report.c) ...
fields=$( { grep -oE '("|\\n)[A-Z][A-Za-z0-9 ()]+: ' "$S/bpf/report.c" | sed -E 's/^("|\\n)//; s/: $//'
	   grep -oE 'kv_block\(f, "[A-Za-z ]+"' "$S/bpf/report.c" | grep -oE '"[^"]+"' | tr -d '"'
	   grep -oE '"[A-Z][a-z]+ State\\n"' "$S/bpf/report.c" | sed -E 's/"(.*)\\n"/\1/'; } | sort -u)
while IFS= read -r f; do
	[ -n "$f" ] && check "plugfs(8) documents report field '$f'" has "$man8" "$f"
done <<<"$fields"
# ... pluglet entries (fs/plugins.c), hosts/ (fs/hosts.c), the hosts' own
# blocks (injector/status.c): the same style, so the same pattern
fields=$( { sed -n '/^static [a-z ]*report[a-z_]*(/,/^}/p' "$S/fs/plugins.c"
	    cat "$S/fs/hosts.c"
	    sed -n '/^int inj_[a-z_]*status__format/,/^}/p' "$S/injector/status.c"; } |
	  grep -oE '("|\\n)[A-Z][A-Za-z0-9 ()]+: ' | sed -E 's/^("|\\n)//; s/: $//' | sort -u)
check "the pluglet reports have fields" test "$(wc -l <<<"$fields")" -gt 20
while IFS= read -r f; do
	[ -n "$f" ] && check "plugfs(8) documents report field '$f'" has "$man8" "$f"
done <<<"$fields"
# one style: no report line of the daemon or the hosts starts with a lower-case key
check_eq "no lower-case report key" "$( { sed -n '/^static [a-z ]*report[a-z_]*(/,/^}/p' "$S/fs/plugins.c"
	cat "$S/fs/hosts.c" "$S/injector/status.c"; } | grep -oE '(printf|puts|line)\([^"]*"(\\n)*[a-z][a-z_ ]*: ' )" ""

# ---- docs/pluglet-api.md: helpers, macros, host functions, manifest, errnos ----
api=$(cat "$S/docs/pluglet-api.md")
while read -r id name; do
	check "pluglet-api.md documents helper $name with id $id" grep -qE "^\| $id \| \`[^\`]*\b$name\(" <<<"$api"
done < <(grep -oE '\{ [0-9]+, "[a-z_0-9]+", h_' "$S/vm/host_helpers.c" | sed -E 's/\{ ([0-9]+), "([^"]+)".*/\1 \2/')
for fn in $(grep -oE '^extern [a-z0-9_ ]+\*?([a-z_0-9]+)\(' "$S/include/pluglet/pluglet.h" | grep -oE '[a-z_0-9]+\($' | tr -d '('); do
	check "pluglet-api.md documents $fn()" has "$api" "$fn("
done
for m in $(grep -oE '^#define (VM_[A-Z_]+|RETURN_VM_[A-Z]+|CALL_REPLACE_ONLY|PLUGLET_HELPER[A-Z_]*)' "$S/include/pluglet/host.h" | awk '{print $2}') \
	 kind_ptr kind_pointer kind_primitive kind_hidden bpf_args_t context_t pluglet_context; do
	check "pluglet-api.md documents $m" has "$api" "$m"
done
for fn in $(cat "$S/include/pluglet/host.h" "$S/include/pluglet/anchor.h" | grep -oE '^[a-z].*[ *](pluglet_[a-z_]+)\(' | grep -oE 'pluglet_[a-z_]+\($' | tr -d '(' | grep -v '^pluglet__' | sort -u); do
	check "pluglet-api.md documents $fn()" has "$api" "$fn("
done
for key in $(sed -n '/^static int manifest_key/,/^}/p' "$S/vm/host_manifest.c" | grep -oE 'strcmp\(key, "[a-z_]+"\)' | grep -oE '"[a-z_]+"' | tr -d '"'); do
	check "pluglet-api.md documents host manifest key $key" has "$api" "\`$key\`"
done
for e in $(grep -ohE -- '-E[A-Z0-9]+\b' "$S"/vm/host*.c "$S"/vm/control.c | tr -d - | sort -u); do
	check "pluglet-api.md explains $e" hasw "$api" "$e"
done
# ebpf_print's conversions and modifiers, as pluglet.h lists them
for c in $(sed -n '/---- output ----/,/ebpf_print/p' "$S/include/pluglet/pluglet.h" | grep -oE '%[a-zA-Z%]|\b[a-z]+(/[a-z]+)+\b' | tr / '\n'); do
	[ "${c#%}" = "$c" ] && c="\`$c\`"	# a modifier is shown as `l`
	check "pluglet-api.md lists ebpf_print's $c" grep -qF -- "$c" <<<"$(grep -F ebpf_print <<<"$api")"
done
for k in $(grep -oE '\[PLUGLET_FAULT_[A-Z_]+\] = "[a-z-]+"' "$S/vm/vm.c" | grep -oE '"[a-z-]+"' | tr -d '"'); do
	check "pluglet-api.md names fault kind $k" has "$api" "\`$k\`"
done

# ---- examples open with what they show and how to run them ----
for f in "$S"/examples/xdp/*.c "$S"/examples/tc/*.c "$S"/examples/tracing/*.c "$S"/examples/pluglets/*.c "$S"/examples/hosts/*.c \
	 "$S"/examples/*.sh "$S"/examples/Makefile "$S"/examples/systemd/plugfs.service; do
	head=$(head -n 30 "$f")
	n=${f#"$S"/}
	check "$n opens with a comment" grep -qE '^(/\*|//|#)' <<<"$(head -n 2 "$f")"
	check "$n says how to run it" grep -qiE '^[ */#]*(run|install)\b|^#   make' <<<"$head"
	check "$n is named in the guide" has "$guide" "$(basename "$f" | sed 's/\.c$//')"
done
for t in load unload move status inject eject list; do
	check "guide.md documents make $t" grep -qE "make( -C examples)? $t\b" <<<"$guide"
done
check "guide.md documents the systemd unit" has "$guide" "plugfs.service"
# A unit option that gives the service its own mount namespace would hide
# the FUSE mount from the rest of the system.
check_fails "plugfs.service has no mount-namespace option" grep -qE \
	'^(ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|PrivateMounts|ReadWritePaths|ReadOnlyPaths|InaccessiblePaths|TemporaryFileSystem|BindPaths|BindReadOnlyPaths|ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectProc|MountFlags|RootDirectory|RootImage)=' \
	"$S/examples/systemd/plugfs.service"
check "README keeps the two commands first" bash -c "grep -m2 -E '^make (run|test)' '$S/README.md' | tr '\n' ' ' | grep -q '^make run.*make test'"
check_fails "README has no 'not built yet' left" grep -qi "not built yet" "$S/README.md"
finish
