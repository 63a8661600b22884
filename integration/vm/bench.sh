#!/usr/bin/env bash
# make bench's VM sections: boots the VM tier's guest (run.sh, a real IPVS kernel under qemu TCG)
# with the benchmark (integration/vm/bench, see its package comment) instead of the tests, and
# prints its tables again at the end. It reports figures and asserts nothing about time.
#   lvs  IPVS programming by halvs, ipvsadm and keepalived; fails when a tool programs the wrong
#        table, when halvs issues other than the expected operations (a table from empty: one
#        per service and real server; one weight change: 1; an unchanged table: 0)
#   hc   CPU of keepalived's checker, halvs run and the healthcheck scheduler running the same
#        tcp_checks against loopback listeners; fails when a checker exits, never runs every
#        check, or takes out a real server whose listener is up
#   reload  reload at scale: halvs run, then keepalived, on 2,000 × 16 with a VRRPv3 instance at
#        advert_int 0.1 s, one weight changed per SIGHUP; fails when a daemon does not apply
#        the change or halvs' instance leaves MASTER
# It fails too when the guest does not finish.
#
# Environment:
#   BENCH_VM_SECTIONS  sections to run in the one boot, comma-separated (default lvs)
#   BENCH_LVS_RUNS     runs per measurement, the table shows the median (default 3)
#   BENCH_LVS_SIZES    services per table, × 10 real servers each (default 100,1000)
#   BENCH_LVS_PROFILE  set to 1: also write a Go CPU profile of the lvs package programming
#                      and re-applying the largest table in-process to bin/lvs-bench.pprof
#   BENCH_HC_N         hc: tcp_checks, one loopback listener each (default 500)
#   BENCH_HC_WINDOW    hc: measurement window per checker and run (default 10s)
#   BENCH_HC_RUNS      hc: runs per checker, interleaved; the table shows the median (default 3)
#   BENCH_RELOAD_RUNS  reload: reloads per daemon after a warm-up (default 5)
#   BENCH_RELOAD_SIZE  reload: SERVICESxREAL_SERVERS (default 2000x16)
#   BENCH_RELOAD_KEEPALIVED  reload: set to 0 to leave keepalived out
#   HALVS_VM_*         as for run.sh; the console log defaults to bin/vm-bench.log
set -euo pipefail
cd "$(dirname "$0")/../.."

export HALVS_VM_LOG=${HALVS_VM_LOG:-$PWD/bin/vm-bench.log}
export HALVS_VM_PROGRAM=./integration/vm/bench
args="-sections ${BENCH_VM_SECTIONS:-lvs} -runs ${BENCH_LVS_RUNS:-3} -sizes ${BENCH_LVS_SIZES:-100,1000}"
args="$args -hc-n ${BENCH_HC_N:-500} -hc-window ${BENCH_HC_WINDOW:-10s} -hc-runs ${BENCH_HC_RUNS:-3}"
if [ "${BENCH_LVS_PROFILE:-}" = 1 ]; then
  args="$args -cpuprofile console"
fi
size=${BENCH_RELOAD_SIZE:-2000x16}
args="$args -reload-runs ${BENCH_RELOAD_RUNS:-5} -reload-services ${size%x*} -reload-per-service ${size#*x}"
if [ "${BENCH_RELOAD_KEEPALIVED:-1}" = 0 ]; then
  args="$args -reload-keepalived=false"
fi
export HALVS_VM_ARGS=$args

status=0
integration/vm/run.sh || status=$?

echo
sed -n '/^LVS programming/,/^lvs-bench: done/p; /^Health checks:/,/^hc-bench: done/p; /^Reload at scale/,/^reload-bench: done/p' "$HALVS_VM_LOG"
if [ "${BENCH_LVS_PROFILE:-}" = 1 ] && grep -q '^LVS-BENCH-PPROF-END' "$HALVS_VM_LOG"; then
  sed -n '/^LVS-BENCH-PPROF-BEGIN/,/^LVS-BENCH-PPROF-END/{/^LVS-BENCH-PPROF/d;p}' "$HALVS_VM_LOG" |
    base64 -d >bin/lvs-bench.pprof
  echo "lvs-bench: CPU profile in bin/lvs-bench.pprof (go tool pprof -top bin/lvs-bench.pprof)"
fi
exit "$status"
