//! NumPy arrays as written by `numpy.save` (`.npy`) and `numpy.savez` /
//! `numpy.savez_compressed` (`.npz`), read with the `npyz` crate (and `zip` for the archive).
//!
//! # What the arrays must be
//!
//! - **Features `x`**: shape `[N, F]` (items `[F]`), `[N, C, H, W]` (items `[C, H, W]`,
//!   channels first as PyTorch stores them) or `[N, H, W]` (one channel: items `[1, H, W]`);
//!   C or Fortran order, either byte order. Dtype `u8`, `f32` or `f64`: **`u8` values are
//!   scaled by `1/255`** into `[0, 1]`, as 8-bit images usually are stored; floats are taken as
//!   they are (and must be finite). An `[N, H, W, C]` array (TensorFlow's layout) is read as
//!   `[C = H, ...]`: transpose it to channels first before saving.
//! - **Labels `y`** (optional: unlabelled target data has none): shape `[N]` or `[N, 1]`. An
//!   integer dtype gives classes, kept as they are (they must lie in `0..=u32::MAX`; the number
//!   of classes is the largest plus one, without names); a float dtype gives values (finite).
//!   [`SampleDataset::into_task`] converts between the two.
//!
//! Arrays are read whole into memory: `x` becomes one flat `f32` buffer.
//!
//! ```no_run
//! use shiftkit_data::arrays;
//!
//! let source = arrays::load_npz("source.npz", "x", Some("y"))?;
//! let target = arrays::load_npy("target_x.npy", None)?;
//! assert_eq!(source.shape(), target.shape());
//! # Ok::<(), shiftkit_data::DataError>(())
//! ```

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use npyz::{DType, NpyFile, Order, TypeChar};

use super::label::LabelSet;
use super::sample::SampleDataset;
use crate::error::DataError;

/// The key of the features in a `.npz` archive unless told otherwise.
pub const DEFAULT_X_KEY: &str = "x";

/// The key of the labels in a `.npz` archive unless told otherwise.
pub const DEFAULT_Y_KEY: &str = "y";

/// The dtypes accepted for features.
const X_DTYPES: &str = "u8, f32 or f64";

/// The dtypes accepted for labels.
const Y_DTYPES: &str = "an integer dtype (classes) or f32, f64 (values)";

/// Reads features from the `.npy` file `x_path` and, when given, labels from `y_path`.
///
/// # Errors
///
/// Every error names its file: [`DataError::Io`] when a file cannot be read,
/// [`DataError::Npy`] when it is not a NumPy array (or is cut short),
/// [`DataError::UnsupportedDtype`], [`DataError::ArrayShape`] (wrong rank, or an empty item
/// axis), [`DataError::NoSamples`] when `N` is 0, [`DataError::ArrayCountMismatch`] when `x`
/// and `y` disagree on `N`, [`DataError::NonFiniteValue`] for a NaN or infinity, and
/// [`DataError::InvalidClass`] for a negative class.
pub fn load_npy(
    x_path: impl AsRef<Path>,
    y_path: Option<&Path>,
) -> Result<SampleDataset, DataError> {
    let x_path = x_path.as_ref();
    let x = read_x(npy_file(x_path, "x")?, x_path, "x")?;
    let labels = match y_path {
        Some(y_path) => {
            let y = read_y(npy_file(y_path, "y")?, y_path, "y")?;
            check_counts(x_path, x.count, y_path, &y)?;
            y
        }
        None => LabelSet::unlabelled(x.count),
    };
    x.into_dataset(labels, x_path)
}

/// Reads features from array `x_key` of the `.npz` archive `path` and, when `y_key` is given,
/// labels from that array (keys with or without `.npy`; [`DEFAULT_X_KEY`] and
/// [`DEFAULT_Y_KEY`] are NumPy's usual `x` and `y`).
///
/// # Errors
///
/// As [`load_npy`], and [`DataError::Npz`] when the file is not a zip archive (or a member
/// does not decompress), [`DataError::MissingArray`] when a key is not in it.
pub fn load_npz(
    path: impl AsRef<Path>,
    x_key: &str,
    y_key: Option<&str>,
) -> Result<SampleDataset, DataError> {
    let path = path.as_ref();
    let mut archive = open_archive(path)?;
    let x = {
        let member = archive_member(&mut archive, path, x_key)?;
        read_x(npy_header(member, path, x_key)?, path, x_key)?
    };
    let labels = match y_key {
        Some(y_key) => {
            let member = archive_member(&mut archive, path, y_key)?;
            let y = read_y(npy_header(member, path, y_key)?, path, y_key)?;
            check_counts(path, x.count, path, &y)?;
            y
        }
        None => LabelSet::unlabelled(x.count),
    };
    x.into_dataset(labels, path)
}

