//! CSV tables with a header row: one optional label column, every other column a numeric
//! feature, read with the `csv` crate.
//!
//! Cells are trimmed of surrounding spaces; features must parse as finite numbers (`f32`).
//! Items have shape `[F]`, F the number of feature columns, in the header's order.
//!
//! # Labels
//!
//! With [`LabelMode::Auto`], labels that all parse as integers are classes, numbered `0..K`
//! in the numeric order of the K distinct values (the class names are those values, so `3`,
//! `7`, `10` become classes 0, 1, 2 named `"3"`, `"7"`, `"10"`); otherwise labels that all
//! parse as finite numbers are values (regression); otherwise the labels are class names,
//! numbered in their sorted (byte) order. [`LabelMode::Classes`] makes any labels classes
//! (integers in numeric order, anything else in sorted text order), [`LabelMode::Values`]
//! requires numbers. Integer targets of a regression (counts, years) need
//! [`LabelMode::Values`].
//!
//! ```no_run
//! use shiftkit_data::{LabelMode, table};
//!
//! let source = table::load_csv("source.csv", Some("label"), LabelMode::Auto)?;
//! let target = table::load_csv("target.csv", None, LabelMode::Auto)?;   // unlabelled
//! # Ok::<(), shiftkit_data::DataError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use super::label::{LabelMode, LabelSet};
use super::sample::SampleDataset;
use crate::error::DataError;

/// The column names of the CSV file's header, in order.
///
/// # Errors
///
/// [`DataError::Io`] or [`DataError::Csv`].
pub fn columns(path: impl AsRef<Path>) -> Result<Vec<String>, DataError> {
    let path = path.as_ref();
    let mut reader = open(path)?;
    header(&mut reader, path)
}

/// Reads the CSV file at `path`: `label_column` (when given) holds the labels, read as
/// `mode` says; every other column is a feature. Without a label column the data is
/// unlabelled.
///
/// # Errors
///
/// Each names the file: [`DataError::Io`] or [`DataError::Csv`] when it cannot be read,
/// [`DataError::CsvMissingColumn`] when the header lacks `label_column`,
/// [`DataError::CsvWidth`] for a row of another length than the header,
/// [`DataError::CsvNotNumber`] for a feature (or, with [`LabelMode::Values`], a label) that is
/// not a finite number (with its line, from 1, and column name), [`DataError::CsvEmptyLabel`]
/// for an empty label, and [`DataError::NoSamples`] for a table without rows or without
/// feature columns.
pub fn load_csv(
    path: impl AsRef<Path>,
    label_column: Option<&str>,
    mode: LabelMode,
) -> Result<SampleDataset, DataError> {
    let path = path.as_ref();
    let mut reader = open(path)?;
    let columns = header(&mut reader, path)?;
    let label_index = match label_column {
        Some(name) => Some(columns.iter().position(|c| c == name).ok_or_else(|| {
            DataError::CsvMissingColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
                header: columns.join(", "),
            }
        })?),
        None => None,
    };
    let features = columns.len() - usize::from(label_index.is_some());
    if features == 0 {
        return Err(DataError::NoSamples {
            path: path.to_path_buf(),
        });
    }

    let mut values = Vec::new();
    let mut labels: Vec<(String, usize)> = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => return Err(csv_error(path, err)),
        }
        let line = record
            .position()
            .map_or(0, |position| position.line() as usize);
        if record.len() != columns.len() {
            return Err(DataError::CsvWidth {
                path: path.to_path_buf(),
                line,
                expected: columns.len(),
                found: record.len(),
            });
        }
        for (column, cell) in record.iter().enumerate() {
            if Some(column) == label_index {
                if cell.is_empty() {
                    return Err(DataError::CsvEmptyLabel {
                        path: path.to_path_buf(),
                        line,
                        column: columns[column].clone(),
                    });
                }
                labels.push((cell.to_string(), line));
            } else {
                values.push(finite(cell).ok_or_else(|| DataError::CsvNotNumber {
                    path: path.to_path_buf(),
                    line,
                    column: columns[column].clone(),
                    value: cell.to_string(),
                })?);
            }
        }
    }
    let rows = values.len() / features;
    if rows == 0 {
        return Err(DataError::NoSamples {
            path: path.to_path_buf(),
        });
    }
    let labels = match label_index {
        None => LabelSet::unlabelled(rows),
        Some(index) => read_labels(labels, mode, path, &columns[index])?,
    };
    SampleDataset::memory(values, vec![features], labels)
}

/// The cell as a finite `f32`.
fn finite(cell: &str) -> Option<f32> {
    cell.parse::<f32>().ok().filter(|v| v.is_finite())
}

