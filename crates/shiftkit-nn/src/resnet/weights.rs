//! torchvision's weights into a ResNet's backbone: a `.pth` state dict (`torch.save(model.
//! state_dict())`, as torchvision's model zoo ships them) or a `.safetensors` export, read
//! with Burn's store (`burn-store`) under torchvision's parameter names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use burn_store::{
    BurnToPyTorchAdapter, KeyRemapper, ModuleSnapshot, ModuleStore, PyTorchToBurnAdapter,
    PytorchStore, SafetensorsStore,
};
use thiserror::Error;

use super::{Backbone, ResNetEncoder};

/// Why weights could not be loaded into a backbone. Every variant names the file, and the key
/// (torchvision's name) where one is at fault; the encoder is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WeightsError {
    /// The file cannot be read as a PyTorch state dict or a safetensors file.
    #[error("{path}: cannot read it as a PyTorch state dict or safetensors file: {problem}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        problem: String,
    },
    /// The backbone could not be written to the file.
    #[error("{path}: cannot write the backbone there: {problem}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the writer said.
        problem: String,
    },
    /// A parameter of the backbone is not in the file (a network of another depth, or not a
    /// ResNet).
    #[error(
        "{path} has no `{key}`, which this ResNet's backbone needs (weights of another depth?)"
    )]
    Missing {
        /// The file.
        path: PathBuf,
        /// The parameter, under torchvision's name.
        key: String,
    },
    /// The file holds a backbone parameter this network does not have (another depth).
    #[error(
        "{path} holds `{key}`, which this ResNet's backbone does not have (weights of another depth?)"
    )]
    Unexpected {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
    },
    /// A parameter's shape differs from the network's (another depth, width or input
    /// channels).
    #[error("{path}: `{key}` is {found:?} in the file, {expected:?} in this ResNet")]
    Shape {
        /// The file.
        path: PathBuf,
        /// The parameter, under torchvision's name.
        key: String,
        /// Its shape in the network.
        expected: Vec<usize>,
        /// Its shape in the file.
        found: Vec<usize>,
    },
}

/// What [`ResNetEncoder::load_backbone`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// The backbone's tensors replaced (parameters and batch-norm statistics).
    pub loaded: usize,
    /// The file's keys outside the backbone, left unread: the ImageNet classifier `fc`, and
    /// batch norm's `num_batches_tracked`.
    pub ignored: Vec<String>,
}

/// torchvision's shortcut projection is a `Sequential` (`downsample.0`, `downsample.1`); it is
/// `downsample.conv` and `downsample.bn` here.
const LOAD_REMAP: [(&str, &str); 2] = [
    (r"\.downsample\.0\.", ".downsample.conv."),
    (r"\.downsample\.1\.", ".downsample.bn."),
];

/// The other way, for [`ResNetEncoder::save_backbone`].
const SAVE_REMAP: [(&str, &str); 2] = [
    (r"\.downsample\.conv\.", ".downsample.0."),
    (r"\.downsample\.bn\.", ".downsample.1."),
];

/// torchvision's name of a remapped key: the remapping undone.
fn torchvision_key(key: &str) -> String {
    key.replace(".downsample.conv.", ".downsample.0.")
        .replace(".downsample.bn.", ".downsample.1.")
}

fn remapper(pairs: &[(&str, &str)]) -> KeyRemapper {
    pairs
        .iter()
        .try_fold(KeyRemapper::new(), |remapper, (from, to)| {
            remapper.add_pattern(*from, *to)
        })
        .unwrap_or_else(|_| KeyRemapper::new())
}

