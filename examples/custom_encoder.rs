//! Your own network, trained with DANN: any Burn module joins by implementing
//! `shiftkit::nn::Encoder` (the features `z = encode(x)` on which the domains are aligned,
//! the class logits from `z`, and the two widths).
//!
//! Here: a two-layer tanh network on the two-moons task, target rotated by 35 degrees.
//!
//! ```text
//! cargo run --release -p shiftkit --example custom_encoder
//! ```

// A demo program: its results go to stdout.
#![allow(clippy::print_stdout)]

use burn::data::dataloader::DataLoaderBuilder;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::tanh;
use burn::tensor::backend::Backend;
use shiftkit::backend::{Cpu, CpuInner};
use shiftkit::data::{MoonsConfig, PointBatcher};
use shiftkit::methods::{DannConfig, DannTrainer};
use shiftkit::nn::Encoder;

/// A user's network: `x -> Linear - tanh -> Linear - tanh = z`, and a linear head on `z`.
#[derive(Module, Debug)]
struct TwoLayer<B: Backend> {
    hidden: Linear<B>,
    features: Linear<B>,
    head: Linear<B>,
}

impl<B: Backend> TwoLayer<B> {
    fn new(inputs: usize, width: usize, classes: usize, device: &B::Device) -> Self {
        Self {
            hidden: LinearConfig::new(inputs, width).init(device),
            features: LinearConfig::new(width, width).init(device),
            head: LinearConfig::new(width, classes).init(device),
        }
    }
}

impl<B: Backend> Encoder<B> for TwoLayer<B> {
    type Input = Tensor<B, 2>;

    fn encode(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        tanh(self.features.forward(tanh(self.hidden.forward(x))))
    }

    fn classify(&self, z: Tensor<B, 2>) -> Tensor<B, 2> {
        self.head.forward(z)
    }

    fn latent_dim(&self) -> usize {
        self.features.weight.dims()[1]
    }

    fn num_classes(&self) -> usize {
        self.head.weight.dims()[1]
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Default::default();
    let pair = MoonsConfig::new().with_n_samples(200).with_seed(0).init()?;
    let train = |data, seed| {
        DataLoaderBuilder::new(PointBatcher)
            .batch_size(32)
            .shuffle(seed)
            .build(data)
    };
    let model = TwoLayer::<Cpu>::new(2, 16, 2, &device);
    let mut trainer = DannTrainer::new(
        model,
        train(pair.source_train.clone(), 1),
        train(pair.target_train.clone(), 2),
        DannConfig::new().with_num_classes(2).with_lr(0.02),
        &device,
    )?;
    trainer.fit(10)?;

    let test = DataLoaderBuilder::<CpuInner, _, _>::new(PointBatcher)
        .batch_size(256)
        .build(pair.target_test.clone());
    let result = trainer.evaluate(test.as_ref(), "target-test")?;
    println!("{}: {:.1}%", result.domain, 100.0 * result.accuracy);
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}
