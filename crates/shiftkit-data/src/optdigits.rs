//! UCI "Optical Recognition of Handwritten Digits" (Alpaydin and Kaynak), mapped into MNIST's
//! geometry.
//!
//! The data is the set scikit-learn ships as `load_digits`: 1,797 digits, each an `8x8` block
//! whose values `0..=16` count the set pixels in `4x4` cells of a `32x32` bitmap. The CSV file
//! (gzipped or plain, told apart by the gzip magic bytes) has one digit a line: 64 integer
//! pixels row by row, then the label, comma-separated, no header.
//!
//! # The mapping into MNIST's geometry
//!
//! So that one network serves both domains, each block becomes a `28x28` image laid out like
//! an MNIST digit, which sits in a `20x20` box centred in the `28x28` frame:
//!
//! 1. scale to `[0, 1]`: divide by 16;
//! 2. resize bilinearly to `20x20` with PyTorch's `align_corners=False` convention: output
//!    pixel `o` samples the block at `s = 0.4 * o - 0.3` (clamped to `[0, 7]`), interpolating
//!    between the two nearest block pixels along each axis;
//! 3. pad with zeros to `28x28`: 4 pixels on each side, so the content fills rows and columns
//!    `4..24`.
//!
//! This is exactly the PyTorch reference's `F.interpolate(..., size=(20, 20),
//! mode="bilinear", align_corners=False)` then `F.pad(x, (4, 4, 4, 4))`, up to `f32`
//! rounding. No further normalisation is applied.

use std::path::Path;

use crate::digits::DigitDataset;
use crate::error::DataError;
use crate::gzip;
use crate::items::{IMAGE_PIXELS, IMAGE_SIDE, NUM_CLASSES};
use crate::resize;

/// Side of an optdigits block, in cells.
pub const BLOCK_SIDE: usize = 8;

/// Cells in one optdigits block (`8 * 8`).
pub const BLOCK_PIXELS: usize = BLOCK_SIDE * BLOCK_SIDE;

/// The largest cell value (a `4x4` cell has 16 pixels).
pub const MAX_VALUE: u8 = 16;

/// Side of the box the digit is resized to inside the `28x28` frame, as MNIST's digits.
pub const RESIZED_SIDE: usize = 20;

/// Zero pixels on each side of the resized digit (`(28 - 20) / 2`).
pub const PADDING: usize = (IMAGE_SIDE - RESIZED_SIDE) / 2;

/// The number of digits in the embedded set.
pub const EMBEDDED_LEN: usize = 1797;

/// Fields in one CSV line: 64 pixels and the label.
const CSV_WIDTH: usize = BLOCK_PIXELS + 1;

/// The embedded CSV (`digits.csv.gz` from scikit-learn 1.9.1).
#[cfg(feature = "embedded")]
const EMBEDDED_CSV: &[u8] = include_bytes!("../assets/digits.csv.gz");

/// Loads the digits of a CSV file (gzipped or plain), mapped into MNIST's geometry.
///
/// Blank lines are skipped.
///
/// # Errors
///
/// - [`DataError::Io`] when the file cannot be read, [`DataError::Gzip`] when it looks
///   gzipped but does not decompress;
/// - [`DataError::CsvWidth`] for a line without exactly 65 fields;
/// - [`DataError::CsvNotInteger`] for a field that is not an integer;
/// - [`DataError::CsvOutOfRange`] for a pixel outside `0..=16` or a label outside `0..=9`.
pub fn load(path: impl AsRef<Path>) -> Result<DigitDataset, DataError> {
    let path = path.as_ref();
    parse(&gzip::read(path)?, path)
}

/// The 1,797 digits embedded in the crate, mapped into MNIST's geometry, in the file's order.
///
/// Each call decodes the data afresh; keep the result.
///
/// # Errors
///
/// None in practice: the embedded file is well formed. The `Result` is there because the
/// same checks as for any file run on it.
#[cfg(feature = "embedded")]
pub fn embedded() -> Result<DigitDataset, DataError> {
    let path = std::path::PathBuf::from("shiftkit-data/assets/digits.csv.gz");
    parse(&gzip::decode(EMBEDDED_CSV, &path)?, &path)
}