/// Reads `x` and, when the archive holds it, `y` ([`DEFAULT_X_KEY`], [`DEFAULT_Y_KEY`]).
///
/// # Errors
///
/// As [`load_npz`].
pub fn load_npz_default(path: impl AsRef<Path>) -> Result<SampleDataset, DataError> {
    let path = path.as_ref();
    let keys = npz_keys(path)?;
    let y_key = keys
        .iter()
        .any(|key| key == DEFAULT_Y_KEY)
        .then_some(DEFAULT_Y_KEY);
    load_npz(path, DEFAULT_X_KEY, y_key)
}

/// The keys of the arrays in a `.npz` archive (member names without `.npy`), in archive
/// order.
///
/// # Errors
///
/// [`DataError::Io`] or [`DataError::Npz`].
pub fn npz_keys(path: impl AsRef<Path>) -> Result<Vec<String>, DataError> {
    let path = path.as_ref();
    let archive = open_archive(path)?;
    Ok(keys_of(&archive))
}

/// The features as read: flat values, the item shape, the number of items.
struct Features {
    values: Vec<f32>,
    shape: Vec<usize>,
    count: usize,
}

impl Features {
    fn into_dataset(self, labels: LabelSet, path: &Path) -> Result<SampleDataset, DataError> {
        if self.count == 0 {
            return Err(DataError::NoSamples {
                path: path.to_path_buf(),
            });
        }
        SampleDataset::memory(self.values, self.shape, labels)
    }
}

fn open_archive(path: &Path) -> Result<zip::ZipArchive<BufReader<File>>, DataError> {
    let file = File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    zip::ZipArchive::new(BufReader::new(file)).map_err(|err| DataError::Npz {
        path: path.to_path_buf(),
        source: io::Error::other(err),
    })
}

fn keys_of<R: Read + io::Seek>(archive: &zip::ZipArchive<R>) -> Vec<String> {
    archive
        .file_names()
        .map(|name| name.strip_suffix(".npy").unwrap_or(name).to_string())
        .collect()
}

/// The member `key` (or `key.npy`) of the archive.
fn archive_member<'a, R: Read + io::Seek>(
    archive: &'a mut zip::ZipArchive<R>,
    path: &Path,
    key: &str,
) -> Result<zip::read::ZipFile<'a, R>, DataError> {
    let with_suffix = format!("{key}.npy");
    let name = if archive.index_for_name(&with_suffix).is_some() {
        with_suffix
    } else if archive.index_for_name(key).is_some() {
        key.to_string()
    } else {
        return Err(DataError::MissingArray {
            path: path.to_path_buf(),
            key: key.to_string(),
            keys: keys_of(archive).join(", "),
        });
    };
    archive.by_name(&name).map_err(|err| DataError::Npz {
        path: path.to_path_buf(),
        source: io::Error::other(err),
    })
}

fn npy_file(path: &Path, array: &str) -> Result<NpyFile<BufReader<File>>, DataError> {
    let file = File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    npy_header(BufReader::new(file), path, array)
}

fn npy_header<R: Read>(reader: R, path: &Path, array: &str) -> Result<NpyFile<R>, DataError> {
    NpyFile::new(reader).map_err(|source| npy_error(path, array, source))
}

fn npy_error(path: &Path, array: &str, source: io::Error) -> DataError {
    DataError::Npy {
        path: path.to_path_buf(),
        array: array.to_string(),
        source,
    }
}

/// The array's shape in `usize`, with its element count, or an error when it overflows.
fn shape_of<R: Read>(
    npy: &NpyFile<R>,
    path: &Path,
    array: &str,
    expected: &'static str,
) -> Result<(Vec<usize>, usize), DataError> {
    let bad = || DataError::ArrayShape {
        path: path.to_path_buf(),
        array: array.to_string(),
        shape: npy.shape().to_vec(),
        expected,
    };
    let shape: Vec<usize> = npy
        .shape()
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let len = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(bad)?;
    Ok((shape, len))
}

