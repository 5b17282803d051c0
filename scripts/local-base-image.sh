#!/usr/bin/env bash
# Builds a local stand-in for deploy/Dockerfile's base image (node:20-bookworm-slim)
# where no image registry is reachable, only Debian's apt mirror: Debian 12
# minbase from debootstrap, slimmed the way Debian's official -slim images are,
# plus the Node.js (and npm) that runs this script, laid out as in the official
# node image (/usr/local/bin/node, /usr/local/lib/node_modules/npm).
#
#   scripts/local-base-image.sh TAG            (as root; needs buildah and debootstrap)
#   buildah build --pull=never --build-arg BASE=TAG -f deploy/Dockerfile .
#
# It is not the official image: its Node is the host's build (Debian 12's own
# nodejs is 18, under package.json's engines), and it lacks the image's `node`
# user, yarn and corepack, which the Dockerfile does not use.
set -euo pipefail

tag=${1:?usage: local-base-image.sh TAG}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(npm root -g)/npm
node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || { echo "local-base-image.sh: node on PATH is $("$node_bin" --version), the image wants 20" >&2; exit 1; }

ctr=$(buildah from scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
root=$(buildah mount "$ctr")

debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null

# The suites Debian's bookworm image carries, so the build stage's apt-get gets
# security fixes too (debootstrap writes only the release itself).
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# Slim as debuerreotype-slimify does: documentation, manuals and translations
# are left out now and by every later dpkg install (copyright files kept).
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
# And configured as debuerreotype configures Debian's images: apt keeps no
# caches or translations, dpkg skips its fsyncs (a failed build is redone, not repaired).
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'APT::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/{groff,info,linda,locale,man}/* "$root/usr/share/lintian/overrides"/*
rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
rm -f "$root"/var/log/*.log "$root"/var/log/apt/*

install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

buildah umount "$ctr" >/dev/null
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$("$node_bin" -p process.versions.node)" --cmd node \
  --label org.opencontainers.image.description="local stand-in for node:20-bookworm-slim (scripts/local-base-image.sh)" "$ctr"
buildah commit --quiet --rm "$ctr" "$tag" >/dev/null
trap - EXIT
# The layout must work inside the image, not only on the host.
check=$(buildah from --pull=never "$tag")
buildah run --isolation chroot "$check" -- sh -c 'node --version && npm --version' >/dev/null
buildah rm "$check" >/dev/null
echo "$tag"
