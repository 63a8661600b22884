#!/usr/bin/env bash
# Builds the VM tier's initramfs (cpio newc, gzip) from:
#   KROOT  a Debian kernel image package unpacked with dpkg -x (boot/vmlinuz-*, lib/modules/*)
#   STAGE  a directory laid out as the guest's /halvs: tests/*.test, tests.list, bin/halvs, ...
#   OUT    the initramfs file to write
# The image holds busybox (every applet as a symlink in /bin), the kernel modules the tests need
# (with their dependencies, in load order), the dynamically linked reference tools (ip, ipvsadm,
# keepalived; bird, the active-active tests' router) with the libraries ldd names, and the
# guest init (init.sh beside this file).
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 KROOT STAGE OUT" >&2
  exit 2
fi
kroot=$1 stage=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)

# Modules the scenarios load, by name; their dependencies are found from each module's own
# .modinfo "depends=" field, so no depmod run (and no kmod package) is needed on the host.
# ip_vs_pe_sip (with the SIP conntrack helper it needs) lets TestCorpusTables compare a
# persistence_engine sip service; ip_vs_ftp is left out: it drags in NAT helpers nobody uses.
# sch_ingress (clsact), cls_u32 and act_skbedit carry halvs' handover marking of mid-stream
# packets (lvs/midstream_linux.go).
wanted=(ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh
  ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_pe_sip veth bridge dummy ipip
  sch_ingress cls_u32 act_skbedit)

# Tools copied with their shared libraries; a missing one is an error (install-deps.sh has them).
# bird and birdcl (bird2) are the router of the active-active tests (ecmp_*_test.go).
tools=(/usr/sbin/ip /usr/sbin/ipvsadm /usr/sbin/keepalived /usr/sbin/bird /usr/sbin/birdcl)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,lib/modules,root}
mkdir -p "$root/var" && ln -s /run "$root/var/run" # iproute2 keeps named netns in /var/run/netns

# busybox: the binary plus one symlink per applet, all in /bin (PATH puts /usr/sbin, where the
# real ip lives, first, so busybox's own ip applet never shadows iproute2).
install -m 0755 /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

# Kernel modules, resolved recursively, in lib/modules/KVER with their load order (the file
# order, for init.sh's insmod) and a modules.dep (for modprobe, which moby/ipvs runs).
kver=$(basename "$(find "$kroot/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)")
moddir=$root/lib/modules/$kver
mkdir -p "$moddir"
declare -A modfile=() seen=()
while IFS= read -r f; do
  name=$(basename "$f")
  name=${name%%.ko*}
  modfile[${name//-/_}]=$f
done < <(find "$kroot/lib/modules/$kver" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')

order=()
declare -A alldeps=() # module -> its transitive dependencies, nearest first (modules.dep order)
# unpack_module writes module $1 uncompressed to $2 (busybox insmod reads plain .ko only).
unpack_module() {
  case $1 in
    *.ko) cp "$1" "$2" ;;
    *.ko.xz) xz -dc "$1" >"$2" ;;
    *.ko.zst) zstd -qdc "$1" >"$2" ;;
    *.ko.gz) gzip -dc "$1" >"$2" ;;
  esac
}
add_module() {
  local name=${1//-/_}
  [ -n "${seen[$name]:-}" ] && return 0
  seen[$name]=1
  local src=${modfile[$name]:-}
  if [ -z "$src" ]; then
    echo "image.sh: module $name not found under $kroot/lib/modules/$kver" >&2
    exit 1
  fi
  unpack_module "$src" "$moddir/$name.ko"
  local deps
  deps=$(tr '\0' '\n' <"$moddir/$name.ko" | sed -n 's/^depends=//p' | head -n1)
  local d all=""
  for d in ${deps//,/ }; do
    add_module "$d"
    d=${d//-/_}
    all="$all $d ${alldeps[$d]}"
  done
  alldeps[$name]=$(printf '%s\n' $all | awk 'NF && !seen[$0]++' | tr '\n' ' ')
  order+=("$name")
}
for m in "${wanted[@]}"; do add_module "$m"; done
printf '%s\n' "${order[@]}" >"$moddir/order"
for m in "${order[@]}"; do
  line="$m.ko:"
  for d in ${alldeps[$m]}; do line="$line $d.ko"; done
  echo "$line"
done >"$moddir/modules.dep"

# Dynamically linked tools: the binary and every library ldd resolves, at the same paths.
copy_with_libs() {
  local bin=$1
  install -D -m 0755 "$bin" "$root$bin"
  local lib
  for lib in $(ldd "$bin" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}'); do
    [ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
}
for t in "${tools[@]}"; do copy_with_libs "$t"; done

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"

install -m 0755 "$here/init.sh" "$root/init"
mkdir -p "$root/halvs"
cp -a "$stage/." "$root/halvs/"
# The keepalived.conf corpus, for TestCorpusTables (keepalived's table vs halvs' for each file).
mkdir -p "$root/halvs/config/keepalivedconf/testdata"
cp -a "$here/../../config/keepalivedconf/testdata/corpus" "$root/halvs/config/keepalivedconf/testdata/"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) | gzip -1 >"$out"
echo "image.sh: $out ($(du -h "$out" | cut -f1)), kernel $kver, modules: ${order[*]}"
