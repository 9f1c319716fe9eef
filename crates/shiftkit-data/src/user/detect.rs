use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::image_config::ImageConfig;
use super::images::{ImageFolder, entries, has_images};
use super::label::LabelMode;
use super::sample::SampleDataset;
use super::{arrays, table};
use crate::error::DataError;

/// The kinds of users' data a path can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// A folder of class folders of images ([`ImageFolder::classes`]).
    ClassFolders,
    /// A folder of images, unlabelled ([`ImageFolder::flat`]).
    ImageFiles,
    /// A `.npy` array of features ([`arrays::load_npy`]).
    Npy,
    /// A `.npz` archive of arrays ([`arrays::load_npz`]).
    Npz,
    /// A `.csv` table ([`table::load_csv`]).
    Csv,
    /// A `.txt` list of `path label` lines ([`ImageFolder::list`]).
    ListFile,
}

/// Tells which kind of data `path` holds: a folder with (non-hidden) subfolders is a folder
/// of class folders (any images beside them are not read), a folder with images and no
/// subfolder a flat folder of images; a file is known by its extension (`.npy`, `.npz`,
/// `.csv`, `.txt`, in any case). Reads the folder's entries, not the files.
///
/// # Errors
///
/// [`DataError::Io`] when the path does not exist or cannot be read,
/// [`DataError::NoSamples`] for a folder with neither subfolders nor images, and
/// [`DataError::UnknownDataKind`] for a file of another extension.
pub fn detect(path: impl AsRef<Path>) -> Result<Kind, DataError> {
    let path = path.as_ref();
    let metadata = std::fs::metadata(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if metadata.is_dir() {
        let has_subfolders = entries(path)?
            .iter()
            .any(|(name, _, is_dir)| *is_dir && !name.starts_with('.'));
        if has_subfolders {
            return Ok(Kind::ClassFolders);
        }
        if has_images(path)? {
            return Ok(Kind::ImageFiles);
        }
        return Err(DataError::NoSamples {
            path: path.to_path_buf(),
        });
    }
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("npy") => Ok(Kind::Npy),
        Some("npz") => Ok(Kind::Npz),
        Some("csv") => Ok(Kind::Csv),
        Some("txt") => Ok(Kind::ListFile),
        _ => Err(DataError::UnknownDataKind {
            path: path.to_path_buf(),
        }),
    }
}

/// The settings [`open`] reads any kind of data with.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenOptions {
    /// A table's label column; a table without it is read unlabelled. Default `"label"`.
    pub label_column: Option<String>,
    /// How labels are read (tables at reading, arrays after). Default [`LabelMode::Auto`].
    pub label_mode: LabelMode,
    /// The features' key in a `.npz`. Default `"x"`.
    pub x_key: String,
    /// The labels' key in a `.npz`; `None`: `"y"` when the archive has it, else unlabelled.
    pub y_key: Option<String>,
    /// The labels' `.npy` file beside a `.npy` of features (else unlabelled).
    pub y_path: Option<PathBuf>,
    /// How images are read; required for folders and list files.
    pub image: Option<ImageConfig>,
    /// The folder a list file's relative paths start from (default: the list file's folder).
    pub list_base: Option<PathBuf>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            label_column: Some("label".to_string()),
            label_mode: LabelMode::Auto,
            x_key: arrays::DEFAULT_X_KEY.to_string(),
            y_key: None,
            y_path: None,
            image: None,
            list_base: None,
        }
    }
}

