#!/usr/bin/env bash
# The project's test command: formatting, lints, the workspace tests, and the CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test (workspace; the demos in examples/ run as tests, on tiny data)"
cargo test --workspace --locked

echo "== kill and resume: a run killed mid-epoch and resumed equals the run in one go"
STEPS=500 bash scripts/resume-check.sh

echo "== cargo doc (broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --document-private-items --locked

echo "== cargo check --features cuda (the facade and the lab's programs)"
cargo check -p shiftkit-lab --features cuda --locked

echo "== all checks passed"
