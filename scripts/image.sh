#!/usr/bin/env bash
# `npm run image`: builds the vipctl container image (Containerfile) into an OCI archive,
# without a registry or a daemon:
#   1. vipctl: `npm run build`, then bin/, dist/bundle/, oclif.manifest.json and package.json,
#      with the runtime node_modules from `npm ci --omit=dev` against package-lock.json
#      (pruned to what the bundle loads by name: scripts/image-deps.mjs);
#   2. Debian 13 (trixie) root filesystem by mmdebstrap: nodejs, haproxy, nftables, iproute2,
#      ca-certificates, no docs/man pages/locales; haproxy may bind ports below 1024 as the
#      non-root user (file capability), the package versions go to /usr/share/vipctl/packages.txt;
#   3. buildah builds the Containerfile (FROM scratch, the root filesystem, vipctl, USER 65532)
#      and writes build/vipctl-image.oci.tar, tagged with the published name.
# Timestamps come from the last commit (SOURCE_DATE_EPOCH), so the same commit, lockfile and
# Debian packages give the same files. Everything buildah stores stays under build/.
#
# Environment: VIPCTL_IMAGE (name, default registry.vipctl.io/vipctl:<package version>),
# VIPCTL_DEBIAN_MIRROR / VIPCTL_DEBIAN_SECURITY (archive and security URIs; default: the ones
# this machine's apt uses, e.g. a snapshot archive to pin the packages), VIPCTL_IMAGE_NO_BUILD=1
# (use dist/ as it is), VIPCTL_IMAGE_FORCE=1 (rebuild even if the archive matches its inputs).
# Prints the archive's path on stdout; progress, size and build time go to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
start=$(date +%s)
log() { printf 'image: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "image: run as root (mmdebstrap and buildah need it here)" >&2; exit 77; }
for tool in mmdebstrap buildah runc setcap; do
  command -v "$tool" >/dev/null || { log "$tool is missing: installing the system packages"; bash scripts/install-deps.sh >&2; break; }
done

version=$(node -p 'require("./package.json").version')
image="${VIPCTL_IMAGE:-registry.vipctl.io/vipctl:$version}"
out="$root/build/vipctl-image.oci.tar"
suite=trixie
# Timestamps: the last commit for the image, the last change to this script for the Debian root
# filesystem it defines (so a new commit elsewhere reuses the cached one).
epoch=$(git -C "$root" log -1 --format=%ct 2>/dev/null || stat -c %Y package-lock.json)
rootfs_epoch=$(git -C "$root" log -1 --format=%ct -- scripts/image.sh 2>/dev/null || true)
rootfs_epoch=${rootfs_epoch:-$epoch}
export SOURCE_DATE_EPOCH="$epoch"
export CONTAINERS_CONF="$root/scripts/containers.conf"
mkdir -p build

# The Debian archive and its security archive: the ones this machine's apt already uses.
apt_uri() { # $1: suite suffix ('' or -security)
  { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v want="$1" '
      /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) {s=$i; sub(/^[a-z]+/, "", s); if (s==want && u!="") {print u; exit}}}'
    grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v want="$1" '
      {s=$3; sub(/^[a-z]+/, "", s); if (s==want) {print $2; exit}}'; } | head -n1 || true
}
mirror="${VIPCTL_DEBIAN_MIRROR:-$(apt_uri '')}"
security="${VIPCTL_DEBIAN_SECURITY:-$(apt_uri -security)}"
[ -n "$mirror" ] || { echo "image: no Debian archive in this machine's apt sources; set VIPCTL_DEBIAN_MIRROR" >&2; exit 69; }
packages=(nodejs haproxy ca-certificates nftables iproute2)
sources="deb $mirror $suite main
deb $mirror $suite-updates main"
[ -z "$security" ] || sources="$sources
deb $security $suite-security main"
# The root filesystem (and so the archive) is cached by what goes into it: the sources, the packages
# and hooks, the timestamps, and the state of the archive. mmdebstrap installs the versions of the
# suites' current indexes, so the key holds the Date: line of each suite's InRelease (its first
# 4 KiB, one small request per suite; the date changes with every archive update, security fixes
# included): a new index means a new root filesystem. When the archive cannot be reached, that part
# of the key is the current week (seconds since the epoch / 604800) instead: a cached root
# filesystem is then reused for at most 7 days.
release_dates() {
  local uri suite head date
  while read -r _ uri suite _; do
    head=$(curl -fsS --max-time 10 -r 0-4095 "$uri/dists/$suite/InRelease" 2>/dev/null) || return 1
    date=$(grep -m1 '^Date:' <<<"$head") || return 1
    printf '%s %s\n' "$suite" "$date"
  done <<<"$sources"
}
if dates=$(release_dates); then
  archive_state="$dates"
else
  archive_state="unreachable; week $(( $(date +%s) / 604800 ))"
  log "Debian archive unreachable: the cached root filesystem is kept for at most this week"
fi

# ------------------------------------------------------------------ vipctl
if [ "${VIPCTL_IMAGE_NO_BUILD:-}" != 1 ]; then
  [ -d node_modules ] || { log "npm ci (no node_modules)"; npm ci --no-audit --no-fund >&2; }
  log "npm run build"
  npm run -s build >&2
