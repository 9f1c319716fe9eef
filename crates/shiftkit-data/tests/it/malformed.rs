//! Malformed input, at random: IDX and CSV files with bytes overwritten, cut short, padded
//! with garbage or mixed with lines of random tokens, raw and gzipped. Every loader answers
//! with a typed [`DataError`] or with a data set that keeps the crate's invariants (784
//! finite pixels in `[0, 1]` and a label in `0..=9` per item), never with a panic. Empty
//! files and files of zero examples are checked too, along with what the rest of the crate
//! does with the empty set they give.

use crate::common;

use burn::data::dataset::Dataset;
use common::{Scratch, gzip, idx_images, idx_labels, pixels};
use proptest::prelude::*;
use proptest::sample::Index;
use shiftkit_data::mnist::{self, IMAGES_MAGIC, LABELS_MAGIC, MnistSplit};
use shiftkit_data::optdigits;
use shiftkit_data::{
    DataError, DigitDataset, DigitShift, DigitsPair, IMAGE_PIXELS, NUM_CLASSES, stratified_split,
    stratified_split_count,
};

/// Cases per property.
const CASES: u32 = 256;

/// Images in the well-formed IDX pair every IDX property starts from.
const IDX_IMAGES: usize = 3;

/// Checks a loader's answer: an error must format (the whole source chain), and a data set
/// must hold `len` items of 784 finite pixels in `[0, 1]` and a label in `0..=9`.
/// Returns the data set, if any, for further checks.
fn check_outcome(
    result: Result<DigitDataset, DataError>,
) -> Result<Option<DigitDataset>, TestCaseError> {
    let data = match result {
        Ok(data) => data,
        Err(err) => {
            prop_assert!(!err.to_string().is_empty());
            let mut source = std::error::Error::source(&err);
            while let Some(inner) = source {
                let _ = inner.to_string();
                source = inner.source();
            }
            return Ok(None);
        }
    };
    let len = data.len();
    prop_assert_eq!(data.labels().len(), len);
    prop_assert_eq!(data.pixels().len(), len * IMAGE_PIXELS);
    for index in 0..len {
        let item = data.get(index);
        prop_assert!(item.is_some(), "item {} of {} missing", index, len);
        let item = item.unwrap();
        prop_assert!(
            usize::from(item.label) < NUM_CLASSES,
            "label {}",
            item.label
        );
        prop_assert_eq!(item.pixels.len(), IMAGE_PIXELS);
        if let Some((p, v)) = item
            .pixels
            .iter()
            .enumerate()
            .find(|&(_, v)| !(v.is_finite() && (0.0..=1.0).contains(v)))
        {
            prop_assert!(false, "item {}, pixel {}: {}", index, p, v);
        }
    }
    prop_assert!(data.get(len).is_none());
    prop_assert_eq!(data.class_counts().iter().sum::<usize>(), len);
    Ok(Some(data))
}

/// Which file of an IDX pair a corruption hits.
#[derive(Clone, Copy, Debug)]
enum Target {
    Images,
    Labels,
    Both,
}

impl Target {
    fn images(self) -> bool {
        matches!(self, Self::Images | Self::Both)
    }

    fn labels(self) -> bool {
        matches!(self, Self::Labels | Self::Both)
    }
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::Images),
        Just(Target::Labels),
        Just(Target::Both)
    ]
}

/// One overwritten byte: where (in the first 16 bytes, where the headers are, or anywhere)
/// and the new value.
#[derive(Clone, Copy, Debug)]
struct Edit {
    in_head: bool,
    at: Index,
    value: u8,
}

fn edit(value: impl Strategy<Value = u8>) -> impl Strategy<Value = Edit> {
    (any::<bool>(), any::<Index>(), value).prop_map(|(in_head, at, value)| Edit {
        in_head,
        at,
        value,
    })
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(any::<u8>()), 1..=4)
}

/// `bytes` with `edits` applied (nothing to do on an empty file).
fn overwrite(bytes: &mut [u8], edits: &[Edit]) {
    if bytes.is_empty() {
        return;
    }
    for edit in edits {
        let span = if edit.in_head {
            bytes.len().min(16)
        } else {
            bytes.len()
        };
        bytes[edit.at.index(span)] = edit.value;
    }
}

/// `bytes` cut to a length drawn from `0..len` (strictly shorter).
fn truncate(bytes: &mut Vec<u8>, at: Index) {
    if !bytes.is_empty() {
        bytes.truncate(at.index(bytes.len()));
    }
}

