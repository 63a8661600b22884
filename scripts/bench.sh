#!/bin/sh
# make bench: performance figures for halvs, one section after another. Root (network
# namespaces). It reports; it asserts nothing about time. A failed section is reported and
# the next still runs; the exit status is non-zero if any section failed.
#
# Each section is one block below: a `section NAME COMMAND...` line with a comment saying what
# it measures. Add yours at the end in the same shape.
#
# Knobs (environment):
#   BENCH_ONLY       run only the sections whose name contains this string
#   BENCH_RUNS       runs per row in the VRRP failover section (default 5)
#   BENCH_INTERVALS  VRRP advert intervals (default 1s,100ms,50ms)
#   BENCH_BUSY       goroutines that load the CPU during the VRRP runs (default 0)
set -u
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "bench: run as root (the benchmarks build network namespaces)" >&2
	exit 1
fi
GO=${GO:-go}
export HALVS_BIN="${HALVS_BIN:-$PWD/bin/halvs}"
failed=""

# section NAME COMMAND...: print a banner, run COMMAND, note a failure and go on.
section() {
	name=$1
	shift
	case "$name" in *"${BENCH_ONLY:-}"*) ;; *) return 0 ;; esac
	printf '\n=== %s ===\n' "$name"
	start=$(date +%s)
	if "$@"; then
		printf -- '--- %s: done in %ss\n' "$name" "$(( $(date +%s) - start ))"
	else
		printf -- '--- %s: FAILED (exit %s)\n' "$name" "$?"
		failed="$failed $name"
	fi
}

# --- VRRP failover (issue 3) ---------------------------------------------------------------
# Takeover time of halvs and of keepalived in the same role, directors A and B in network
# namespaces on one bridge, seen from the client's namespace; min/median/max next to the RFC
# bound. integration/cmd/failoverbench's package comment says exactly what is measured.
section vrrp-failover \
	$GO run -tags integration ./integration/cmd/failoverbench \
	-runs "${BENCH_RUNS:-5}" -intervals "${BENCH_INTERVALS:-1s,100ms,50ms}" -busy "${BENCH_BUSY:-0}"

# --- IPVS diff and reconcile, in memory (issue 4) ------------------------------------------
# The reconciler's own cost against the in-memory backend: diffing and programming 1,000 × 10,
# and one weight change in a 10,000-destination table. The kernel figures are in lvs-vm.
section lvs-memory \
	$GO test -run '^$' -bench . -benchmem ./lvs

# --- Health checks at scale (issue 5) ------------------------------------------------------
# One halvs health-check scheduler running 10,000 tcp_checks at delay_loop 1 s against
# loopback listeners (a child process): CPU and RSS of the checker, and detection latency of
# 100 listeners closed mid-run against the configured bound. Goal: < 25% of a core, < 50 MiB,
# every detection within bound + 50 ms.
section healthcheck-10k \
	$GO run ./healthcheck/bench -n 10000 -window 10s

# --- IPVS programming in the VM (issue 4) -------------------------------------------------
# Boots the VM tier's guest (real IPVS, qemu TCG, one vCPU) once and times, in that boot,
# halvs ipvs, ipvsadm --restore and keepalived -C programming 100 × 10 and 1,000 × 10 from
# empty, one weight change in the 10,000-destination table (halvs against ipvsadm -e) and an
# unchanged re-apply; halvs must issue 1 and 0 operations for those. integration/vm/bench's
# package comment says what is timed. BENCH_LVS_RUNS, BENCH_LVS_SIZES, BENCH_LVS_PROFILE=1.
section lvs-vm integration/vm/bench.sh

# --- Health checkers' CPU in the VM: keepalived against halvs (issue 5) --------------------
# Boots the VM tier's guest once (keepalived's checker needs IPVS, which the host lacks) and
# runs the same 500 tcp_checks at delay_loop 1 s against loopback listeners with keepalived -C,
# halvs run and the healthcheck scheduler alone, in turn: CPU of each one's processes (utime+
# stime) over a 10 s window once every check ran, per check, and halvs/keepalived; the checks
# are counted by the listeners' accepts. Under TCG only the ratios mean something.
# BENCH_HC_N, BENCH_HC_WINDOW, BENCH_HC_RUNS.
section healthcheck-vm env BENCH_VM_SECTIONS=hc integration/vm/bench.sh

# --- Reload at scale in the VM (issue 10) -------------------------------------------------
# Boots the VM tier's guest once and runs `halvs run`, then keepalived, on 2,000 virtual
# servers × 16 real servers with one VRRPv3 instance at advert_int 0.1 s on a veth to a peer
# namespace that records every advert. Each is reloaded (SIGHUP) with one weight changed,
# BENCH_RELOAD_RUNS times after a warm-up: SIGHUP to the new weight in the kernel, the IPVS
# operations halvs applied, and the largest advert gap during each reload against as long a
# window before it. BENCH_RELOAD_RUNS, BENCH_RELOAD_SIZE, BENCH_RELOAD_KEEPALIVED.
section reload-vm env BENCH_VM_SECTIONS=reload HALVS_VM_TIMEOUT="${HALVS_VM_TIMEOUT:-45m}" integration/vm/bench.sh