/// The array's dtype as NumPy writes it, for messages.
fn dtype_text(dtype: &DType) -> String {
    match dtype {
        DType::Plain(type_str) => type_str.to_string(),
        other => format!("{other:?}"),
    }
}

fn unsupported(path: &Path, array: &str, dtype: &DType, expected: &'static str) -> DataError {
    DataError::UnsupportedDtype {
        path: path.to_path_buf(),
        array: array.to_string(),
        dtype: dtype_text(dtype),
        expected,
    }
}

/// The element type of a plain dtype: its kind and size in bytes.
fn plain_type(dtype: &DType) -> Option<(TypeChar, u64)> {
    match dtype {
        DType::Plain(type_str) => Some((type_str.type_char(), type_str.size_field())),
        _ => None,
    }
}

/// Reads the whole array as `T`, in C order.
fn elements<T: npyz::Deserialize + Copy, R: Read>(
    npy: NpyFile<R>,
    shape: &[usize],
    path: &Path,
    array: &str,
) -> Result<Vec<T>, DataError> {
    let order = npy.order();
    let values = npy
        .into_vec::<T>()
        .map_err(|source| npy_error(path, array, source))?;
    Ok(match order {
        Order::C => values,
        Order::Fortran => fortran_to_c(&values, shape),
    })
}

/// Reorders the elements of an array of `shape` stored in Fortran order (first axis
/// fastest) into C order (last axis fastest).
fn fortran_to_c<T: Copy>(values: &[T], shape: &[usize]) -> Vec<T> {
    if shape.len() < 2 {
        return values.to_vec();
    }
    // Fortran strides: axis k advances by the product of the axes before it.
    let mut strides = vec![1usize; shape.len()];
    for k in 1..shape.len() {
        strides[k] = strides[k - 1] * shape[k - 1];
    }
    let mut out = Vec::with_capacity(values.len());
    let mut index = vec![0usize; shape.len()];
    for _ in 0..values.len() {
        let offset: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
        out.push(values[offset]);
        // Advance the C-order multi-index (last axis fastest).
        for k in (0..shape.len()).rev() {
            index[k] += 1;
            if index[k] < shape[k] {
                break;
            }
            index[k] = 0;
        }
    }
    out
}

/// Reads the features: `u8` scaled by `1/255`, floats checked finite.
fn read_x<R: Read>(npy: NpyFile<R>, path: &Path, array: &str) -> Result<Features, DataError> {
    const EXPECTED: &str = "[N, F], [N, H, W] or [N, C, H, W] with no empty axis past N";
    let (shape, _) = shape_of(&npy, path, array, EXPECTED)?;
    let item_shape = match shape.as_slice() {
        [_, f] => vec![*f],
        [_, h, w] => vec![1, *h, *w],
        [_, c, h, w] => vec![*c, *h, *w],
        _ => Vec::new(),
    };
    if item_shape.is_empty() || item_shape.contains(&0) {
        return Err(DataError::ArrayShape {
            path: path.to_path_buf(),
            array: array.to_string(),
            shape: npy.shape().to_vec(),
            expected: EXPECTED,
        });
    }
    let count = shape[0];
    let item_len: usize = item_shape.iter().product();
    let dtype = npy.dtype();
    let values: Vec<f32> = match plain_type(&dtype) {
        Some((TypeChar::Uint, 1)) => elements::<u8, _>(npy, &shape, path, array)?
            .into_iter()
            .map(|v| f32::from(v) / 255.0)
            .collect(),
        Some((TypeChar::Float, 4)) => elements::<f32, _>(npy, &shape, path, array)?,
        Some((TypeChar::Float, 8)) => elements::<f64, _>(npy, &shape, path, array)?
            .into_iter()
            .map(|v| v as f32)
            .collect(),
        _ => return Err(unsupported(path, array, &dtype, X_DTYPES)),
    };
    if let Some(position) = values.iter().position(|v| !v.is_finite()) {
        return Err(DataError::NonFiniteValue {
            path: path.to_path_buf(),
            array: array.to_string(),
            index: position / item_len,
        });
    }
    Ok(Features {
        values,
        shape: item_shape,
        count,
    })
}

