#!/usr/bin/env bash
# The project's test command: formatting, lints (the CUDA and wgpu builds checked with them),
# the workspace tests, the tests on wgpu, kill and resume, and the docs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each phase says how long it took, so a slow CI run shows where its time went.
started=$(date +%s)
phase() {
    local now
    now=$(date +%s)
    [ -z "${phase_name:-}" ] || echo "   (${phase_name}: $((now - phase_start)) s)"
    phase_name=$1
    phase_start=$now
    [ "$1" = done ] || echo "== $1"
}

phase "cargo fmt --check"
cargo fmt --all -- --check

# Every crate's modules use one another without a cycle (each module a room of its own).
phase "module cycles"
python3 scripts/module-cycles.py crates/*

# With the CUDA and wgpu features on: one pass lints every target and checks that both GPU
# backends (the facade's and the lab's programs') build, without a second check of the
# dependency tree.
phase "cargo clippy (all targets, CUDA and wgpu features on, warnings are errors)"
cargo clippy --workspace --all-targets --features shiftkit-lab/cuda,shiftkit-lab/wgpu --locked -- -D warnings

# Burn is built with the wgpu backend's features (shiftkit-testkit's `burn-wgpu`), but the
# workspace's crates without it: the lab's programs are not compiled for wgpu here.
phase "cargo test (workspace; the demos in examples/ run as tests, on tiny data)"
cargo test --workspace --locked --features shiftkit-testkit/burn-wgpu

# The CPU kernels at the lower vector width. gemm and pulp choose their kernels by the
# processor's features at run time, so a machine with AVX-512 never runs the AVX2 ones that
# users' processors run: here the kernels' tests, Adam's, and the lowered CNN's comparison with
# f64 run again under QEMU's user-mode emulation of a processor with AVX2 and FMA and without
# AVX-512 (on an AVX2 machine this repeats the native run). The test binaries are the phase
# before's, with the same features. Skipped, saying so, without qemu-x86_64.
phase "the kernels with AVX2 forced (QEMU, no AVX-512)"
if command -v qemu-x86_64 >/dev/null; then
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="qemu-x86_64 -cpu max,avx512f=off" \
        cargo test --workspace --locked --features shiftkit-testkit/burn-wgpu --lib --test it \
        -- product:: lowered:: winograd:: adam:: conv_algorithm
else
    echo "skipped: qemu-x86_64 is missing (Debian's qemu-user), so AVX2 was not forced" >&2
fi

# The facade's tests on wgpu (the reversal's gradient checks, a DANN run against flex's): on
# lavapipe where there is no GPU; each is skipped, saying so, where no adapter answers. The lab
# is selected too, though none of its targets is built, so that every dependency has the
# features it had above: only the shiftkit crates are compiled again, with `wgpu`.
phase "cargo test on wgpu (the facade's wgpu tests)"
# Mesa's Vulkan driver complains on every device it opens without a runtime directory.
[ -n "${XDG_RUNTIME_DIR:-}" ] || { XDG_RUNTIME_DIR=$(mktemp -d); export XDG_RUNTIME_DIR; }
cargo test -p shiftkit -p shiftkit-lab --locked \
    --features shiftkit/wgpu,shiftkit-testkit/burn-wgpu --test it -- wgpu::

# The program the test phase built for the lab's tests (same features): Burn is not compiled a
# second time.
phase "kill and resume: a run killed mid-epoch and resumed equals the run in one go (alone, then two peers)"
DIGITS="${CARGO_TARGET_DIR:-target}/debug/digits" STEPS=500 bash scripts/resume-check.sh
DIGITS="${CARGO_TARGET_DIR:-target}/debug/digits" STEPS=500 PEERS=2 bash scripts/resume-check.sh

# With clippy's targets and features (the examples bring the dev-dependencies, as clippy's
# `--all-targets` did): the dependencies' checks are clippy's, only the workspace is
# documented, the CUDA and wgpu code with it.
phase "cargo doc (broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --lib --bins --examples --no-deps \
    --document-private-items --features shiftkit-lab/cuda,shiftkit-lab/wgpu --locked

phase done
echo "== all checks passed in $(( $(date +%s) - started )) s"
