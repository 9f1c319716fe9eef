//! The lowered (im2col) convolution and row-wise batch norm compute the same function as the
//! backend's own, with the same gradients and running statistics: a faster route, not a
//! different network.
//!
//! Both f32 routes are measured against the same network in f64 (the backend's convolution,
//! the same weights and inputs), not against each other: their sums run in different orders,
//! and which order depends on the processor's vector width (gemm's AVX2 and AVX-512 kernels)
//! and on the features Cargo unifies. Each quantity must be within [`tolerance`] of the f64
//! values, a bound derived from f32's rounding and the network's longest sums, so that the
//! test passes on any x86-64 processor for the right reason; `scripts/check.sh` runs it with
//! AVX2 forced as well.
//!
//! The f64 network runs in a child process (this test binary again, running
//! [`f64_reference`] alone): Burn keeps one default float type per kind of device and process,
//! set by the first backend that asks, so an `NdArray<f64>` beside the other tests'
//! `NdArray<f32>` in one process would compute in whichever type came first.

use crate::common;
use common::serial;

use burn::backend::{Autodiff, Flex, NdArray};
use burn::module::{AutodiffModule, Module};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Distribution, Tensor};
use common::parameter_gradients_as;
use serde::{Deserialize, Serialize};
use shiftkit_nn::kernels::LoweringBackend;
use shiftkit_nn::{CnnEncoder, CnnEncoderConfig, ConvAlgorithm, Encoder};
use shiftkit_testkit::to_vec;

type B = Autodiff<NdArray<f32>>;
/// The reference: the backend's convolution in f64.
type Reference = Autodiff<NdArray<f64>>;

shiftkit_testkit::test_cases! {
    im2col_and_backend_convolutions_agree_in_value_and_gradient => agree_on::<B>([28, 28], 1);
    /// Odd sizes: pooling that drops the last row and column.
    lowered_and_backend_agree_on_odd_image_sizes => agree_on::<B>([9, 11], 1);
    /// Several input channels: the images are transposed to channel-major order first.
    lowered_and_backend_agree_with_several_input_channels => agree_on::<B>([8, 6], 3);
    /// The default CPU backend reads and writes the host buffers its own way.
    lowered_and_backend_agree_on_flex => agree_on::<Autodiff<Flex<f32>>>([12, 10], 2);
}

/// The environment variable that names a child's job file ([`f64_reference`]).
const JOB: &str = "SHIFTKIT_CONV_REFERENCE_JOB";

/// What the child computes the f64 network from: the configuration, the f32 weights as a
/// record, the input and the loss weights.
#[derive(Serialize, Deserialize)]
struct Job {
    config: CnnEncoderConfig,
    record: Vec<u8>,
    x: Vec<f32>,
    shape: [usize; 4],
    weights: Vec<f64>,
}

/// The child's side: with [`JOB`] set (by [`reference_outputs`]), computes the f64 network's
/// [`Outputs`] for the job and writes them beside it; without it, there is nothing to do (a
/// plain test run passes it by).
#[test]
fn f64_reference() {
    let Some(path) = std::env::var_os(JOB) else {
        return;
    };
    let job: Job = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let device = Default::default();
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let reference = job
        .config
        .with_conv_algorithm(ConvAlgorithm::Backend)
        .init::<Reference>(&device)
        .unwrap()
        .load_record(recorder.load(job.record, &device).unwrap());
    let data = burn::tensor::TensorData::new(job.x, job.shape).convert::<f64>();
    let x = Tensor::<Reference, 4>::from_data(data, &device);
    assert_eq!(
        x.dtype(),
        burn::tensor::DType::F64,
        "the reference computes in f64"
    );
    let outputs = outputs(&reference, x, &job.weights);
    assert!(
        outputs.features.iter().all(|v| v.is_finite()),
        "the f64 network's features are finite"
    );
    let out = std::path::PathBuf::from(path).with_extension("out.json");
    std::fs::write(out, serde_json::to_vec(&outputs).unwrap()).unwrap();
}