/// The labels as `mode` says (see the module's documentation).
fn read_labels(
    labels: Vec<(String, usize)>,
    mode: LabelMode,
    path: &Path,
    column: &str,
) -> Result<LabelSet, DataError> {
    let integers: Option<Vec<i64>> = match mode {
        LabelMode::Values => None,
        _ => labels
            .iter()
            .map(|(text, _)| text.parse::<i64>().ok())
            .collect(),
    };
    if let Some(integers) = integers {
        let distinct: BTreeSet<i64> = integers.iter().copied().collect();
        let index: BTreeMap<i64, u32> = distinct
            .iter()
            .enumerate()
            .map(|(i, &v)| (v, i as u32))
            .collect();
        let names = distinct.iter().map(i64::to_string).collect();
        let classes = integers.iter().map(|v| index[v]).collect();
        return Ok(LabelSet::classes(classes, Some(names)));
    }
    let numbers: Result<Vec<f32>, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, (text, _))| finite(text).ok_or(i))
        .collect();
    match (mode, numbers) {
        (LabelMode::Auto | LabelMode::Values, Ok(values)) => Ok(LabelSet::values(values)),
        (LabelMode::Values, Err(i)) => Err(DataError::CsvNotNumber {
            path: path.to_path_buf(),
            line: labels[i].1,
            column: column.to_string(),
            value: labels[i].0.clone(),
        }),
        _ => {
            let distinct: BTreeSet<&str> = labels.iter().map(|(text, _)| text.as_str()).collect();
            let index: BTreeMap<&str, u32> = distinct
                .iter()
                .enumerate()
                .map(|(i, &name)| (name, i as u32))
                .collect();
            let classes = labels
                .iter()
                .map(|(text, _)| index[text.as_str()])
                .collect();
            let names = distinct.into_iter().map(str::to_string).collect();
            Ok(LabelSet::classes(classes, Some(names)))
        }
    }
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, DataError> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(file))
}

fn header(reader: &mut csv::Reader<std::fs::File>, path: &Path) -> Result<Vec<String>, DataError> {
    let header = reader.headers().map_err(|err| csv_error(path, err))?;
    Ok(header.iter().map(str::to_string).collect())
}