/// Reads the labels: integers as classes, floats as values.
fn read_y<R: Read>(npy: NpyFile<R>, path: &Path, array: &str) -> Result<LabelSet, DataError> {
    const EXPECTED: &str = "[N] or [N, 1]";
    let (shape, _) = shape_of(&npy, path, array, EXPECTED)?;
    if !matches!(shape.as_slice(), [_] | [_, 1]) {
        return Err(DataError::ArrayShape {
            path: path.to_path_buf(),
            array: array.to_string(),
            shape: npy.shape().to_vec(),
            expected: EXPECTED,
        });
    }
    let dtype = npy.dtype();
    let integers = |values: Vec<i128>| -> Result<LabelSet, DataError> {
        let mut classes = Vec::with_capacity(values.len());
        for (index, value) in values.into_iter().enumerate() {
            let class = u32::try_from(value).map_err(|_| DataError::InvalidClass {
                path: path.to_path_buf(),
                index,
                value,
            })?;
            classes.push(class);
        }
        Ok(LabelSet::classes(classes, None))
    };
    let widen = |values: Vec<i64>| values.into_iter().map(i128::from).collect::<Vec<_>>();
    match plain_type(&dtype) {
        Some((TypeChar::Int, 1)) => integers(widen(
            elements::<i8, _>(npy, &shape, path, array)?
                .into_iter()
                .map(i64::from)
                .collect(),
        )),
        Some((TypeChar::Int, 2)) => integers(widen(
            elements::<i16, _>(npy, &shape, path, array)?
                .into_iter()
                .map(i64::from)
                .collect(),
        )),
        Some((TypeChar::Int, 4)) => integers(widen(
            elements::<i32, _>(npy, &shape, path, array)?
                .into_iter()
                .map(i64::from)
                .collect(),
        )),
        Some((TypeChar::Int, 8)) => integers(widen(elements::<i64, _>(npy, &shape, path, array)?)),
        Some((TypeChar::Uint, 1)) => integers(widen(
            elements::<u8, _>(npy, &shape, path, array)?
                .into_iter()
                .map(i64::from)
                .collect(),
        )),
        Some((TypeChar::Uint, 2)) => integers(widen(
            elements::<u16, _>(npy, &shape, path, array)?
                .into_iter()
                .map(i64::from)
                .collect(),
        )),
        Some((TypeChar::Uint, 4)) => integers(widen(
            elements::<u32, _>(npy, &shape, path, array)?
                .into_iter()
                .map(i64::from)
                .collect(),
        )),
        Some((TypeChar::Uint, 8)) => integers(
            elements::<u64, _>(npy, &shape, path, array)?
                .into_iter()
                .map(i128::from)
                .collect(),
        ),
        Some((TypeChar::Float, size @ (4 | 8))) => {
            let values: Vec<f32> = if size == 4 {
                elements::<f32, _>(npy, &shape, path, array)?
            } else {
                elements::<f64, _>(npy, &shape, path, array)?
                    .into_iter()
                    .map(|v| v as f32)
                    .collect()
            };
            if let Some(index) = values.iter().position(|v| !v.is_finite()) {
                return Err(DataError::NonFiniteValue {
                    path: path.to_path_buf(),
                    array: array.to_string(),
                    index,
                });
            }
            Ok(LabelSet::values(values))
        }
        _ => Err(unsupported(path, array, &dtype, Y_DTYPES)),
    }
}

