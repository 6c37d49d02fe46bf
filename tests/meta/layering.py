#!/usr/bin/env python3
# Checks that the C tree keeps its layers: builds the dependency graph of the
# top-level directories from #include lines and meson.build dependencies,
# prints it, and fails on a cycle or on an edge the intended order forbids.
# Inside bpf/ it also fails on a cycle of #include lines and, given a build
# directory, on a cycle of calls between files (read from the objects with nm).
#
#   layering.py [--root SRC] [--build BUILD]   check a tree (default: this one)
#   layering.py --selftest                     check the checker on small trees
"""Layering check of the plugfs source tree."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

# The parts of the tree and who may depend on whom. A part depends on
# another when one of its files includes a header of the other, or when its
# meson.build uses a library or dependency the other declares.
#   common   common/ and include/plugfs/
#   anchor   include/pluglet/anchor.h and fault.h, the anchor and fault-kind
#            enums both libpluglet and the control protocol use
#   vm-core  the VM: vm/ except the host runtime, include/pluglet/ except
#            anchor.h and host.h
#   injector the control-channel protocol and ebpf_injecter
#   vm-host  the host runtime: vm/host*, vm/control*, include/pluglet/host.h
#   vm-tool  pluglet-run (vm/pluglet-run.c, vm/pluglet_run_*), a program on
#            top of the library: it may use the VM and the host runtime
#   bpf      the kernel engine
#   image    where bytes come from besides a file: OCI bytecode images, C
#            compiled on load (image/ and include/image/)
#   fs       the daemon, which may use everything
ALLOWED = {
    'common': set(),
    'anchor': {'common'},
    'vm-core': {'common', 'anchor'},
    'injector': {'common', 'anchor'},
    'vm-host': {'common', 'anchor', 'vm-core', 'injector'},
    'vm-tool': {'common', 'anchor', 'vm-core', 'injector', 'vm-host'},
    'bpf': {'common'},
    'image': {'common'},
    'fs': {'common', 'anchor', 'vm-core', 'injector', 'vm-host', 'bpf', 'image'},
}
# Directory level: the two parts of vm/ are one directory.
DIR_OF = {'vm-core': 'vm', 'vm-host': 'vm', 'vm-tool': 'vm'}
TOP_DIRS = ('common', 'include', 'vm', 'injector', 'bpf', 'image', 'fs')
SOURCE_EXT = ('.c', '.h')
MESON_TARGETS = ('declare_dependency', 'static_library', 'shared_library', 'both_libraries',
                 'library', 'shared_module')
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def part_of(rel):
    """The part a file (path relative to the root) belongs to, or None."""
    parts = rel.split('/')
    top, name = parts[0], parts[-1]
    if top == 'common':
        return 'common'
    if top == 'include' and len(parts) > 2:
        if parts[1] == 'plugfs':
            return 'common'
        if parts[1] == 'image':
            return 'image'
        if parts[1] == 'pluglet':
            if name in ('anchor.h', 'fault.h'):
                return 'anchor'
            return 'vm-host' if name == 'host.h' else 'vm-core'
        return None
    if top == 'vm':
        if name.startswith(('pluglet-run', 'pluglet_run')):
            return 'vm-tool'
        if (len(parts) > 2 and parts[1] == 'host') or name.startswith(('host', 'control')):
            return 'vm-host'
        return 'vm-core'
    if top in ('injector', 'bpf', 'image', 'fs'):
        return top
    return None


def dir_node(part):
    return DIR_OF.get(part, part)


class Graph:
    """Edges between nodes, each with the first few reasons it exists."""

    def __init__(self):
        self.edges = {}

    def add(self, a, b, why):
        if a == b:
            return
        whys = self.edges.setdefault((a, b), [])
        if len(whys) < 3:
            whys.append(why)
        else:
            whys.append(None)	# counted, not shown

    def succ(self, a):
        return sorted(b for (x, b) in self.edges if x == a)

    def nodes(self):
        return sorted({n for e in self.edges for n in e})

    def describe(self, a, b):
        whys = self.edges[(a, b)]
        shown = [w for w in whys if w]
        more = len(whys) - len(shown)
        return '; '.join(shown) + (' (+%d more)' % more if more else '')


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.succ(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph.nodes():
        if v not in index:
            visit(v)
    return out


def shortest_cycle(graph, comp, start):
    """The shortest closed path from start within comp, or None."""
    prev, todo = {start: None}, [start]
    while todo:
        v = todo.pop(0)
        for w in graph.succ(v):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return path[::-1] + [start]
            if w in comp and w not in prev:
                prev[w] = v
                todo.append(w)
    return None


def cycle_path(graph, comp):
    """The shortest cycle of a strongly connected component."""
    paths = [p for p in (shortest_cycle(graph, comp, v) for v in comp) if p]
    return min(paths, key=len)


def tracked_files(root):
    """Files under the checked top-level directories, relative to root."""
    out = []
    for top in TOP_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
            for f in sorted(filenames):
                out.append(os.path.relpath(os.path.join(dirpath, f), root))
    return out


def strip_meson(text):
    text = re.sub(r"'''.*?'''", "''", text, flags=re.S)
    text = re.sub(r"'(?:[^'\\\n]|\\.)*'", "''", text)
    return re.sub(r'#[^\n]*', '', text)


class Meson:
    """What each meson.build declares and which other directory's it uses."""

    def __init__(self, root, files):
        self.builds = [f for f in files if os.path.basename(f) == 'meson.build']
        self.texts = {}
        self.owner = {}		# variable -> meson.build that declares it
        def_re = re.compile(r'^[ \t]*(\w+)\s*=\s*(?:%s)\s*\(' % '|'.join(MESON_TARGETS), re.M)
        for b in self.builds:
            with open(os.path.join(root, b), encoding='utf-8', errors='replace') as fh:
                self.texts[b] = strip_meson(fh.read())
            for m in def_re.finditer(self.texts[b]):
                self.owner[m.group(1)] = b

    def uses(self, build):
        """(variable, declaring meson.build, line) for other directories' names."""
        top = build.split('/')[0]
        out = []
        for lineno, line in enumerate(self.texts[build].split('\n'), 1):
            for word in re.findall(r'\b\w+\b', line):
                b = self.owner.get(word)
                if b and b.split('/')[0] != top:
                    out.append((word, b, lineno))
        return out

    def header_dirs(self, top):
        """Directories whose headers a top-level directory sees through its deps."""
        dirs = []
        for b in self.builds:
            if b.split('/')[0] == top:
                for _, decl, _ in self.uses(b):
                    d = os.path.dirname(decl)
                    if d not in dirs:
                        dirs.append(d)
        return dirs