fn csv_error(path: &Path, err: csv::Error) -> DataError {
    if !err.is_io_error() {
        return DataError::Csv {
            path: path.to_path_buf(),
            source: io::Error::other(err),
        };
    }
    match err.into_kind() {
        csv::ErrorKind::Io(source) => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
        kind => DataError::Csv {
            path: path.to_path_buf(),
            source: io::Error::other(format!("{kind:?}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use burn::data::dataset::Dataset;
    use shiftkit_testkit::Scratch;

    use super::{columns, load_csv};
    use crate::DataError;
    use crate::user::{Label, LabelKind, LabelMode};

    fn names(data: &crate::SampleDataset) -> Vec<&str> {
        data.class_names()
            .unwrap()
            .iter()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn integer_labels_become_sorted_classes() {
        let dir = Scratch::new("csv-int");
        let path = dir.write(
            "t.csv",
            b"a,label,b\n1.5,10,2\n-3,3,4e-1\n0,7,1\n5,10, 6 \n",
        );
        let data = load_csv(&path, Some("label"), LabelMode::Auto).unwrap();
        assert_eq!(data.len(), 4);
        assert_eq!(data.shape(), [2]);
        assert_eq!(data.task(), LabelKind::Classes { num_classes: 3 });
        assert_eq!(names(&data), ["3", "7", "10"]);
        assert_eq!(
            data.labels(),
            [
                Label::Class(2),
                Label::Class(0),
                Label::Class(1),
                Label::Class(2)
            ]
        );
        assert_eq!(data.get(1).unwrap().x, [-3.0, 0.4]);
        assert_eq!(data.get(3).unwrap().x, [5.0, 6.0]);
        assert_eq!(columns(&path).unwrap(), ["a", "label", "b"]);
    }

    #[test]
    fn float_labels_become_values_and_text_labels_classes() {
        let dir = Scratch::new("csv-float");
        let path = dir.write("t.csv", b"x,y\n1,0.5\n2,-1.25\n");
        let data = load_csv(&path, Some("y"), LabelMode::Auto).unwrap();
        assert_eq!(data.task(), LabelKind::Values);
        assert_eq!(data.labels(), [Label::Value(0.5), Label::Value(-1.25)]);
        assert_eq!(data.class_names(), None);

        let path = dir.write("s.csv", b"x,kind\n1,dog\n2,cat\n3,dog\n4,ant\n");
        let data = load_csv(&path, Some("kind"), LabelMode::Auto).unwrap();
        assert_eq!(names(&data), ["ant", "cat", "dog"]);
        assert_eq!(data.label(0), Some(Label::Class(2)));
        assert_eq!(data.label(3), Some(Label::Class(0)));
    }

    #[test]
    fn the_caller_can_force_the_task() {
        let dir = Scratch::new("csv-force");
        let path = dir.write("t.csv", b"x,y\n1,2\n2,4\n3,2\n");
        let values = load_csv(&path, Some("y"), LabelMode::Values).unwrap();
        assert_eq!(values.task(), LabelKind::Values);
        assert_eq!(values.label(1), Some(Label::Value(4.0)));
        let path = dir.write("f.csv", b"x,y\n1,0.5\n2,1.5\n3,0.5\n");
        let classes = load_csv(&path, Some("y"), LabelMode::Classes).unwrap();
        assert_eq!(classes.task(), LabelKind::Classes { num_classes: 2 });
        assert_eq!(names(&classes), ["0.5", "1.5"]);
        let path = dir.write("s.csv", b"x,y\n1,cat\n");
        let err = load_csv(&path, Some("y"), LabelMode::Values).unwrap_err();
        assert!(
            matches!(&err, DataError::CsvNotNumber { line: 2, column, .. } if column == "y"),
            "{err}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_column() {
        let dir = Scratch::new("csv-bom");
        let path = dir.write("t.csv", b"\xEF\xBB\xBFlabel,a\n1,2\n");
        let data = load_csv(&path, Some("label"), LabelMode::Auto).unwrap();
        assert_eq!(data.get(0).unwrap().x, [2.0]);
    }

    #[test]
    fn tables_without_a_label_column_are_unlabelled() {
        let dir = Scratch::new("csv-unlabelled");
        let path = dir.write("t.csv", b"a,b,c\n1,2,3\n4,5,6\n");
        let data = load_csv(&path, None, LabelMode::Auto).unwrap();
        assert_eq!(data.task(), LabelKind::Unlabelled);
        assert_eq!(data.shape(), [3]);
        assert_eq!(data.get(1).unwrap().x, [4.0, 5.0, 6.0]);
        assert_eq!(data.get(1).unwrap().label, Label::None);
    }

    #[test]
    fn bad_cells_name_file_line_and_column() {
        let dir = Scratch::new("csv-bad");
        let path = dir.write("t.csv", b"a,b,label\n1,2,0\n3,oops,1\n");
        let err = load_csv(&path, Some("label"), LabelMode::Auto).unwrap_err();
        assert!(
            matches!(&err, DataError::CsvNotNumber { line: 3, column, value, .. } if column == "b" && value == "oops"),
            "{err}"
        );
        assert!(err.to_string().contains("t.csv"), "{err}");
        let path = dir.write("nan.csv", b"a,b\n1,NaN\n");
        let err = load_csv(&path, None, LabelMode::Auto).unwrap_err();
        assert!(
            matches!(&err, DataError::CsvNotNumber { line: 2, .. }),
            "{err}"
        );
        let path = dir.write("empty_label.csv", b"a,label\n1,\n");
        let err = load_csv(&path, Some("label"), LabelMode::Auto).unwrap_err();
        assert!(
            matches!(&err, DataError::CsvEmptyLabel { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn missing_label_column_and_ragged_rows_are_errors() {
        let dir = Scratch::new("csv-shape");
        let path = dir.write("t.csv", b"a,b\n1,2\n");
        let err = load_csv(&path, Some("label"), LabelMode::Auto).unwrap_err();
        assert!(
            matches!(&err, DataError::CsvMissingColumn { column, header, .. } if column == "label" && header == "a, b"),
            "{err}"
        );
        assert!(err.to_string().contains("t.csv"), "{err}");
        let path = dir.write("ragged.csv", b"a,b\n1,2\n3\n");
        let err = load_csv(&path, None, LabelMode::Auto).unwrap_err();
        assert!(
            matches!(
                &err,
                DataError::CsvWidth {
                    line: 3,
                    expected: 2,
                    found: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("ragged.csv"), "{err}");
        let path = dir.write("header_only.csv", b"a,b\n");
        let err = load_csv(&path, None, LabelMode::Auto).unwrap_err();
        assert!(matches!(err, DataError::NoSamples { .. }), "{err}");
        let path = dir.write("label_only.csv", b"label\n1\n");
        let err = load_csv(&path, Some("label"), LabelMode::Auto).unwrap_err();
        assert!(matches!(err, DataError::NoSamples { .. }), "{err}");
        let err = load_csv(dir.join("absent.csv"), None, LabelMode::Auto).unwrap_err();
        assert!(matches!(err, DataError::Io { .. }), "{err}");
    }

    #[test]
    fn target_classes_follow_the_source_names() {
        let dir = Scratch::new("csv-remap");
        let source = dir.write("s.csv", b"x,y\n1,ant\n2,cat\n3,dog\n");
        let target = dir.write("t.csv", b"x,y\n1,dog\n2,cat\n");
        let source = load_csv(&source, Some("y"), LabelMode::Auto).unwrap();
        let target = load_csv(&target, Some("y"), LabelMode::Auto).unwrap();
        assert_eq!(target.label(0), Some(Label::Class(1)));
        let target = target.remap_classes(source.class_names().unwrap()).unwrap();
        assert_eq!(target.label(0), Some(Label::Class(2)));
        assert_eq!(target.label(1), Some(Label::Class(1)));
        assert_eq!(target.num_classes(), Some(3));
        let wrong = vec!["ant".to_string()];
        let err = load_csv(dir.join("s.csv"), Some("y"), LabelMode::Auto)
            .unwrap()
            .remap_classes(&wrong)
            .unwrap_err();
        assert!(matches!(err, DataError::UnknownClass { .. }), "{err}");
    }
}
