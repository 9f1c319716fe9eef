//! A network written outside the crate joins through the `Encoder` trait and works with the
//! discriminator and with code written generically over encoders, as a trainer is.

use crate::common;
use common::serial;

use burn::module::{AutodiffModule, Module};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::tanh;
use burn::tensor::backend::{AutodiffBackend, Backend};
use common::{Ad, input, max_abs_diff, to_vec};
use shiftkit_nn::{DomainDiscriminator, DomainDiscriminatorConfig, Encoder, MlpEncoderConfig};

/// A user's encoder for sequences: `[N, T, D]` -> mean over time -> Linear - tanh = z.
#[derive(Module, Debug)]
struct SequenceEncoder<B: Backend> {
    project: Linear<B>,
    head: Linear<B>,
}

impl<B: Backend> SequenceEncoder<B> {
    fn new(features: usize, latent: usize, classes: usize, device: &B::Device) -> Self {
        Self {
            project: LinearConfig::new(features, latent).init(device),
            head: LinearConfig::new(latent, classes).init(device),
        }
    }
}

impl<B: Backend> Encoder<B> for SequenceEncoder<B> {
    type Input = Tensor<B, 3>;

    fn encode(&self, input: Tensor<B, 3>) -> Tensor<B, 2> {
        let pooled: Tensor<B, 2> = input.mean_dim(1).squeeze_dim(1);
        tanh(self.project.forward(pooled))
    }

    fn classify(&self, z: Tensor<B, 2>) -> Tensor<B, 2> {
        self.head.forward(z)
    }

    fn latent_dim(&self) -> usize {
        self.project.weight.dims()[1]
    }

    fn num_classes(&self) -> usize {
        self.head.weight.dims()[1]
    }
}

/// What a trainer does with any encoder: check sizes, build a matching discriminator, and
/// compute class logits and domain logits from one pass through the encoder.
fn class_and_domain_logits<B: Backend, E: Encoder<B>>(
    encoder: &E,
    discriminator: &DomainDiscriminator<B>,
    x: E::Input,
) -> (Tensor<B, 2>, Tensor<B, 1>) {
    assert_eq!(discriminator.latent_dim(), encoder.latent_dim());
    let z = encoder.encode(x);
    (encoder.classify(z.clone()), discriminator.forward(z))
}

/// Evaluation through `valid()`, written once for every encoder.
fn evaluate<B, E>(encoder: &E, x: <E::InnerModule as Encoder<B::InnerBackend>>::Input) -> Vec<f32>
where
    B: AutodiffBackend,
    E: Encoder<B> + AutodiffModule<B>,
    E::InnerModule: Encoder<B::InnerBackend>,
{
    to_vec(encoder.valid().forward(x))
}

#[test]
fn user_encoder_plugs_into_the_trait() {
    let _serial = serial();
    let device = Default::default();
    let encoder = SequenceEncoder::<Ad>::new(3, 6, 4, &device);
    assert_eq!((encoder.latent_dim(), encoder.num_classes()), (6, 4));

    let discriminator = DomainDiscriminatorConfig::new(encoder.latent_dim())
        .init::<Ad>(&device)
        .unwrap();
    let x = input::<Ad, 3>([5, 7, 3], 1);
    let (class_logits, domain_logits) =
        class_and_domain_logits(&encoder, &discriminator, x.clone());
    assert_eq!(class_logits.dims(), [5, 4]);
    assert_eq!(domain_logits.dims(), [5]);

    // The provided `forward` is `classify(encode(x))`.
    assert_eq!(to_vec(encoder.forward(x.clone())), to_vec(class_logits));

    // Gradients of the domain logits reach the user's encoder through the discriminator.
    let grads = domain_logits.sum().backward();
    let grad = encoder
        .project
        .weight
        .grad(&grads)
        .expect("encoder weight has a gradient");
    assert!(to_vec(grad).iter().any(|g| *g != 0.0));

    // Generic evaluation works the same for the user's encoder and for a reference one.
    let eval = evaluate::<Ad, _>(&encoder, input([5, 7, 3], 1));
    assert!(max_abs_diff(&eval, &to_vec(encoder.forward(x))) < 1e-6);
    let mlp = MlpEncoderConfig::new()
        .with_input_dim(3)
        .init::<Ad>(&device)
        .unwrap();
    assert_eq!(evaluate::<Ad, _>(&mlp, input([2, 3], 2)).len(), 2 * 10);
}
