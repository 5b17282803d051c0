#!/usr/bin/env bash
# Prepare everything test/vm/run.sh needs to boot a throwaway cgroup-v2 VM:
#
#   .vm/kernel/vmlinuz          Debian's stock kernel (linux-image-amd64's current 6.1 package)
#   .vm/kernel/vmlinux          the same kernel uncompressed (ELF), what run.sh actually boots
#   .vm/kernel/modules/*.ko     the few modules the guest needs (virtio, 9p, virtio_blk, ext4, overlay)
#   .vm/initramfs.cpio.gz       busybox-static + those modules + test/vm/init.sh as /init
#   .vm/disk.img                a pristine 256 MiB ext4 image (run.sh boots a sparse copy of it)
#
# Why: the host runs cgroup v1/hybrid (its cgroup2 mount only offers hugetlb) and must not be
# changed, so cgroup v2 limits can only be exercised in a guest kernel that we boot ourselves.
#
# Idempotent: each artifact is made only when missing (the initramfs also when init.sh or this
# script changed), so re-running with everything in place is a fast no-op. `rm -rf .vm` starts over.
# Must run as root when something has to be apt-get installed or downloaded.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
vm="$repo/.vm"
kdir="$vm/kernel"
initramfs="$vm/initramfs.cpio.gz"
disk="$vm/disk.img"
disk_mb=256

# Modules the guest loads, in an order that satisfies their dependencies. Only the roots are named
# here; their `depends=` (read from each .ko's .modinfo) are added before them automatically.
# crc32c_generic is listed by hand: jbd2/ext4 want "crypto-crc32c" only as a soft dependency (an
# alias that depends= does not carry), and the guest has no modprobe/udev to load it on demand.
root_modules=(virtio_pci 9pnet_virtio 9p virtio_blk crc32c_generic ext4 overlay)

log() { printf '[vm-prepare] %s\n' "$*" >&2; }
die() { printf '[vm-prepare] error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$vm"
# Serialise concurrent prepares (e.g. two run.sh started together) so neither sees half a file.
exec 9>"$vm/prepare.lock"
flock 9

# --- 1. host packages ------------------------------------------------------------------------
apt_updated=0
apt_update() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
}

need_pkgs=()
pkg_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }
# qemu-system-x86: the emulator. busybox-static: the guest's userland (must be static: the initramfs
# has no libc). cpio: packs the initramfs. e2fsprogs: mkfs.ext4 for the disk image. xz-utils/zstd
# only matter if a future kernel ships compressed modules (busybox insmod cannot read them).
# systemd: what run.sh --systemd boots as the guest's PID 1 (harmless on the host: nothing starts
# it there; Debian installs it by default anyway).
for p in qemu-system-x86 busybox-static cpio e2fsprogs xz-utils systemd; do
  pkg_installed "$p" || need_pkgs+=("$p")
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to install: ${need_pkgs[*]}"
  apt_update
  log "apt-get install ${need_pkgs[*]}"
  # --no-install-recommends: qemu-system-x86 otherwise pulls in GUI/audio libraries we never use.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# --- 2. kernel + modules ---------------------------------------------------------------------
