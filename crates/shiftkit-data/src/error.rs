use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// What can go wrong when loading, building or splitting a data set.
///
/// Errors about a file name the file (for the embedded data, a path under
/// `shiftkit-data/assets/`) and carry the offending value, so a caller can report it or match
/// on it. Lines and columns of a CSV file count from 1, as an editor shows them.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The file starts with the gzip magic bytes but does not decompress.
    #[error("{path} is not valid gzip: {source}")]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decompressor's error.
        #[source]
        source: io::Error,
    },

    /// Neither `name` nor `name.gz` exists in the directory.
    #[error("neither {name} nor {name}.gz is in {dir}")]
    MissingFile {
        /// The directory searched.
        dir: PathBuf,
        /// The file name looked for (without `.gz`).
        name: String,
    },

    /// An IDX file does not start with the magic number of its kind.
    #[error("{path}: IDX magic number {found:#010x}, expected {expected:#010x}")]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The magic number this kind of file must have (`0x00000803` images, `0x00000801`
        /// labels).
        expected: u32,
        /// The first four bytes of the file, big-endian.
        found: u32,
    },

    /// A file is shorter than its header says.
    #[error("{path} is truncated: expected {expected} bytes, found {found}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The length the header implies (decompressed), in bytes.
        expected: usize,
        /// The actual length (decompressed), in bytes.
        found: usize,
    },

    /// A file is longer than its header says.
    #[error("{path} has trailing bytes: expected {expected} bytes, found {found}")]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// The length the header implies (decompressed), in bytes.
        expected: usize,
        /// The actual length (decompressed), in bytes.
        found: usize,
    },

    /// An IDX image file holds images of another size than 28x28.
    #[error("{path} holds {rows}x{cols} images, expected 28x28")]
    BadImageSize {
        /// The file.
        path: PathBuf,
        /// Rows per image, from the header.
        rows: u32,
        /// Columns per image, from the header.
        cols: u32,
    },

    /// The image and label files disagree on the number of examples.
    #[error("{images_path} holds {images} images but {labels_path} holds {labels} labels")]
    CountMismatch {
        /// The image file.
        images_path: PathBuf,
        /// The label file.
        labels_path: PathBuf,
        /// The image count from its header.
        images: usize,
        /// The label count from its header.
        labels: usize,
    },

    /// An IDX label file holds a label outside `0..=9`.
    #[error("{path}: label {label} of example {index} is outside 0..=9")]
    LabelOutOfRange {
        /// The file.
        path: PathBuf,
        /// The example's position (from 0).
        index: usize,
        /// The label found.
        label: u8,
    },

    /// A CSV line has the wrong number of fields.
    #[error("{path}, line {line}: {found} fields, expected {expected}")]
    CsvWidth {
        /// The file.
        path: PathBuf,
        /// The line (from 1).
        line: usize,
        /// The number of fields a line must have.
        expected: usize,
        /// The number of fields found.
        found: usize,
    },

    /// A CSV field is not an integer (or one beyond the range of `i64`).
    #[error("{path}, line {line}, column {column}: {value:?} is not an integer")]
    CsvNotInteger {
        /// The file.
        path: PathBuf,
        /// The line (from 1).
        line: usize,
        /// The field (from 1).
        column: usize,
        /// The field's text (invalid UTF-8 replaced).
        value: String,
    },

    /// A CSV field is an integer outside its range `0..=max`.
    #[error("{path}, line {line}, column {column}: {value} is outside 0..={max}")]
    CsvOutOfRange {
        /// The file.
        path: PathBuf,
        /// The line (from 1).
        line: usize,
        /// The field (from 1).
        column: usize,
        /// The value found.
        value: i64,
        /// The largest value allowed (16 for a pixel, 9 for a label).
        max: i64,
    },

    /// A digit data set was given a label outside `0..=9`.
    #[error("label {label} of example {index} is outside 0..=9")]
    InvalidLabel {
        /// The example's position (from 0).
        index: usize,
        /// The label given.
        label: u8,
    },

    /// A digit data set was given a pixel buffer whose length is not 784 per label.
    #[error("{found} pixels given, expected {expected} (784 per label)")]
    PixelCount {
        /// 784 times the number of labels.
        expected: usize,
        /// The buffer's length.
        found: usize,
    },

    /// A point data set was given as many points as labels, or not.
    #[error("{inputs} inputs but {labels} labels")]
    LengthMismatch {
        /// The number of inputs given.
        inputs: usize,
        /// The number of labels given.
        labels: usize,
    },

    /// A subset asked for an example the data set does not have.
    #[error("index {index} is out of range for a data set of {len}")]
    IndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// The data set's length.
        len: usize,
    },

    /// A test fraction outside `[0, 1]` (or NaN).
    #[error("the test fraction must lie in [0, 1], got {0}")]
    InvalidTestFraction(f64),

    /// More test examples asked for than there are examples.
    #[error("{n_test} test examples asked for, but only {len} examples")]
    TestCountTooLarge {
        /// The test count asked for.
        n_test: usize,
        /// The number of examples.
        len: usize,
    },

    /// A shard that is not one of the shards asked for.
    #[error("shard {rank} of {shards} does not exist")]
    InvalidShard {
        /// The shard asked for.
        rank: usize,
        /// The number of shards.
        shards: usize,
    },

    /// A noise level that is negative or not finite.
    #[error("the noise standard deviation must be finite and >= 0, got {0}")]
    InvalidNoise(f64),

    /// A rotation angle that is not finite.
    #[error("the rotation angle must be finite, got {0} degrees")]
    NonFiniteAngle(f64),

    /// A rotation centre that is not finite.
    #[error("the rotation centre must be finite, got {0:?}")]
    NonFiniteCentre([f64; 2]),

    /// An image buffer whose length is not `side * side`.
    #[error("an image of side {side} needs {expected} pixels, got {found}")]
    ImageSize {
        /// The side the image was said to have.
        side: usize,
        /// `side * side`.
        expected: usize,
        /// The buffer's length.
        found: usize,
    },

    /// A background-noise amplitude outside `[0, 1]` (or NaN).
    #[error("the noise amplitude must lie in [0, 1], got {0}")]
    InvalidAmplitude(f32),

    /// A thinning or thickening square of side 0.
    #[error("the structuring square's side must be at least 1, got {0}")]
    InvalidElementSize(usize),

    /// A name that is not one of the robustness suite's pairs.
    #[error("unknown suite pair {name:?} (expected one of {expected})")]
    UnknownSuitePair {
        /// The name given.
        name: String,
        /// The pairs' names, comma-separated.
        expected: String,
    },
}
