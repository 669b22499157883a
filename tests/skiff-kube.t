#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff-kube.t: the seed's Kubernetes workflow on one machine, in a network
# namespace of its own: apply, get, DNS and ClusterIP from a container,
# scale, self-healing, a rolling update under load, delete.
if [ -z "${SKIFF_T_NETNS:-}" ] && [ "$(id -u)" = 0 ]; then
	SKIFF_T_NETNS=1 exec unshare -n "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need_root
for t in img-unpack cg-limit net-bridge vol-mount ns-run lb-proxy svc-dns yaml-flat; do
	command -v $t >/dev/null || skip_all "$t not built"
done
command -v umoci >/dev/null || skip_all "umoci not installed"
ip link set lo up

export SKIFF_ROOT=$TMP/root SKIFF_RUN=$TMP/run
at_exit 'skiff delete deployment/web deployment/nginx-deployment service/nginx-service >/dev/null 2>&1;
	skiff rm -f $(skiff ps -aq) >/dev/null 2>&1; pkill -f "$SKIFF_RUN" 2>/dev/null; skiff gc >/dev/null 2>&1'

# "nginx:1.14.2": busybox httpd answering with the pod's hostname, so a
# client can tell the replicas apart; a v2 that answers differently.
mkrootfs "$TMP/bb"
mkdir -p "$TMP/bb/www"
(cd "$TMP" && umoci init --layout L && umoci new --image L:latest &&
    umoci unpack --image L:latest B && cp -a bb/. B/rootfs/ &&
    umoci repack --image L:latest B &&
    umoci config --image L:latest --config.env PATH=/bin --config.cmd /bin/sh --config.cmd -c \
        --config.cmd 'hostname >/www/index.html; exec httpd -f -p 80 -h /www' &&
    umoci config --image L:latest --tag v2 --config.cmd /bin/sh --config.cmd -c \
        --config.cmd 'echo "v2 $(hostname)" >/www/index.html; exec httpd -f -p 80 -h /www') >/dev/null 2>&1 ||
    skip_all "umoci could not make an image"
img-unpack load "oci:$TMP/L:latest" nginx:1.14.2 >/dev/null &&
    img-unpack load "oci:$TMP/L:v2" nginx:v2 >/dev/null &&
    img-unpack load "oci:$TMP/L:latest" busybox:latest >/dev/null || skip_all "img-unpack load failed"

Y=$TOP/tests/fuzz/corpus/yaml/nginx.yaml
waitfor() {
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -ge 300 ] && return 1; sleep 0.1
	done
}
# col N: column N of a table, without its header (a script: sh -c sees it).
mkdir -p "$TMP/bin"
printf '#!/bin/sh\nawk -v c="$1" '"'"'NR > 1 { print $c }'"'"'\n' >"$TMP/bin/col"
chmod +x "$TMP/bin/col"
PATH=$TMP/bin:$PATH

testcmd "apply the seed's nginx.yaml" 0 "deployment.apps/nginx-deployment created
service/nginx-service created" skiff apply -f "$Y"
testcmd "apply again changes nothing" 0 "deployment.apps/nginx-deployment unchanged
service/nginx-service unchanged" skiff apply -f "$Y"
ok "3 pods become ready" waitfor sh -c '[ "$(skiff get deployments | col 2)" = 3/3 ]'
testcmd "get deployments: kubectl's columns" 0 "NAME READY UP-TO-DATE AVAILABLE AGE" \
    sh -c 'skiff get deployments | head -1 | tr -s " "'
testcmd "get pods: three Running" 0 "Running Running Running" sh -c 'skiff get pods | col 3 | xargs'
testcmd "pods are named like Kubernetes'" 0 "3" sh -c \
    'skiff get pods | col 1 | grep -Ec "^nginx-deployment-[0-9a-f]+-[0-9a-f]{5}$"'
