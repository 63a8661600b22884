#!/usr/bin/env bash
# make vm-test: runs halvs' VM tier. Boots Debian's cloud kernel (which has IPVS as modules) under
# qemu with software emulation, in an initramfs holding busybox, the IPVS modules, ip/ipvsadm/
# keepalived and the static Go test binaries built with the vmtest tag; streams the console to
# the terminal and to a log; exits non-zero on any failed test, a missing end marker or a timeout.
#
# Environment:
#   HALVS_VM_CACHE    download cache outside the repo (default /var/cache/halvs-vm)
#   HALVS_VM_TIMEOUT  limit for the whole boot (default 20m, timeout(1) syntax)
#   HALVS_VM_LOG      console log (default bin/vm-test.log)
#   HALVS_VM_RUN      passed to every Go test binary as -test.run (default: all tests)
#   HALVS_VM_MEM      guest memory in MiB (default 1024)
#   HALVS_DEMO        passed to the guest's tests (the kernel hands name=value to init's
#                     environment): set by scripts/demo.sh to run the narrated TestDemo
#   HALVS_VM_PREEMPT_STRICT passed to the guest likewise: 1 makes TestPreemptKeepsStreams fail on
#                     its figures too (the VIP's move time, HTTP requests failed at a preemption)
#   HALVS_VM_ECMP_BENCH    passed to the guest likewise: runs TestECMPBench with these knobs
#                     (scripts/bench.sh's ecmp-vm section sets it)
#   HALVS_VM_PREEMPT_BENCH passed to the guest likewise: runs TestPreemptBench with these knobs
#                     (scripts/bench.sh's preempt-vm section sets it)
#   HALVS_VM_TEST_TIMEOUT  each Go test binary's -test.timeout (default 15m)
#   HALVS_VM_PROGRAM  instead of the test binaries, build this main package (with the vmtest
#                     tag) and run it alone in the guest, with the arguments in HALVS_VM_ARGS;
#                     integration/vm/bench.sh uses it for make bench's LVS section
set -euo pipefail

cd "$(dirname "$0")/../.."
repo=$(pwd)
export PATH="/usr/local/go/bin:$PATH"

if [ "$(id -u)" != 0 ]; then
  echo "vm-test: needs root (apt-get for the kernel package and the tools)" >&2
  exit 1
fi

cache=${HALVS_VM_CACHE:-/var/cache/halvs-vm}
timeout_=${HALVS_VM_TIMEOUT:-20m}
log=${HALVS_VM_LOG:-$repo/bin/vm-test.log}
mem=${HALVS_VM_MEM:-1024}
t0=$(date +%s)

scripts/install-deps.sh

# --- The kernel: the image package linux-image-cloud-amd64 depends on, unpacked in the cache.
mkdir -p "$cache"
resolve_kernel() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'
}
kpkg=$(resolve_kernel || true)
if [ -z "$kpkg" ]; then
  # A fresh machine has no package lists yet; a warm cache does not need them.
  kpkg=$(find "$cache" -mindepth 1 -maxdepth 1 -type d -name 'linux-image-*' -printf '%f\n' | sort -V | tail -n1)
  if [ -z "$kpkg" ]; then
    apt-get update -qq
    kpkg=$(resolve_kernel)
  fi
