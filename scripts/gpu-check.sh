#!/usr/bin/env bash
# The GPU check, one script for a CUDA machine: builds with the `cuda` feature, runs the tests
# that compare CUDA with the CPU (`crates/shiftkit/tests/it/cuda.rs`), the step bench for the
# CNN and ResNet-18 against PyTorch on CUDA (`benches/torch/dann_step.py`), and one whole
# `digits` run; prints one table. Meant to finish within 10 minutes on an H100 or H200.
#
#   bash scripts/gpu-check.sh             # on a CUDA machine
#   bash scripts/gpu-check.sh --dry-run   # here: the same steps on the CPU (flex), shortened
#
# PyTorch is this Python's, or `PYTHON=...`; without torch its column says so. Every step's
# output goes to target/gpu-check/ (`OUT=...`).
set -euo pipefail
cd "$(dirname "$0")/.."

dry=0
[ "${1:-}" = "--dry-run" ] && dry=1
out=${OUT:-target/gpu-check}
mkdir -p "$out"
python=${PYTHON:-python3}
started=$(date +%s)
step() { echo "== $1 ($(( $(date +%s) - started )) s)"; }

if [ $dry = 1 ]; then
    features=""
    device=cpu
    backend=flex
    # The CPU runs the ResNet-18 step in seconds: the dry run times the CNN's alone.
    models="cnn"
    bench_time=(--warm-up-time 1 --measurement-time 2)
    torch_args=(--device cpu --threads 2 --steps 5 --warmup 2)
    digits_args=(--device cpu --steps 300)
    echo "dry run: the CUDA steps on the CPU (flex), shortened" >&2
else
    features="--features cuda"
    device=cuda
    backend=cuda
    models="cnn resnet18"
    bench_time=(--warm-up-time 6 --measurement-time 4)
    torch_args=(--device cuda --steps 100 --warmup 20)
    digits_args=(--device cuda)
    step "device"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/device.txt"
fi

step "build (release: the step bench, digits; the facade's tests)"
# shellcheck disable=SC2086  # $features is one flag or none
cargo build --release --locked -p shiftkit-lab $features --bin digits
# shellcheck disable=SC2086
bench=$(cargo bench --locked -p shiftkit $features --bench step --no-run --message-format=json \
    | "$python" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "step":
        print(m["executable"])')

step "tests: CUDA against the CPU"
if [ $dry = 1 ]; then
    # Without the feature the CUDA tests are not compiled: the CPU's side of their ResNet check
    # (the same fixtures against torchvision) runs instead.
    cargo test --locked -p shiftkit-nn --test it -- resnet:: 2>&1 | tee "$out/tests.txt" | tail -3
else
    cargo test --locked -p shiftkit --features cuda --test it -- cuda:: 2>&1 | tee "$out/tests.txt" | tail -3
fi
tests=$(grep -E '^test result' "$out/tests.txt" | tail -1 | sed 's/test result: //; s/;.*finished/, finished/')

step "step bench: shiftkit ($backend) and PyTorch ($device)"
pattern="^dann_step/$backend/($(echo $models | tr ' ' '|'))/dann\$"
rm -rf "$out/criterion"
CRITERION_HOME="$out/criterion" SHIFTKIT_BENCH_CPU=$([ $dry = 1 ] && echo 1 || echo 0) \
    "$bench" --bench "$pattern" --noplot "${bench_time[@]}" > "$out/bench.txt" 2>&1
# shellcheck disable=SC2086
if "$python" -c 'import torch, torchvision' 2>/dev/null; then
    "$python" benches/torch/dann_step.py "${torch_args[@]}" --models $models --methods dann \
        > "$out/torch.jsonl"
else
    echo "no torch (with torchvision) in $python: PyTorch not timed" | tee "$out/torch.jsonl" >&2
fi

step "one whole digits run (seed 0: source-only, DANN, DANN+MSTN)"
target/release/digits "${digits_args[@]}" --out "$out/digits" > "$out/digits.txt" 2>&1

step "table"
OUT="$out" BACKEND="$backend" MODELS="$models" TESTS="$tests" "$python" - <<'EOF'
import json, os, pathlib
out = pathlib.Path(os.environ["OUT"])
backend = os.environ["BACKEND"]
torch = {}
for line in (out / "torch.jsonl").read_text().splitlines():
    if line.startswith("{"):
        r = json.loads(line)
        torch[r["model"]] = r["median_ms"]
print(f"tests (CUDA against the CPU): {os.environ['TESTS']}")
print(f"\n{'step (dann)':<14} {'shiftkit ms':>12} {'pytorch ms':>11} {'pytorch / shiftkit':>19}")
for model in os.environ["MODELS"].split():
    est = out / "criterion" / f"dann_step_{backend}" / model / "dann" / "new" / "estimates.json"
    ours = json.loads(est.read_text())["median"]["point_estimate"] / 1e6 if est.exists() else None
    theirs = torch.get(model)
    ratio = f"{theirs / ours:.2f}x" if ours and theirs else "-"
    show = lambda v: f"{v:.2f}" if v else "-"
    print(f"{model:<14} {show(ours):>12} {show(theirs):>11} {ratio:>19}")
summary = json.loads((out / "digits" / "summary.json").read_text())
print(f"\n{'digits run':<14} {'target acc %':>12} {'seconds':>11}")
for run in summary["runs"]:
    print(f"{run['method']:<14} {100 * run['target_accuracy']:>12.1f} {run['seconds']:>11.1f}")
EOF
step "done"
