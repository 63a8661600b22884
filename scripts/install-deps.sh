#!/usr/bin/env bash
# Installs what halvs' tests, benchmarks and demo need on a fresh Debian machine (root).
# Idempotent: packages already present are skipped quickly.
set -euo pipefail

pkgs=(iproute2 keepalived tcpdump qemu-system-x86 busybox-static cpio ipvsadm procps)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's keepalived package starts its service on install; a policy-rc.d that answers
  # 101 ("action forbidden") keeps it stopped. Ours is removed again afterwards.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
# keepalived must never run as a service here: the tests start their own by PID.
if command -v systemctl >/dev/null 2>&1; then systemctl stop keepalived 2>/dev/null || true; fi
exit 0