/// The well-formed IDX pair: `IDX_IMAGES` images and `labels`, gzipped when `gz`.
fn idx_pair(labels: &[u8; IDX_IMAGES], gz: bool) -> (Vec<u8>, Vec<u8>) {
    let count = IDX_IMAGES as u32;
    let images = idx_images(IMAGES_MAGIC, count, 28, 28, &pixels(IDX_IMAGES));
    let labels = idx_labels(LABELS_MAGIC, count, labels);
    if gz {
        (gzip(&images), gzip(&labels))
    } else {
        (images, labels)
    }
}

/// Writes an IDX pair to a fresh scratch directory and loads it with
/// [`mnist::load_files`].
fn load_idx(images: &[u8], labels: &[u8]) -> Result<DigitDataset, DataError> {
    let scratch = Scratch::new("malformed-idx");
    mnist::load_files(
        scratch.write("images", images),
        scratch.write("labels", labels),
    )
}

/// The data set the well-formed pair holds.
fn idx_expected(labels: &[u8; IDX_IMAGES]) -> DigitDataset {
    let (images, labels) = idx_pair(labels, false);
    load_idx(&images, &labels).expect("the well-formed pair loads")
}

fn idx_labels_strategy() -> impl Strategy<Value = [u8; IDX_IMAGES]> {
    prop::array::uniform3(0u8..10)
}

/// A header word: the right one, a nearby one, or anything.
fn header_word(right: u32) -> impl Strategy<Value = u32> {
    prop_oneof![
        6 => Just(right),
        1 => (0u32..=8).prop_map(move |d| right.wrapping_add(d).wrapping_sub(4)),
        1 => Just(u32::MAX),
        1 => any::<u32>(),
    ]
}

/// A CSV digit: 64 cells in `0..=16` and a label in `0..=9`.
type CsvDigit = (Vec<u8>, u8);

fn csv_digits() -> impl Strategy<Value = Vec<CsvDigit>> {
    prop::collection::vec(
        (
            prop::collection::vec(0u8..=optdigits::MAX_VALUE, 64),
            0u8..10,
        ),
        1..=4,
    )
}

/// One CSV line per digit, ended by `\r\n` when `crlf`, else `\n`.
fn csv_text(digits: &[CsvDigit], crlf: bool) -> Vec<u8> {
    let end = if crlf { "\r\n" } else { "\n" };
    let mut text = Vec::new();
    for (block, label) in digits {
        let fields: Vec<String> = block
            .iter()
            .chain(std::iter::once(label))
            .map(u8::to_string)
            .collect();
        text.extend_from_slice(fields.join(",").as_bytes());
        text.extend_from_slice(end.as_bytes());
    }
    text
}

/// The lines of a CSV file that are not blank (all ASCII whitespace once a final `\r` is
/// dropped): the number of digits the file holds when it loads.
fn non_blank_lines(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            !line.iter().all(u8::is_ascii_whitespace)
        })
        .count()
}

/// The two bytes a gzip stream starts with: the loaders decompress a file that starts with
/// them and read any other file as it is.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Checks what a corrupted CSV file loaded to. A file that still starts with the gzip magic
/// decompresses to `original` or fails, so it holds the original digits if it loads; any
/// other file is read as it is and holds one digit per non-blank line if it loads.
fn check_csv(bytes: &[u8], original: &[u8]) -> Result<(), TestCaseError> {
    if let Some(data) = check_outcome(load_csv(bytes))? {
        if bytes.starts_with(&GZIP_MAGIC) {
            prop_assert_eq!(data, load_csv(original).expect("the well-formed CSV loads"));
        } else {
            prop_assert_eq!(data.len(), non_blank_lines(bytes));
        }
    }
    Ok(())
}

/// Writes `bytes` to a fresh scratch file and loads it with [`optdigits::load`].
fn load_csv(bytes: &[u8]) -> Result<DigitDataset, DataError> {
    let scratch = Scratch::new("malformed-csv");
    optdigits::load(scratch.write("digits.csv", bytes))
}

/// A byte a CSV corruption writes: anything, with the CSV's own separators, signs, blanks,
/// digits and bytes that are never UTF-8 made likely.
fn csv_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => any::<u8>(),
        1 => Just(b','),
        1 => Just(b'\n'),
        1 => Just(b'\r'),
        1 => Just(b'-'),
        1 => Just(b' '),
        1 => Just(b'.'),
        1 => 0xc0u8..=0xff,
        2 => b'0'..=b'9',
    ]
}