def meson_part(build, declaring):
    """Part of a meson.build: libpluglet (vm/meson.build) links the host runtime,
    so as a user it counts as vm-host; as a provider it gives the VM core."""
    if build.split('/')[0] == 'vm' and part_of(build) == 'vm-core':
        return 'vm-core' if declaring else 'vm-host'
    return part_of(build)


def resolve(root, rel, quote, name, search):
    """The header a #include names, relative to root, or None (system)."""
    cands = ([os.path.dirname(rel)] if quote == '"' else []) + search
    for d in cands:
        p = os.path.normpath(os.path.join(d, name))
        if not p.startswith('..') and os.path.isfile(os.path.join(root, p)):
            return p
    return None


def read_includes(root, rel):
    with open(os.path.join(root, rel), encoding='utf-8', errors='replace') as fh:
        for lineno, line in enumerate(fh, 1):
            m = INCLUDE_RE.match(line)
            if m:
                yield lineno, m.group(1), m.group(2)


def build_graphs(root, files):
    """Part graph, directory graph and the #include graph of bpf/ files."""
    meson = Meson(root, files)
    parts, dirs, bpf = Graph(), Graph(), Graph()
    search_of = {}
    for rel in files:
        if not rel.endswith(SOURCE_EXT) or part_of(rel) is None:
            continue
        top = rel.split('/')[0]
        if top not in search_of:
            search_of[top] = ['.', 'include', top] + meson.header_dirs(top)
        for lineno, quote, name in read_includes(root, rel):
            hdr = resolve(root, rel, quote, name, search_of[top])
            if not hdr or part_of(hdr) is None:
                continue
            why = '%s:%d includes %s' % (rel, lineno, hdr)
            a, b = part_of(rel), part_of(hdr)
            parts.add(a, b, why)
            dirs.add(dir_node(a), dir_node(b), why)
            if top == 'bpf' and hdr.startswith('bpf/'):
                bpf.add(rel, hdr, '%s:%d' % (rel, lineno))
    for build in meson.builds:
        if part_of(build) is None:
            continue
        for var, decl, lineno in meson.uses(build):
            why = '%s:%d uses %s (%s)' % (build, lineno, var, decl)
            a, b = meson_part(build, False), meson_part(decl, True)
            parts.add(a, b, why)
            dirs.add(dir_node(a), dir_node(b), why)
    return parts, dirs, bpf


