#!/usr/bin/env bash
# The project's test command: formatting, lints, the workspace tests, and the CUDA build.
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

phase "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

phase "cargo test (workspace; the demos in examples/ run as tests, on tiny data)"
cargo test --workspace --locked

phase "kill and resume: a run killed mid-epoch and resumed equals the run in one go"
STEPS=500 bash scripts/resume-check.sh

phase "cargo doc (broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --document-private-items --locked

phase "cargo check --features cuda (the facade and the lab's programs)"
cargo check -p shiftkit-lab --features cuda --locked

phase done
echo "== all checks passed in $(( $(date +%s) - started )) s"
