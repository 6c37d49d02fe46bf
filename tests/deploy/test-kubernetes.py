#!/usr/bin/env python3
# Checks deploy/kubernetes/: the YAML parses, and the fields a node agent
# needs are there: privileged, host network/IPC/PID, hostPath /sys/fs/bpf,
# /run/plugfs and /var/lib/plugfs, the mount propagated Bidirectional,
# probes on the mount, the ConfigMap's manifests valid plugfs manifests
# named after tree paths, the start script valid sh, every config key known.
"""Structure test of the Kubernetes deployment."""

import os
import re
import subprocess
import sys
import tempfile

import yaml

SRC = os.environ.get('PLUGFS_SRC', os.path.join(os.path.dirname(__file__), '..', '..'))
DEPLOY = os.path.join(SRC, 'deploy', 'kubernetes')
RESULTS = []


def check(desc, ok):
    RESULTS.append(bool(ok))
    print('%s - %s' % ('ok' if ok else 'not ok', desc))


def load_all():
    docs = []
    for name in sorted(os.listdir(DEPLOY)):
        if name.endswith('.yaml'):
            with open(os.path.join(DEPLOY, name), encoding='utf-8') as fh:
                docs += [d for d in yaml.safe_load_all(fh) if d]
    return docs


def find(docs, kind, name):
    for d in docs:
        if d.get('kind') == kind and d['metadata']['name'] == name:
            return d
    return None


def check_daemonset(ds):
    spec = ds['spec']['template']['spec']
    c = spec['containers'][0]
    check('DaemonSet: privileged container', c.get('securityContext', {}).get('privileged') is True)
    for k in ('hostNetwork', 'hostIPC', 'hostPID'):
        check('DaemonSet: %s (the node\'s interfaces, queues, pids)' % k, spec.get(k) is True)
    check('DaemonSet: rolls out one node at a time',
          ds['spec']['updateStrategy']['rollingUpdate']['maxUnavailable'] == 1)
    vols = {v['name']: v for v in spec['volumes']}
    mounts = {m['mountPath']: m for m in c['volumeMounts']}
    for path, prop in (('/sys/fs/bpf', 'Bidirectional'), ('/run/plugfs', 'Bidirectional'),
                       ('/var/lib/plugfs', None)):
        m = mounts.get(path)
        check('DaemonSet: %s mounted' % path, m is not None)
        if not m:
            continue
        host = vols[m['name']].get('hostPath', {}).get('path')
        check('DaemonSet: %s is the host\'s (hostPath %s)' % (path, host), host == path)
        if prop:
            check('DaemonSet: %s propagated %s' % (path, prop), m.get('mountPropagation') == prop)
    for probe in ('startupProbe', 'livenessProbe', 'readinessProbe'):
        cmd = ' '.join(c.get(probe, {}).get('exec', {}).get('command', []))
        check('DaemonSet: %s is an exec probe (%s)' % (probe, cmd), cmd)
    check('DaemonSet: liveness asks the mount itself',
          '/run/plugfs/mnt' in ' '.join(c['livenessProbe']['exec']['command']))
    check('DaemonSet: readiness waits for the manifests applied',
          '/tmp/plugfs-ready' in ' '.join(c['readinessProbe']['exec']['command']))
    check('DaemonSet: the manifests ConfigMap is mounted',
          vols[mounts['/etc/plugfs/manifests']['name']]['configMap']['name'] == 'plugfs-manifests')


MANIFEST_KEYS = {'object', 'image', 'image_pull_policy', 'registry_auth', 'source', 'cflags', 'name',
                 'entry', 'proceed_on', 'map_owner', 'mode', 'jit', 'extra_memory', 'shared_memory'}
ENTRY_RE = re.compile(r'^(ifaces/[^/]+/(xdp|tc-ingress|tc-egress)/\d+|plugins/[^/]+/(pre|replace|post)/\d+'
                      r'|tracing/[^/]+)$')


def check_manifests(cm):
    for key, text in cm['data'].items():
        entry = key.replace('__', '/')
        check('manifest %s names a tree entry (%s)' % (key, entry), ENTRY_RE.match(entry))
        kv = {}
        for line in text.splitlines():
            line = line.strip()
            if not line or line[0] in ';#':
                continue
            k, _, v = line.partition('=')
            kv[k.strip()] = v.strip()
        unknown = [k for k in kv if k not in MANIFEST_KEYS and not k.startswith(('global.', 'metadata.'))]
        check('manifest %s: known keys only %s' % (key, unknown or ''), not unknown)
        origins = [k for k in ('object', 'image', 'source') if k in kv]
        check('manifest %s: one of object/image/source' % key, len(origins) == 1)
        if 'image' in kv:
            check('manifest %s: image has a registry' % key, '/' in kv['image'])
            check('manifest %s: pull policy' % key,
                  kv.get('image_pull_policy', 'IfNotPresent') in ('Always', 'IfNotPresent', 'Never'))


def check_config(cm):
    with open(os.path.join(SRC, 'docs', 'plugfs.8'), encoding='utf-8') as fh:
        man = fh.read()
    for line in cm['data']['plugfs.ini'].splitlines():
        m = re.match(r'^\s*(\w+)\s*=', line)
        if m:
            check('config key %s is documented' % m.group(1), re.search(r'\b%s\b' % m.group(1), man))
    with tempfile.NamedTemporaryFile('w', suffix='.sh') as fh:
        fh.write(cm['data']['apply-manifests.sh'])
        fh.flush()
        check('apply-manifests.sh is valid sh', subprocess.run(['sh', '-n', fh.name]).returncode == 0)
    script = cm['data']['apply-manifests.sh']
    check('apply-manifests.sh starts plugfs with the config',
          'plugfs -f --config "$CONFIG"' in script and '/etc/plugfs/plugfs.ini' in script)


def main():
    docs = load_all()
    check('the YAML parses (%d documents)' % len(docs), len(docs) >= 4)
    ds = find(docs, 'DaemonSet', 'plugfs')
    check('a DaemonSet plugfs', ds)
    if ds:
        check_daemonset(ds)
    cm = find(docs, 'ConfigMap', 'plugfs-manifests')
    check('a ConfigMap of manifests', cm and cm.get('data'))
    if cm:
        check_manifests(cm)
    cfg = find(docs, 'ConfigMap', 'plugfs-config')
    check('a ConfigMap of the daemon config', cfg)
    if cfg:
        check_config(cfg)
    failed = RESULTS.count(False)
    print('%d passed, %d failed' % (len(RESULTS) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
