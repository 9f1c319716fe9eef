//! Saving and loading networks: Burn's named MessagePack records, checked against the network
//! before anything is loaded, and the one-call export of a trained encoder with its
//! configuration.
//!
//! Burn's `Module::load_record` trusts its record: a tensor of another shape is taken as it is
//! (the error surfaces later, as a panic inside an operation), and a list of layers of another
//! length panics at once. [`load_bytes`] therefore first compares the *outline* of the saved
//! record (its field names, list lengths and tensor shapes) with the outline of
//! the network it is loaded into, and refuses a record of another network with
//! [`RecordError::Mismatch`], naming the first place where they differ. Nothing is loaded then.
//!
//! The format is Burn's [`NamedMpkBytesRecorder`] at full precision: a file written here loads
//! with plain Burn (`NamedMpkFileRecorder::<FullPrecisionSettings>`) too.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::backend::Backend;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, de::DeserializeOwned};
use thiserror::Error;

use shiftkit_store::IoFailure;

use crate::{CnnEncoderConfig, MlpEncoderConfig, NnError, ShallowEncoderConfig};

/// The recorder of every network file of shiftkit.
type Format = NamedMpkBytesRecorder<FullPrecisionSettings>;

/// Why a network could not be saved or loaded. Each variant names the file.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Reading or writing the file failed.
    #[error(transparent)]
    Io(IoFailure),
    /// The bytes are not a record (truncated, damaged, or another format).
    #[error("{path} is not a readable network record: {problem}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        problem: String,
    },
    /// The record is of another network: another architecture, widths or class count.
    #[error("{path} holds another network: at `{at}` the network has {expected}, the file {found}")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// Where the two differ, as a path of field names and list indices.
        at: String,
        /// What the network has there.
        expected: String,
        /// What the file has there.
        found: String,
    },
    /// A configuration file next to the weights is missing or unreadable.
    #[error("{path}: {problem}")]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The configuration was read but the network could not be built from it.
    #[error("{path}: {source}")]
    Network {
        /// The configuration file.
        path: PathBuf,
        /// The network's error.
        #[source]
        source: NnError,
    },
}

impl RecordError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, action: &'static str, error: &io::Error) -> Self {
        Self::Io(IoFailure::new(path, action, error))
    }
}

/// `module`'s parameters and state as record bytes (Burn's named MessagePack, full precision).
///
/// # Errors
///
/// [`RecordError::Decode`] (naming `label`) if Burn's recorder fails to encode.
pub fn to_bytes<B: Backend, M: Module<B>>(
    module: &M,
    label: &Path,
) -> Result<Vec<u8>, RecordError> {
    Recorder::<B>::record(&Format::default(), module.clone().into_record(), ())
        .map_err(|e| decode_error(label, &e))
}

/// `module` with the parameters and state of `bytes` (written by [`to_bytes`] from a network
/// of the same architecture), on `device`. Parameter ids come from the record, so an
/// optimiser's state saved with the same network applies to the result.
///
/// # Errors
///
/// [`RecordError::Decode`] for bytes that are not a record, [`RecordError::Mismatch`] for a
/// record of another network; `label` names the source in both. `module` is consumed either
/// way; clone it first to keep it.
pub fn load_bytes<B: Backend, M: Module<B>>(
    module: M,
    bytes: &[u8],
    label: &Path,
    device: &B::Device,
) -> Result<M, RecordError> {
    check_outline::<B, M>(&module, bytes, label)?;
    let record = Recorder::<B>::load(&Format::default(), bytes.to_vec(), device)
        .map_err(|e| decode_error(label, &e))?;
    Ok(module.load_record(record))
}

/// Compares the outline of `bytes` with `module`'s own.
fn check_outline<B: Backend, M: Module<B>>(
    module: &M,
    bytes: &[u8],
    label: &Path,
) -> Result<(), RecordError> {
    let found: Outline = rmp_serde::from_slice(bytes).map_err(|e| decode_error(label, &e))?;
    let expected: Outline = rmp_serde::from_slice(&to_bytes::<B, M>(module, label)?)
        .map_err(|e| decode_error(label, &e))?;
    // The record's metadata (Burn's version, the settings' names) may differ between writers:
    // only the item is the network.
    let (expected, found) = (expected.field("item"), found.field("item"));
    match (expected, found) {
        (Some(expected), Some(found)) => expected
            .compare(found, &mut String::from("item"))
            .map_err(|(at, expected, found)| RecordError::Mismatch {
                path: label.to_path_buf(),
                at,
                expected,
                found,
            }),
        _ => Err(RecordError::Decode {
            path: label.to_path_buf(),
            problem: "no `item` in the record".to_string(),
        }),
    }
}

