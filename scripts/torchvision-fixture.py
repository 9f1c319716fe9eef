"""torchvision's ResNets as references for shiftkit's (`shiftkit_nn::resnet`).

    python3 scripts/torchvision-fixture.py fixtures DIR   # the small fixtures the tests read
    python3 scripts/torchvision-fixture.py full DIR       # a random-weight resnet18 at 224x224
    python3 scripts/torchvision-fixture.py images DIR     # 224x224 PNGs and resnet18's features

Needs torch and torchvision from PyPI (see ../shared/torchref/README.md for the install); run
when a fixture is made, never in CI. The tests read `fixtures` from
`crates/shiftkit-nn/tests/fixtures/`.

`fixtures`: two reduced torchvision ResNets (torchvision's own `BasicBlock` and `Bottleneck`
classes and `ResNet._make_layer`, with narrower stages so that the files are small), random
weights and batch-norm statistics, saved as a `.pth` state dict and a `.safetensors` file,
with a batch of inputs and the pooled backbone features torchvision gives in evaluation mode
(`fc = Identity`), as JSON; and a basic network one block deeper (`basic-deeper.pth`).

`full`: the same for torchvision's resnet18 itself (random weights), 224x224 inputs.

`images`: 224x224 RGB PNGs of random shapes in two class folders, a random-weight resnet18 as a
`.pth`, and torchvision's pooled features of every image (sorted paths, PIL -> ToTensor ->
Normalize with ImageNet's mean and std) as `expected.json`.
"""

import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from safetensors.torch import save_file
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


class NarrowResNet(ResNet):
    """torchvision's ResNet with stage widths `widths` instead of 64, 128, 256, 512."""

    def __init__(self, block, layers, widths, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = widths[0]
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)


def randomise(model, seed):
    """Random weights, and batch-norm statistics that are not the initial 0 and 1."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.copy_(torch.rand(module.weight.shape, generator=g) + 0.5)
                module.bias.copy_(torch.rand(module.bias.shape, generator=g) - 0.5)
                module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=g) * 0.1)
                module.running_var.copy_(torch.rand(module.running_var.shape, generator=g) + 0.5)
                module.num_batches_tracked.fill_(7)
    return model.eval()


def pooled(model, x):
    fc = model.fc
    model.fc = nn.Identity()
    with torch.no_grad():
        y = model(x)
    model.fc = fc
    return y


def save(model, out, name, x):
    state = model.state_dict()
    torch.save(state, os.path.join(out, f"{name}.pth"))
    save_file({k: v.contiguous() for k, v in state.items()}, os.path.join(out, f"{name}.safetensors"))
    y = pooled(model, x)
    record = {
        "input_shape": list(x.shape),
        "input": [round(v, 7) for v in x.flatten().tolist()],
        "output_shape": list(y.shape),
        "output": y.flatten().tolist(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump(record, f)


def fixtures(out):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 32)
    basic = randomise(NarrowResNet(BasicBlock, [1, 1, 1, 1], [4, 8, 16, 32], 5), 1)
    save(basic, out, "basic", x)
    bottleneck = randomise(NarrowResNet(Bottleneck, [1, 1, 1, 1], [2, 4, 8, 16], 5), 2)
    save(bottleneck, out, "bottleneck", x)
    # A first stage of two blocks, for the keys a shallower network lacks.
    deeper = randomise(NarrowResNet(BasicBlock, [2, 1, 1, 1], [4, 8, 16, 32], 5), 3)
    torch.save(deeper.state_dict(), os.path.join(out, "basic-deeper.pth"))


def full(out):
    torch.manual_seed(0)
    model = randomise(torchvision.models.resnet18(weights=None), 3)
    x = torch.randn(2, 3, 224, 224)
    state = model.state_dict()
    torch.save(state, os.path.join(out, "resnet18.pth"))
    y = pooled(model, x)
    record = {"input_shape": list(x.shape), "input": x.flatten().tolist(),
              "output_shape": list(y.shape), "output": y.flatten().tolist()}
    with open(os.path.join(out, "resnet18.json"), "w") as f:
        json.dump(record, f)


def images(out):
    from PIL import Image
    import torchvision.transforms as T

    rng = np.random.default_rng(0)
    paths = []
    for cls in ["circle", "square"]:
        os.makedirs(os.path.join(out, "images", cls), exist_ok=True)
        for i in range(6):
            img = np.zeros((224, 224, 3), dtype=np.uint8) + rng.integers(0, 60, 3, dtype=np.uint8)
            cy, cx, r = rng.integers(60, 164), rng.integers(60, 164), rng.integers(20, 50)
            yy, xx = np.mgrid[:224, :224]
            mask = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r) if cls == "circle" else (
                (abs(yy - cy) < r) & (abs(xx - cx) < r))
            img[mask] = rng.integers(120, 255, 3, dtype=np.uint8)
            img = np.clip(img.astype(int) + rng.integers(-20, 20, img.shape), 0, 255).astype(np.uint8)
            path = os.path.join(out, "images", cls, f"{i:02}.png")
            Image.fromarray(img).save(path)
            paths.append(path)
    paths.sort()
    torch.manual_seed(0)
    model = randomise(torchvision.models.resnet18(weights=None), 4)
    torch.save(model.state_dict(), os.path.join(out, "resnet18.pth"))
    transform = T.Compose([T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    x = torch.stack([transform(Image.open(p).convert("RGB")) for p in paths])
    y = pooled(model, x)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"paths": [os.path.relpath(p, os.path.join(out, "images")) for p in paths],
                   "features": y.tolist()}, f)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("fixtures", "full", "images"):
        sys.exit(__doc__)
    os.makedirs(sys.argv[2], exist_ok=True)
    {"fixtures": fixtures, "full": full, "images": images}[sys.argv[1]](sys.argv[2])
    print(f"written to {sys.argv[2]}")
