#!/usr/bin/env bash
# Installs what halvs' build, lint, tests, benchmarks and demo need on a fresh Debian machine
# (root): make and git for the Makefile (make lint lists files with git ls-files), and the
# tools the root tests drive. Go itself is expected in /usr/local/go (see README).
# Idempotent: packages already present are skipped quickly.
set -euo pipefail

# bird2 and frr are the BGP peers of the active-active tests; chromium renders the status page.
pkgs=(make git iproute2 keepalived tcpdump qemu-system-x86 busybox-static cpio ipvsadm procps
  bird2 frr chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  # Debian's keepalived package starts its service on install; a policy-rc.d that answers
  # 101 ("action forbidden") keeps it stopped. Ours is removed on every exit, a failed
  # apt-get included, so no later package install on this machine is silently kept from
  # starting its service.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# keepalived, bird and frr must never run as services here: the tests start their own by PID.
if command -v systemctl >/dev/null 2>&1; then
  systemctl stop keepalived bird frr 2>/dev/null || true
fi
exit 0
