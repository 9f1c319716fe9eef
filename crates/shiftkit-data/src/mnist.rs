//! MNIST (LeCun, Cortes and Burges) from the standard IDX files.
//!
//! An IDX file is a big-endian header followed by unsigned bytes: images start with the magic
//! number `0x00000803`, the image count, then rows and columns (28 and 28); labels start with
//! `0x00000801` and the label count. Files may be gzipped or raw: a file starting with the
//! gzip magic bytes `1f 8b` is decompressed, whatever its name.
//!
//! Everything is checked before any image is handed out: the magic numbers, the image size,
//! the file lengths against their headers (no truncation, no trailing bytes), the two counts
//! against each other and every label against `0..=9`. Pixels are scaled from `0..=255` to
//! `[0, 1]` by dividing by 255, and nothing else (no mean or standard-deviation
//! normalisation).
//!
//! The 10,000-image test split ships inside the crate ([`embedded_test`]), so a fresh clone
//! needs no download; the 60,000-image training split is read from a directory with [`load`].

use std::path::{Path, PathBuf};

use crate::digits::DigitDataset;
use crate::error::DataError;
use crate::gzip;
use crate::items::{IMAGE_PIXELS, IMAGE_SIDE, first_invalid_label};

/// The magic number of an IDX file of unsigned-byte images (type `0x08`, 3 dimensions).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;

/// The magic number of an IDX file of unsigned-byte labels (type `0x08`, 1 dimension).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// The length of an image file's header: magic, count, rows, columns.
const IMAGES_HEADER: usize = 16;

/// The length of a label file's header: magic, count.
const LABELS_HEADER: usize = 8;

/// The embedded test images (`t10k-images-idx3-ubyte.gz`).
#[cfg(feature = "embedded")]
const EMBEDDED_TEST_IMAGES: &[u8] = include_bytes!("../assets/t10k-images-idx3-ubyte.gz");

/// The embedded test labels (`t10k-labels-idx1-ubyte.gz`).
#[cfg(feature = "embedded")]
const EMBEDDED_TEST_LABELS: &[u8] = include_bytes!("../assets/t10k-labels-idx1-ubyte.gz");

/// One of MNIST's two standard splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MnistSplit {
    /// The 60,000 training images (`train-*-ubyte`).
    Train,
    /// The 10,000 test images (`t10k-*-ubyte`).
    Test,
}

impl MnistSplit {
    /// The standard name of the split's image file, without `.gz`.
    pub fn images_file_name(self) -> &'static str {
        match self {
            Self::Train => "train-images-idx3-ubyte",
            Self::Test => "t10k-images-idx3-ubyte",
        }
    }

    /// The standard name of the split's label file, without `.gz`.
    pub fn labels_file_name(self) -> &'static str {
        match self {
            Self::Train => "train-labels-idx1-ubyte",
            Self::Test => "t10k-labels-idx1-ubyte",
        }
    }
}

/// Loads a split from a directory holding the standard file names, gzipped (`name.gz`,
/// preferred when both exist) or raw (`name`).
///
/// # Errors
///
/// [`DataError::MissingFile`] when a file is in neither form; otherwise as
/// [`load_files`].
pub fn load(dir: impl AsRef<Path>, split: MnistSplit) -> Result<DigitDataset, DataError> {
    let dir = dir.as_ref();
    let images = locate(dir, split.images_file_name())?;
    let labels = locate(dir, split.labels_file_name())?;
    load_files(images, labels)
}

/// Loads images and labels from two IDX files of any name, each gzipped or raw.
///
/// # Errors
///
/// - [`DataError::Io`] when a file cannot be read, [`DataError::Gzip`] when one looks gzipped
///   but does not decompress;
/// - [`DataError::BadMagic`], [`DataError::BadImageSize`], [`DataError::Truncated`],
///   [`DataError::TrailingBytes`] for a malformed file;
/// - [`DataError::CountMismatch`] when the files disagree on the count;
/// - [`DataError::LabelOutOfRange`] for a label outside `0..=9`.
pub fn load_files(
    images: impl AsRef<Path>,
    labels: impl AsRef<Path>,
) -> Result<DigitDataset, DataError> {
    let (images, labels) = (images.as_ref(), labels.as_ref());
    let image_bytes = gzip::read(images)?;
    let label_bytes = gzip::read(labels)?;
    parse(&image_bytes, images, &label_bytes, labels)
}

