#!/usr/bin/env bash
# make demo: the reference scenario of examples/seed end to end, narrated. A client, two
# directors running `halvs run` on examples/seed/director-a.hcl and director-b.hcl as they are,
# two real servers (busybox httpd, the VIP on lo). It shows the election, wrr over both real
# servers, a real server taken out by its tcp_check and brought back, the master killed and
# the backup taking over under traffic, and the master preempting on its return; then a
# one-line verdict. Exit status 0 only if every step did what it should.
#
# Where: network namespaces on this host when its kernel has IPVS, else the VM tier
# (integration/vm/run.sh: Debian's cloud kernel under qemu). The scenario itself is the Go
# test TestDemo in integration/vm (run with HALVS_DEMO=1), which also backs `make vm-test`.
# Only its narration (lines marked HALVS-DEMO) is shown; everything else goes to the log.
#
# Needs root, nothing else: scripts/install-deps.sh installs what is missing.
# Environment: HALVS_DEMO_LOG, the full log (default bin/demo.log); the VM tier's variables
# (HALVS_VM_CACHE, HALVS_VM_TIMEOUT, HALVS_VM_MEM) apply. scripts/demo-ecmp.sh runs another
# narrated test through this script: HALVS_DEMO_TEST (the test), HALVS_DEMO_MODE (the value
# of HALVS_DEMO it needs) and HALVS_DEMO_TITLE (the first line).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
export PATH="/usr/local/go/bin:$PATH"

if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (network namespaces, IPVS, and apt-get for what is missing)" >&2
  exit 1
fi

start=$(date +%s)
log=${HALVS_DEMO_LOG:-$repo/bin/demo.log}
demo_test=${HALVS_DEMO_TEST:-TestDemo} demo_mode=${HALVS_DEMO_MODE:-1}
mkdir -p "$(dirname "$log")"
: >"$log"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "${HALVS_DEMO_TITLE:-halvs demo: the reference scenario of examples/seed, end to end} (full log: $log)"
echo "installing what is missing (scripts/install-deps.sh)"
if ! scripts/install-deps.sh >>"$log" 2>&1; then
  echo "verdict: FAIL - scripts/install-deps.sh failed; see $log"
  exit 1
fi

host_has_ipvs() {
  [ -e /proc/net/ip_vs ] && return 0
  modprobe ip_vs >/dev/null 2>&1 && [ -e /proc/net/ip_vs ]
}

if host_has_ipvs; then
  echo "where: network namespaces on this host (its kernel has IPVS)"
  make -s build >>"$log" 2>&1
  CGO_ENABLED=0 go test -c -tags vmtest -o "$work/vm.test" ./integration/vm >>"$log" 2>&1
  # The lab's scripts call busybox's httpd and wget by name.
  mkdir "$work/bb"
  for applet in httpd wget; do ln -s "$(command -v busybox)" "$work/bb/$applet"; done
  (cd integration/vm && PATH="$work/bb:$PATH" HALVS_DEMO=$demo_mode \
    "$work/vm.test" -test.run "^$demo_test\$" -test.v -test.timeout 10m) >>"$log" 2>&1 &
else
  echo "where: a VM, since this kernel has no IPVS: Debian's cloud kernel under qemu (TCG)"
  echo "preparing it: kernel package (downloaded once into the cache), halvs, the test binaries"
  HALVS_VM_RUN="^$demo_test\$" HALVS_DEMO=$demo_mode HALVS_VM_LOG="$work/console.log" \
    integration/vm/run.sh >>"$log" 2>&1 &
fi
pid=$!

# Show the narration as it comes; the console's other lines (kernel, test framework) stay in
# the log.
tail -n +1 -f --pid="$pid" "$log" | awk '
  index($0, "HALVS-DEMO ") == 1 { print substr($0, 12); fflush(); next }
  /^vm-test: prepared in/ { sub(/^vm-test: /, ""); sub(/ \(console log.*/, ""); print "VM " $0; fflush() }'
status=0
wait "$pid" || status=$?

took=$(($(date +%s) - start))
if [ "$status" = 0 ] && grep -aq '^HALVS-DEMO verdict: PASS' "$log"; then
  echo "demo: done in ${took}s (full log: $log)"
  exit 0
fi
if ! grep -aq '^HALVS-DEMO verdict:' "$log"; then
  echo "verdict: FAIL - the scenario did not run to its end (exit $status); last lines of $log:"
  grep -av '^HALVS-DEMO ' "$log" | tail -n 15 | sed 's/^/  | /'
fi
echo "demo: failed after ${took}s (full log: $log)"
exit 1
