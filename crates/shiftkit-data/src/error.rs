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

    /// A `.npy` array (a file, or a member of a `.npz` archive) whose header does not parse or
    /// whose data is cut short.
    #[error("{path}, array {array}: not a readable NumPy array: {source}")]
    Npy {
        /// The file.
        path: PathBuf,
        /// The array: `x` or `y`, or the key in the archive.
        array: String,
        /// The reader's error.
        #[source]
        source: io::Error,
    },

    /// A `.npz` file that is not a readable zip archive, or a member that does not
    /// decompress.
    #[error("{path} is not a readable .npz (zip) archive: {source}")]
    Npz {
        /// The file.
        path: PathBuf,
        /// The zip reader's error.
        #[source]
        source: io::Error,
    },

    /// A `.npz` archive without the array asked for.
    #[error("{path} has no array {key:?} (it holds: {keys})")]
    MissingArray {
        /// The archive.
        path: PathBuf,
        /// The key asked for.
        key: String,
        /// The keys the archive holds, comma-separated.
        keys: String,
    },

    /// An array of a dtype that cannot serve: features must be `u8`, `f32` or `f64`, labels
    /// an integer or a float dtype.
    #[error("{path}, array {array}: dtype {dtype} is not supported (expected {expected})")]
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// The array: `x` or `y`, or the key in the archive.
        array: String,
        /// The dtype found, as NumPy writes it (`<i4`, `|b1`, ...).
        dtype: String,
        /// The dtypes accepted.
        expected: &'static str,
    },

    /// An array of a shape that cannot serve (wrong rank, or a zero-size axis past the
    /// first).
    #[error("{path}, array {array}: shape {shape:?} is not {expected}")]
    ArrayShape {
        /// The file.
        path: PathBuf,
        /// The array: `x` or `y`, or the key in the archive.
        array: String,
        /// The shape found.
        shape: Vec<u64>,
        /// The shapes accepted.
        expected: &'static str,
    },

    /// The features and labels disagree on the number of samples.
    #[error("{x_path} holds {x_count} samples but {y_path} holds {y_count} labels")]
    ArrayCountMismatch {
        /// The file of the features.
        x_path: PathBuf,
        /// The file of the labels (the same archive for a `.npz`).
        y_path: PathBuf,
        /// The samples in `x` (its first axis).
        x_count: usize,
        /// The labels in `y`.
        y_count: usize,
    },

    /// A class label that is negative or beyond `u32`.
    #[error(
        "{path}: class {value} of sample {index} is not a class index (negative or above 4294967295)"
    )]
    InvalidClass {
        /// The file.
        path: PathBuf,
        /// The sample (from 0).
        index: usize,
        /// The label found.
        value: i128,
    },

    /// A feature or label value that is NaN or infinite.
    #[error("{path}, array {array}: value of sample {index} is not finite")]
    NonFiniteValue {
        /// The file.
        path: PathBuf,
        /// The array: `x` or `y`, or the key in the archive.
        array: String,
        /// The sample (from 0).
        index: usize,
    },

    /// A file or folder that holds no sample.
    #[error("{path} holds no samples")]
    NoSamples {
        /// The file or folder.
        path: PathBuf,
    },

    /// A CSV file the reader cannot parse (invalid UTF-8, an unclosed quote).
    #[error("{path}: not readable as CSV: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The CSV reader's error.
        #[source]
        source: io::Error,
    },

    /// A CSV cell that is not a finite number where one is needed.
    #[error("{path}, line {line}, column {column:?}: {value:?} is not a finite number")]
    CsvNotNumber {
        /// The file.
        path: PathBuf,
        /// The line (from 1; the header is line 1).
        line: usize,
        /// The column's name, from the header.
        column: String,
        /// The cell's text.
        value: String,
    },

    /// A CSV row whose label cell is empty.
    #[error("{path}, line {line}: the label column {column:?} is empty")]
    CsvEmptyLabel {
        /// The file.
        path: PathBuf,
        /// The line (from 1; the header is line 1).
        line: usize,
        /// The label column's name.
        column: String,
    },

    /// A label column that the CSV header does not name.
    #[error("{path}: no column {column:?} in the header (columns: {header})")]
    CsvMissingColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The header's columns, comma-separated.
        header: String,
    },

    /// A class folder of an image folder that holds no image.
    #[error(
        "class folder {path} holds no image (.png, .jpg, .jpeg, .bmp, .gif, .tif, .tiff, .webp)"
    )]
    EmptyClassFolder {
        /// The class folder.
        path: PathBuf,
    },

    /// An image that cannot be opened or decoded.
    #[error("cannot decode image {path}: {source}")]
    Image {
        /// The image file.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: io::Error,
    },

    /// A line of an image list file that is not `path label`.
    #[error("{path}, line {line}: {text:?} is not `path label` (label a class index)")]
    ListLine {
        /// The list file.
        path: PathBuf,
        /// The line (from 1).
        line: usize,
        /// The line's text.
        text: String,
    },

    /// An image list file naming an image that does not exist.
    #[error("{path}, line {line}: no image file at {image}")]
    ListMissingImage {
        /// The list file.
        path: PathBuf,
        /// The line (from 1).
        line: usize,
        /// The image's path, resolved.
        image: PathBuf,
    },

    /// An image configuration that cannot be used.
    #[error("invalid image configuration: {0}")]
    InvalidImageConfig(String),

    /// A path that is none of the data kinds [`detect`](crate::user::detect) knows.
    #[error("{path}: not a folder of class folders or images, nor a .npy, .npz, .csv or .txt file")]
    UnknownDataKind {
        /// The path.
        path: PathBuf,
    },

    /// A class name that the class list given to
    /// [`SampleDataset::remap_classes`](crate::SampleDataset::remap_classes) does not hold.
    #[error("class {name:?} is not among the classes given ({known})")]
    UnknownClass {
        /// The class name.
        name: String,
        /// The classes given, comma-separated.
        known: String,
    },

    /// An operation on class labels asked of a data set without class names (or without
    /// classes).
    #[error("the data set has no class names to remap (its task is {task})")]
    NoClassNames {
        /// The data set's task, as text.
        task: String,
    },

    /// A value label that cannot become a class index (negative, fractional, or too large).
    #[error("value {value} of sample {index} is not a class index")]
    NotAClass {
        /// The sample (from 0).
        index: usize,
        /// The value.
        value: f32,
    },

    /// A flat value buffer whose length is not the item length times the number of labels.
    #[error("{found} values given, expected {expected} ({item_len} per label)")]
    ValueCount {
        /// The values per item (the product of the shape).
        item_len: usize,
        /// `item_len` times the number of labels.
        expected: usize,
        /// The buffer's length.
        found: usize,
    },

    /// An item shape with no axis or an axis of length 0.
    #[error("item shape {0:?} is empty or has an axis of length 0")]
    EmptyShape(Vec<usize>),

    /// Labels of different kinds (classes, values, none) in one data set.
    #[error("label {index} is of another kind than label 0 (classes, values and none cannot mix)")]
    MixedLabels {
        /// The first label of another kind (from 0).
        index: usize,
    },

    /// A class label not below the number of class names given.
    #[error("class {class} of sample {index} has no name ({names} class names given)")]
    ClassWithoutName {
        /// The sample (from 0).
        index: usize,
        /// The class.
        class: u32,
        /// The number of class names.
        names: usize,
    },

    /// A value label that is NaN or infinite.
    #[error("the value label of sample {index} is not finite")]
    NonFiniteLabel {
        /// The sample (from 0).
        index: usize,
    },
}