/// The MNIST test split (10,000 images) embedded in the crate.
///
/// Its class counts are 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974 and 1009 for the
/// digits 0 to 9. Each call decodes the data afresh (about 30 MB of `f32`); keep the result.
///
/// # Errors
///
/// None in practice: the embedded files are well formed. The `Result` is there because the
/// same checks as for any file run on them.
#[cfg(feature = "embedded")]
pub fn embedded_test() -> Result<DigitDataset, DataError> {
    let images = PathBuf::from("shiftkit-data/assets/t10k-images-idx3-ubyte.gz");
    let labels = PathBuf::from("shiftkit-data/assets/t10k-labels-idx1-ubyte.gz");
    let image_bytes = gzip::decode(EMBEDDED_TEST_IMAGES, &images)?;
    let label_bytes = gzip::decode(EMBEDDED_TEST_LABELS, &labels)?;
    parse(&image_bytes, &images, &label_bytes, &labels)
}

/// `dir/name.gz` if it exists, else `dir/name` if it exists.
fn locate(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let gzipped = dir.join(format!("{name}.gz"));
    if gzipped.is_file() {
        return Ok(gzipped);
    }
    let raw = dir.join(name);
    if raw.is_file() {
        return Ok(raw);
    }
    Err(DataError::MissingFile {
        dir: dir.to_path_buf(),
        name: name.to_owned(),
    })
}

/// Checks and decodes decompressed image and label files.
fn parse(
    image_bytes: &[u8],
    images_path: &Path,
    label_bytes: &[u8],
    labels_path: &Path,
) -> Result<DigitDataset, DataError> {
    let raw_pixels = image_payload(image_bytes, images_path)?;
    let labels = label_payload(label_bytes, labels_path)?;
    let images = raw_pixels.len() / IMAGE_PIXELS;
    if images != labels.len() {
        return Err(DataError::CountMismatch {
            images_path: images_path.to_path_buf(),
            labels_path: labels_path.to_path_buf(),
            images,
            labels: labels.len(),
        });
    }
    if let Some((index, label)) = first_invalid_label(labels) {
        return Err(DataError::LabelOutOfRange {
            path: labels_path.to_path_buf(),
            index,
            label,
        });
    }
    let pixels = raw_pixels
        .iter()
        .map(|&value| f32::from(value) / 255.0)
        .collect();
    DigitDataset::new(pixels, labels.to_vec())
}

/// The pixel bytes of a checked image file (`count * 784` of them).
fn image_payload<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a [u8], DataError> {
    let header = header(bytes, path, IMAGES_MAGIC, IMAGES_HEADER)?;
    let (count, rows, cols) = (header[1], header[2], header[3]);
    if rows as usize != IMAGE_SIDE || cols as usize != IMAGE_SIDE {
        return Err(DataError::BadImageSize {
            path: path.to_path_buf(),
            rows,
            cols,
        });
    }
    payload(bytes, path, IMAGES_HEADER, count as usize, IMAGE_PIXELS)
}

/// The label bytes of a checked label file.
fn label_payload<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a [u8], DataError> {
    let header = header(bytes, path, LABELS_MAGIC, LABELS_HEADER)?;
    payload(bytes, path, LABELS_HEADER, header[1] as usize, 1)
}

/// The big-endian `u32` words of a header `len` bytes long, the magic number checked.
fn header(bytes: &[u8], path: &Path, magic: u32, len: usize) -> Result<Vec<u32>, DataError> {
    let truncated = || DataError::Truncated {
        path: path.to_path_buf(),
        expected: len,
        found: bytes.len(),
    };
    let words: Vec<u32> = bytes
        .chunks_exact(4)
        .take(len / 4)
        .map(|word| u32::from_be_bytes([word[0], word[1], word[2], word[3]]))
        .collect();
    let found = *words.first().ok_or_else(truncated)?;
    if found != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            expected: magic,
            found,
        });
    }
    if bytes.len() < len {
        return Err(truncated());
    }
    Ok(words)
}

/// The `count * item_len` bytes after the header, the file's length checked against them.
fn payload<'a>(
    bytes: &'a [u8],
    path: &Path,
    header_len: usize,
    count: usize,
    item_len: usize,
) -> Result<&'a [u8], DataError> {
    let expected = count.saturating_mul(item_len).saturating_add(header_len);
    let found = bytes.len();
    if found < expected {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    if found > expected {
        return Err(DataError::TrailingBytes {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    Ok(&bytes[header_len..])
}
