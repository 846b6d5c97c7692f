#!/usr/bin/env bash
# scripts/build-lazyfs.sh — installs what lazyfs needs (Debian: libfuse3-dev, fuse3, gcc, make,
# pkg-config) when missing, then builds native/lazyfs/build/lazyfs. .ci/run calls it; the
# lose-unsynced fault also runs `make` itself when the binary is older than its sources.
set -euo pipefail
cd "$(dirname "$0")/.."

# pkg-config first (c-build), so the module check can run.
bash scripts/apt-install-missing.sh build-lazyfs c-build
bash scripts/apt-install-missing.sh build-lazyfs cmd:fusermount3=fuse3 pc:fuse3=libfuse3-dev
make -s -C native/lazyfs
echo "lazyfs: $(pwd)/native/lazyfs/build/lazyfs"
