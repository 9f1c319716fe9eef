//! MNIST: the embedded test split, the full shared directory, and every malformed file.

use crate::common;

use burn::data::dataset::Dataset;
use common::{Scratch, gzip, idx_images, idx_labels, mnist_test, pixels, shared_data};
use shiftkit_data::mnist::{self, IMAGES_MAGIC, LABELS_MAGIC, MnistSplit};
use shiftkit_data::{DataError, DigitsPair};

const TEST_CLASS_COUNTS: [usize; 10] = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
const TRAIN_CLASS_COUNTS: [usize; 10] =
    [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];

#[test]
fn embedded_test_split_has_the_known_counts_and_range() {
    let data = mnist_test();
    assert_eq!(data.len(), 10_000);
    assert_eq!(data.pixels().len(), 10_000 * 784);
    assert_eq!(data.class_counts(), TEST_CLASS_COUNTS);
    let (min, max) = data
        .pixels()
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    assert_eq!((min, max), (0.0, 1.0));
    // The first test digit is a 7, as in every copy of MNIST.
    let first = data.get(0).unwrap();
    assert_eq!(first.label, 7);
    assert_eq!(first.pixels.len(), 784);
    assert!(data.get(10_000).is_none());
    // Every pixel is k / 255 for an integer k.
    assert!(data.pixels()[..784 * 10].iter().all(|&v| {
        let k = v * 255.0;
        (k - k.round()).abs() < 1e-3
    }));
}

#[test]
fn full_directory_reads_both_splits_and_the_reference_pair() {
    let Some(shared) = shared_data("full_directory_reads_both_splits_and_the_reference_pair")
    else {
        return;
    };
    let dir = shared.join("mnist");
    let train = mnist::load(&dir, MnistSplit::Train).unwrap();
    assert_eq!(train.len(), 60_000);
    assert_eq!(train.class_counts(), TRAIN_CLASS_COUNTS);
    assert!(train.pixels().iter().all(|v| (0.0..=1.0).contains(v)));

    let test = mnist::load(&dir, MnistSplit::Test).unwrap();
    assert_eq!(
        &test,
        mnist_test(),
        "the embedded copy is the directory's test split"
    );

    let pair = DigitsPair::reference(&dir).unwrap();
    assert_eq!(pair.source_train, train.take(10_000));
    assert_eq!(&pair.source_test, mnist_test());
    assert_eq!(
        (pair.target_train.len(), pair.target_test.len()),
        (1200, 597)
    );
}

#[test]
fn raw_and_gzipped_files_read_the_same() {
    let scratch = Scratch::new("mnist-raw-gz");
    let images = idx_images(IMAGES_MAGIC, 3, 28, 28, &pixels(3));
    let labels = idx_labels(LABELS_MAGIC, 3, &[4, 0, 9]);
    let raw = mnist::load_files(
        scratch.write("images", &images),
        scratch.write("labels", &labels),
    )
    .unwrap();
    let gz = mnist::load_files(
        scratch.write("images.gz", &gzip(&images)),
        scratch.write("labels.gz", &gzip(&labels)),
    )
    .unwrap();
    assert_eq!(raw, gz);
    assert_eq!(raw.labels(), &[4, 0, 9]);
    assert_eq!(raw.image(1).unwrap()[0], 7.0 / 255.0);
    assert_eq!(raw.image(2).unwrap()[100], 114.0 / 255.0);

    // A directory of raw files under the standard names loads too.
    scratch.write("t10k-images-idx3-ubyte", &images);
    scratch.write("t10k-labels-idx1-ubyte", &labels);
    assert_eq!(mnist::load(scratch.path(), MnistSplit::Test).unwrap(), raw);
}

/// Loads images and labels written to a fresh scratch directory.
fn load(images: &[u8], labels: &[u8]) -> Result<shiftkit_data::DigitDataset, DataError> {
    let scratch = Scratch::new("mnist-bad");
    mnist::load_files(
        scratch.write("images", images),
        scratch.write("labels", labels),
    )
}