fn decode_error(label: &Path, error: &dyn fmt::Display) -> RecordError {
    RecordError::Decode {
        path: label.to_path_buf(),
        problem: error.to_string(),
    }
}

/// The structure of a serialised record without its values: maps with their keys, lists with
/// their lengths, integers (tensor shapes) with their values, the length of byte strings (tensor
/// data); strings (parameter ids, type names) and floats are not compared.
#[derive(Debug)]
enum Outline {
    Map(Vec<(String, Outline)>),
    List(Vec<Outline>),
    Integer(i128),
    Bytes(usize),
    Other(&'static str),
}

impl Outline {
    fn field(&self, name: &str) -> Option<&Outline> {
        match self {
            Outline::Map(entries) => entries.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Outline::Map(entries) => format!("a map of {} fields", entries.len()),
            Outline::List(items) => format!("a list of {}", items.len()),
            Outline::Integer(value) => format!("the number {value}"),
            Outline::Bytes(len) => format!("{len} bytes of data"),
            Outline::Other(what) => format!("a {what}"),
        }
    }

    /// The first difference, as `(where, expected, found)`.
    fn compare(&self, other: &Outline, at: &mut String) -> Result<(), (String, String, String)> {
        let differ =
            |at: &String, a: &Outline, b: &Outline| Err((at.clone(), a.describe(), b.describe()));
        match (self, other) {
            (Outline::Map(a), Outline::Map(b)) => {
                for (key, value) in a {
                    let len = at.len();
                    at.push('.');
                    at.push_str(key);
                    match b.iter().find(|(k, _)| k == key) {
                        Some((_, other)) => value.compare(other, at)?,
                        None => {
                            return Err((at.clone(), value.describe(), "nothing".to_string()));
                        }
                    }
                    at.truncate(len);
                }
                if a.len() == b.len() {
                    Ok(())
                } else {
                    differ(at, self, other)
                }
            }
            (Outline::List(a), Outline::List(b)) => {
                if a.len() != b.len() {
                    return differ(at, self, other);
                }
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    let len = at.len();
                    at.push_str(&format!("[{i}]"));
                    x.compare(y, at)?;
                    at.truncate(len);
                }
                Ok(())
            }
            (Outline::Integer(a), Outline::Integer(b)) if a == b => Ok(()),
            (Outline::Bytes(a), Outline::Bytes(b)) if a == b => Ok(()),
            (Outline::Other(a), Outline::Other(b)) if a == b => Ok(()),
            _ => differ(at, self, other),
        }
    }
}

impl<'de> Deserialize<'de> for Outline {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OutlineVisitor)
    }
}

struct OutlineVisitor;

