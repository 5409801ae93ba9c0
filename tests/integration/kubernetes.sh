#!/usr/bin/env bash
# kubernetes.sh: contrib/kubernetes as kustomize renders it (kubectl kustomize, offline): the base, one overlay
# per instance and the fleet that lists them -- distinct names, each CronJob reading its own ConfigMap, its
# instance's settings, the image set once, the pod's hardening kept; and every ConfigMap's settings accepted by
# `redis-archiver config` as they would reach the container. Needs no server and no cluster; skipped only
# without kubectl (`make deps` installs Debian's kubernetes-client, kubectl 1.20 with kustomize 2; the files
# also render unchanged with kustomize 5). RA_KUBECTL=PATH picks another kubectl.
set -u
. "$(dirname "$0")/../harness/lib.sh"
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
K=$RA_ROOT/contrib/kubernetes
KUBECTL=${RA_KUBECTL:-kubectl}
if ! command -v "$KUBECTL" >/dev/null; then
    ra_skip "kustomize base, overlays and fleet render" "kubectl is not installed (make deps installs Debian's kubernetes-client)"
    ra_done
    exit 0
fi
kver=kubectl\ $("$KUBECTL" version --client 2>/dev/null | grep -o 'v1\.[0-9]*\.[0-9]*' | head -1)
for d in base instances/cache-eu instances/sessions fleet; do
    if "$KUBECTL" kustomize "$K/$d" >"$T/${d//\//_}.yaml" 2>"$T/err"; then ra_ok "kubectl kustomize $d ($kver)"; else ra_fail "kubectl kustomize $d ($kver)" "$(cat "$T/err")"; fi
done
out=$(python3 - "$T/fleet.yaml" "$T/base.yaml" "$K" <<'PY' 2>&1
import sys, yaml
fleet = list(yaml.safe_load_all(open(sys.argv[1])))
base = list(yaml.safe_load_all(open(sys.argv[2])))
assert sorted((d["kind"], d["metadata"]["name"]) for d in base) == [("ConfigMap", "redis-archiver"), ("CronJob", "redis-archiver")], base
cms = {d["metadata"]["name"]: d for d in fleet if d["kind"] == "ConfigMap"}
jobs = {d["metadata"]["name"]: d for d in fleet if d["kind"] == "CronJob"}
assert sorted(cms) == sorted(jobs) == ["redis-archiver-cache-eu", "redis-archiver-sessions"], (list(cms), list(jobs))
schedules = set()
for name, job in jobs.items():
    inst = name[len("redis-archiver-"):]
    assert job["metadata"]["labels"]["app.kubernetes.io/instance"] == inst, job["metadata"]
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["envFrom"][0]["configMapRef"]["name"] == name, c["envFrom"]
    assert cms[name]["data"]["REDIS_ARCHIVER_INSTANCE"] == inst, cms[name]["data"]
    assert inst in cms[name]["data"]["REDIS_ARCHIVER_SOURCE"], cms[name]["data"]
    assert c["image"] == "registry.example.com/redis-archiver:0.1.0", c["image"]
    assert c["securityContext"]["readOnlyRootFilesystem"] is True and pod["securityContext"]["runAsUser"] == 10001
    assert job["spec"]["jobTemplate"]["spec"]["podFailurePolicy"]["rules"][1]["onExitCodes"]["containerName"] == c["name"]
    secrets = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in c["env"]}
    assert secrets["AWS_ACCESS_KEY_ID"] == "redis-archiver", secrets
    assert secrets["REDISCLI_AUTH"] == ("redis-archiver-sessions" if inst == "sessions" else "redis-archiver"), secrets
    schedules.add(job["spec"]["schedule"])
assert len(schedules) == 2, schedules
for f in ("deployment-schedule.yaml", "deployment-archive.yaml", "secret.example.yaml"):
    list(yaml.safe_load_all(open(sys.argv[3] + "/base/" + f)))
arch = yaml.safe_load(open(sys.argv[3] + "/base/deployment-archive.yaml"))
c = arch["spec"]["template"]["spec"]["containers"][0]
assert c["args"] == ["schedule", "--continuous"] and arch["spec"]["strategy"]["type"] == "Recreate", c["args"]
assert arch["spec"]["replicas"] == 1 and c["securityContext"]["readOnlyRootFilesystem"] is True
# the ConfigMaps' settings, one "NAME=value" per line, for the check below
with open(sys.argv[1] + ".env", "w") as out:
    for name, cm in sorted(cms.items()):
        out.write("#" + name + "\n" + "".join("%s=%s\n" % kv for kv in cm["data"].items()))
PY
)
if [ -z "$out" ]; then ra_ok "the fleet: one ConfigMap and CronJob per instance, wired to each other, hardened"; else ra_fail "the fleet: one ConfigMap and CronJob per instance, wired to each other, hardened" "$out"; fi
# each ConfigMap as the container's environment: redis-archiver takes every variable and value
bad=
while IFS= read -r -d '#' block; do
    [ -n "$block" ] || continue
    name=${block%%$'\n'*}
    mapfile -t vars < <(tail -n +2 <<<"$block" | grep .)
    out=$(env -i REDIS_ARCHIVER_CONFIG=/dev/null "${vars[@]}" "$BIN" config 2>&1) || bad="$bad $name: $out"
    grep -q 'warn\|unknown' <<<"$out" && bad="$bad $name: $out"
done < <(cat "$T/fleet.yaml.env"; printf '#')
if [ -z "$bad" ]; then ra_ok "every ConfigMap's settings are accepted by redis-archiver config"; else ra_fail "every ConfigMap's settings are accepted by redis-archiver config" "$bad"; fi
ra_done