/// A CSV field: a valid cell (possibly padded with blanks), or a value out of range,
/// negative, beyond `i64`, fractional, empty, not UTF-8, or random bytes.
fn csv_token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => csv_valid_token(optdigits::MAX_VALUE),
        1 => (17i64..=1_000).prop_map(|v| v.to_string().into_bytes()),
        1 => (i64::MIN..0).prop_map(|v| v.to_string().into_bytes()),
        1 => any::<i64>().prop_map(|v| format!("+{v}").into_bytes()),
        1 => "[0-9]{19,30}".prop_map(String::into_bytes),
        1 => "-?[0-9]{0,3}\\.[0-9]{1,3}(e[0-9])?".prop_map(String::into_bytes),
        1 => Just(Vec::new()),
        1 => prop::collection::vec(0x80u8..=0xff, 1..4),
        1 => prop::collection::vec(field_byte(), 1..8),
    ]
}

/// Any byte but the CSV's separators.
fn field_byte() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("not a separator", |&b| b != b'\n' && b != b',')
}

/// A valid cell or label, possibly padded with blanks or written with a `+` sign.
fn csv_valid_token(max: u8) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (0..=max).prop_map(|v| v.to_string().into_bytes()),
        1 => (0..=max).prop_map(|v| format!(" \t{v}  ").into_bytes()),
        1 => (0..=max).prop_map(|v| format!("+{v}").into_bytes()),
    ]
}

