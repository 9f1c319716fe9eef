//! shiftkit on CUDA (the feature `cuda`, run by `scripts/gpu-check.sh` on a CUDA machine):
//! the same two-moons DANN run as on the CPU from the same weights, and the ResNet fixtures
//! against torchvision's features. Without a CUDA device these tests fail, as Burn's CUDA
//! backend does: they are built with the feature only, and run where there is one.
// The comparisons show their measured differences (`--nocapture`).
#![allow(clippy::print_stderr)]

use burn::tensor::{Tensor, TensorData};
use shiftkit::backend::{Cuda, CudaInner};
use shiftkit::nn::ResNetConfig;
use shiftkit::nn::resnet::BlockKind;
use shiftkit_testkit::{torchvision_fixture, torchvision_fixture_path};

use crate::device_runs::{differences, on_cpu_and};

/// CUDA sums in other orders than the CPU, and its fused kernels round otherwise: a looser
/// bound than wgpu's (on lavapipe, 1.5e-5).
const TOLERANCE: f64 = 1e-4;

#[test]
fn dann_on_cuda_matches_the_cpu() {
    let (on_cpu, on_cuda, start) = on_cpu_and::<Cuda>();
    assert_eq!(on_cpu.history.len(), 2);
    let differences = differences(&on_cpu, &on_cuda);
    eprintln!("flex against cuda, worst differences: {differences:?}");
    for (what, difference) in differences {
        assert!(
            difference <= TOLERANCE,
            "{what}: cuda differs from flex by {difference:e}"
        );
    }
    assert!(start.iter().zip(&on_cpu.parameters).any(|(a, b)| a != b));
}

#[test]
fn resnet_fixtures_on_cuda_give_torchvisions_features() {
    for (name, kind, widths) in [
        ("basic", BlockKind::Basic, [4, 8, 16, 32]),
        ("bottleneck", BlockKind::Bottleneck, [2, 4, 8, 16]),
    ] {
        let fixture = torchvision_fixture(name);
        let device = Default::default();
        let mut model = ResNetConfig::new(kind, [1, 1, 1, 1])
            .with_widths(widths)
            .with_image_size([32, 32])
            .init::<CudaInner>(&device)
            .unwrap();
        model
            .load_backbone(torchvision_fixture_path(&format!("{name}.pth")))
            .unwrap();
        let input = Tensor::<CudaInner, 4>::from_data(
            TensorData::new(fixture.input, fixture.input_shape),
            &device,
        );
        let got: Vec<f32> = model
            .backbone()
            .forward(input)
            .into_data()
            .to_vec()
            .unwrap();
        let expected = fixture.output;
        let worst = got
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        eprintln!("{name} on cuda against torchvision: worst difference {worst:e}");
        assert!(worst < 1e-3, "{name}: {worst:e}");
    }
}
