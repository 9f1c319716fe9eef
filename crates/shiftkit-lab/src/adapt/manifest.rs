//! `adapt.json`: what `--predict` needs to read new data as training read it, and the
//! normalisation it records.

use std::path::Path;

use serde::{Deserialize, Serialize};
use shiftkit::data::{ImageConfig, Normalisation};

use super::{FORMAT, Failure, InputKind, MANIFEST, ModelKind};

/// Over what the normalisation's statistics are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One mean and deviation per feature (per value of an item).
    Feature,
    /// One mean and deviation per channel (the first axis of `[C, H, W]` items).
    Channel,
}

/// `(x - mean) / std`, with the source's statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardisation {
    /// Per feature or per channel.
    pub scope: Scope,
    /// The means.
    pub mean: Vec<f32>,
    /// The standard deviations (positive).
    pub std: Vec<f32>,
}

/// How images are read, in `adapt.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSpec {
    /// Height in pixels after resizing.
    pub height: u32,
    /// Width in pixels after resizing.
    pub width: u32,
    /// 1 (grey) or 3 (RGB).
    pub channels: usize,
}

/// `adapt.json`: what `--predict` needs to read new data as training read it and to name
/// the classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// `classification`.
    pub task: String,
    /// The encoder.
    pub model: ModelKind,
    /// The method that trained it (chosen or named).
    pub method: String,
    /// Features or images.
    pub input: InputKind,
    /// The item shape: `[F]`, `[H, W]` or `[C, H, W]`.
    pub shape: Vec<usize>,
    /// A CSV source's feature columns, in order.
    pub columns: Option<Vec<String>>,
    /// The label column of CSV files.
    pub label_column: String,
    /// The features' key in `.npz` archives.
    pub x_key: String,
    /// The labels' key in `.npz` archives (`None`: `y` where present).
    pub y_key: Option<String>,
    /// The class names, in the order of the model's outputs (class indices as text where the
    /// source has no names).
    pub classes: Vec<String>,
    /// The normalisation, computed on the source.
    pub normalisation: Standardisation,
    /// How images are read (images only).
    pub image: Option<ImageSpec>,
    /// The encoder's weights, relative to this file (configuration beside it, `.json`).
    pub encoder: String,
}

impl Manifest {
    /// Reads `dir/adapt.json`.
    ///
    /// # Errors
    ///
    /// A missing or unreadable file, or one of another format.
    pub fn read(dir: &Path) -> Result<Self, Failure> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let manifest: Self = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not an adapt.json: {e}", path.display()))?;
        if manifest.format != FORMAT {
            return Err(format!(
                "{}: format {:?}, expected {FORMAT:?}",
                path.display(),
                manifest.format
            )
            .into());
        }
        Ok(manifest)
    }

    /// How the manifest's images are read.
    pub fn image_config(&self) -> Option<ImageConfig> {
        let image = self.image?;
        Some(
            ImageConfig::new(image.height, image.width)
                .with_channels(image.channels)
                .with_normalisation(Some(Normalisation {
                    mean: self.normalisation.mean.clone(),
                    std: self.normalisation.std.clone(),
                })),
        )
    }
}