impl<B: Backend> ResNetEncoder<B> {
    /// Replaces the backbone's parameters and batch-norm statistics with those of a
    /// torchvision ResNet of the same depth: a `.pth` state dict, or a `.safetensors` file
    /// (told by the extension). The file's `fc` (ImageNet's classifier) is left unread; the
    /// bottleneck and the head keep their initialisation. Tensors keep the file's precision.
    ///
    /// # Errors
    ///
    /// [`WeightsError`]: an unreadable file, a backbone parameter missing from it, a backbone
    /// key it has that this network lacks, or a shape that differs, checked before anything
    /// is loaded: the encoder is then unchanged.
    pub fn load_backbone(&mut self, path: impl AsRef<Path>) -> Result<LoadReport, WeightsError> {
        let path = path.as_ref();
        let safetensors = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"));
        if safetensors {
            let mut store = SafetensorsStore::from_file(path)
                .with_from_adapter(PyTorchToBurnAdapter)
                .remap(remapper(&LOAD_REMAP));
            load(&mut self.backbone, &mut store, path)
        } else {
            let mut store = PytorchStore::from_file(path)
                .remap(remapper(&LOAD_REMAP))
                .map_indices_contiguous(false);
            load(&mut self.backbone, &mut store, path)
        }
    }
}

impl<B: Backend> ResNetEncoder<B> {
    /// Writes the backbone as a `.safetensors` file under torchvision's names (batch norm's
    /// `weight`, `bias`, `running_mean`, `running_var`; the shortcut's `downsample.0` and
    /// `downsample.1`), which [`load_backbone`](Self::load_backbone) reads back and PyTorch
    /// loads into a torchvision ResNet of the same depth with `strict=False` (the file has no
    /// `fc` and no `num_batches_tracked`).
    ///
    /// # Errors
    ///
    /// [`WeightsError::Write`] naming the file when it cannot be written.
    pub fn save_backbone(&self, path: impl AsRef<Path>) -> Result<(), WeightsError> {
        let path = path.as_ref();
        let mut store = SafetensorsStore::from_file(path)
            .with_to_adapter(BurnToPyTorchAdapter)
            .remap(remapper(&SAVE_REMAP));
        self.backbone
            .save_into(&mut store)
            .map_err(|e| WeightsError::Write {
                path: path.to_path_buf(),
                problem: e.to_string(),
            })
    }
}

/// A backbone's module path under the file's (remapped) name: batch norm's `gamma` and
/// `beta` are PyTorch's `weight` and `bias`.
fn file_name(path: &str) -> String {
    match path.rsplit_once('.') {
        Some((module, "gamma")) => format!("{module}.weight"),
        Some((module, "beta")) => format!("{module}.bias"),
        _ => path.to_string(),
    }
}

/// Checks the file's keys and shapes against the backbone's, then loads it.
fn load<B: Backend, P: ModuleStore>(
    backbone: &mut Backbone<B>,
    store: &mut P,
    path: &Path,
) -> Result<LoadReport, WeightsError> {
    let read = |problem: String| WeightsError::Read {
        path: path.to_path_buf(),
        problem,
    };
    let file: BTreeMap<String, Vec<usize>> = store
        .get_all_snapshots()
        .map_err(|e| read(e.to_string()))?
        .iter()
        .map(|(key, snapshot)| (key.clone(), snapshot.shape.to_vec()))
        .collect();
    let mine: BTreeMap<String, Vec<usize>> = backbone
        .collect(None, None, false)
        .iter()
        .map(|snapshot| (file_name(&snapshot.full_path()), snapshot.shape.to_vec()))
        .collect();
    for (key, expected) in &mine {
        match file.get(key) {
            Some(found) if found != expected => {
                return Err(WeightsError::Shape {
                    path: path.to_path_buf(),
                    key: torchvision_key(key),
                    expected: expected.clone(),
                    found: found.clone(),
                });
            }
            _ => {}
        }
    }
    if let Some(key) = mine.keys().find(|key| !file.contains_key(*key)) {
        return Err(WeightsError::Missing {
            path: path.to_path_buf(),
            key: torchvision_key(key),
        });
    }
    let mut ignored = Vec::new();
    for key in file.keys().filter(|key| !mine.contains_key(*key)) {
        if key.starts_with("fc.") || key.ends_with(".num_batches_tracked") {
            ignored.push(torchvision_key(key));
        } else {
            return Err(WeightsError::Unexpected {
                path: path.to_path_buf(),
                key: torchvision_key(key),
            });
        }
    }
    let result = backbone.load_from(store).map_err(|e| read(e.to_string()))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(read(result.to_string()));
    }
    Ok(LoadReport {
        loaded: result.applied.len(),
        ignored,
    })
}
