//! The same seed gives the same network and the same outputs; another seed gives another.
//!
//! Burn's NdArray backend has one random generator per process, so every test here holds
//! the shared `serial` lock while it seeds, builds and runs: tests in one binary run on parallel threads.

use crate::common;
use common::serial;

use burn::module::{AutodiffModule, Module};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use common::{Ad, Inner, input, small_cnn, to_vec, weights};
use shiftkit_nn::{DomainDiscriminatorConfig, Encoder, MlpEncoderConfig, ShallowEncoderConfig};

/// Seeds the backend and builds a module, under the lock held by the caller.
fn seeded<M>(seed: u64, build: impl FnOnce() -> M) -> M {
    Ad::seed(&Default::default(), seed);
    build()
}

/// Builds twice with `seed` and once with `seed + 1`, and checks that the weights of the first
/// two are identical and differ from the third.
fn check_weights<M: Module<Ad>>(build: impl Fn() -> M) -> (M, M) {
    let a = seeded(7, &build);
    let b = seeded(7, &build);
    let c = seeded(8, &build);
    let (wa, wb, wc) = (weights(&a), weights(&b), weights(&c));
    assert!(!wa.is_empty());
    assert_eq!(wa, wb, "same seed, same weights");
    assert_ne!(wa, wc, "another seed, other weights");
    (a, b)
}

/// Asserts that two networks give the same output on `x` in evaluation mode.
fn assert_same_evaluation<M: AutodiffModule<Ad>, const D: usize, const O: usize>(
    a: &M,
    b: &M,
    x: Tensor<Inner, D>,
    forward: impl Fn(&M::InnerModule, Tensor<Inner, D>) -> Tensor<Inner, O>,
) {
    assert_eq!(
        to_vec(forward(&a.valid(), x.clone())),
        to_vec(forward(&b.valid(), x))
    );
}

#[test]
fn mlp_same_seed_same_network() {
    let _serial = serial();
    let config = MlpEncoderConfig::new().with_input_dim(12);
    let (a, b) = check_weights(|| config.init::<Ad>(&Default::default()).unwrap());

    // Evaluation: identical outputs.
    assert_same_evaluation(&a, &b, input([4, 12], 1), |network, x| network.forward(x));

    // Training: the dropout masks come from the same generator, so reseeding before each pass
    // reproduces them too.
    let x = input::<Ad, 2>([4, 12], 2);
    let ya = seeded(3, || to_vec(a.forward(x.clone())));
    let yb = seeded(3, || to_vec(b.forward(x)));
    assert_eq!(ya, yb);
}

#[test]
fn cnn_same_seed_same_network() {
    let _serial = serial();
    let config = small_cnn([8, 8], [4, 8], 16);
    let (a, b) = check_weights(|| config.init::<Ad>(&Default::default()).unwrap());
    assert_same_evaluation(&a, &b, input([3, 1, 8, 8], 1), |network, x| {
        network.forward(x)
    });
}

#[test]
fn shallow_same_seed_same_network() {
    let _serial = serial();
    let config = ShallowEncoderConfig::new();
    let (a, b) = check_weights(|| config.init::<Ad>(&Default::default()).unwrap());
    let x = input::<Ad, 2>([5, 2], 1);
    assert_eq!(to_vec(a.forward(x.clone())), to_vec(b.forward(x)));
}

#[test]
fn discriminator_same_seed_same_network() {
    let _serial = serial();
    let config = DomainDiscriminatorConfig::new(10)
        .with_hidden_layers(2)
        .with_hidden_dim(8)
        .with_batch_norm(true);
    let (a, b) = check_weights(|| config.init::<Ad>(&Default::default()).unwrap());
    assert_same_evaluation(&a, &b, input([4, 10], 1), |network, x| network.forward(x));
}

#[test]
fn weights_are_drawn_inside_init() {
    // Whatever uses the generator after `init` (here, another model built and run) cannot
    // change the weights of a model already built: they were drawn inside `init`.
    let _serial = serial();
    let config = MlpEncoderConfig::new().with_input_dim(6);
    let device = Default::default();

    let reference = seeded(11, || weights(&config.init::<Ad>(&device).unwrap()));

    let model = seeded(11, || config.init::<Ad>(&device).unwrap());
    let other = config.init::<Ad>(&device).unwrap();
    let _ = other.forward(input([2, 6], 1));
    assert_eq!(weights(&model), reference);
}
