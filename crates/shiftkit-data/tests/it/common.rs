//! Shared helpers: scratch directories, IDX and CSV builders, the shipped data decoded once.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use flate2::Compression;
use flate2::write::GzEncoder;
use shiftkit_data::{DigitDataset, mnist, optdigits};

pub use shiftkit_testkit::Scratch;

/// The embedded MNIST test split, decoded once per test binary.
pub fn mnist_test() -> &'static DigitDataset {
    static DATA: OnceLock<DigitDataset> = OnceLock::new();
    DATA.get_or_init(|| mnist::embedded_test().expect("the embedded MNIST decodes"))
}

/// The embedded optdigits, decoded once per test binary.
pub fn optdigits() -> &'static DigitDataset {
    static DATA: OnceLock<DigitDataset> = OnceLock::new();
    DATA.get_or_init(|| optdigits::embedded().expect("the embedded optdigits decodes"))
}

/// The full data sets beside the repository (`../shared/data` of a checkout, present in CI),
/// or `SHIFTKIT_SHARED_DATA` when set: `None`, with a note on stderr naming the test, when the
/// directory is absent, so that a clone without it still passes the tests that need only the
/// embedded copies.
pub fn shared_data(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SHIFTKIT_SHARED_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    if dir.is_dir() {
        return Some(dir);
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{test}: skipped, no data directory at {}", dir.display());
    }
    None
}

/// `bytes` gzipped.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// An IDX image file: `magic`, `count`, `rows`, `cols`, then `pixels`.
pub fn idx_images(magic: u32, count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [magic, count, rows, cols] {
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    bytes.extend_from_slice(pixels);
    bytes
}

/// An IDX label file: `magic`, `count`, then `labels`.
pub fn idx_labels(magic: u32, count: u32, labels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [magic, count] {
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    bytes.extend_from_slice(labels);
    bytes
}

/// `n` well-formed 28x28 images whose pixel `p` of image `i` is `(i * 7 + p) % 256`.
pub fn pixels(n: usize) -> Vec<u8> {
    (0..n * 784)
        .map(|k| ((k / 784) * 7 + k % 784) as u8)
        .collect()
}

/// A CSV line of 64 pixels (all `pixel`) and `label`.
pub fn csv_line(pixel: u8, label: u8) -> String {
    let mut fields: Vec<String> = vec![pixel.to_string(); 64];
    fields.push(label.to_string());
    fields.join(",")
}