/// One `8x8` block (values `0..=16`, row-major) mapped into MNIST's geometry: 784 pixels,
/// row-major `28x28`, content only in the central `20x20` box (see the
/// [module docs](self)).
///
/// Values above 16 are not clamped: they map linearly past 1.
pub fn to_mnist_geometry(block: &[u8; BLOCK_PIXELS]) -> Vec<f32> {
    let scaled: Vec<f32> = block
        .iter()
        .map(|&v| f32::from(v) / f32::from(MAX_VALUE))
        .collect();
    let resized = resize::bilinear(&scaled, BLOCK_SIDE, BLOCK_SIDE, RESIZED_SIDE, RESIZED_SIDE);
    let mut image = vec![0.0; IMAGE_PIXELS];
    for (row, values) in resized.chunks_exact(RESIZED_SIDE).enumerate() {
        let start = (row + PADDING) * IMAGE_SIDE + PADDING;
        image[start..start + RESIZED_SIDE].copy_from_slice(values);
    }
    image
}

/// The PyTorch reference's split of the embedded digits: 1,200 training and 597 test indices.
///
/// `dann_ref.py` (`--split-seed 0`, its default) takes `torch.randperm(1797)` under
/// `torch.Generator().manual_seed(0)` and keeps the first 1,200 for training. Torch's
/// generator cannot be reproduced here, so the indices are shipped as they were dumped
/// (`assets/optdigits_split_seed0.json`), in the reference's order. Using them makes target
/// accuracies directly comparable with the reference's. The split is random, not
/// stratified; use [`stratified_split`](crate::stratified_split) for a seeded stratified one.
pub fn reference_split() -> (Vec<usize>, Vec<usize>) {
    let split: DumpedSplit = serde_json::from_str(REFERENCE_SPLIT)
        .expect("the shipped split parses (the test reference_split_partitions_the_digits)");
    (split.train, split.test)
}

/// The reference's split as `dann_ref.py --split-seed 0 --dump-split` writes it.
const REFERENCE_SPLIT: &str = include_str!("../assets/optdigits_split_seed0.json");

/// The fields of [`REFERENCE_SPLIT`] the split is read from.
#[derive(serde::Deserialize)]
struct DumpedSplit {
    train: Vec<usize>,
    test: Vec<usize>,
}

/// Checks and decodes a decompressed CSV file.
fn parse(bytes: &[u8], path: &Path) -> Result<DigitDataset, DataError> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (number, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line_number = number + 1;
        let found = line.split(|&b| b == b',').count();
        if found != CSV_WIDTH {
            return Err(DataError::CsvWidth {
                path: path.to_path_buf(),
                line: line_number,
                expected: CSV_WIDTH,
                found,
            });
        }
        let mut block = [0u8; BLOCK_PIXELS];
        let mut label = 0;
        for (index, field) in line.split(|&b| b == b',').enumerate() {
            let max = if index < BLOCK_PIXELS {
                MAX_VALUE
            } else {
                (NUM_CLASSES - 1) as u8
            };
            let value = field_value(field, max, path, line_number, index + 1)?;
            match block.get_mut(index) {
                Some(cell) => *cell = value,
                None => label = value,
            }
        }
        pixels.extend_from_slice(&to_mnist_geometry(&block));
        labels.push(label);
    }
    DigitDataset::new(pixels, labels)
}

/// The integer in `field`, checked to lie in `0..=max`.
fn field_value(
    field: &[u8],
    max: u8,
    path: &Path,
    line: usize,
    column: usize,
) -> Result<u8, DataError> {
    let text = String::from_utf8_lossy(field);
    let value: i64 = text.trim().parse().map_err(|_| DataError::CsvNotInteger {
        path: path.to_path_buf(),
        line,
        column,
        value: text.clone().into_owned(),
    })?;
    u8::try_from(value)
        .ok()
        .filter(|&v| v <= max)
        .ok_or_else(|| DataError::CsvOutOfRange {
            path: path.to_path_buf(),
            line,
            column,
            value,
            max: i64::from(max),
        })
}
