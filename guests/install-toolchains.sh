#!/bin/sh
# install-toolchains.sh installs what the guest SDKs, the examples and the
# wasmhost tests need to build Wasm guests from source: clang-14 and wasi-libc
# (C), rustc with the wasm32-wasi standard library (Rust) and the
# AssemblyScript compiler (npm, pinned by guests/assemblyscript/package-lock.json).
# Go guests need only the Go toolchain.
#
# Idempotent and non-interactive; run as root on Debian 12.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
	clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 \
	rustc libstd-rust-dev-wasm32
# npm may come from elsewhere (NodeSource); Debian's only when there is none.
command -v npm >/dev/null 2>&1 || apt-get install -y --no-install-recommends nodejs npm

cd "$here/assemblyscript"
if [ -f package-lock.json ]; then
	npm ci --no-audit --no-fund
else
	npm install --no-audit --no-fund
fi
