//! `--predict`'s job, for every backend: the saved encoder loaded, its predictions for the
//! input written to `predictions.csv`, and measured where the input has labels.

// The program's warnings go to stderr.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use burn::tensor::Tensor;
use shiftkit::backend::TrainingBackend;
use shiftkit::data::SampleDataset;
use shiftkit::device::OnBackend;
use shiftkit::nn::records::load_encoder;
use shiftkit::nn::{
    CnnEncoder, CnnEncoderConfig, Encoder, MlpEncoder, MlpEncoderConfig, ResNetConfig,
    ResNetEncoder,
};
use shiftkit::train::RegressionResult;

use super::manifest::Manifest;
use super::predict::{
    accuracy, decode_warning, errors, predict, predict_values, write_predictions, write_values,
};
use super::{Failure, ModelKind, PREDICTIONS};

/// A prediction job, for every backend.
pub struct Predict {
    /// The trained model's `adapt.json`.
    pub manifest: Manifest,
    /// The encoder's weights.
    pub encoder: PathBuf,
    /// The input, read as training read its data.
    pub data: SampleDataset,
    /// Where `predictions.csv` goes.
    pub out: PathBuf,
    /// The input's path, for the report.
    pub input: PathBuf,
}

/// How well the predictions match the input's labels.
#[derive(Debug, Clone, PartialEq)]
pub enum Measured {
    /// A classifier's accuracy.
    Accuracy(f64),
    /// A regression's errors.
    Errors(RegressionResult),
}

impl OnBackend for Predict {
    type Output = Result<Option<Measured>, Failure>;
    const ON_NDARRAY: bool = cfg!(feature = "ndarray");
    const ON_CUDA: bool = cfg!(feature = "cuda");
    const ON_WGPU: bool = cfg!(feature = "wgpu");

    fn run<B: TrainingBackend>(&self, device: &B::Device) -> Self::Output {
        let measured = match self.manifest.model {
            ModelKind::Mlp => {
                let (model, _): (MlpEncoder<B::InnerBackend>, MlpEncoderConfig) =
                    load_encoder::<B::InnerBackend, MlpEncoderConfig>(&self.encoder, device)?;
                self.write::<B::InnerBackend, _, 2>(&model, device)?
            }
            ModelKind::Cnn => {
                let (model, _): (CnnEncoder<B::InnerBackend>, CnnEncoderConfig) =
                    load_encoder::<B::InnerBackend, CnnEncoderConfig>(&self.encoder, device)?;
                self.write::<B::InnerBackend, _, 4>(&model, device)?
            }
            ModelKind::Resnet18 | ModelKind::Resnet34 | ModelKind::Resnet50 => {
                let (model, _): (ResNetEncoder<B::InnerBackend>, ResNetConfig) =
                    load_encoder::<B::InnerBackend, ResNetConfig>(&self.encoder, device)?;
                self.write::<B::InnerBackend, _, 4>(&model, device)?
            }
        };
        if let Some(warning) = decode_warning(&self.data) {
            eprintln!("warning: {warning}");
        }
        Ok(measured)
    }
}

impl Predict {
    /// Predicts with `model`, writes `predictions.csv`, and measures the predictions.
    fn write<B, M, const D: usize>(
        &self,
        model: &M,
        device: &B::Device,
    ) -> Result<Option<Measured>, Failure>
    where
        B: burn::tensor::backend::Backend,
        M: Encoder<B, Input = Tensor<B, D>>,
        shiftkit::data::SampleBatcher: burn::data::dataloader::batcher::Batcher<
                B,
                shiftkit::data::Sample,
                shiftkit::data::DomainBatch<B, D>,
            >,
    {
        let path = self.out.join(PREDICTIONS);
        if self.manifest.task == "regression" {
            let values = predict_values::<B, M, D>(model, &self.data, device)?;
            write_values(&path, &self.data, &values)?;
            Ok(errors(&self.data, &values).map(Measured::Errors))
        } else {
            let predictions = predict::<B, M, D>(model, &self.data, device)?;
            write_predictions(&path, &self.data, &predictions, &self.manifest.classes)?;
            Ok(accuracy(&self.data, &predictions).map(Measured::Accuracy))
        }
    }
}
