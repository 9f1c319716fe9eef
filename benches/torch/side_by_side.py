#!/usr/bin/env python3
"""shiftkit's training against PyTorch's on this machine's CPU, in alternating rounds.

Two parts, each in rounds that alternate which side runs first:

- steps: shiftkit's step bench (`benches/step.rs`, flex, the default CPU backend; criterion's
  median) against PyTorch's (`dann_step.py`: the same networks and step, batch 64 + 64, the
  median of `--torch-steps` steps), for the MLP and the CNN, DANN and DANN+MSTN; and for
  torchvision's ResNet-18 (`--models resnet18 --methods dann`: batch 32 + 32, 112x112 RGB).
- whole: a whole DANN run through shiftkit's public API with the library's defaults
  (`benches/whole_run.rs`: no allocator of its own, Burn's thread pool) against the PyTorch
  reference trainer (`../shared/torchref/dann_ref.py`) on the same data (the first 10,000
  digits of MNIST's training set -> optdigits) and the same work: the same regime (`Method::Dann`'s
  preset: discriminator 2 x 512 with dropout 0.5, domain weight 0.3, target cycled, alpha
  ramped per step) and the same whole epochs of steps. Both track the target accuracy with an
  evaluation-mode forward pass: the reference over every target batch (`--track-tgt eval`, its
  only evaluation-mode choice), shiftkit's `fit` over every 8th (`DannConfig::track_every`'s
  default), so the reference does more of that work (about 14% of a run, measured on
  shiftkit's MLP run; docs/performance.md).
  Training time only, on both sides (the final tests are not timed).

PyTorch runs on `--threads` threads; shiftkit's step with Burn's pool at as many
(`RAYON_NUM_THREADS`; the two domains' passes run on two threads of the trainer's own, each
with its kernels inline), its whole run with Burn's pool as it starts (a thread per core), as a
user's program runs. torch is this Python's, or the one in
`target/torch-venv`, installed there from PyPI with numpy when neither has it. The script prints
every round's times, the per-round ratios (PyTorch's time over shiftkit's: above 1, shiftkit is
faster), their median and their range, and writes them as JSON with `--out`.

    python3 benches/torch/side_by_side.py                          # both parts
    python3 benches/torch/side_by_side.py --parts steps --rounds 7
    python3 benches/torch/side_by_side.py --parts whole --models cnn --whole-rounds 3
    python3 benches/torch/side_by_side.py --parts steps --models resnet18 --methods dann \
        --rounds 3 --torch-steps 20

Machines are noisy: only the ratios of one run of this script, over all its rounds, say how
the two compare. docs/performance.md keeps its output.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "target" / "torch-venv"
TORCH_BENCH = Path(__file__).resolve().parent / "dann_step.py"
TORCH_REFERENCE = ROOT.parent / "shared" / "torchref" / "dann_ref.py"
MNIST = ROOT.parent / "shared" / "data" / "mnist"
SOURCE_STEPS = 157  # 10,000 source digits in batches of 64: the steps of one epoch


def python_with_torch():
    """A Python that imports torch: this one, the venv's, or a new venv."""
    for python in (sys.executable, VENV / "bin" / "python"):
        found = subprocess.run(
            [str(python), "-c", "import torch"], capture_output=True, check=False
        )
        if found.returncode == 0:
            return str(python)
    print(f"installing torch and numpy into {VENV} (PyPI, a few GB)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", "torch", "torchvision", "numpy"],
        check=True
    )
    return str(VENV / "bin" / "python")


