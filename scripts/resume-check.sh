#!/usr/bin/env bash
# Kill and resume: a digits run killed with SIGKILL in the middle of an epoch, then resumed
# from its checkpoints, ends with the same accuracies and the same history, bit for bit, as the
# run in one go (wall-clock times aside). Part of the test command.
#
#   bash scripts/resume-check.sh                      # 1,500 steps (12 epochs of the embedded digits)
#   STEPS=500 bash scripts/resume-check.sh            # shorter (the test command's)
#   PROFILE=release bash scripts/resume-check.sh      # the released program (a longer build)
#   DIGITS=target/debug/digits bash scripts/resume-check.sh   # a program already built
#   PEERS=2 bash scripts/resume-check.sh              # data-parallel: two peers on two threads
set -euo pipefail
cd "$(dirname "$0")/.."

steps=${STEPS:-1500}
profile=${PROFILE:-dev}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# DIGITS names a program already built (the test command's: `cargo test --workspace` builds it
# for the lab's tests, with the features the tests resolve, so nothing is built twice).
if [ -n "${DIGITS:-}" ]; then
    digits=$DIGITS
else
    cargo build --quiet -p shiftkit-lab --bin digits --locked --profile "$profile"
    target_dir=${CARGO_TARGET_DIR:-target}
    case "$profile" in
        dev) digits="$target_dir/debug/digits" ;;
        *) digits="$target_dir/$profile/digits" ;;
    esac
fi
run=(--method dann_mstn --seed 0 --steps "$steps" --peers "${PEERS:-1}")
checkpoints="$work/C/dann_mstn_mlp_seed0"

echo "-- A: the run in one go"
"$digits" "${run[@]}" --out "$work/A" >/dev/null 2>"$work/A.log"

echo "-- B: the same run with checkpoints, killed (SIGKILL) in the middle of an epoch"
"$digits" "${run[@]}" --checkpoint-dir "$work/C" --out "$work/B" >/dev/null 2>"$work/B.log" &
pid=$!
# Until the second checkpoint is written, then half an epoch more.
until [ "$(ls "$checkpoints" 2>/dev/null | grep -c '^epoch-')" -ge 2 ]; do
    kill -0 "$pid" 2>/dev/null || { echo "B ended before it was killed"; cat "$work/B.log"; exit 1; }
    sleep 0.1
done
sleep 0.5
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
[ ! -e "$work/B/summary.json" ] || { echo "B finished before it was killed: try more --steps"; exit 1; }
echo "   killed after $(ls "$checkpoints" | grep '^epoch-' | tail -1)"

echo "-- B again, with --resume"
"$digits" "${run[@]}" --checkpoint-dir "$work/C" --resume --out "$work/B" >/dev/null 2>"$work/B2.log"
grep -o 'resumed from .*' "$work/B2.log" | sed 's/^/   /'

# Pretty JSON, one field a line: drop the wall-clock fields, compare the rest exactly.
timeless() { grep -v -e '"seconds"' -e '"steps_per_second"' "$1"; }
for file in summary.json history_dann_mstn_mlp_seed0.json; do
    if ! diff <(timeless "$work/A/$file") <(timeless "$work/B/$file") >"$work/diff"; then
        echo "FAIL: $file differs between the run in one go and the resumed run"
        head -40 "$work/diff"
        exit 1
    fi
done
grep -e target_accuracy -e source_accuracy "$work/A/summary.json" | sed 's/^ */   both: /'
echo "-- resume check passed: summary and history equal"