impl<'de> Visitor<'de> for OutlineVisitor {
    type Value = Outline;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Outline, E> {
        Ok(Outline::Other("boolean"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Outline, E> {
        Ok(Outline::Integer(i128::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Outline, E> {
        Ok(Outline::Integer(i128::from(v)))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Outline, E> {
        Ok(Outline::Other("float"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Outline, E> {
        Ok(Outline::Other("string"))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Outline, E> {
        Ok(Outline::Bytes(v.len()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Outline, E> {
        Ok(Outline::Other("unit"))
    }
    fn visit_none<E: de::Error>(self) -> Result<Outline, E> {
        Ok(Outline::Other("unit"))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Outline, D::Error> {
        Outline::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Outline, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Outline::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outline, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            entries.push((key.0, map.next_value()?));
        }
        Ok(Outline::Map(entries))
    }
}

/// A map key of any scalar kind, as text.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key, E> {
                Ok(Key(String::from_utf8_lossy(v).into_owned()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// The configuration of an encoder that [`save_encoder`] and [`load_encoder`] can rebuild:
/// the reference encoders' configurations, or one of your own.
pub trait EncoderConfig: Serialize + DeserializeOwned {
    /// The encoder it builds, on any backend.
    type Encoder<B: Backend>: Module<B>;

    /// A name written into the configuration file and checked when loading, so that an MLP's
    /// file is not read as a CNN's.
    const KIND: &'static str;

    /// Builds the encoder (its weights are then replaced by the saved ones).
    ///
    /// # Errors
    ///
    /// The configuration's own errors.
    fn build<B: Backend>(&self, device: &B::Device) -> Result<Self::Encoder<B>, NnError>;
}

impl EncoderConfig for MlpEncoderConfig {
    type Encoder<B: Backend> = crate::MlpEncoder<B>;
    const KIND: &'static str = "mlp";
    fn build<B: Backend>(&self, device: &B::Device) -> Result<Self::Encoder<B>, NnError> {
        self.init(device)
    }
}

impl EncoderConfig for CnnEncoderConfig {
    type Encoder<B: Backend> = crate::CnnEncoder<B>;
    const KIND: &'static str = "cnn";
    fn build<B: Backend>(&self, device: &B::Device) -> Result<Self::Encoder<B>, NnError> {
        self.init(device)
    }
}

impl EncoderConfig for crate::ResNetConfig {
    type Encoder<B: Backend> = crate::ResNetEncoder<B>;
    const KIND: &'static str = "resnet";
    fn build<B: Backend>(&self, device: &B::Device) -> Result<Self::Encoder<B>, NnError> {
        self.init(device)
    }
}

impl EncoderConfig for ShallowEncoderConfig {
    type Encoder<B: Backend> = crate::ShallowEncoder<B>;
    const KIND: &'static str = "shallow";
    fn build<B: Backend>(&self, device: &B::Device) -> Result<Self::Encoder<B>, NnError> {
        self.init(device)
    }
}

/// What [`save_encoder`] writes next to the weights.
#[derive(Serialize, serde::Deserialize)]
struct ExportHeader<C> {
    kind: String,
    shiftkit_version: String,
    config: C,
}

/// The configuration file of an export at `path`: `path` with the extension `.json`
/// (`encoder.mpk` -> `encoder.json`).
pub fn config_path(path: &Path) -> PathBuf {
    path.with_extension("json")
}

/// Whether `path` ends in `.json` (in any case): the extension of the configuration
/// [`save_encoder`] writes beside the weights, so weights saved there would be overwritten.
pub fn is_config_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("json"))
}

/// Saves a trained encoder for inference: its weights at `path` (Burn's named MessagePack at
/// full precision, loadable with plain Burn too) and its configuration as JSON at
/// [`config_path`]. Train on the autodiff backend, then save `model.valid()` or the model
/// itself: the weights are the same.
///
/// # Errors
///
/// [`RecordError::Io`] when a file cannot be written; [`RecordError::Config`] when `path`
/// ends in `.json`, where the configuration would overwrite the weights (nothing is written).
pub fn save_encoder<B: Backend, C: EncoderConfig>(
    path: &Path,
    encoder: &C::Encoder<B>,
    config: &C,
) -> Result<(), RecordError> {
    if is_config_extension(path) {
        return Err(RecordError::Config {
            path: path.to_path_buf(),
            problem: "the weights' path ends in .json, which the configuration is written to: \
                      give the weights another extension (.mpk)"
                .to_string(),
        });
    }
    let bytes = to_bytes::<B, _>(encoder, path)?;
    let header = ExportHeader {
        kind: C::KIND.to_string(),
        shiftkit_version: env!("CARGO_PKG_VERSION").to_string(),
        config,
    };
    let json_path = config_path(path);
    let text = serde_json::to_string_pretty(&header).map_err(|e| RecordError::Config {
        path: json_path.clone(),
        problem: e.to_string(),
    })?;
    std::fs::write(path, bytes).map_err(|e| RecordError::io(path, "write", &e))?;
    std::fs::write(&json_path, text + "\n").map_err(|e| RecordError::io(&json_path, "write", &e))
}

/// Loads what [`save_encoder`] saved, on `device` of any backend (the inner backend for
/// inference): the encoder, built from the saved configuration, with the saved weights, and
/// the configuration.
///
/// # Errors
///
/// [`RecordError::Io`] for a missing file, [`RecordError::Config`] for a configuration file
/// that is not JSON or of another kind of encoder, [`RecordError::Network`] for a
/// configuration the encoder refuses, [`RecordError::Decode`] or [`RecordError::Mismatch`] for
/// weights that are damaged or of another network.
pub fn load_encoder<B: Backend, C: EncoderConfig>(
    path: &Path,
    device: &B::Device,
) -> Result<(C::Encoder<B>, C), RecordError> {
    let json_path = config_path(path);
    let text =
        std::fs::read_to_string(&json_path).map_err(|e| RecordError::io(&json_path, "read", &e))?;
    let header: ExportHeader<C> = serde_json::from_str(&text).map_err(|e| RecordError::Config {
        path: json_path.clone(),
        problem: e.to_string(),
    })?;
    if header.kind != C::KIND {
        return Err(RecordError::Config {
            path: json_path,
            problem: format!(
                "the file is of a `{}` encoder, not `{}`",
                header.kind,
                C::KIND
            ),
        });
    }
    let encoder = header
        .config
        .build::<B>(device)
        .map_err(|source| RecordError::Network {
            path: json_path.clone(),
            source,
        })?;
    let bytes = std::fs::read(path).map_err(|e| RecordError::io(path, "read", &e))?;
    let encoder = load_bytes::<B, _>(encoder, &bytes, path, device)?;
    Ok((encoder, header.config))
}
