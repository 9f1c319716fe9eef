//! The ResNet backbones: an encoder configuration that loads torchvision's weights when it
//! builds ([`Pretrained`]), and `--embed`, the pooled backbone features of every image of a
//! folder written as `features.npy` with the paths in `features.csv`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use burn::data::dataloader::DataLoaderBuilder;
use burn::tensor::backend::Backend;
use npyz::WriterBuilder;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use shiftkit::backend::TrainingBackend;
use shiftkit::data::{DomainBatch, ImageFolder, Sample, SampleBatcher, SampleDataset};
use shiftkit::device::OnBackend;
use shiftkit::nn::records::EncoderConfig;
use shiftkit::nn::{NnError, ResNetConfig, ResNetEncoder};

use super::predict::per_batch;
use super::{Failure, named};

/// The features file `--embed` writes.
pub const FEATURES: &str = "features.npy";
/// The paths of its rows.
pub const FEATURE_PATHS: &str = "features.csv";

/// A ResNet's configuration with the torchvision weights its backbone starts from, frozen or
/// not. Saved as the plain [`ResNetConfig`] (a saved encoder's weights replace the backbone's
/// anyway, and predicting takes no gradient).
#[derive(Debug, Clone, PartialEq)]
pub struct Pretrained {
    /// The network.
    pub config: ResNetConfig,
    /// A torchvision `.pth` or `.safetensors` file for its backbone; `None`: Burn's
    /// initialisation.
    pub weights: Option<PathBuf>,
    /// Whether the backbone is frozen (only the bottleneck and the head train).
    pub frozen: bool,
}

impl Serialize for Pretrained {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.config.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Pretrained {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self {
            config: ResNetConfig::deserialize(deserializer)?,
            weights: None,
            frozen: false,
        })
    }
}

impl EncoderConfig for Pretrained {
    type Encoder<B: Backend> = ResNetEncoder<B>;
    const KIND: &'static str = <ResNetConfig as EncoderConfig>::KIND;

    fn build<B: Backend>(&self, device: &B::Device) -> Result<Self::Encoder<B>, NnError> {
        let mut encoder = self.config.init(device)?;
        if let Some(weights) = &self.weights {
            encoder.load_backbone(weights)?;
        }
        Ok(if self.frozen {
            encoder.with_frozen_backbone()
        } else {
            encoder
        })
    }
}

/// `--embed`: a folder of images through a backbone.
#[derive(Debug, Clone)]
pub struct Embed {
    /// The network and its weights.
    pub model: Pretrained,
    /// The images, read and normalised as the weights expect.
    pub images: ImageFolder,
    /// Where `features.npy` and `features.csv` go.
    pub out: PathBuf,
    /// Images per batch.
    pub batch_size: usize,
}

impl OnBackend for Embed {
    type Output = Result<[usize; 2], Failure>;
    const ON_NDARRAY: bool = cfg!(feature = "ndarray");
    const ON_CUDA: bool = cfg!(feature = "cuda");
    const ON_WGPU: bool = cfg!(feature = "wgpu");

    fn run<B: TrainingBackend>(&self, device: &B::Device) -> Self::Output {
        self.features::<B::InnerBackend>(device)
    }
}

impl Embed {
    /// Writes the features of every image, rows in the order of the sorted paths; returns
    /// their shape.
    fn features<B: Backend>(&self, device: &B::Device) -> Result<[usize; 2], Failure> {
        let model = self
            .model
            .build::<B>(device)
            .map_err(|e| format!("--weights: {e}"))?;
        let data = SampleDataset::from(self.images.clone());
        let items = data.len();
        let loader = DataLoaderBuilder::<B, Sample, DomainBatch<B, 4>>::new(SampleBatcher::new(
            data.shape(),
        ))
        .batch_size(self.batch_size)
        .build(data);
        let rows: Vec<Vec<f32>> = per_batch(
            loader.as_ref(),
            items,
            |images| model.backbone().forward(images),
            |features, out| {
                let [_, width] = features.dims();
                let values = features
                    .into_data()
                    .convert::<f32>()
                    .to_vec::<f32>()
                    .map_err(|e| format!("reading the features: {e:?}"))?;
                out.extend(values.chunks(width).map(<[f32]>::to_vec));
                Ok(())
            },
        )?;
        if let Some(failure) = self.images.decode_failures().first() {
            return Err(named(&failure.path, &failure.message));
        }
        let paths = self.images.paths();
        let mut order: Vec<usize> = (0..paths.len()).collect();
        order.sort_by(|&a, &b| paths[a].cmp(&paths[b]));
        let width = rows.first().map_or(0, Vec::len);
        let sorted: Vec<f32> = order
            .iter()
            .flat_map(|&i| rows[i].iter().copied())
            .collect();
        write_npy(&self.out.join(FEATURES), &sorted, [order.len(), width])?;
        let root = self.images.origin();
        let mut text = String::from("row,path\n");
        for (row, &i) in order.iter().enumerate() {
            let shown = paths[i].strip_prefix(root).unwrap_or(&paths[i]);
            text.push_str(&format!("{row},{}\n", shown.display()));
        }
        let csv = self.out.join(FEATURE_PATHS);
        std::fs::write(&csv, text).map_err(|e| named(&csv, e))?;
        Ok([order.len(), width])
    }
}

/// `values` as an `N x D` `.npy` of `f32`, as NumPy writes it.
fn write_npy(path: &Path, values: &[f32], [rows, columns]: [usize; 2]) -> Result<(), Failure> {
    let file = File::create(path).map_err(|e| named(path, e))?;
    let mut out = BufWriter::new(file);
    let mut writer = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&[rows as u64, columns as u64])
        .writer(&mut out)
        .begin_nd()
        .map_err(|e| named(path, e))?;
    writer
        .extend(values.iter().copied())
        .map_err(|e| named(path, e))?;
    writer.finish().map_err(|e| named(path, e))?;
    out.flush().map_err(|e| named(path, e))
}