def nm_symbols(archive):
    """{member: (defined, undefined)} of the global symbols of an archive."""
    res = subprocess.run(['nm', '-A', '-g', archive], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
    out = {}
    for line in res.stdout.splitlines():
        m = re.match(r'^(.*):([^:]+):\s*(?:[0-9a-fA-F]+\s+)?([A-Za-z])\s+(\S+)$', line)
        if not m:
            continue
        # thin archives name members by path; generated sources get a prefix
        member = re.sub(r'\.o(bj)?$', '', os.path.basename(m.group(2)))
        member = re.sub(r'^meson-generated_(\.\._)*', '', member)
        defined, undefined = out.setdefault(member, (set(), set()))
        (undefined if m.group(3) == 'U' else defined).add(m.group(4))
    return out


def bpf_calls(build):
    """Graph of references between bpf/ object files, or None without a build."""
    bdir = os.path.join(build, 'bpf') if build else None
    if not bdir or not os.path.isdir(bdir):
        return None
    archives = sorted(os.path.join(bdir, f) for f in os.listdir(bdir) if f.endswith('.a'))
    if not archives or not shutil.which('nm'):
        return None
    members = {}
    for a in archives:
        members.update(nm_symbols(a))
    where = {}
    for member, (defined, _) in members.items():
        for sym in defined:
            where.setdefault(sym, member)
    calls = Graph()
    for member, (_, undefined) in sorted(members.items()):
        for sym in sorted(undefined):
            if sym in where:
                calls.add(member, where[sym], sym)
    return calls


def print_graph(title, graph, bad=lambda a, b: False):
    print(title)
    if not graph.edges:
        print('  (no edges)')
    for (a, b) in sorted(graph.edges):
        mark = '   <-- NOT ALLOWED' if bad(a, b) else ''
        print('  %s -> %s: %s%s' % (a, b, graph.describe(a, b), mark))


def report_cycles(graph, what):
    fails = []
    for comp in cycles(graph):
        path = cycle_path(graph, comp)
        steps = ['%s -> %s (%s)' % (a, b, graph.describe(a, b)) for a, b in zip(path, path[1:])]
        among = ' among %s' % ', '.join(comp) if len(comp) > 2 else ''
        fails.append('%s cycle%s: %s: %s' % (what, among, ' -> '.join(path), '; '.join(steps)))
    return fails


def check(root, build):
    """Prints the graphs; returns the list of failures."""
    files = tracked_files(root)
    parts, dirs, bpf = build_graphs(root, files)

    def forbidden(a, b):
        return b not in ALLOWED.get(a, set())

    print_graph('Directory graph (a -> b: a depends on b):', dirs)
    print_graph('Part graph (order: common <- vm-core <- injector <- vm-host <- fs; '
                'bpf on common only):', parts, forbidden)
    fails = report_cycles(dirs, 'directory')
    for (a, b) in sorted(parts.edges):
        if forbidden(a, b):
            fails.append('layer order: %s must not depend on %s: %s'
                         % (a, b, parts.describe(a, b)))
    print_graph('bpf/ #include graph (file -> header):', bpf)
    fails += report_cycles(bpf, 'bpf/ #include')
    calls = bpf_calls(build)
    if calls is None:
        print('bpf/ call graph: no build directory with bpf/*.a given, not checked')
    else:
        print_graph('bpf/ call graph (object -> object it uses, e.g. symbol):', calls)
        fails += report_cycles(calls, 'bpf/ call')
    return fails


def run(root, build):
    fails = check(root, build)
    if fails:
        print()
        for f in fails:
            print('FAIL: ' + f)
        print('layering: %d problem(s)' % len(fails))
        return 1
    print('layering: ok')
    return 0


# ---- self-test: small trees with a known answer ----

CLEAN_TREE = {
    'common/meson.build': "common_dep = declare_dependency(link_with: x)\n",
    'common/log.c': '#include <plugfs/log.h>\n',
    'include/plugfs/log.h': '/* log */\n',
    'include/pluglet/anchor.h': '#include <stdint.h>\n',
    'include/pluglet/vm.h': '#include <pluglet/anchor.h>\n',
    'include/pluglet/host.h': '#include <pluglet/vm.h>\n',
    'injector/meson.build': "injector_proto_dep = declare_dependency(dependencies: common_dep)\n",
    'injector/proto.h': '#include <pluglet/anchor.h>\n#include <plugfs/log.h>\n',
    'injector/proto.c': '#include "proto.h"\n',
    'vm/meson.build': "# injector_proto_dep in a comment is no use\n"
                      "libpluglet_dep = declare_dependency(dependencies: [common_dep,\n"
                      "  injector_proto_dep])\n",
    'vm/vm.c': '#include <pluglet/vm.h>\n#include "vm_internal.h"\n#include <stdio.h>\n',
    'vm/vm_internal.h': '#include <plugfs/log.h>\n',
    'vm/host.c': '#include <pluglet/host.h>\n#include "proto.h"\n#include "vm_internal.h"\n',
    'vm/control.c': '#include "config.h"\n#include "proto.h"\n',
    'bpf/meson.build': "bpf_engine_dep = declare_dependency(dependencies: common_dep)\n",
    'bpf/engine.h': '#include <plugfs/log.h>\n',
    'bpf/engine_internal.h': '#include "engine.h"\n',
    'bpf/engine.c': '#include "engine_internal.h"\n',
    'bpf/load.c': '#include "engine_internal.h"\n',
    'fs/meson.build': "plugfs = executable('plugfs', dependencies: [libpluglet_dep,\n"
                      "  bpf_engine_dep, injector_proto_dep])\n",
    'fs/config.h': '/* the daemon config */\n',
    'fs/ifaces.c': '#include "engine.h"\n#include "config.h"\n#include <pluglet/host.h>\n'
                   '#include <plugfs/log.h>\n',
}

# name -> (changes to the clean tree, text the failure must contain)
BROKEN_TREES = {
    'injector includes the host API': (
        {'injector/proto.h': '#include <pluglet/host.h>\n'},
        'injector must not depend on vm-host: injector/proto.h:1 includes '
        'include/pluglet/host.h'),
    'directory cycle vm <-> injector': (
        {'injector/proto.c': '#include "proto.h"\n#include "../vm/vm_internal.h"\n'},
        'directory cycle: injector -> vm -> injector'),
    'cycle common <-> fs': (
        {'common/log.c': '#include <plugfs/log.h>\n#include "../fs/config.h"\n'},
        'directory cycle among bpf, common, fs, injector, vm: common -> fs -> common'),
    'meson: the protocol links libpluglet': (
        {'injector/meson.build': "injector_proto_dep = declare_dependency(\n"
                                 "  dependencies: libpluglet_dep)\n"},
        'injector must not depend on vm-core: injector/meson.build:2 uses libpluglet_dep'),
    'the VM core uses the host runtime': (
        {'vm/vm.c': '#include <pluglet/host.h>\n'},
        'vm-core must not depend on vm-host'),
    'bpf uses the VM': (
        {'bpf/load.c': '#include <pluglet/vm.h>\n'},
        'bpf must not depend on vm-core'),
    'bpf/ header cycle': (
        {'bpf/engine.h': '#include "engine_internal.h"\n'},
        'bpf/ #include cycle: bpf/engine.h -> bpf/engine_internal.h -> bpf/engine.h'),
}

CALL_CYCLE = {
    'engine.c': 'int load(void);\nint engine_util(void) { return 1; }\n'
                'int engine_run(void) { return load(); }\n',
    'load.c': 'int engine_util(void);\nint load(void) { return engine_util(); }\n',
    'report.c': 'int engine_run(void);\nint report(void) { return engine_run(); }\n',
}


def write_tree(root, tree):
    for rel, text in tree.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as fh:
            fh.write(text)


def expect(name, tree, build, want):
    """Runs the check on a tree; want None = must pass, else a failure text."""
    env = {k: v for k, v in os.environ.items() if k not in ('PLUGFS_SRC', 'PLUGFS_BUILD')}
    with tempfile.TemporaryDirectory(prefix='plugfs-layering.') as root:
        write_tree(root, tree)
        res = subprocess.run([sys.executable, os.path.abspath(__file__), '--root', root]
                             + (['--build', build] if build else []),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, check=False, env=env)
    ok = (res.returncode == 0) if want is None else (res.returncode == 1 and want in res.stdout)
    print('%s - %s' % ('ok' if ok else 'not ok', name))
    if not ok:
        print('  wanted: %s' % ('success' if want is None else want))
        print('  got (exit %d):\n    %s' % (res.returncode, res.stdout.replace('\n', '\n    ')))
    return ok


def call_cycle_build(tmp):
    """A build directory whose bpf/ archive has engine.c <-> load.c calls."""
    cc = shutil.which('cc') or shutil.which('gcc')
    if not cc or not shutil.which('ar') or not shutil.which('nm'):
        return None
    bdir = os.path.join(tmp, 'bpf')
    os.makedirs(bdir)
    objs = []
    for name, text in CALL_CYCLE.items():
        src = os.path.join(tmp, name)
        with open(src, 'w', encoding='utf-8') as fh:
            fh.write(text)
        objs.append(os.path.join(bdir, name + '.o'))
        subprocess.run([cc, '-c', src, '-o', objs[-1]], check=True)
    subprocess.run(['ar', 'rc', os.path.join(bdir, 'libplugfs_bpf.a')] + objs, check=True)
    return tmp


def selftest():
    results = [expect('clean tree passes', CLEAN_TREE, None, None)]
    for name, (changes, want) in BROKEN_TREES.items():
        results.append(expect(name, dict(CLEAN_TREE, **changes), None, want))
    with tempfile.TemporaryDirectory(prefix='plugfs-layering-build.') as tmp:
        build = call_cycle_build(tmp)
        if build:
            results.append(expect('bpf/ call cycle', CLEAN_TREE, build,
                                  'bpf/ call cycle: engine.c -> load.c -> engine.c'))
        else:
            print('ok - bpf/ call cycle # SKIP no cc/ar/nm')
    failed = results.count(False)
    print('selftest: %d passed, %d failed' % (len(results) - failed, failed))
    return 1 if failed else 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--root', default=os.environ.get('PLUGFS_SRC',
                                                     os.path.join(here, '..', '..')))
    ap.add_argument('--build', default=os.environ.get('PLUGFS_BUILD'))
    ap.add_argument('--selftest', action='store_true')
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    return run(os.path.abspath(args.root), args.build)


if __name__ == '__main__':
    sys.exit(main())