fn good_images() -> Vec<u8> {
    idx_images(IMAGES_MAGIC, 2, 28, 28, &pixels(2))
}

fn good_labels() -> Vec<u8> {
    idx_labels(LABELS_MAGIC, 2, &[1, 2])
}

#[test]
fn bad_magic_is_an_error_naming_the_file() {
    let images = idx_images(LABELS_MAGIC, 2, 28, 28, &pixels(2));
    let err = load(&images, &good_labels()).unwrap_err();
    assert!(matches!(
        &err,
        DataError::BadMagic { path, expected: IMAGES_MAGIC, found: LABELS_MAGIC }
            if path.ends_with("images")
    ));

    let labels = idx_labels(0x0000_0802, 2, &[1, 2]);
    let err = load(&good_images(), &labels).unwrap_err();
    assert!(matches!(
        &err,
        DataError::BadMagic { path, expected: LABELS_MAGIC, found: 0x0000_0802 }
            if path.ends_with("labels")
    ));
}

#[test]
fn truncated_files_are_errors() {
    let mut images = good_images();
    images.truncate(images.len() - 1);
    let expected = 16 + 2 * 784;
    assert!(matches!(
        load(&images, &good_labels()),
        Err(DataError::Truncated { path, expected: e, found })
            if path.ends_with("images") && e == expected && found == expected - 1
    ));

    // Shorter than the header, and shorter than the magic number.
    assert!(matches!(
        load(&good_images()[..10], &good_labels()),
        Err(DataError::Truncated {
            expected: 16,
            found: 10,
            ..
        })
    ));
    assert!(matches!(
        load(&good_images(), &[0, 0]),
        Err(DataError::Truncated { path, expected: 8, found: 2 }) if path.ends_with("labels")
    ));

    // A label file missing a label.
    assert!(matches!(
        load(&good_images(), &good_labels()[..9]),
        Err(DataError::Truncated {
            expected: 10,
            found: 9,
            ..
        })
    ));
}

#[test]
fn a_truncated_gzip_stream_is_a_gzip_error() {
    let gz = gzip(&good_images());
    assert!(matches!(
        load(&gz[..gz.len() / 2], &good_labels()),
        Err(DataError::Gzip { path, .. }) if path.ends_with("images")
    ));
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut labels = good_labels();
    labels.push(3);
    assert!(matches!(
        load(&good_images(), &labels),
        Err(DataError::TrailingBytes {
            expected: 10,
            found: 11,
            ..
        })
    ));
}

#[test]
fn images_other_than_28x28_are_an_error() {
    let images = idx_images(IMAGES_MAGIC, 2, 32, 28, &[0; 2 * 32 * 28]);
    assert!(matches!(
        load(&images, &good_labels()),
        Err(DataError::BadImageSize {
            rows: 32,
            cols: 28,
            ..
        })
    ));
}

#[test]
fn disagreeing_counts_are_an_error() {
    let labels = idx_labels(LABELS_MAGIC, 3, &[1, 2, 3]);
    assert!(matches!(
        load(&good_images(), &labels),
        Err(DataError::CountMismatch { images: 2, labels: 3, images_path, labels_path })
            if images_path.ends_with("images") && labels_path.ends_with("labels")
    ));
}

#[test]
fn labels_outside_0_to_9_are_an_error() {
    let labels = idx_labels(LABELS_MAGIC, 2, &[1, 10]);
    assert!(matches!(
        load(&good_images(), &labels),
        Err(DataError::LabelOutOfRange { index: 1, label: 10, path }) if path.ends_with("labels")
    ));
}

#[test]
fn missing_files_are_errors() {
    let scratch = Scratch::new("mnist-missing");
    assert!(matches!(
        mnist::load(scratch.path(), MnistSplit::Train),
        Err(DataError::MissingFile { name, .. }) if name == "train-images-idx3-ubyte"
    ));
    assert!(matches!(
        mnist::load_files(scratch.path().join("nope"), scratch.path().join("nada")),
        Err(DataError::Io { path, .. }) if path.ends_with("nope")
    ));
}