def build_bench(name):
    """Builds the facade's bench `name` (release) and returns its executable."""
    out = subprocess.run(
        ["cargo", "bench", "-p", "shiftkit", "--bench", name, "--no-run",
         "--message-format=json"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True,
    ).stdout
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable") \
                and message["target"]["name"] == name:
            return message["executable"]
    raise SystemExit(f"the {name} bench's executable was not reported by cargo")


def checked(command, what, **kwargs):
    """Runs `command`, its output captured; exits with it when the command fails."""
    run = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if run.returncode != 0:
        raise SystemExit(f"{what} failed:\n{run.stdout}{run.stderr}")
    return run.stdout


def shiftkit_round(bench, models, methods, threads):
    """One run of the step bench; criterion's median per (model, method), in ms."""
    pattern = f"^dann_step/flex/({'|'.join(models)})/({'|'.join(methods)})$"
    with tempfile.TemporaryDirectory() as home:
        # Burn's pool as it starts on a machine of `threads` cores: a thread per core. The
        # step's two domains' passes run on two threads of the trainer's own, beside it.
        env = dict(os.environ, CRITERION_HOME=home, RAYON_NUM_THREADS=str(threads))
        checked([bench, "--bench", pattern, "--noplot"], "the step bench",
                cwd=ROOT / "crates" / "shiftkit", env=env)
        times = {}
        for model in models:
            for method in methods:
                path = Path(home) / "dann_step_flex" / model / method / "new" / "estimates.json"
                estimate = json.loads(path.read_text())["median"]["point_estimate"]
                times[(model, method)] = estimate / 1e6
        return times


def torch_round(python, models, methods, threads, steps):
    """One run of dann_step.py; the median step per (model, method), in ms."""
    out = checked(
        [python, str(TORCH_BENCH), "--threads", str(threads), "--steps", str(steps),
         "--models", *models, "--methods", *methods],
        "dann_step.py",
    )
    times = {}
    for line in out.splitlines():
        result = json.loads(line)
        times[(result["model"], result["method"])] = result["median_ms"]
    return times


def shiftkit_whole(bench, model, steps):
    """One whole run of `benches/whole_run.rs`: its JSON line."""
    # As a user runs it: Burn's thread pool as it starts (one thread per core).
    out = checked([bench, model, str(steps), str(MNIST)], "the whole-run bench")
    return json.loads(out.strip().splitlines()[-1])


def torch_whole(python, model, steps, threads):
    """One whole run of the PyTorch reference in the same regime: its final JSON line."""
    out = checked(
        [python, str(TORCH_REFERENCE), "--model", model, "--method", "dann",
         "--steps", str(steps), "--seed", "0", "--threads", str(threads),
         "--pairing", "cycle", "--schedule", "step", "--disc-hidden", "512",
         "--disc-layers", "2", "--disc-dropout", "0.5", "--domain-weight", "0.3",
         "--track-tgt", "eval", "--data-dir", str(MNIST.parent)],
        "dann_ref.py",
    )
    return json.loads(out.strip().splitlines()[-1])


def report(title, rows):
    """Prints `rows` ({name: (shiftkit times, pytorch times)}) with per-round ratios."""
    print(f"\n{title:<16} {'shiftkit':>10} {'pytorch':>10}  "
          f"{'pytorch / shiftkit per round':<36} median  range")
    summary = {}
    for name, (ours, theirs) in rows.items():
        ratios = [t / s for s, t in zip(ours, theirs)]
        median = statistics.median(ratios)
        per_round = " ".join(f"{ratio:.2f}" for ratio in ratios)
        print(f"{name:<16} {statistics.median(ours):>10.2f} {statistics.median(theirs):>10.2f}"
              f"  {per_round:<36} {median:.2f}x  {min(ratios):.2f}-{max(ratios):.2f}")
        summary[name] = {"shiftkit": ours, "pytorch": theirs, "ratios": ratios,
                         "median_ratio": median}
    return summary


def step_part(args, python):
    """The step rounds: {model/method: (shiftkit ms, pytorch ms)} per round."""
    bench = build_bench("step")
    rounds = []
    for r in range(args.rounds):
        order = ("shiftkit", "pytorch") if r % 2 == 0 else ("pytorch", "shiftkit")
        times = {}
        for peer in order:
            if peer == "shiftkit":
                times[peer] = shiftkit_round(bench, args.models, args.methods, args.threads)
            else:
                times[peer] = torch_round(
                    python, args.models, args.methods, args.threads, args.torch_steps
                )
        rounds.append(times)
        line = "  ".join(
            f"{model}/{method} {times['shiftkit'][(model, method)]:.2f} vs "
            f"{times['pytorch'][(model, method)]:.2f} ms"
            for model in args.models for method in args.methods
        )
        print(f"step round {r + 1} ({order[0]} first): {line}", flush=True)
    return report("step (ms)", {
        f"{model}/{method}": ([t["shiftkit"][(model, method)] for t in rounds],
                              [t["pytorch"][(model, method)] for t in rounds])
        for model in args.models for method in args.methods
    })


def whole_part(args, python):
    """The whole-run rounds: {model/dann: (shiftkit s, pytorch s)} per round."""
    if not TORCH_REFERENCE.exists() or not MNIST.exists():
        raise SystemExit(f"whole runs need {TORCH_REFERENCE} and {MNIST}")
    bench = build_bench("whole_run")
    steps = -(-args.whole_steps // SOURCE_STEPS) * SOURCE_STEPS
    rows = {}
    for model in args.models:
        ours, theirs = [], []
        for r in range(args.whole_rounds):
            order = ("shiftkit", "pytorch") if r % 2 == 0 else ("pytorch", "shiftkit")
            runs = {}
            for peer in order:
                runs[peer] = (shiftkit_whole(bench, model, steps)
                              if peer == "shiftkit"
                              else torch_whole(python, model, steps, args.threads))
            ours.append(runs["shiftkit"]["train_seconds"])
            theirs.append(runs["pytorch"]["train_seconds"])
            print(f"whole round {r + 1} ({order[0]} first): {model} dann {steps} steps: "
                  f"{ours[-1]:.1f} s (target {100 * runs['shiftkit']['tgt_test_acc']:.1f}%) vs "
                  f"{theirs[-1]:.1f} s (target {100 * runs['pytorch']['tgt_test_acc']:.1f}%)",
                  flush=True)
        rows[f"{model}/dann"] = (ours, theirs)
    return report("whole run (s)", rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", choices=["steps", "whole"],
                        default=["steps", "whole"])
    parser.add_argument("--rounds", type=int, default=5, help="step rounds")
    parser.add_argument("--whole-rounds", type=int, default=3, help="whole-run rounds per model")
    parser.add_argument("--whole-steps", type=int, default=3000,
                        help="steps of a whole run, rounded up to whole epochs of 157")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"])
    parser.add_argument("--methods", nargs="+", default=["dann", "dann_mstn"])
    parser.add_argument("--torch-steps", type=int, default=300,
                        help="timed PyTorch steps a round (after 30 untimed)")
    parser.add_argument("--out", type=Path, help="write the rounds and ratios as JSON here")
    args = parser.parse_args()
    if shutil.which("cargo") is None:
        raise SystemExit("cargo is not on PATH")

    python = python_with_torch()
    version = subprocess.run(
        [python, "-c", "import torch; print(torch.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    print(f"shiftkit (flex) against PyTorch {version}, {args.threads} threads", flush=True)
    record = {"torch": version, "threads": args.threads}
    if "steps" in args.parts:
        record["steps"] = step_part(args, python)
    if "whole" in args.parts:
        record["whole"] = whole_part(args, python)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
