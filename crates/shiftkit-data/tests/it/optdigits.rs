//! Optdigits: the embedded set, the mapping into MNIST's geometry, the reference split and
//! every malformed CSV.

use crate::common;

use std::collections::BTreeSet;

use common::{Scratch, csv_line, gzip, optdigits as embedded};
use shiftkit_data::optdigits::{self, EMBEDDED_LEN};
use shiftkit_data::{DataError, DigitDataset, DigitsPair};

/// The first line of `digits.csv.gz` (a 0).
const FIRST_BLOCK: [u8; 64] = [
    0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0,
    8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6,
    13, 10, 0, 0, 0,
];

#[test]
fn embedded_set_has_1797_digits_of_every_class() {
    let data = embedded();
    assert_eq!(data.len(), EMBEDDED_LEN);
    let counts = data.class_counts();
    assert_eq!(counts.iter().sum::<usize>(), 1797);
    assert!(
        counts.iter().all(|&c| (174..=183).contains(&c)),
        "{counts:?}"
    );
    assert_eq!(data.labels()[..3], [0, 1, 2]);
    assert!(data.pixels().iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(data.pixels().iter().cloned().fold(0.0, f32::max), 1.0);
}

#[test]
fn content_lies_only_in_the_central_20x20_box() {
    let data = embedded();
    let mut inside_max = 0.0f32;
    for index in 0..data.len() {
        let image = data.image(index).unwrap();
        for (p, &v) in image.iter().enumerate() {
            let (row, col) = (p / 28, p % 28);
            if (4..24).contains(&row) && (4..24).contains(&col) {
                inside_max = inside_max.max(v);
            } else {
                assert_eq!(v, 0.0, "digit {index}, pixel ({row}, {col})");
            }
        }
    }
    assert_eq!(inside_max, 1.0);
}

#[test]
fn the_mapping_matches_a_hand_computed_bilinear_value() {
    // Box pixel (row 5, col 3) is frame pixel (9, 7). It samples the 8x8 block at
    // s_row = 0.4 * 5 - 0.3 = 1.7 (rows 1 and 2, weights 0.3 and 0.7) and
    // s_col = 0.4 * 3 - 0.3 = 0.9 (columns 0 and 1, weights 0.1 and 0.9).
    // Block rows 1 and 2 start 0, 0 and 0, 3, so the value is
    // (0.3 * (0.1 * 0 + 0.9 * 0) + 0.7 * (0.1 * 0 + 0.9 * 3)) / 16 = 1.89 / 16.
    let expected = 1.89 / 16.0;
    let image = embedded().image(0).unwrap();
    assert!(
        (image[9 * 28 + 7] - expected).abs() < 1e-6,
        "{}",
        image[9 * 28 + 7]
    );
    assert_eq!(optdigits::to_mnist_geometry(&FIRST_BLOCK), image);

    // The box's corner samples the block's corner exactly (s is clamped at 0).
    assert_eq!(image[4 * 28 + 4], 0.0);
    let mut block = [0u8; 64];
    block[0] = 16;
    block[63] = 8;
    let mapped = optdigits::to_mnist_geometry(&block);
    assert_eq!(mapped[4 * 28 + 4], 1.0);
    assert!((mapped[23 * 28 + 23] - 0.5).abs() < 1e-6);
    // Box pixel (0, 1) samples s_col = 0.1: 0.9 * 1 + 0.1 * 0.
    assert!((mapped[4 * 28 + 5] - 0.9).abs() < 1e-6);
}

#[test]
fn plain_and_gzipped_csv_read_the_same() {
    let scratch = Scratch::new("optdigits-plain-gz");
    let text = format!("{}\r\n\n{}\n", csv_line(16, 3), csv_line(0, 9));
    let plain = optdigits::load(scratch.write("d.csv", text.as_bytes())).unwrap();
    let gz = optdigits::load(scratch.write("d.csv.gz", &gzip(text.as_bytes()))).unwrap();
    assert_eq!(plain, gz);
    assert_eq!(plain.labels(), &[3, 9]);
    let first = plain.image(0).unwrap();
    assert_eq!(first[4 * 28 + 4], 1.0);
    assert_eq!(first[3 * 28 + 4], 0.0);
    assert!(plain.image(1).unwrap().iter().all(|&v| v == 0.0));
}

/// Loads `text` written to a fresh scratch file.
fn load(text: &str) -> Result<DigitDataset, DataError> {
    let scratch = Scratch::new("optdigits-bad");
    optdigits::load(scratch.write("bad.csv", text.as_bytes()))
}

#[test]
fn a_wrong_width_is_an_error_naming_the_line() {
    let short = csv_line(1, 1).rsplit_once(',').unwrap().0.to_owned();
    let text = format!("{}\n{short}\n", csv_line(1, 1));
    assert!(matches!(
        load(&text),
        Err(DataError::CsvWidth { path, line: 2, expected: 65, found: 64 })
            if path.ends_with("bad.csv")
    ));
    assert!(matches!(
        load(&format!("{},0\n", csv_line(1, 1))),
        Err(DataError::CsvWidth {
            line: 1,
            found: 66,
            ..
        })
    ));
}

#[test]
fn a_non_numeric_value_is_an_error() {
    let text = csv_line(2, 5).replacen("2", "x2", 1);
    assert!(matches!(
        load(&text),
        Err(DataError::CsvNotInteger { line: 1, column: 1, value, .. }) if value == "x2"
    ));
    let text = csv_line(2, 5).replacen("2,", "2.5,", 1);
    assert!(matches!(
        load(&text),
        Err(DataError::CsvNotInteger { column: 1, .. })
    ));
    let text = format!("{}\n{}", csv_line(2, 5), csv_line(2, 5).replace(",5", ","));
    assert!(matches!(
        load(&text),
        Err(DataError::CsvNotInteger { line: 2, column: 65, value, .. }) if value.is_empty()
    ));
}

#[test]
fn out_of_range_values_are_errors() {
    // (line, where the value is, the value, the largest allowed there)
    for (text, column, value, max) in [
        (csv_line(17, 5), 1, 17, 16),
        (csv_line(3, 0).replacen("3", "-1", 1), 1, -1, 16),
        (csv_line(3, 10), 65, 10, 9),
    ] {
        let result = load(&text);
        assert!(
            matches!(
                result,
                Err(DataError::CsvOutOfRange { line: 1, column: c, value: v, max: m, .. })
                    if (c, v, m) == (column, value, max)
            ),
            "value {value} in column {column}: {result:?}"
        );
    }
    assert!(matches!(
        load(&csv_line(3, 0).replacen("3", "99999999999999999999", 1)),
        Err(DataError::CsvNotInteger { column: 1, .. })
    ));
}

#[test]
fn an_unreadable_file_is_an_io_error() {
    let scratch = Scratch::new("optdigits-missing");
    assert!(matches!(
        optdigits::load(scratch.path().join("absent.csv")),
        Err(DataError::Io { path, .. }) if path.ends_with("absent.csv")
    ));
}

#[test]
fn the_shared_copy_matches_the_embedded_one() {
    let Some(dir) = common::shared_data("the_shared_copy_matches_the_embedded_one") else {
        return;
    };
    let shared = dir.join("optdigits/digits.csv.gz");
    assert_eq!(&optdigits::load(shared).unwrap(), embedded());
}

#[test]
fn reference_split_partitions_the_digits() {
    let (train, test) = optdigits::reference_split();
    assert_eq!((train.len(), test.len()), (1200, 597));
    let all: BTreeSet<usize> = train.iter().chain(&test).copied().collect();
    assert_eq!(all, (0..EMBEDDED_LEN).collect());
    // The reference's order, not a sorted one: the ends of `torch.randperm(1797)` under seed 0.
    assert_eq!(
        (&train[..3], &train[1197..]),
        (&[362, 1568, 1440][..], &[418, 1000, 1208][..])
    );
    assert_eq!(
        (&test[..3], &test[594..]),
        (&[186, 163, 261][..], &[1504, 80, 317][..])
    );
}

#[test]
fn embedded_pair_uses_the_reference_target_split() {
    let pair = DigitsPair::embedded(0).unwrap();
    let (train, test) = optdigits::reference_split();
    assert_eq!(pair.target_train, embedded().subset(&train).unwrap());
    assert_eq!(pair.target_test, embedded().subset(&test).unwrap());
    assert_eq!(
        (pair.source_train.len(), pair.source_test.len()),
        (8000, 2000)
    );
    let train_counts = pair.source_train.class_counts();
    let test_counts = pair.source_test.class_counts();
    for class in 0..10 {
        let total = train_counts[class] + test_counts[class];
        let share = 0.2 * total as f64;
        assert!(
            (test_counts[class] as f64 - share).abs() < 1.0,
            "class {class}"
        );
    }
    let again = DigitsPair::embedded(0).unwrap();
    assert_eq!(again.source_test, pair.source_test);
    let other = DigitsPair::embedded(1).unwrap();
    assert_ne!(other.source_test, pair.source_test);
    assert_eq!(other.target_test, pair.target_test);
}