fi
[ -n "$kpkg" ] || { echo "vm-test: cannot resolve the kernel behind linux-image-cloud-amd64" >&2; exit 1; }
kroot=$cache/$kpkg
if ! ls "$kroot"/boot/vmlinuz-* >/dev/null 2>&1; then
  echo "vm-test: downloading $kpkg into $cache"
  dl=$(mktemp -d "$cache/dl.XXXXXX")
  # apt's _apt sandbox user cannot write to a root-owned cache; root downloads it itself.
  (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" >/dev/null) ||
    { apt-get update -qq && (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" >/dev/null); }
  dpkg -x "$dl"/*.deb "$dl/root"
  # A concurrent run may have finished first; its copy is as good as ours.
  ls "$kroot"/boot/vmlinuz-* >/dev/null 2>&1 || { rm -rf "$kroot"; mv -T "$dl/root" "$kroot"; }
  rm -rf "$dl"
fi
kernel=$(ls "$kroot"/boot/vmlinuz-* | head -n1)

# --- halvs and the static test binaries.
make -s build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/halvs
mkdir -p "$stage/tests" "$stage/bin"
cp bin/halvs "$stage/bin/halvs"
cp -a examples "$stage/examples"

if [ -n "${HALVS_VM_PROGRAM:-}" ]; then
  # One program instead of the tests (make bench): init.sh runs it from the repository's root.
  rel=${HALVS_VM_PROGRAM#./}
  name=${rel//\//-}
  echo "vm-test: building $rel"
  CGO_ENABLED=0 go build -trimpath -tags vmtest -o "$stage/tests/$name" "./$rel"
  echo "$name /halvs /halvs/tests/$name ${HALVS_VM_ARGS:-}" >"$stage/tests.list"
else
  # Every package whose test files change with the vmtest tag has real-kernel tests: build its test
  # binary. They run in the guest from a copy of their package directory (testdata included).
  list_tests() { go list -e "$@" -f '{{.Dir}} {{join .TestGoFiles ","}} {{join .XTestGoFiles ","}}' ./...; }
  mapfile -t pkgs < <(comm -23 <(list_tests -tags vmtest | sort) <(list_tests | sort) | cut -d' ' -f1)
  : >"$stage/tests.list"
  for dir in "${pkgs[@]}"; do
    rel=${dir#"$repo"/}
    name=${rel//\//-}
    echo "vm-test: building $rel tests"
    CGO_ENABLED=0 go test -c -trimpath -tags vmtest -o "$stage/tests/$name.test" "./$rel"
    mkdir -p "$stage/$rel"
    [ -d "$rel/testdata" ] && cp -a "$rel/testdata" "$stage/$rel/testdata"
    echo "$name /halvs/$rel /halvs/tests/$name.test -test.v -test.timeout ${HALVS_VM_TEST_TIMEOUT:-15m} ${HALVS_VM_RUN:+-test.run '$HALVS_VM_RUN'}" >>"$stage/tests.list"
  done
fi
if [ ! -s "$stage/tests.list" ]; then
  echo "vm-test: no package has tests with the vmtest build tag" >&2
  exit 1
fi

# Per run, not in the cache: two runs at once (two developers' shells) must not share it.
initrd=$work/initramfs.gz
integration/vm/image.sh "$kroot" "$stage" "$initrd"
t1=$(date +%s)
echo "vm-test: prepared in $((t1 - t0))s; booting (console log: $log, limit $timeout_)"

# --- Boot. TCG only (KVM is not available or not reliable on the machines this runs on); -cpu max
# offers RDRAND, so the guest's random pool is ready at once. The guest powers off when done.
mkdir -p "$(dirname "$log")"
set +e
timeout --kill-after=10s "$timeout_" \
  qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m "$mem" -no-reboot \
  -nodefaults -no-user-config -display none -serial stdio -monitor none \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 loglevel=4${HALVS_DEMO:+ HALVS_DEMO=$HALVS_DEMO}${HALVS_VM_PREEMPT_STRICT:+ HALVS_VM_PREEMPT_STRICT=$HALVS_VM_PREEMPT_STRICT}${HALVS_VM_ECMP_BENCH:+ HALVS_VM_ECMP_BENCH=$HALVS_VM_ECMP_BENCH}${HALVS_VM_PREEMPT_BENCH:+ HALVS_VM_PREEMPT_BENCH=$HALVS_VM_PREEMPT_BENCH}" </dev/null 2>&1 | tr -d '\r' | tee "$log"
status=${PIPESTATUS[0]}
set -e
t2=$(date +%s)

echo
echo "vm-test: guest ran $((t2 - t1))s, total $((t2 - t0))s"
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "vm-test: FAIL: the VM did not finish within $timeout_" >&2
  exit 1
fi
end=$(grep -a '^HALVS-VM-END ' "$log" | tail -n1 || true)
if [ -z "$end" ]; then
  echo "vm-test: FAIL: no end marker in the console log (qemu exit $status); see $log" >&2
  exit 1
fi
grep -a '^HALVS-VM-RESULT ' "$log" | sed 's/^HALVS-VM-RESULT /vm-test: /'
if ! grep -q ' fail=0$' <<<"$end"; then
  echo "vm-test: FAIL: $end" >&2
  exit 1
fi
echo "vm-test: PASS: $end"