# --- Active-active behind ECMP in the VM (issue 15) ----------------------------------------
# Boots the VM tier's guest once and runs TestECMPBench: BIRD as the router, three halvs
# directors announcing the VIP with BGP (mh, sloppy_tcp, DR). HTTP requests per second from
# the client through 1, 2 and 3 directors (started one after the other), with each
# director's share of the connections, and the time from a director's death to the router's
# removal of its next hop: a machine that dies (the BGP hold timer, 3 s) and a killed halvs
# (its kernel closes the session). One vCPU runs client, router, directors and real servers
# under TCG, so the total cannot grow with the directors; the share per director is the
# scale-out. BENCH_ECMP_RUNS, BENCH_ECMP_WINDOW, BENCH_ECMP_CLIENTS, BENCH_ECMP_KILLS.
ecmp_vm() {
	ecmp_log=$PWD/bin/vm-ecmp-bench.log
	ecmp_status=0
	HALVS_VM_LOG=$ecmp_log HALVS_VM_RUN='^TestECMPBench$' \
		HALVS_VM_ECMP_BENCH="runs=${BENCH_ECMP_RUNS:-3},window=${BENCH_ECMP_WINDOW:-10s},clients=${BENCH_ECMP_CLIENTS:-8},kills=${BENCH_ECMP_KILLS:-3}" \
		integration/vm/run.sh || ecmp_status=$?
	echo
	sed -n '/^ECMP scale-out/,/^ecmp-bench: done/p' "$ecmp_log"
	return "$ecmp_status"
}
section ecmp-vm ecmp_vm

# --- Takeover and preemption in the VM: halvs against keepalived (issue 11) ----------------
# Boots the VM tier's guest once and runs TestPreemptBench: issue 11's scenario (directors A,
# priority 150, and B, VRRPv3 advert_int 0.1 s, wrr, DR, two real servers, a client making a
# new HTTP connection every 13 ms and line-echo streams sending a line every 100 ms) with
# halvs and with keepalived as both directors, from one keepalived.conf (halvs runs its
# `halvs convert` output), run by run in turn. Per daemon: the client's outage over A's crash
# (frozen, link down, killed, namespace rebuilt like a reboot), over its graceful stop and
# over its return and preemption, and how many streams survive the crash and the preemption
# with the sync daemon, without it (wrr) and without it with sloppy_tcp and mh. Under TCG only
# the comparison means something. BENCH_PREEMPT_RUNS (runs per row, default 3).
preempt_vm() {
	preempt_log=$PWD/bin/vm-preempt-bench.log
	preempt_status=0
	HALVS_VM_LOG=$preempt_log HALVS_VM_RUN='^TestPreemptBench$' \
		HALVS_VM_PREEMPT_BENCH="runs=${BENCH_PREEMPT_RUNS:-3}" \
		HALVS_VM_TIMEOUT="${HALVS_VM_TIMEOUT:-45m}" HALVS_VM_TEST_TIMEOUT=40m \
		integration/vm/run.sh || preempt_status=$?
	echo
	sed -n '/^Takeover and preemption (issue 11)/,/^preempt-bench: done/p' "$preempt_log"
	return "$preempt_status"
}
section preempt-vm preempt_vm

# --- VRRP adverts on a loaded machine (issue 12) -------------------------------------------
# integration/soak_test.go's TestSoak for BENCH_SOAK_DURATION (120s) at advert_int 20 ms with
# two busy loops at the directors' nice level: halvs and keepalived, each with
# vrrp_rt_priority 50 and without. Per row: the master's adverts and the largest and 99th
# percentile gaps between two of them as they leave its interface and as the client sees
# them, Master_Down_Interval, and the backup's adverts (each a false takeover).
# BENCH_SOAK_DURATION, BENCH_SOAK_INTERVAL.
soak() {
	soak_status=0
	for row in "halvs 50" "keepalived 50" "halvs 0" "keepalived 0"; do
		set -- $row
		HALVS_SOAK=1 HALVS_SOAK_REPORT=1 HALVS_SOAK_IMPL=$1 HALVS_SOAK_RT=$2 \
			HALVS_SOAK_DURATION="${BENCH_SOAK_DURATION:-120s}" HALVS_SOAK_INTERVAL="${BENCH_SOAK_INTERVAL:-20ms}" \
			$GO test -count=1 -v -p 1 -tags integration -timeout 10m -run '^TestSoak$' ./integration/ \
			>bin/soak-bench.log 2>&1 || soak_status=1
		grep -o 'SOAK .*' bin/soak-bench.log || { cat bin/soak-bench.log; soak_status=1; }
	done
	return "$soak_status"
}
section vrrp-soak soak

# --- (next section here) -------------------------------------------------------------------

if [ -n "$failed" ]; then
	echo "bench: failed sections:$failed" >&2
	exit 1
fi