/// The f64 network's outputs for `job`, from a child process running [`f64_reference`].
fn reference_outputs(job: &Job) -> Outputs {
    let scratch = shiftkit_testkit::Scratch::new("conv-reference");
    let path = scratch.write("job.json", &serde_json::to_vec(job).unwrap());
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "conv_algorithm::f64_reference",
            "--test-threads",
            "1",
        ])
        .args(["--quiet"])
        .env(JOB, &path)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the test binary runs again as a child");
    assert!(status.success(), "the f64 reference's child failed");
    serde_json::from_slice(&std::fs::read(path.with_extension("out.json")).unwrap()).unwrap()
}

/// What one network computed on the test batch, in f64: features, input gradients, every
/// parameter's gradient, and the evaluation-mode features after the training pass.
#[derive(Serialize, Deserialize)]
struct Outputs {
    features: Vec<f64>,
    input_gradients: Vec<f64>,
    parameter_gradients: Vec<Vec<f64>>,
    evaluation: Vec<f64>,
}

/// Runs `model` on `x` with the loss `sum(z * weights)`, which weighs every feature
/// differently so that no gradient cancels by symmetry.
fn outputs<A: AutodiffBackend + LoweringBackend>(
    model: &CnnEncoder<A>,
    x: Tensor<A, 4>,
    weights: &[f64],
) -> Outputs
where
    A::InnerBackend: LoweringBackend,
{
    let x = x.require_grad();
    let z = model.encode(x.clone());
    let w = Tensor::<A, 1>::from_floats(weights, &z.device()).reshape(z.dims());
    let grads = (z.clone() * w).sum().backward();
    let evaluation = model.valid().encode(x.clone().inner());
    Outputs {
        features: to_vec(z),
        input_gradients: to_vec(x.grad(&grads).expect("the input's gradient")),
        parameter_gradients: parameter_gradients_as::<f64, A, _>(model, &grads),
        evaluation: to_vec(evaluation),
    }
}

/// Builds the CNN with the lowered convolution, again with the backend's and the same weights,
/// and once more in f64; checks that both f32 routes' features, gradients and running
/// statistics are the f64 network's to within [`tolerance`].
fn agree_on<A: AutodiffBackend + LoweringBackend>(image_size: [usize; 2], channels: usize)
where
    A::InnerBackend: LoweringBackend,
{
    let _serial = serial();
    let device = Default::default();
    A::seed(&device, 7);
    // No dropout, so every pass sees the same function.
    let config = CnnEncoderConfig::new()
        .with_dropout(0.0)
        .with_in_channels(channels)
        .with_image_size(image_size);
    let lowered = config
        .clone()
        .with_conv_algorithm(ConvAlgorithm::Im2col)
        .init::<A>(&device)
        .unwrap();
    let native = config
        .clone()
        .with_conv_algorithm(ConvAlgorithm::Backend)
        .init::<A>(&device)
        .unwrap()
        .load_record(lowered.clone().into_record());
    // The same weights in f64: f32 values are f64 values exactly.
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let record = recorder.record(lowered.clone().into_record(), ()).unwrap();

    let [h, w] = image_size;
    let shape = [3, channels, h, w];
    let x = Tensor::<A, 4>::random(shape, Distribution::Default, &device);
    let features = 3 * lowered.latent_dim();
    let weights = to_vec(Tensor::<A, 1>::random(
        [features],
        Distribution::Default,
        &device,
    ));

    let expected = reference_outputs(&Job {
        config,
        record,
        x: x.to_data().convert::<f32>().to_vec().unwrap(),
        shape,
        weights: weights.clone(),
    });
    let longest = longest_sum(image_size, channels, 3);
    // The typical size of a parameter's gradient in this network: the scale of the terms a
    // gradient sums, also where they cancel (a convolution's bias before batch norm has an
    // exact gradient of 0, and its computed one is rounding of terms of this size).
    let gradient_scale = rms(&expected.parameter_gradients.concat());
    for (route, model) in [("lowered", &lowered), ("backend", &native)] {
        let got = outputs(model, x.clone(), &weights);
        let check = |what: &str, got: &[f64], expected: &[f64], scale: f64| {
            assert_near(got, expected, scale, longest, &format!("{route}: {what}"));
        };
        check("features", &got.features, &expected.features, 0.0);
        check(
            "input gradients",
            &got.input_gradients,
            &expected.input_gradients,
            0.0,
        );
        assert_eq!(
            got.parameter_gradients.len(),
            expected.parameter_gradients.len()
        );
        // Convolution weights and biases, batch-norm scales and shifts, and the dense layers
        // behind them.
        assert!(got.parameter_gradients.len() >= 10);
        for (i, (g, e)) in got
            .parameter_gradients
            .iter()
            .zip(&expected.parameter_gradients)
            .enumerate()
        {
            check(&format!("gradient of parameter {i}"), g, e, gradient_scale);
        }
        // Each network ran one training pass, so the batch-norm running statistics moved
        // alike: the evaluation-mode networks agree too.
        check("evaluation", &got.evaluation, &expected.evaluation, 0.0);
    }
}