# Uncompress the bzImage's payload into .vm/kernel/vmlinux (like the kernel's scripts/extract-vmlinux).
# Why: under TCG the bzImage's own decompressor plus SeaBIOS's real-mode boot path take ~3 s before
# the kernel even starts; qemu boots an ELF vmlinux through its PVH entry point (CONFIG_PVH=y)
# directly, which starts the kernel in ~0.4 s. run.sh falls back to vmlinuz if this fails.
extract_vmlinux() {
  local magic off
  rm -f "$kdir/vmlinux" "$kdir/vmlinux.tmp"
  # Debian builds with CONFIG_KERNEL_XZ; the payload is the first xz stream in the bzImage. xz
  # complains about the bytes that follow the stream (exit 1), so judge by the result instead.
  magic=$(printf '\3757zXZ')   # FD 37 7A 58 5A (00): the NUL cannot live in a shell string
  off=$(LC_ALL=C grep -aboF "$magic" "$kdir/vmlinuz" | head -1 | cut -d: -f1 || true)
  if [ -n "$off" ]; then
    tail -c +"$((off + 1))" "$kdir/vmlinuz" | xz -dcq > "$kdir/vmlinux.tmp" 2>/dev/null || true
  fi
  if [ -s "$kdir/vmlinux.tmp" ] && [ "$(head -c 4 "$kdir/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
    mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
  else
    rm -f "$kdir/vmlinux.tmp"
    : > "$kdir/vmlinux.failed"   # do not retry on every run
    log "warning: could not extract an ELF vmlinux from vmlinuz; booting the (slower) bzImage"
  fi
}

if [ ! -s "$kdir/vmlinuz" ] || [ ! -s "$kdir/modules.order" ]; then
  [ "$(id -u)" = 0 ] || die "need root (apt) to download the kernel"
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}' || true)
  if [ -z "$kpkg" ]; then
    apt_update
    kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  [ -n "$kpkg" ] || die "cannot tell which linux-image package linux-image-amd64 depends on"
  log "downloading $kpkg"
  work="$vm/kernel.tmp"
  rm -rf "$work" "$kdir"
  mkdir -p "$work/x" "$kdir/modules"
  # Sandbox::User=root: the download dir is root's, so apt's _apt sandbox user could not write it.
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" >/dev/null 2>&1) \
    || { apt_update; (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" >/dev/null); }
  dpkg-deb -x "$work"/"$kpkg"_*.deb "$work/x"
  kver=${kpkg#linux-image-}
  cp "$work/x/boot/vmlinuz-$kver" "$kdir/vmlinuz"
  mdir="$work/x/lib/modules/$kver"
  [ -d "$mdir" ] || die "no modules dir $mdir in $kpkg"

  # Index the package's modules by name (file names may use '-' where the module name has '_').
  declare -A modfile=()
  while IFS= read -r f; do
    b=${f##*/}; b=${b%%.ko*}; modfile[${b//-/_}]=$f
  done < <(find "$mdir" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')

  ko_cat() { # print a module uncompressed (busybox insmod only takes plain .ko)
    case $1 in
      *.ko.xz) xz -dc "$1" ;;
      *.ko.zst) zstd -qdc "$1" ;;
      *.ko.gz) gzip -dc "$1" ;;
      *) cat "$1" ;;
    esac
  }
  declare -A added=()
  order=()
  add_module() { # depth-first: dependencies first, each module once
    local m=${1//-/_} d deps
    [ -n "${added[$m]:-}" ] && return 0
    [ -n "${modfile[$m]:-}" ] || die "module $m not found in $kpkg (built in? then drop it from root_modules)"
    added[$m]=1
    deps=$(ko_cat "${modfile[$m]}" | tr '\0' '\n' | grep -a -m1 '^depends=' | cut -d= -f2 || true)
    for d in ${deps//,/ }; do add_module "$d"; done
    ko_cat "${modfile[$m]}" > "$kdir/modules/$m.ko"
    order+=("$m")
  }
  for m in "${root_modules[@]}"; do add_module "$m"; done
  printf '%s\n' "${order[@]}" > "$kdir/modules.order"
  extract_vmlinux
  echo "$kpkg" > "$kdir/package"
  rm -rf "$work"
  log "kernel $kver; modules: ${order[*]}"
fi

# A kernel dir from before vmlinux existed (or a failed extraction was fixed): extract it once.
if [ ! -s "$kdir/vmlinux" ] && [ ! -e "$kdir/vmlinux.failed" ]; then
  extract_vmlinux
fi

# --- 3. initramfs ----------------------------------------------------------------------------
# Rebuilt when missing or older than its inputs, so an edited init.sh is picked up by the next run.
if [ ! -s "$initramfs" ] || [ "$here/init.sh" -nt "$initramfs" ] || [ "$here/prepare.sh" -nt "$initramfs" ] \
   || [ "$kdir/modules.order" -nt "$initramfs" ]; then
  log "building initramfs"
  # /bin/busybox is busybox-static's (checked above; Debian's dynamic "busybox" package conflicts
  # with it): a dynamically linked one would die in the libc-less initramfs.
  busybox=/bin/busybox
  [ -x "$busybox" ] || die "$busybox missing (busybox-static)"
  st="$vm/initramfs.d"
  rm -rf "$st"
  mkdir -p "$st"/{bin,dev,proc,sys,tmp,etc,lib/modules,newroot,ctl}
  cp "$busybox" "$st/bin/busybox"
  # One symlink per applet, so init.sh can call mount, insmod, ... by name.
  for a in $("$busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$st/bin/$a"
  done
  cp "$kdir"/modules/*.ko "$st/lib/modules/"
  cp "$kdir/modules.order" "$st/etc/modules.order"
  install -m 0755 "$here/init.sh" "$st/init"
  # The kernel opens /dev/console for init's stdio before init can mount devtmpfs.
  mknod -m 600 "$st/dev/console" c 5 1 2>/dev/null || true
  (cd "$st" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) | gzip -6 > "$initramfs.tmp"
  mv "$initramfs.tmp" "$initramfs"
  rm -rf "$st"
fi

# --- 4. disk image ---------------------------------------------------------------------------
# A virtio-blk disk gives the guest a real block device (MAJ:MIN, /sys/dev/block) for io.max; 9p
# mounts have none. lazy_*_init=0 makes mkfs zero the inode tables and journal now, so the guest's
# ext4lazyinit thread does not write in the background and skew io tests.
if [ ! -s "$disk" ]; then
  log "creating ${disk_mb} MiB ext4 disk image"
  rm -f "$disk.tmp"
  truncate -s "${disk_mb}M" "$disk.tmp"
  mkfs.ext4 -F -q -L vmdisk -E lazy_itable_init=0,lazy_journal_init=0 "$disk.tmp"
  mv "$disk.tmp" "$disk"
fi
