#!/usr/bin/env python3
"""The PyTorch peer of `benches/step.rs`: one DANN training step, timed.

The same step as shiftkit's `DannTrainer::train_step` with ShiftKit's defaults: batch 64 source
+ 64 target (MNIST-shaped), source and target encoded separately, source cross-entropy,
gradient reversal + discriminator Linear(128,128)-ReLU-Linear(128,1) binary cross-entropy
[+ MSTN centroid loss with moving-average target centroids], one backward, one Adam step over
model and discriminator, and the losses read back to the host (`.item()`). Fixed in-memory
batches; the median over `--steps` timed steps after `--warmup` untimed ones.

    python3 dann_step.py --device cuda --models mlp cnn --methods dann dann_mstn

`resnet18`: torchvision's ResNet-18 (random weights), its pooled features through a 256-wide
bottleneck (linear, batch norm, ReLU) and a linear head to 10 classes, as shiftkit's
`ResNetConfig::resnet18()`; batches of 32 + 32 RGB images of 112x112, the discriminator
Linear(256,128)-ReLU-Linear(128,1); DANN only (needs torchvision).
"""

import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.alpha = alpha
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad.neg() * ctx.alpha, None


class Mlp(nn.Module):
    def __init__(self, latent=128, classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, latent), nn.ReLU())
        self.head = nn.Linear(latent, classes)

    def encode(self, x):
        return self.body(x)


class Cnn(nn.Module):
    def __init__(self, latent=128, classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(256, latent), nn.ReLU())
        self.head = nn.Linear(latent, classes)

    def encode(self, x):
        return self.body(x)


class ResNet18(nn.Module):
    def __init__(self, latent=256, classes=10):
        import torchvision

        super().__init__()
        self.backbone = torchvision.models.resnet18(weights=None)
        self.backbone.fc = nn.Identity()
        self.bottleneck = nn.Sequential(
            nn.Linear(512, latent), nn.BatchNorm1d(latent), nn.ReLU())
        self.head = nn.Linear(latent, classes)

    def encode(self, x):
        return self.bottleneck(self.backbone(x))


def bench(model_name, method, device, steps, warmup, batch=64):
    torch.manual_seed(0)
    if model_name == "resnet18":
        model, latent, shape, batch = ResNet18(), 256, (3, 112, 112), 32
    else:
        model, latent, shape = (Mlp() if model_name == "mlp" else Cnn()), 128, (1, 28, 28)
    model = model.to(device)
    disc = nn.Sequential(nn.Linear(latent, 128), nn.ReLU(), nn.Linear(128, 1)).to(device)
    opt = torch.optim.Adam(list(model.parameters()) + list(disc.parameters()), lr=1e-3)
    xs = torch.rand(batch, *shape, device=device)
    ys = torch.randint(0, 10, (batch,), device=device)
    xt = torch.rand(batch, *shape, device=device)
    d_lbl = torch.cat([torch.zeros(batch), torch.ones(batch)]).to(device)
    centroids = torch.zeros(10, 128, device=device)
    seen = torch.zeros(10, dtype=torch.bool, device=device)
    model.train()
    disc.train()

    def step():
        nonlocal centroids, seen
        z_s = model.encode(xs)
        z_t = model.encode(xt)
        ce = F.cross_entropy(model.head(z_s), ys)
        z = GradReverse.apply(torch.cat([z_s, z_t], 0), 0.5)
        dom = F.binary_cross_entropy_with_logits(disc(z).squeeze(1), d_lbl)
        loss = ce + dom
        sem = torch.zeros((), device=device)
        if method == "dann_mstn":
            with torch.no_grad():
                pseudo = model.head(z_t).argmax(1)
            one_s = F.one_hot(ys, 10).float()
            cnt_s = one_s.sum(0)
            mean_s = (one_s.t() @ z_s) / cnt_s.clamp(min=1).unsqueeze(1)
            with torch.no_grad():
                one_t = F.one_hot(pseudo, 10).float()
                cnt_t = one_t.sum(0)
                mean_t = (one_t.t() @ z_t) / cnt_t.clamp(min=1).unsqueeze(1)
                present_t = cnt_t > 0
                blend = torch.where(seen.unsqueeze(1), 0.9 * centroids + 0.1 * mean_t, mean_t)
                centroids = torch.where(present_t.unsqueeze(1), blend, centroids)
                seen = seen | present_t
            mask = ((cnt_s > 0) & seen).float()
            dist = ((mean_s - centroids) ** 2).sum(1) / 128
            sem = (dist * mask).sum() / mask.sum().clamp(min=1)
            loss = loss + 0.5 * sem
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return ce.item(), dom.item(), sem.item(), loss.item()

    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return {"peer": "pytorch", "model": model_name, "method": method, "device": device,
            "batch": batch,
            "steps": steps, "median_ms": 1e3 * statistics.median(times),
            "torch": torch.__version__}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--models", nargs="+", default=["mlp", "cnn"])
    p.add_argument("--methods", nargs="+", default=["dann", "dann_mstn"])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--warmup", type=int, default=30)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    for model in a.models:
        for method in a.methods:
            print(json.dumps(bench(model, method, a.device, a.steps, a.warmup)), flush=True)


if __name__ == "__main__":
    main()
