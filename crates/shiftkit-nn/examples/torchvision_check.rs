//! A ResNet against torchvision on a fixture written by `scripts/torchvision-fixture.py full
//! DIR` (or `fixtures DIR`): loads `DIR/NAME.pth`, runs `DIR/NAME.json`'s inputs through the
//! backbone in evaluation mode, and prints the largest difference from torchvision's pooled
//! features.
//!
//! ```text
//! python3 scripts/torchvision-fixture.py full /tmp/tv
//! cargo run --release -p shiftkit-nn --example torchvision_check -- /tmp/tv resnet18
//! ```

// A command-line check: its result goes to stdout.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use burn::backend::Flex;
use burn::tensor::{Tensor, TensorData};
use shiftkit_nn::ResNetConfig;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(name)) = (args.next(), args.next()) else {
        return Err("usage: torchvision_check DIR resnet18|resnet34|resnet50".into());
    };
    let dir = PathBuf::from(dir);
    let config = ResNetConfig::named(&name).ok_or("resnet18, resnet34 or resnet50")?;
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json")))?)?;
    let floats = |key: &str| -> Vec<f32> {
        json[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_f64())
                    .map(|v| v as f32)
                    .collect()
            })
            .unwrap_or_default()
    };
    let shape: Vec<usize> = json["input_shape"]
        .as_array()
        .ok_or("no input_shape")?
        .iter()
        .filter_map(|v| v.as_u64().map(|v| v as usize))
        .collect();
    let [n, c, h, w] = shape[..] else {
        return Err("input_shape is not 4-D".into());
    };
    let device = Default::default();
    let mut model = config.with_image_size([h, w]).init::<Flex>(&device)?;
    let report = model.load_backbone(dir.join(format!("{name}.pth")))?;
    let input =
        Tensor::<Flex, 4>::from_data(TensorData::new(floats("input"), [n, c, h, w]), &device);
    let started = Instant::now();
    let got: Vec<f32> = model.backbone().forward(input).into_data().to_vec()?;
    let seconds = started.elapsed().as_secs_f64();
    let expected = floats("output");
    if got.len() != expected.len() {
        return Err(format!(
            "{} features, torchvision gave {}",
            got.len(),
            expected.len()
        )
        .into());
    }
    let largest = got
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    let scale = expected.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    println!(
        "{name}: {} tensors loaded, {} features of {n} images; largest difference from torchvision {largest:.3e} (largest feature {scale:.3}); forward {seconds:.2} s",
        report.loaded,
        got.len()
    );
    Ok(())
}