/// The most terms any one sum of the network adds up: a batch-norm statistic over the batch
/// and an image's positions, a convolution's `C_in x 9` taps, or a dense layer's inputs (the
/// flattened feature maps after two poolings, 64 channels).
fn longest_sum(image_size: [usize; 2], channels: usize, batch: usize) -> usize {
    let [h, w] = image_size;
    let flattened = 64 * (h / 4) * (w / 4);
    [batch * h * w, channels * 9, 32 * 9, flattened]
        .into_iter()
        .max()
        .unwrap()
}

/// How far an f32 computation of a quantity may be from the f64 one, relative to the
/// quantity's root mean square (or to the size of the terms it sums, where they cancel):
/// `rms(got - expected) <= tolerance(n) max(rms(expected), scale)`.
///
/// A sum of `n` terms rounded in f32, in any order, is within `sqrt(n) u` of its exact value
/// relative to the size of its terms when the roundings' signs are independent (the worst
/// case, `n u`, needs every rounding to go the same way), with `u = 2^-24`. The network
/// chains about a dozen such sums from input to gradient (two convolutions, two batch norms
/// forward and backward, the dense layers), and batch norm's backward pass subtracts means,
/// which can lose a further factor of the batch's size in relative accuracy. The bound
/// allows 2^8 of those per-sum errors: above the f32 routes' measured errors on AVX-512 and
/// AVX2 by a factor of at least 4, and below what a wrong index or a dropped term gives (a
/// relative error of order 1) by more than a factor of 1,000.
fn tolerance(longest: usize) -> f64 {
    let u = f64::from(f32::EPSILON) / 2.0;
    256.0 * (longest as f64).sqrt() * u
}

/// The root mean square of `values`.
fn rms(values: &[f64]) -> f64 {
    (values.iter().map(|v| v * v).sum::<f64>() / values.len().max(1) as f64).sqrt()
}

/// `got` is within [`tolerance`] of `expected`, relative to the larger of `expected`'s root
/// mean square and `scale`, which must carry signal. With `SHIFTKIT_PRINT_ERRORS` set, prints
/// each measured error beside its bound (how the bound's margin is checked on a processor).
#[allow(clippy::print_stderr)]
fn assert_near(got: &[f64], expected: &[f64], scale: f64, longest: usize, what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: lengths");
    let size = rms(expected).max(scale);
    assert!(size > 0.0, "{what}: all zero");
    let difference: Vec<f64> = got.iter().zip(expected).map(|(g, e)| g - e).collect();
    let relative = rms(&difference) / size;
    let bound = tolerance(longest);
    if std::env::var_os("SHIFTKIT_PRINT_ERRORS").is_some() {
        eprintln!("{what}: {relative:.3e} (bound {bound:.3e})");
    }
    assert!(
        relative <= bound,
        "{what}: relative error {relative:.3e} against f64, above the bound {bound:.3e}"
    );
}