/// Reads the data at `path`, of the kind [`detect`] tells, with `options`.
///
/// # Errors
///
/// Those of [`detect`] and of the kind's reader, and [`DataError::InvalidImageConfig`] for
/// images without [`OpenOptions::image`].
pub fn open(path: impl AsRef<Path>, options: &OpenOptions) -> Result<SampleDataset, DataError> {
    let path = path.as_ref();
    let image_config = || {
        options.image.clone().ok_or_else(|| {
            DataError::InvalidImageConfig(format!(
                "{} holds images: an image configuration (size, channels) is needed",
                path.display()
            ))
        })
    };
    let data = match detect(path)? {
        Kind::ClassFolders => ImageFolder::classes(path, image_config()?)?.into(),
        Kind::ImageFiles => ImageFolder::flat(path, image_config()?)?.into(),
        Kind::ListFile => {
            ImageFolder::list(path, options.list_base.as_deref(), image_config()?)?.into()
        }
        Kind::Npy => arrays::load_npy(path, options.y_path.as_deref())?,
        Kind::Npz => {
            let y_key = match &options.y_key {
                Some(key) => Some(key.clone()),
                None => arrays::npz_keys(path)?
                    .into_iter()
                    .find(|key| key == arrays::DEFAULT_Y_KEY),
            };
            arrays::load_npz(path, &options.x_key, y_key.as_deref())?
        }
        Kind::Csv => {
            let label_column = options
                .label_column
                .as_deref()
                .filter(|&name| table::columns(path).is_ok_and(|c| c.iter().any(|c| c == name)));
            return table::load_csv(path, label_column, options.label_mode);
        }
    };
    data.into_task(options.label_mode)
}

#[cfg(test)]
mod tests {
    use shiftkit_testkit::Scratch;

    use super::{Kind, OpenOptions, detect, open};
    use crate::DataError;
    use crate::user::LabelKind;
    use crate::user::arrays::tests::{f32_bytes, npy};

    #[test]
    fn kinds_are_told_by_layout_and_extension() {
        let dir = Scratch::new("detect");
        std::fs::create_dir_all(dir.join("classes/cat")).unwrap();
        std::fs::create_dir_all(dir.join("flat")).unwrap();
        std::fs::create_dir_all(dir.join("empty/.hidden")).unwrap();
        dir.write("flat/a.PNG", b"");
        for (name, kind) in [
            ("x.npy", Kind::Npy),
            ("d.NPZ", Kind::Npz),
            ("t.csv", Kind::Csv),
            ("list.txt", Kind::ListFile),
        ] {
            let path = dir.write(name, b"");
            assert_eq!(detect(&path).unwrap(), kind, "{name}");
        }
        assert_eq!(detect(dir.join("classes")).unwrap(), Kind::ClassFolders);
        assert_eq!(detect(dir.join("flat")).unwrap(), Kind::ImageFiles);
        let err = detect(dir.join("empty")).unwrap_err();
        assert!(matches!(err, DataError::NoSamples { .. }), "{err}");
        let unknown = dir.write("data.parquet", b"");
        let err = detect(&unknown).unwrap_err();
        assert!(matches!(err, DataError::UnknownDataKind { .. }), "{err}");
        assert!(err.to_string().contains("data.parquet"), "{err}");
        let err = detect(dir.join("absent")).unwrap_err();
        assert!(matches!(err, DataError::Io { .. }), "{err}");
    }

    #[test]
    fn open_reads_each_kind_with_defaults() {
        let dir = Scratch::new("open");
        let csv = dir.write("t.csv", b"a,label\n1,0\n2,1\n");
        let data = open(&csv, &OpenOptions::default()).unwrap();
        assert_eq!(data.task(), LabelKind::Classes { num_classes: 2 });
        let unlabelled = dir.write("u.csv", b"a,b\n1,0\n2,1\n");
        let data = open(&unlabelled, &OpenOptions::default()).unwrap();
        assert_eq!(
            (data.task(), data.shape()),
            (LabelKind::Unlabelled, &[2][..])
        );
        let x = dir.write(
            "x.npy",
            &npy("<f4", &[2, 1], false, &f32_bytes(&[1.0, 2.0])),
        );
        assert_eq!(open(&x, &OpenOptions::default()).unwrap().len(), 2);
        std::fs::create_dir_all(dir.join("images")).unwrap();
        dir.write("images/a.png", b"");
        let err = open(dir.join("images"), &OpenOptions::default()).unwrap_err();
        assert!(matches!(err, DataError::InvalidImageConfig(_)), "{err}");
    }
}