cip=$(skiff get services | col 3)
testcmd "the service has a ClusterIP in 10.96.0.0/12" 0 "ClusterIP 10.96" \
    sh -c 'skiff get services | awk "NR == 2 { split(\$3, a, \".\"); print \$2, a[1] \".\" a[2] }"'
ok "endpoints list the three pods" waitfor sh -c '[ "$(skiff get endpoints | col 2 | tr , "\n" | grep -c ":80$")" = 3 ]'

testcmd "by ClusterIP from the host, all three pods answer" 0 "3" \
    sh -c 'for i in 1 2 3 4 5 6; do wget -qO- "http://$1/"; done | sort -u | wc -l' sh "$cip"
testcmd "by DNS name from a container, all three pods answer" 0 "3" \
    sh -c 'skiff run --rm busybox sh -c "for i in 1 2 3 4 5 6; do wget -qO- http://nginx-service/; done" | sort -u | wc -l'
testcmd "the full name resolves to the ClusterIP" 0 "$cip" \
    sh -c 'skiff run --rm busybox nslookup nginx-service.default.svc.cluster.local | sed -n "s/^Address: //p" | tail -1'
testcmd "pods started after the service get its variables" 0 "$cip 80" \
    sh -c 'skiff scale deployment/nginx-deployment --replicas=4 >/dev/null;
    p=$(skiff get pods | awk "NR > 1 { print \$5, \$1 }" | sort -n | head -1 | cut -d" " -f2);
    cat "$SKIFF_ROOT/containers/$(readlink "$SKIFF_ROOT/names/$p")/config" | grep -o "NGINX_SERVICE_SERVICE_[HP][A-Z]*=[0-9.]*" | cut -d= -f2 | xargs'

testcmd "scale to 5" 0 "deployment.apps/nginx-deployment scaled" skiff scale deployment/nginx-deployment --replicas=5
ok "... 5 ready" waitfor sh -c '[ "$(skiff get deployments | col 2)" = 5/5 ]'
skiff scale deployment/nginx-deployment --replicas=1 >/dev/null
ok "scale to 1: one pod left" waitfor sh -c '[ "$(skiff get pods | col 1 | wc -l)" = 1 ]'
skiff scale deployment/nginx-deployment --replicas=3 >/dev/null
waitfor sh -c '[ "$(skiff get deployments | col 2)" = 3/3 ]'

victim=$(skiff get pods | col 1 | head -1)
skiff kill "$victim" >/dev/null
ok "a killed replica is replaced" waitfor sh -c \
    '[ "$(skiff get deployments | col 2)" = 3/3 ] && ! skiff get pods | grep -q "^$1 "' sh "$victim"

# A rolling update under a request loop: no request may fail.
( n=0; fail=0
  while [ ! -f "$TMP/stop" ]; do
	wget -qO- -T 2 "http://$cip/" >/dev/null 2>&1 || fail=$((fail + 1))
	n=$((n + 1))
  done
  echo "$n $fail" >"$TMP/loop" ) &
loop=$!
sed 's/nginx:1.14.2/nginx:v2/' "$Y" >"$TMP/v2.yaml"
testcmd "apply a new image" 0 "deployment.apps/nginx-deployment configured
service/nginx-service unchanged" skiff apply -f "$TMP/v2.yaml"
ok "all pods roll to v2, one at a time" waitfor sh -c \
    '[ "$(for i in 1 2 3 4 5 6; do wget -qO- "http://$1/"; done | grep -c "^v2 ")" = 6 ] &&
     [ "$(skiff get pods | col 1 | wc -l)" = 3 ]' sh "$cip"
touch "$TMP/stop"
wait $loop
testcmd "no request failed during the roll" 0 "0" sh -c 'cut -d" " -f2 "$1"' sh "$TMP/loop"
ok "... and requests were made" sh -c '[ "$(cut -d" " -f1 "$1")" -gt 5 ]' sh "$TMP/loop"

