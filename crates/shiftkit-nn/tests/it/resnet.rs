//! The ResNets against torchvision: reduced torchvision networks (its `BasicBlock` and
//! `Bottleneck`, random weights and batch-norm statistics) saved as `.pth` and safetensors by
//! `scripts/torchvision-fixture.py`, loaded here, and their pooled features compared with
//! torchvision's in evaluation mode; and every kind of mismatch a typed error naming the key.

use std::path::{Path, PathBuf};

use burn::tensor::{Tensor, TensorData};
use shiftkit_nn::resnet::{BlockKind, WeightsError};
use shiftkit_nn::{Encoder, ResNetConfig, ResNetEncoder};
use shiftkit_testkit::{Scratch, torchvision_fixture, torchvision_fixture_path};

use crate::common::{Inner, to_vec};

fn fixture(name: &str) -> PathBuf {
    torchvision_fixture_path(name)
}

/// A fixture's input batch and torchvision's pooled features for it.
fn reference(name: &str) -> (Tensor<Inner, 4>, Vec<f32>, [usize; 2]) {
    let fixture = torchvision_fixture(name);
    let input = Tensor::from_data(
        TensorData::new(fixture.input, fixture.input_shape),
        &Default::default(),
    );
    (input, fixture.output, fixture.output_shape)
}

/// The reduced networks of the fixtures: one block a stage, narrow stages.
fn config(kind: BlockKind) -> ResNetConfig {
    let widths = match kind {
        BlockKind::Basic => [4, 8, 16, 32],
        BlockKind::Bottleneck => [2, 4, 8, 16],
    };
    ResNetConfig::new(kind, [1, 1, 1, 1])
        .with_widths(widths)
        .with_image_size([32, 32])
        .with_num_classes(5)
}

fn encoder(config: &ResNetConfig) -> ResNetEncoder<Inner> {
    config.init::<Inner>(&Default::default()).unwrap()
}

fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn reduced_torchvision_resnets_give_torchvisions_features() {
    for (name, kind) in [
        ("basic", BlockKind::Basic),
        ("bottleneck", BlockKind::Bottleneck),
    ] {
        let (input, expected, [n, d]) = reference(name);
        for file in [format!("{name}.pth"), format!("{name}.safetensors")] {
            let mut model = encoder(&config(kind));
            let report = model.load_backbone(fixture(&file)).unwrap();
            // Every batch norm's num_batches_tracked and ImageNet's classifier stay unread.
            assert!(
                report.ignored.contains(&"fc.weight".to_string()),
                "{report:?}"
            );
            assert!(
                report
                    .ignored
                    .iter()
                    .all(|k| k.starts_with("fc.") || k.ends_with("num_batches_tracked"))
            );
            let got = model.backbone().forward(input.clone());
            assert_eq!(got.dims(), [n, d]);
            let difference = largest_difference(&to_vec(got), &expected);
            assert!(difference < 1e-4, "{file}: largest difference {difference}");
        }
    }
}

#[test]
fn the_bottleneck_and_head_follow_the_backbone() {
    let mut model = encoder(&config(BlockKind::Basic).with_bottleneck(Some(12)));
    model.load_backbone(fixture("basic.pth")).unwrap();
    let (input, _, [n, _]) = reference("basic");
    let z = model.encode(input);
    assert_eq!(z.dims(), [n, 12]);
    assert_eq!(model.latent_dim(), 12);
    assert_eq!(model.classify(z).dims(), [n, 5]);
    let plain = encoder(&config(BlockKind::Basic).with_bottleneck(None));
    assert_eq!(plain.latent_dim(), 32);
}

#[test]
fn torchvisions_depths_have_its_widths() {
    assert_eq!(ResNetConfig::resnet18().backbone_dim(), 512);
    assert_eq!(ResNetConfig::resnet34().blocks, [3, 4, 6, 3]);
    assert_eq!(ResNetConfig::resnet50().backbone_dim(), 2048);
    assert_eq!(
        ResNetConfig::named("resnet50"),
        Some(ResNetConfig::resnet50())
    );
    assert_eq!(ResNetConfig::named("resnet101"), None);
}

/// Loading `file` into `config`'s network fails, and leaves the network as it was.
fn refused(config: &ResNetConfig, file: &Path) -> WeightsError {
    let mut model = encoder(config);
    let input = Tensor::<Inner, 4>::ones([1, 3, 32, 32], &Default::default());
    let before = to_vec(model.backbone().forward(input.clone()));
    let error = model.load_backbone(file).unwrap_err();
    assert_eq!(to_vec(model.backbone().forward(input)), before, "{error}");
    let text = error.to_string();
    assert!(text.contains(&file.display().to_string()), "{text}");
    error
}