/// A random line: 64 valid cells and a valid label with up to two fields replaced by random
/// tokens (the right width, so the fields get checked, and some lines valid), 65 random
/// tokens, or any number of random tokens.
fn csv_random_line() -> impl Strategy<Value = Vec<u8>> {
    let near_valid = (
        prop::collection::vec(csv_valid_token(optdigits::MAX_VALUE), 64),
        csv_valid_token(9),
        prop::collection::vec((any::<Index>(), csv_token()), 0..=2),
    )
        .prop_map(|(mut tokens, label, replacements)| {
            tokens.push(label);
            for (at, token) in replacements {
                let position = at.index(tokens.len());
                tokens[position] = token;
            }
            tokens
        });
    prop_oneof![
        4 => near_valid,
        1 => prop::collection::vec(csv_token(), 65),
        1 => prop::collection::vec(csv_token(), 0..=70),
    ]
    .prop_map(|tokens| tokens.join(&b','))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Overwritten bytes in an IDX pair (raw: header or pixels; gzipped: the compressed
    /// stream). The file lengths stay as they were, so a pair that still loads holds
    /// exactly its three images.
    #[test]
    fn idx_with_overwritten_bytes(
        labels in idx_labels_strategy(),
        gz in any::<bool>(),
        target in target(),
        image_edits in edits(),
        label_edits in edits(),
    ) {
        let (mut images, mut label_bytes) = idx_pair(&labels, gz);
        if target.images() {
            overwrite(&mut images, &image_edits);
        }
        if target.labels() {
            overwrite(&mut label_bytes, &label_edits);
        }
        if let Some(data) = check_outcome(load_idx(&images, &label_bytes))? {
            prop_assert_eq!(data.len(), IDX_IMAGES);
        }
    }

    /// An IDX pair cut short: a typed error for a raw file (never the data), and for a
    /// gzipped one either an error or the whole data (should the decompressor forgive a
    /// missing trailer). A gzipped file cut before its magic is read raw, and is too short
    /// for a header.
    #[test]
    fn idx_truncated(
        labels in idx_labels_strategy(),
        gz in any::<bool>(),
        target in target(),
        image_cut in any::<Index>(),
        label_cut in any::<Index>(),
    ) {
        let (mut images, mut label_bytes) = idx_pair(&labels, gz);
        if target.images() {
            truncate(&mut images, image_cut);
        }
        if target.labels() {
            truncate(&mut label_bytes, label_cut);
        }
        let outcome = check_outcome(load_idx(&images, &label_bytes))?;
        if gz {
            if let Some(data) = outcome {
                prop_assert_eq!(data, idx_expected(&labels));
            }
        } else {
            prop_assert!(outcome.is_none(), "a truncated raw file loaded");
        }
    }

    /// An IDX pair with random bytes appended: [`DataError::TrailingBytes`] for a raw file,
    /// and for a gzipped one an error or the data unchanged.
    #[test]
    fn idx_with_bytes_appended(
        labels in idx_labels_strategy(),
        gz in any::<bool>(),
        target in target(),
        extra in prop::collection::vec(any::<u8>(), 1..=64),
    ) {
        let (mut images, mut label_bytes) = idx_pair(&labels, gz);
        if target.images() {
            images.extend_from_slice(&extra);
        }
        if target.labels() {
            label_bytes.extend_from_slice(&extra);
        }
        let result = load_idx(&images, &label_bytes);
        if gz {
            if let Some(data) = check_outcome(result)? {
                prop_assert_eq!(data, idx_expected(&labels));
            }
        } else {
            prop_assert!(
                matches!(result, Err(DataError::TrailingBytes { .. })),
                "{:?}",
                result
            );
        }
    }

    /// All three corruptions at once, read through [`mnist::load`] under the standard file
    /// names.
    #[test]
    fn idx_overwritten_truncated_and_extended(
        labels in idx_labels_strategy(),
        gz in any::<bool>(),
        target in target(),
        edits in edits(),
        cut in prop::option::of(any::<Index>()),
        extra in prop::collection::vec(any::<u8>(), 0..=32),
    ) {
        let (mut images, mut label_bytes) = idx_pair(&labels, gz);
        for (hit, bytes) in [(target.images(), &mut images), (target.labels(), &mut label_bytes)] {
            if hit {
                overwrite(bytes, &edits);
                if let Some(cut) = cut {
                    truncate(bytes, cut);
                }
                bytes.extend_from_slice(&extra);
            }
        }
        let scratch = Scratch::new("malformed-idx-dir");
        let suffix = if gz { ".gz" } else { "" };
        let split = MnistSplit::Test;
        scratch.write(&format!("{}{suffix}", split.images_file_name()), &images);
        scratch.write(&format!("{}{suffix}", split.labels_file_name()), &label_bytes);
        check_outcome(mnist::load(scratch.path(), split))?;
    }

    /// IDX headers of random words (magic numbers, counts, rows and columns) over a payload
    /// of random length (often a whole number of images).
    #[test]
    fn idx_with_random_headers(
        image_words in (
            header_word(IMAGES_MAGIC),
            header_word(2),
            header_word(28),
            header_word(28),
        ),
        label_words in (header_word(LABELS_MAGIC), header_word(2)),
        image_payload in prop_oneof![
            (0usize..=3).prop_map(|n| n * IMAGE_PIXELS),
            0usize..=3 * IMAGE_PIXELS,
        ],
        label_payload in 0usize..=4,
        gz in any::<bool>(),
    ) {
        let (magic, count, rows, cols) = image_words;
        let mut images = idx_images(magic, count, rows, cols, &pixels(3)[..image_payload]);
        let (label_magic, label_count) = label_words;
        let mut label_bytes =
            idx_labels(label_magic, label_count, &[9, 0, 5, 1][..label_payload]);
        if gz {
            images = gzip(&images);
            label_bytes = gzip(&label_bytes);
        }
        if let Some(data) = check_outcome(load_idx(&images, &label_bytes))? {
            prop_assert_eq!(data.len() as u64, u64::from(count));
        }
    }

    /// Overwritten bytes in a CSV file, raw or gzipped (the compressed stream overwritten).
    #[test]
    fn csv_with_overwritten_bytes(
        digits in csv_digits(),
        crlf in any::<bool>(),
        gz in any::<bool>(),
        edits in prop::collection::vec(edit(csv_byte()), 1..=4),
    ) {
        let text = csv_text(&digits, crlf);
        let mut bytes = if gz { gzip(&text) } else { text.clone() };
        overwrite(&mut bytes, &edits);
        check_csv(&bytes, &text)?;
    }

    /// A CSV file cut short, raw or gzipped.
    #[test]
    fn csv_truncated(
        digits in csv_digits(),
        crlf in any::<bool>(),
        gz in any::<bool>(),
        cut in any::<Index>(),
    ) {
        let text = csv_text(&digits, crlf);
        let mut bytes = if gz { gzip(&text) } else { text.clone() };
        truncate(&mut bytes, cut);
        check_csv(&bytes, &text)?;
        if let Ok(data) = load_csv(&bytes) {
            prop_assert!(data.len() <= digits.len());
        }
    }

    /// Valid lines mixed with lines of random tokens: numbers out of range, negative or
    /// beyond `i64`, fractions, empty fields, bytes that are not UTF-8, wrong widths.
    #[test]
    fn csv_with_random_lines(
        digits in csv_digits(),
        random_lines in prop::collection::vec((any::<Index>(), csv_random_line()), 1..=4),
        crlf in any::<bool>(),
        gz in any::<bool>(),
    ) {
        let end: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut lines: Vec<Vec<u8>> = digits
            .iter()
            .map(|digit| {
                let mut line = csv_text(std::slice::from_ref(digit), false);
                line.pop();
                line
            })
            .collect();
        for (at, line) in random_lines {
            let position = at.index(lines.len() + 1);
            lines.insert(position, line);
        }
        let text = lines.join(end);
        let bytes = if gz { gzip(&text) } else { text.clone() };
        check_csv(&bytes, &text)?;
    }
}

#[test]
fn empty_idx_files_are_truncation_errors() {
    let (images, labels) = idx_pair(&[1, 2, 3], false);
    for empty in [Vec::new(), gzip(&[])] {
        assert!(matches!(
            load_idx(&empty, &labels),
            Err(DataError::Truncated { path, expected: 16, found: 0 }) if path.ends_with("images")
        ));
        assert!(matches!(
            load_idx(&images, &empty),
            Err(DataError::Truncated { path, expected: 8, found: 0 }) if path.ends_with("labels")
        ));
        assert!(matches!(
            load_idx(&empty, &empty),
            Err(DataError::Truncated { expected: 16, .. })
        ));
    }
}

#[test]
fn idx_files_of_zero_images_give_an_empty_set_the_rest_of_the_crate_handles() {
    let images = idx_images(IMAGES_MAGIC, 0, 28, 28, &[]);
    let labels = idx_labels(LABELS_MAGIC, 0, &[]);
    for gz in [false, true] {
        let (images, labels) = if gz {
            (gzip(&images), gzip(&labels))
        } else {
            (images.clone(), labels.clone())
        };
        let data = load_idx(&images, &labels).unwrap();
        assert!(data.is_empty());
        check_empty_set(&data);
    }

    // Zero images against one label is still a disagreement.
    assert!(matches!(
        load_idx(&images, &idx_labels(LABELS_MAGIC, 1, &[4])),
        Err(DataError::CountMismatch {
            images: 0,
            labels: 1,
            ..
        })
    ));

    // A directory of zero-image splits gives a pair with empty source sets.
    let scratch = Scratch::new("malformed-idx-zero");
    for split in [MnistSplit::Train, MnistSplit::Test] {
        scratch.write(split.images_file_name(), &images);
        scratch.write(split.labels_file_name(), &labels);
    }
    let pair = DigitsPair::reference(scratch.path()).unwrap();
    assert!(pair.source_train.is_empty());
    assert!(pair.source_test.is_empty());
    assert_eq!(
        (pair.target_train.len(), pair.target_test.len()),
        (1200, 597)
    );
}

#[test]
fn an_empty_or_blank_csv_gives_an_empty_set() {
    for text in [&b""[..], b"\n", b"\r\n\n  \t\n", b" "] {
        for bytes in [text.to_vec(), gzip(text)] {
            let data = load_csv(&bytes).unwrap();
            assert!(data.is_empty(), "{text:?}");
            check_empty_set(&data);
        }
    }
}

/// What the crate does with an empty data set: empty splits and shifts, typed errors for
/// anything asked of an example it does not have.
fn check_empty_set(data: &DigitDataset) {
    assert_eq!(data.len(), 0);
    assert!(data.pixels().is_empty());
    assert!(data.get(0).is_none());
    assert!(data.image(0).is_none());
    assert_eq!(data.class_counts(), [0; NUM_CLASSES]);
    assert!(data.take(5).is_empty());
    assert!(data.subset(&[]).unwrap().is_empty());
    assert!(matches!(
        data.subset(&[0]),
        Err(DataError::IndexOutOfRange { index: 0, len: 0 })
    ));
    for fraction in [0.0, 0.2, 1.0] {
        let (train, test) = stratified_split(data.labels(), fraction, 7).unwrap();
        assert!(train.is_empty() && test.is_empty());
    }
    assert!(matches!(
        stratified_split(data.labels(), 1.5, 7),
        Err(DataError::InvalidTestFraction(_))
    ));
    assert!(matches!(
        stratified_split_count(data.labels(), 1, 7),
        Err(DataError::TestCountTooLarge { n_test: 1, len: 0 })
    ));
    for shift in [
        DigitShift::Invert,
        DigitShift::Texture,
        DigitShift::Rotate { degrees: 30.0 },
        DigitShift::Thin { size: 2 },
    ] {
        assert!(shift.apply(data, 3).unwrap().is_empty(), "{shift:?}");
    }
}