# Bad input: a clear error, nothing applied.
printf 'kind: Deployment\napiVersion: apps/v1\nmetadata: [\n' >"$TMP/bad.yaml"
testerr "bad YAML" 1 "^skiff: .*bad.yaml: line [0-9]+: " skiff apply -f "$TMP/bad.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' >"$TMP/cm.yaml"
testerr "an unsupported kind" 1 "kind ConfigMap \\(v1\\) is not supported" skiff apply -f "$TMP/cm.yaml"
sed 's#apps/v1#apps/v1beta1#' "$Y" >"$TMP/api.yaml"
testerr "a wrong apiVersion" 1 "apiVersion apps/v1beta1 is not supported" skiff apply -f "$TMP/api.yaml"
sed 's/nginx-deployment/web/; s/nginx:1.14.2/missing:1/' "$Y" | sed '/^---$/,$d' >"$TMP/img.yaml"
testerr "a missing image" 1 "image missing:1: not in the local store" skiff apply -f "$TMP/img.yaml"
testcmd "nothing was half-applied" 1 "" sh -c 'skiff get deployment/web 2>/dev/null'
printf '%s\n---\n%s\n' "$(sed '/^---$/,$d' "$Y" | sed 's/nginx-deployment/web/')" 'apiVersion: v1
kind: Pod
metadata: {name: p}' >"$TMP/mixed.yaml"
testerr "one bad document stops the whole file" 1 "kind Pod \\(v1\\) is not supported" skiff apply -f "$TMP/mixed.yaml"
testcmd "... so its good document was not applied" 1 "" sh -c 'skiff get deployment/web 2>/dev/null'

# A NodePort Service answers on the node's port, from the host.
cat >"$TMP/np.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: web-np
spec:
  type: NodePort
  selector:
    app: nginx
  ports:
  - port: 8080
    targetPort: 80
    nodePort: 30080
EOF
testcmd "a NodePort service" 0 "service/web-np created" skiff apply -f "$TMP/np.yaml"
testcmd "get services shows the node port" 0 "NodePort 8080:30080/TCP" \
    sh -c 'skiff get services web-np | awk "NR == 2 { print \$2, \$5 }"'
ok "the node port answers on 127.0.0.1" waitfor sh -c 'wget -qO- -T 2 http://127.0.0.1:30080/ | grep -q "^v2 "'
testcmd "delete service/web-np" 0 'service "web-np" deleted' skiff delete service/web-np

# kill -9 of an apply midway, then gc and delete: nothing leaked.
sed 's/nginx-deployment/crash/; s/nginx-service/crash-svc/' "$Y" >"$TMP/crash.yaml"
mkdir -p "$TMP/td"
TMPDIR=$TMP/td skiff apply -f "$TMP/crash.yaml" >/dev/null 2>&1 &
apid=$!
# Midway: once its first pod is recorded (apply takes ~0.2 s: a fixed
# sleep would often miss it).
i=0
until ls "$SKIFF_ROOT"/kube/default/pod/crash-* >/dev/null 2>&1 || [ $i -ge 500 ]; do
	sleep 0.01; i=$((i + 1))
done
kill -9 $apid 2>/dev/null
wait $apid 2>/dev/null
skiff gc >/dev/null 2>&1
skiff delete -f "$TMP/crash.yaml" >/dev/null 2>&1
ok "after kill -9 during apply, gc and delete leave no crash pod" waitfor sh -c '! skiff ps -a | grep -q crash'
ok "... nor the killed apply's work files" sh -c '! ls -d "$1"/kube/apply.* 2>/dev/null && [ -z "$(ls -A "$2")" ]' sh "$SKIFF_RUN" "$TMP/td"

testcmd "delete -f" 0 'service "nginx-service" deleted
deployment.apps "nginx-deployment" deleted' skiff delete -f "$Y"
ok "nothing is left: no containers" waitfor sh -c '[ -z "$(skiff ps -aq)" ]'
ok "... no proxies or DNS server" waitfor sh -c '! pgrep -f "^(lb-proxy|svc-dns) .*$1" >/dev/null' sh "$SKIFF_RUN"
done_testing