#[test]
fn weights_of_another_network_are_refused_naming_the_key() {
    // A bottleneck network's weights into basic blocks: the first block's conv1 is 1x1 there.
    match refused(&config(BlockKind::Basic), &fixture("bottleneck.pth")) {
        WeightsError::Shape {
            key,
            expected,
            found,
            ..
        } => {
            assert_eq!(key, "bn1.bias");
            assert_eq!((expected, found), (vec![4], vec![2]));
        }
        other => panic!("expected a shape error, got {other}"),
    }
    // One block more in the first stage than the file has.
    let mut deeper = config(BlockKind::Basic);
    deeper.blocks = [2, 1, 1, 1];
    match refused(&deeper, &fixture("basic.pth")) {
        WeightsError::Missing { key, .. } => assert_eq!(key, "layer1.1.bn1.bias"),
        other => panic!("expected a missing key, got {other}"),
    }
    // One block fewer than the file has.
    match refused(&config(BlockKind::Basic), &fixture("basic-deeper.pth")) {
        WeightsError::Unexpected { key, .. } => assert_eq!(key, "layer1.1.bn1.bias"),
        other => panic!("expected an unexpected key, got {other}"),
    }
    // Wider stages do not fit.
    let wide = config(BlockKind::Basic).with_widths([4, 8, 16, 64]);
    assert!(matches!(
        refused(&wide, &fixture("basic.pth")),
        WeightsError::Shape { key, .. } if key.starts_with("layer4.")
    ));
}

#[test]
fn a_damaged_or_foreign_file_is_refused() {
    let scratch = Scratch::new("resnet-damaged");
    let bytes = std::fs::read(fixture("basic.pth")).unwrap();
    let cut = scratch.write("cut.pth", &bytes[..bytes.len() / 2]);
    assert!(matches!(
        refused(&config(BlockKind::Basic), &cut),
        WeightsError::Read { .. }
    ));
    let text = scratch.write("notes.pth", b"not a checkpoint");
    assert!(matches!(
        refused(&config(BlockKind::Basic), &text),
        WeightsError::Read { .. }
    ));
    let absent = scratch.join("absent.safetensors");
    assert!(matches!(
        refused(&config(BlockKind::Basic), &absent),
        WeightsError::Read { .. }
    ));
}

#[test]
fn a_saved_backbone_loads_back_to_the_same_features() {
    let (input, expected, _) = reference("bottleneck");
    let mut model = encoder(&config(BlockKind::Bottleneck));
    model.load_backbone(fixture("bottleneck.pth")).unwrap();
    let scratch = Scratch::new("resnet-save");
    let saved = scratch.join("backbone.safetensors");
    model.save_backbone(&saved).unwrap();
    let mut again = encoder(&config(BlockKind::Bottleneck));
    let report = again.load_backbone(&saved).unwrap();
    assert_eq!(report.ignored, Vec::<String>::new(), "no fc, no counters");
    let got = to_vec(again.backbone().forward(input));
    assert!(largest_difference(&got, &expected) < 1e-4);
    // Under torchvision's names: the shortcut's projection is `downsample.0` and `.1`.
    let text = String::from_utf8_lossy(&std::fs::read(&saved).unwrap()).into_owned();
    assert!(
        text.contains("layer1.0.downsample.0.weight"),
        "torchvision's names"
    );
    assert!(text.contains("layer1.0.downsample.1.running_var"));
    assert!(!text.contains("gamma"));
}

#[test]
fn a_frozen_backbone_keeps_its_weights_while_the_head_trains() {
    use burn::optim::{AdamConfig, GradientsParams, Optimizer};
    use burn::tensor::Int;
    use shiftkit_testkit::weights;

    use crate::common::Ad;

    let device = Default::default();
    let model = config(BlockKind::Basic)
        .init::<Ad>(&device)
        .unwrap()
        .with_frozen_backbone();
    assert!(model.frozen_backbone());
    let backbone_before = weights(model.backbone());
    let all_before = weights(&model);
    let (input, _, [n, _]) = reference("basic");
    let input = Tensor::<Ad, 4>::from_inner(input);
    let labels = Tensor::<Ad, 1, Int>::from_data(TensorData::new(vec![0i64, 3], [n]), &device);
    let logits = model.forward(input);
    let loss = burn::tensor::activation::log_softmax(logits, 1)
        .gather(1, labels.reshape([n, 1]))
        .mean()
        .neg();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let model = AdamConfig::new().init().step(1e-2, model, grads);
    // The backbone's parameters (batch norm's running statistics are not parameters) are
    // where they were; the bottleneck's and the head's moved.
    assert_eq!(weights(model.backbone()), backbone_before);
    let all_after = weights(&model);
    let moved = all_before
        .iter()
        .zip(&all_after)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(
        moved,
        2 + 2 + 2,
        "the bottleneck's linear and norm, the head"
    );
}