fn check_counts(
    x_path: &Path,
    x_count: usize,
    y_path: &Path,
    y: &LabelSet,
) -> Result<(), DataError> {
    if y.labels.len() != x_count {
        return Err(DataError::ArrayCountMismatch {
            x_path: x_path.to_path_buf(),
            y_path: PathBuf::from(y_path),
            x_count,
            y_count: y.labels.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use burn::data::dataset::Dataset;
    use shiftkit_testkit::Scratch;

    use super::{fortran_to_c, load_npy, load_npz, load_npz_default, npz_keys};
    use crate::DataError;
    use crate::user::{Label, LabelKind, LabelMode};

    /// A `.npy` file (format 1.0) of dtype `descr`, `shape`, in C order unless `fortran`,
    /// with the raw element bytes `data`.
    pub(crate) fn npy(descr: &str, shape: &[usize], fortran: bool, data: &[u8]) -> Vec<u8> {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        let shape_text = match dims.len() {
            1 => format!("({},)", dims[0]),
            _ => format!("({})", dims.join(", ")),
        };
        let order = if fortran { "True" } else { "False" };
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape_text}, }}");
        // Magic (6) + version (2) + length (2) + header + newline, padded to 64.
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    pub(crate) fn f32_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn f64_bytes(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    pub(crate) fn i64_bytes(values: &[i64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// A `.npz` archive of `members` (name without `.npy`, file bytes), deflated or stored.
    pub(crate) fn npz(members: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, bytes) in members {
            writer.start_file(format!("{name}.npy"), options).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn path_named(err: &DataError, path: &std::path::Path) {
        let text = err.to_string();
        assert!(
            text.contains(&path.display().to_string()),
            "{text:?} does not name {}",
            path.display()
        );
    }

    #[test]
    fn npy_features_and_class_labels_round_trip() {
        let dir = Scratch::new("npy-round-trip");
        let x: Vec<f32> = (0..12).map(|v| v as f32 * 0.5 - 1.0).collect();
        let x_path = dir.write("x.npy", &npy("<f4", &[4, 3], false, &f32_bytes(&x)));
        let y_path = dir.write("y.npy", &npy("<i8", &[4], false, &i64_bytes(&[0, 2, 1, 2])));
        let data = load_npy(&x_path, Some(&y_path)).unwrap();
        assert_eq!(data.len(), 4);
        assert_eq!(data.shape(), [3]);
        assert_eq!(data.task(), LabelKind::Classes { num_classes: 3 });
        assert_eq!(data.class_names(), None);
        assert_eq!(data.name(0), None);
        let item = data.get(2).unwrap();
        assert_eq!(item.x, &x[6..9]);
        assert_eq!(item.label, Label::Class(1));
        assert!(data.get(4).is_none());
    }

    #[test]
    fn u8_images_scale_to_unit_range_and_get_a_channel_axis() {
        let dir = Scratch::new("npy-u8");
        let pixels: Vec<u8> = (0..2 * 2 * 3).map(|v| (v * 20) as u8).collect();
        let x_path = dir.write("x.npy", &npy("|u1", &[2, 2, 3], false, &pixels));
        let data = load_npy(&x_path, None).unwrap();
        assert_eq!(data.shape(), [1, 2, 3]);
        assert_eq!(data.task(), LabelKind::Unlabelled);
        let item = data.get(1).unwrap();
        assert_eq!(item.label, Label::None);
        let expected: Vec<f32> = pixels[6..].iter().map(|&p| f32::from(p) / 255.0).collect();
        assert_eq!(item.x, expected);
    }

    #[test]
    fn f64_nchw_arrays_and_float_labels_give_values() {
        let dir = Scratch::new("npy-f64");
        let x: Vec<f64> = (0..2 * 3 * 2 * 2).map(|v| f64::from(v) / 7.0).collect();
        let x_path = dir.write("x.npy", &npy("<f8", &[2, 3, 2, 2], false, &f64_bytes(&x)));
        let y_path = dir.write(
            "y.npy",
            &npy("<f4", &[2, 1], false, &f32_bytes(&[0.25, -3.5])),
        );
        let data = load_npy(&x_path, Some(&y_path)).unwrap();
        assert_eq!(data.shape(), [3, 2, 2]);
        assert_eq!(data.task(), LabelKind::Values);
        let item = data.get(1).unwrap();
        assert_eq!(item.label, Label::Value(-3.5));
        assert_eq!(item.x[0], (12.0f64 / 7.0) as f32);
        let classes = data.clone().into_task(LabelMode::Classes);
        assert!(matches!(
            classes,
            Err(DataError::NotAClass { index: 0, .. })
        ));
    }

    #[test]
    fn fortran_order_arrays_are_reordered() {
        // [[0, 1, 2], [3, 4, 5]] stored column by column.
        assert_eq!(
            fortran_to_c(&[0, 3, 1, 4, 2, 5], &[2, 3]),
            vec![0, 1, 2, 3, 4, 5]
        );
        let dir = Scratch::new("npy-fortran");
        let stored = f32_bytes(&[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        let x_path = dir.write("x.npy", &npy("<f4", &[2, 3], true, &stored));
        let data = load_npy(&x_path, None).unwrap();
        assert_eq!(data.get(1).unwrap().x, [3.0, 4.0, 5.0]);
        // Three axes: element (i, j, k) at i + 2 j + 4 k.
        let c: Vec<u32> = fortran_to_c(&(0..8).collect::<Vec<u32>>(), &[2, 2, 2]);
        assert_eq!(c, [0, 4, 2, 6, 1, 5, 3, 7]);
    }

    #[test]
    fn big_endian_arrays_read() {
        let dir = Scratch::new("npy-big-endian");
        let data: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let x_path = dir.write("x.npy", &npy(">f4", &[1, 2], false, &data));
        assert_eq!(
            load_npy(&x_path, None).unwrap().get(0).unwrap().x,
            [1.5, -2.0]
        );
    }

    #[test]
    fn npz_reads_stored_and_deflated_archives() {
        let dir = Scratch::new("npz");
        let x = f32_bytes(&[1.0, 2.0, 3.0, 4.0]);
        let y = i64_bytes(&[1, 0]);
        for deflate in [false, true] {
            let path = dir.write(
                "data.npz",
                &npz(
                    &[
                        ("x", npy("<f4", &[2, 2], false, &x)),
                        ("y", npy("<i8", &[2], false, &y)),
                        ("extra", npy("<f4", &[1], false, &f32_bytes(&[0.0]))),
                    ],
                    deflate,
                ),
            );
            assert_eq!(npz_keys(&path).unwrap(), ["x", "y", "extra"]);
            let data = load_npz(&path, "x", Some("y.npy")).unwrap();
            assert_eq!(data.get(1).unwrap().x, [3.0, 4.0]);
            assert_eq!(data.get(1).unwrap().label, Label::Class(0));
            let default = load_npz_default(&path).unwrap();
            assert_eq!(default.labels(), data.labels());
            let unlabelled = load_npz(&path, "x", None).unwrap();
            assert_eq!(unlabelled.task(), LabelKind::Unlabelled);
        }
    }

    #[test]
    fn missing_key_is_named_with_the_keys_present() {
        let dir = Scratch::new("npz-missing");
        let path = dir.write(
            "data.npz",
            &npz(
                &[("features", npy("<f4", &[1, 1], false, &f32_bytes(&[1.0])))],
                false,
            ),
        );
        let err = load_npz(&path, "x", None).unwrap_err();
        assert!(
            matches!(&err, DataError::MissingArray { key, keys, .. } if key == "x" && keys == "features"),
            "{err}"
        );
        path_named(&err, &path);
        let err = load_npz(&path, "features", Some("labels")).unwrap_err();
        assert!(matches!(&err, DataError::MissingArray { key, .. } if key == "labels"));
    }

    #[test]
    fn not_an_archive_or_not_an_array_is_an_error() {
        let dir = Scratch::new("npy-garbage");
        let path = dir.write("data.npz", b"not a zip file at all");
        let err = load_npz(&path, "x", None).unwrap_err();
        assert!(matches!(err, DataError::Npz { .. }), "{err}");
        path_named(&err, &path);
        let path = dir.write("x.npy", b"\x93NUMPY garbage");
        let err = load_npy(&path, None).unwrap_err();
        assert!(matches!(err, DataError::Npy { .. }), "{err}");
        path_named(&err, &path);
        // A header promising more data than there is.
        let path = dir.write(
            "cut.npy",
            &npy("<f4", &[4, 3], false, &f32_bytes(&[1.0; 5])),
        );
        let err = load_npy(&path, None).unwrap_err();
        assert!(matches!(err, DataError::Npy { .. }), "{err}");
        let err = load_npy(dir.join("absent.npy"), None).unwrap_err();
        assert!(matches!(err, DataError::Io { .. }), "{err}");
    }

    #[test]
    fn wrong_dtypes_are_named() {
        let dir = Scratch::new("npy-dtype");
        let x_path = dir.write("x.npy", &npy("<i4", &[1, 2], false, &[0; 8]));
        let err = load_npy(&x_path, None).unwrap_err();
        assert!(
            matches!(&err, DataError::UnsupportedDtype { dtype, array, .. } if dtype == "<i4" && array == "x"),
            "{err}"
        );
        path_named(&err, &x_path);
        let x_path = dir.write("x2.npy", &npy("<f4", &[1, 2], false, &f32_bytes(&[0.0; 2])));
        let y_path = dir.write("y.npy", &npy("|b1", &[1], false, &[1]));
        let err = load_npy(&x_path, Some(&y_path)).unwrap_err();
        assert!(matches!(&err, DataError::UnsupportedDtype { array, .. } if array == "y"));
        path_named(&err, &y_path);
    }

    #[test]
    fn wrong_ranks_are_named() {
        let dir = Scratch::new("npy-rank");
        let x_path = dir.write("x.npy", &npy("<f4", &[3], false, &f32_bytes(&[0.0; 3])));
        let err = load_npy(&x_path, None).unwrap_err();
        assert!(matches!(&err, DataError::ArrayShape { shape, .. } if shape == &[3]));
        path_named(&err, &x_path);
        let x_path = dir.write(
            "x5.npy",
            &npy("<f4", &[1, 1, 1, 1, 1], false, &f32_bytes(&[0.0])),
        );
        assert!(matches!(
            load_npy(&x_path, None),
            Err(DataError::ArrayShape { .. })
        ));
        let x_path = dir.write("x0.npy", &npy("<f4", &[2, 0], false, &[]));
        assert!(matches!(
            load_npy(&x_path, None),
            Err(DataError::ArrayShape { .. })
        ));
        let x_path = dir.write("ok.npy", &npy("<f4", &[2, 1], false, &f32_bytes(&[0.0; 2])));
        let y_path = dir.write("y.npy", &npy("<i8", &[2, 2], false, &i64_bytes(&[0; 4])));
        let err = load_npy(&x_path, Some(&y_path)).unwrap_err();
        assert!(matches!(&err, DataError::ArrayShape { array, .. } if array == "y"));
        path_named(&err, &y_path);
        let x_path = dir.write("empty.npy", &npy("<f4", &[0, 3], false, &[]));
        let err = load_npy(&x_path, None).unwrap_err();
        assert!(matches!(err, DataError::NoSamples { .. }), "{err}");
    }

    #[test]
    fn count_mismatch_names_both_files() {
        let dir = Scratch::new("npy-count");
        let x_path = dir.write("x.npy", &npy("<f4", &[3, 1], false, &f32_bytes(&[0.0; 3])));
        let y_path = dir.write("y.npy", &npy("<i8", &[2], false, &i64_bytes(&[0, 1])));
        let err = load_npy(&x_path, Some(&y_path)).unwrap_err();
        assert!(matches!(
            err,
            DataError::ArrayCountMismatch {
                x_count: 3,
                y_count: 2,
                ..
            }
        ));
        path_named(&err, &x_path);
        path_named(&err, &y_path);
    }

    #[test]
    fn negative_classes_and_non_finite_values_are_errors() {
        let dir = Scratch::new("npy-values");
        let x_path = dir.write("x.npy", &npy("<f4", &[3, 1], false, &f32_bytes(&[0.0; 3])));
        let y_path = dir.write("y.npy", &npy("<i8", &[3], false, &i64_bytes(&[0, -1, 2])));
        let err = load_npy(&x_path, Some(&y_path)).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::InvalidClass {
                    index: 1,
                    value: -1,
                    ..
                }
            ),
            "{err}"
        );
        path_named(&err, &y_path);
        let bad_x = dir.write(
            "bad_x.npy",
            &npy(
                "<f4",
                &[3, 2],
                false,
                &f32_bytes(&[0.0, 1.0, 2.0, 3.0, f32::NAN, 5.0]),
            ),
        );
        let err = load_npy(&bad_x, None).unwrap_err();
        assert!(
            matches!(&err, DataError::NonFiniteValue { index: 2, array, .. } if array == "x"),
            "{err}"
        );
        path_named(&err, &bad_x);
        let bad_y = dir.write(
            "bad_y.npy",
            &npy("<f8", &[3], false, &f64_bytes(&[0.0, f64::INFINITY, 1.0])),
        );
        let err = load_npy(&x_path, Some(&bad_y)).unwrap_err();
        assert!(matches!(&err, DataError::NonFiniteValue { index: 1, array, .. } if array == "y"));
        path_named(&err, &bad_y);
    }

    #[test]
    fn value_labels_become_classes_on_request() {
        let dir = Scratch::new("npy-into-classes");
        let x_path = dir.write("x.npy", &npy("<f4", &[3, 1], false, &f32_bytes(&[0.0; 3])));
        let y_path = dir.write(
            "y.npy",
            &npy("<f4", &[3], false, &f32_bytes(&[2.0, 0.0, 1.0])),
        );
        let data = load_npy(&x_path, Some(&y_path)).unwrap();
        let classes = data.into_task(LabelMode::Classes).unwrap();
        assert_eq!(classes.task(), LabelKind::Classes { num_classes: 3 });
        assert_eq!(classes.label(0), Some(Label::Class(2)));
        let values = classes.into_task(LabelMode::Values).unwrap();
        assert_eq!(values.label(0), Some(Label::Value(2.0)));
        let _: PathBuf = x_path;
    }
}