fi
[ -f dist/bundle/src/cli/main.js ] && [ -f oclif.manifest.json ] || { echo "image: no built CLI (npm run build)" >&2; exit 69; }

# Inputs of the archive: when none changed since the last build, the archive stands.
key=$( { printf '%s\n' "$image" "$suite" "$mirror" "$security" "${packages[*]}" "$epoch" "$archive_state"
         cat Containerfile scripts/image.sh scripts/image-deps.mjs scripts/containers.conf package.json package-lock.json oclif.manifest.json bin/*
         find dist/bundle -type f | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16)
if [ "${VIPCTL_IMAGE_FORCE:-}" != 1 ] && [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
  log "cached ($key): $image, $(du -m "$out" | cut -f1) MB"
  echo "$out"; exit 0
fi

ctx="$root/build/image-context"
rm -rf "$ctx" && mkdir -p "$ctx/vipctl/usr/lib/vipctl/dist" "$ctx/vipctl/usr/bin"
app="$ctx/vipctl/usr/lib/vipctl"
cp -r bin package.json package-lock.json oclif.manifest.json "$app/"
cp -r dist/bundle "$app/dist/"
rm -f "$app"/dist/bundle/*.map
log "runtime node_modules from package-lock.json"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
node scripts/image-deps.mjs "$app" >&2
ln -s ../lib/vipctl/bin/run.js "$ctx/vipctl/usr/bin/vipctl"
ln -s ../lib/vipctl/bin/run.js "$ctx/vipctl/usr/bin/kubectl-vip"
chmod -R u=rwX,go=rX "$app"
find "$ctx/vipctl" -exec touch -h -d "@$epoch" {} +

# ------------------------------------------------------------ Debian rootfs
rootfs="$root/build/debian-rootfs.tar"
mmargs=(--quiet --variant=essential --include="$(IFS=,; echo "${packages[*]}")"
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/lintian/*'
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  # HAProxy binds ports below 1024 as the non-root user: the capability the container grants (NET_BIND_SERVICE).
  # Any container that runs haproxy (sync: haproxy -c) must keep it in its bounding set, or exec is EPERM.
  --customize-hook='setcap cap_net_bind_service=+ep "$1/usr/sbin/haproxy"'
  --customize-hook='mkdir -p "$1/usr/share/vipctl" && chroot "$1" dpkg-query -W -f "\${Package} \${Version} \${Architecture}\n" | LC_ALL=C sort > "$1/usr/share/vipctl/packages.txt"'
  --customize-hook='echo "vipctl:x:65532:65532:vipctl:/nonexistent:/usr/sbin/nologin" >> "$1/etc/passwd"; echo "vipctl:x:65532:" >> "$1/etc/group"'
  --customize-hook='rm -rf "$1/var/cache/apt" "$1/var/lib/apt/lists" "$1/var/log"/*.log "$1/var/cache/ldconfig/aux-cache"')
# Cached by what goes into it (archive_state: the suites' InRelease dates, above).
rkey=$(printf '%s\n' "$sources" "$rootfs_epoch" "${mmargs[@]}" "$archive_state" | sha256sum | cut -c1-16)
if [ -f "$rootfs" ] && [ "$(cat "$rootfs.key" 2>/dev/null)" = "$rkey" ]; then
  log "Debian $suite root filesystem: cached ($rkey)"
else
  log "Debian $suite root filesystem (mmdebstrap: ${packages[*]})"
  rm -f "$rootfs" "$rootfs.key"
  printf '%s\n' "$sources" | SOURCE_DATE_EPOCH="$rootfs_epoch" mmdebstrap "${mmargs[@]}" "$suite" "$rootfs" - >&2
  echo "$rkey" > "$rootfs.key"
fi
cp "$rootfs" "$ctx/debian-rootfs.tar"

# ------------------------------------------------------------------- image
# overlay, unless build/ is itself on overlayfs (inside a container), where only vfs works.
driver=overlay; [ "$(stat -f -c %T build)" != overlayfs ] || driver=vfs
store=(--root "$root/build/containers/storage" --runroot "$root/build/containers/run" --storage-driver "${VIPCTL_STORAGE_DRIVER:-$driver}")
hard=$(ulimit -Hn)
log "buildah build -> $image"
buildah "${store[@]}" build --quiet --layers --pull=never --isolation chroot --ulimit "nofile=$hard:$hard" \
  --timestamp "$epoch" --build-arg "VERSION=$version" \
  --build-arg "REVISION=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)" \
  -f Containerfile -t "$image" "$ctx" >&2
rm -f "$out" "$out.key"
rm -rf "$root/build/oci"
buildah "${store[@]}" push --quiet "$image" "oci:$root/build/oci:$image" >&2
# The archive itself is reproducible too: names sorted, times from the commit, owner root.
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
  -C "$root/build/oci" -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
rm -rf "$root/build/oci"
# Only the archive is kept: the build store and the context are scratch.
buildah "${store[@]}" rmi --all >/dev/null 2>&1 || true
rm -rf "$ctx"
echo "$key" > "$out.key"
log "$image: $(du -m "$out" | cut -f1) MB archive, built in $(( $(date +%s) - start )) s -> ${out#"$root"/}"
echo "$out"
