#!/usr/bin/env bash
# scripts/build-nfq-shaper.sh — installs what the NFQUEUE packet shaper needs (Debian:
# libnetfilter-queue-dev, gcc, make, pkg-config) when missing, then builds
# native/nfq-shaper/build/nfq-shaper. .ci/run calls it; the docker node image also runs `make`
# when the binary is older than its sources.
set -euo pipefail
cd "$(dirname "$0")/.."
# pkg-config first (c-build), so the module check can run.
bash scripts/apt-install-missing.sh build-nfq-shaper c-build
bash scripts/apt-install-missing.sh build-nfq-shaper pc:libnetfilter_queue=libnetfilter-queue-dev
make -s -C native/nfq-shaper
echo "nfq-shaper: $(pwd)/native/nfq-shaper/build/nfq-shaper"
