use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use burn::data::dataset::Dataset;
use image::imageops::{self, FilterType};
use image::{ImageDecoder, ImageReader};

use super::image_config::{Augment, ImageConfig, Normalisation};
use super::label::{LabelSet, Sample};
use crate::error::DataError;
use crate::rng::{SplitMix64, mix64};

/// The file extensions read as images (compared without regard to case).
pub const IMAGE_EXTENSIONS: [&str; 8] = ["png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff", "webp"];

/// The most images [`ImageFolder::channel_stats`] is usually asked to read: enough for a
/// channel mean and standard deviation to three decimals on typical data.
pub const STATS_SAMPLE: usize = 2_000;

/// The deepest folder [`ImageFolder::classes`] descends to below a class folder (a guard
/// against symbolic-link cycles).
const MAX_DEPTH: usize = 32;

/// The decoding failures an [`ImageFolder`] keeps in detail (all are counted).
const MAX_LOGGED_FAILURES: usize = 100;

/// An image that failed to decode in [`Dataset::get`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeFailure {
    /// The item's index.
    pub index: usize,
    /// The image file.
    pub path: PathBuf,
    /// The decoder's message.
    pub message: String,
}

/// The failures seen so far: the first ones in detail, all counted.
#[derive(Debug, Default)]
struct FailureLog {
    first: Vec<DecodeFailure>,
    total: usize,
}

/// Images in files, decoded on demand: a Burn [`Dataset`] of [`Sample`]s of shape
/// `[C, H, W]`.
///
/// Built from a folder of class folders ([`classes`](Self::classes)), a flat folder of
/// unlabelled images ([`flat`](Self::flat)) or a list file ([`list`](Self::list)); converts
/// into a [`SampleDataset`](crate::SampleDataset).
///
/// # Decoding and memory
///
/// Only the paths and labels are held; every [`get`](Dataset::get) opens, decodes, resizes
/// and normalises one file (see [`ImageConfig`]), so with Burn's multi-threaded loader the
/// workers decode in parallel. The folder's own memory is about the paths' bytes plus 32
/// bytes per image (path, label, and with augmentation a read count): some 100 MB for a
/// million images with 60-byte paths, however large the images. Decoded pixels exist only
/// for the items in flight: Burn's loader keeps up to 100 batches queued, each
/// `batch_size * C * H * W * 4` bytes.
///
/// # Failures
///
/// Burn's [`Dataset::get`] cannot return an error, and Burn's loader ends the epoch at the
/// first `None`, so an image that fails to decode does not give `None`: `get` returns an item
/// of zeros (after normalisation, the mean colour) with the image's label, and records the
/// failure, which [`decode_failures`](Self::decode_failures) and
/// [`decode_failure_count`](Self::decode_failure_count) report (clones share the record).
/// Call [`check`](Self::check) before training (every header, fast) or
/// [`check_decode`](Self::check_decode) (every image, slow) to fail early with the file
/// named, and read the record after each epoch.
#[derive(Clone, Debug)]
pub struct ImageFolder {
    /// The folder or list file the images come from.
    origin: PathBuf,
    paths: Arc<[PathBuf]>,
    labels: LabelSet,
    config: ImageConfig,
    /// `[C, H, W]`.
    shape: Vec<usize>,
    /// Per item, how many times it was read (only with augmentation).
    reads: Arc<[AtomicU32]>,
    failures: Arc<Mutex<FailureLog>>,
}

impl ImageFolder {
    /// The images of a folder of class folders, `root/<class>/...` (torchvision's
    /// `ImageFolder`, Office-31's `domain/images/`): the classes are the subfolders' names in
    /// sorted order, and each class holds every image below its folder (subfolders included,
    /// in sorted path order). Hidden entries (names starting with `.`) are skipped.
    ///
    /// # Errors
    ///
    /// [`DataError::InvalidImageConfig`], [`DataError::Io`] for a folder that cannot be read,
    /// [`DataError::NoSamples`] when `root` has no subfolder, [`DataError::EmptyClassFolder`]
    /// naming a class folder without images.
    pub fn classes(root: impl AsRef<Path>, config: ImageConfig) -> Result<Self, DataError> {
        let root = root.as_ref();
        config.check()?;
        let mut class_dirs: Vec<(String, PathBuf)> = entries(root)?
            .into_iter()
            .filter(|(name, _, is_dir)| *is_dir && !name.starts_with('.'))
            .map(|(name, path, _)| (name, path))
            .collect();
        class_dirs.sort();
        if class_dirs.is_empty() {
            return Err(DataError::NoSamples {
                path: root.to_path_buf(),
            });
        }
        let mut paths = Vec::new();
        let mut classes = Vec::new();
        for (class, (_, dir)) in class_dirs.iter().enumerate() {
            let mut images = Vec::new();
            walk(dir, 0, &mut images)?;
            if images.is_empty() {
                return Err(DataError::EmptyClassFolder { path: dir.clone() });
            }
            images.sort();
            classes.extend(std::iter::repeat_n(class as u32, images.len()));
            paths.extend(images);
        }
        let names = class_dirs.into_iter().map(|(name, _)| name).collect();
        Ok(Self::build(
            root,
            paths,
            LabelSet::classes(classes, Some(names)),
            config,
        ))
    }

    /// The images directly in `root` (not in subfolders), unlabelled, in sorted path order.
    ///
    /// # Errors
    ///
    /// [`DataError::InvalidImageConfig`], [`DataError::Io`], and [`DataError::NoSamples`] when
    /// `root` holds no image.
    pub fn flat(root: impl AsRef<Path>, config: ImageConfig) -> Result<Self, DataError> {
        let root = root.as_ref();
        config.check()?;
        let mut paths: Vec<PathBuf> = entries(root)?
            .into_iter()
            .filter(|(name, path, is_dir)| !*is_dir && !name.starts_with('.') && is_image(path))
            .map(|(_, path, _)| path)
            .collect();
        if paths.is_empty() {
            return Err(DataError::NoSamples {
                path: root.to_path_buf(),
            });
        }
        paths.sort();
        let n = paths.len();
        Ok(Self::build(root, paths, LabelSet::unlabelled(n), config))
    }

    /// The images of a list file (Transfer-Learning-Library's `image_list/*.txt`): one
    /// `path label` per line, `label` a class index; the path is everything before the last
    /// run of spaces (so it may hold spaces), absolute or relative to `base`, by default the
    /// list file's folder. (tllib's lists name paths from the dataset's root, the list
    /// file's parent folder's parent: pass that as `base`.) Empty lines and lines starting with
    /// `#` are skipped. The classes have no names; there are as many as the largest label plus
    /// one.
    ///
    /// # Errors
    ///
    /// [`DataError::InvalidImageConfig`], [`DataError::Io`] for a list that cannot be read,
    /// [`DataError::ListLine`] for a line that is not `path label` (file and line named),
    /// [`DataError::ListMissingImage`] for a path that is not a file, and
    /// [`DataError::NoSamples`] for a list without entries.
    pub fn list(
        list_file: impl AsRef<Path>,
        base: Option<&Path>,
        config: ImageConfig,
    ) -> Result<Self, DataError> {
        let list_file = list_file.as_ref();
        config.check()?;
        let text = std::fs::read_to_string(list_file).map_err(|source| DataError::Io {
            path: list_file.to_path_buf(),
            source,
        })?;
        let base = base.map(Path::to_path_buf).unwrap_or_else(|| {
            list_file
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        });
        let mut paths = Vec::new();
        let mut classes = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line_no = number + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let bad_line = || DataError::ListLine {
                path: list_file.to_path_buf(),
                line: line_no,
                text: line.to_string(),
            };
            let (image, label) = trimmed
                .rsplit_once(char::is_whitespace)
                .ok_or_else(bad_line)?;
            let image = image.trim_end();
            let class: u32 = label.parse().map_err(|_| bad_line())?;
            if image.is_empty() {
                return Err(bad_line());
            }
            let image = Path::new(image);
            let image = if image.is_absolute() {
                image.to_path_buf()
            } else {
                base.join(image)
            };
            if !image.is_file() {
                return Err(DataError::ListMissingImage {
                    path: list_file.to_path_buf(),
                    line: line_no,
                    image,
                });
            }
            paths.push(image);
            classes.push(class);
        }
        if paths.is_empty() {
            return Err(DataError::NoSamples {
                path: list_file.to_path_buf(),
            });
        }
        Ok(Self::build(
            list_file,
            paths,
            LabelSet::classes(classes, None),
            config,
        ))
    }

    fn build(origin: &Path, paths: Vec<PathBuf>, labels: LabelSet, config: ImageConfig) -> Self {
        let shape = vec![
            config.channels,
            config.height as usize,
            config.width as usize,
        ];
        let reads = read_counts(config.augment.is_some(), paths.len());
        Self {
            origin: origin.to_path_buf(),
            paths: paths.into(),
            labels,
            config,
            shape,
            reads,
            failures: Arc::default(),
        }
    }

    /// The same images with another configuration; read counts start again from 0.
    ///
    /// # Errors
    ///
    /// [`DataError::InvalidImageConfig`].
    pub fn with_config(self, config: ImageConfig) -> Result<Self, DataError> {
        config.check()?;
        let paths: Vec<PathBuf> = self.paths.to_vec();
        Ok(Self::build(&self.origin, paths, self.labels, config))
    }

    /// The same images normalised by `normalisation` (or not at all).
    ///
    /// # Errors
    ///
    /// [`DataError::InvalidImageConfig`] when it does not fit the channels.
    pub fn with_normalisation(
        self,
        normalisation: Option<Normalisation>,
    ) -> Result<Self, DataError> {
        let config = self.config.clone().with_normalisation(normalisation);
        self.with_config(config)
    }

    /// The same images augmented by `augment` (or not at all), read counts from 0.
    pub fn with_augment(mut self, augment: Option<Augment>) -> Self {
        self.config.augment = augment;
        self.reads = read_counts(augment.is_some(), self.paths.len());
        self
    }

    /// Sets every item's read count back to 0, so that the augmentation draws start again as
    /// for a fresh folder.
    pub fn reset_augmentation(&self) {
        for count in self.reads.iter() {
            count.store(0, Ordering::Relaxed);
        }
    }

    /// The folder or list file the images come from.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// The configuration.
    pub fn config(&self) -> &ImageConfig {
        &self.config
    }

    /// The item shape `[C, H, W]`.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether the folder holds no image (never true for one this crate builds).
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The file of image `index`, or `None` past the end.
    pub fn path(&self, index: usize) -> Option<&Path> {
        self.paths.get(index).map(PathBuf::as_path)
    }

    /// All image files, in item order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    pub(crate) fn label_set(&self) -> &LabelSet {
        &self.labels
    }

    pub(crate) fn label_set_mut(&mut self) -> &mut LabelSet {
        &mut self.labels
    }

    /// The images at `indices` (checked by the caller), with fresh read counts and failure
    /// record.
    pub(crate) fn subset_unchecked(&self, indices: &[usize]) -> Self {
        let paths = indices.iter().map(|&i| self.paths[i].clone()).collect();
        Self::build(
            &self.origin,
            paths,
            self.labels.subset(indices),
            self.config.clone(),
        )
    }

    /// Reads the header of every image (format and size, not the pixels), so that a file
    /// that is not an image, or is cut short before its header ends, fails here rather than
    /// in training. Data cut short after the header passes; [`check_decode`](Self::check_decode)
    /// finds it.
    ///
    /// # Errors
    ///
    /// [`DataError::Image`] naming the first file that fails.
    pub fn check(&self) -> Result<(), DataError> {
        for path in self.paths.iter() {
            let (width, height) = reader(path)?
                .into_dimensions()
                .map_err(|err| image_error(path, err))?;
            if width == 0 || height == 0 {
                return Err(DataError::Image {
                    path: path.clone(),
                    source: std::io::Error::other(format!("the image is {width}x{height}")),
                });
            }
        }
        Ok(())
    }

    /// Decodes every image in full (as training would, without augmentation).
    ///
    /// # Errors
    ///
    /// [`DataError::Image`] naming the first file that fails.
    pub fn check_decode(&self) -> Result<(), DataError> {
        for path in self.paths.iter() {
            self.pixels(path)?;
        }
        Ok(())
    }

    /// The images sampled for statistics: up to `max_images`, evenly spaced.
    fn sample_indices(&self, max_images: usize) -> impl Iterator<Item = usize> + use<> {
        let len = self.paths.len();
        let n = max_images.clamp(1, len.max(1)).min(len);
        (0..n).map(move |k| k * len / n)
    }

    /// 3 when any of up to `max_images` images (evenly spaced) is in colour, else 1: the
    /// channels to ask for (when either domain is in colour, both should use 3). Reads headers
    /// only.
    ///
    /// # Errors
    ///
    /// [`DataError::Image`] naming a file whose header does not decode.
    pub fn colour_channels(&self, max_images: usize) -> Result<usize, DataError> {
        for index in self.sample_indices(max_images) {
            let path = &self.paths[index];
            let decoder = reader(path)?
                .into_decoder()
                .map_err(|err| image_error(path, err))?;
            if decoder.color_type().has_color() {
                return Ok(3);
            }
        }
        Ok(1)
    }

    /// The per-channel mean and standard deviation of the pixel values (in `[0, 1]`, after
    /// conversion and resizing, without augmentation) over up to `max_images` images, evenly
    /// spaced ([`STATS_SAMPLE`] is a good choice). Computed on the source, they normalise both
    /// domains. A deviation below `1e-6` (a constant channel) is raised to `1e-6`.
    ///
    /// # Errors
    ///
    /// [`DataError::Image`] naming the first image that fails to decode.
    pub fn channel_stats(&self, max_images: usize) -> Result<Normalisation, DataError> {
        let channels = self.config.channels;
        let plane = self.config.height as usize * self.config.width as usize;
        let mut sum = vec![0.0f64; channels];
        let mut sum_sq = vec![0.0f64; channels];
        let mut images = 0usize;
        for index in self.sample_indices(max_images) {
            let pixels = self.pixels(&self.paths[index])?;
            for (c, values) in pixels.chunks_exact(plane).enumerate() {
                for &v in values {
                    let v = f64::from(v);
                    sum[c] += v;
                    sum_sq[c] += v * v;
                }
            }
            images += 1;
        }
        let count = (images * plane).max(1) as f64;
        let mean: Vec<f32> = sum.iter().map(|s| (s / count) as f32).collect();
        let std = sum_sq
            .iter()
            .zip(&sum)
            .map(|(sq, s)| {
                let m = s / count;
                ((sq / count - m * m).max(0.0).sqrt() as f32).max(1e-6)
            })
            .collect();
        Ok(Normalisation { mean, std })
    }

    /// The images that failed to decode in [`Dataset::get`] (the first 100), across all clones.
    pub fn decode_failures(&self) -> Vec<DecodeFailure> {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .first
            .clone()
    }

    /// How many reads failed to decode in [`Dataset::get`], across all clones.
    pub fn decode_failure_count(&self) -> usize {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }

    /// One image as `[C, H, W]` planes in `[0, 1]`: decoded, converted, resized.
    fn pixels(&self, path: &Path) -> Result<Vec<f32>, DataError> {
        let image = reader(path)?
            .decode()
            .map_err(|err| image_error(path, err))?;
        let (width, height) = (self.config.width, self.config.height);
        let plane = height as usize * width as usize;
        if self.config.channels == 1 {
            let mut grey = image.to_luma32f();
            if grey.dimensions() != (width, height) {
                grey = imageops::resize(&grey, width, height, FilterType::Triangle);
            }
            Ok(grey.into_raw())
        } else {
            let mut rgb = image.to_rgb32f();
            if rgb.dimensions() != (width, height) {
                rgb = imageops::resize(&rgb, width, height, FilterType::Triangle);
            }
            let interleaved = rgb.into_raw();
            let mut planes = vec![0.0; 3 * plane];
            for (p, pixel) in interleaved.chunks_exact(3).enumerate() {
                for (c, &v) in pixel.iter().enumerate() {
                    planes[c * plane + p] = v;
                }
            }
            Ok(planes)
        }
    }

    /// Crops and flips `planes` as `augment` draws for the `read`-th read of item `index`.
    fn augment(&self, planes: Vec<f32>, augment: Augment, index: usize, read: u32) -> Vec<f32> {
        let (h, w) = (self.config.height as usize, self.config.width as usize);
        let seed = mix64(augment.seed.wrapping_add(mix64(index as u64)));
        let mut rng = SplitMix64::derived(seed, u64::from(read));
        let pad = augment.pad as usize;
        let dy = rng.below(2 * pad + 1);
        let dx = rng.below(2 * pad + 1);
        let flip = augment.flip && rng.next_u64() & 1 == 1;
        if dy == pad && dx == pad && !flip {
            return planes;
        }
        let mut out = vec![0.0; planes.len()];
        for (source, target) in planes.chunks_exact(h * w).zip(out.chunks_exact_mut(h * w)) {
            for y in 0..h {
                // Source row y + dy - pad of the padded image.
                let Some(sy) = (y + dy).checked_sub(pad).filter(|&sy| sy < h) else {
                    continue;
                };
                for x in 0..w {
                    let cx = if flip { w - 1 - x } else { x };
                    if let Some(sx) = (cx + dx).checked_sub(pad).filter(|&sx| sx < w) {
                        target[y * w + x] = source[sy * w + sx];
                    }
                }
            }
        }
        out
    }

    fn record_failure(&self, index: usize, path: &Path, err: &DataError) {
        let mut log = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        log.total += 1;
        if log.first.len() < MAX_LOGGED_FAILURES {
            let message = match err {
                DataError::Image { source, .. } | DataError::Io { source, .. } => {
                    source.to_string()
                }
                other => other.to_string(),
            };
            log.first.push(DecodeFailure {
                index,
                path: path.to_path_buf(),
                message,
            });
        }
    }
}

impl Dataset<Sample> for ImageFolder {
    fn get(&self, index: usize) -> Option<Sample> {
        let path = self.paths.get(index)?;
        let label = self.labels.labels[index];
        let draw = self
            .config
            .augment
            .map(|augment| (augment, self.reads[index].fetch_add(1, Ordering::Relaxed)));
        let x = match self.pixels(path) {
            Ok(mut planes) => {
                if let Some((augment, read)) = draw {
                    planes = self.augment(planes, augment, index, read);
                }
                if let Some(normalisation) = &self.config.normalisation {
                    let plane = planes.len() / self.config.channels;
                    for (c, values) in planes.chunks_exact_mut(plane).enumerate() {
                        let (mean, std) = (normalisation.mean[c], normalisation.std[c]);
                        for v in values {
                            *v = (*v - mean) / std;
                        }
                    }
                }
                planes
            }
            Err(err) => {
                self.record_failure(index, path, &err);
                vec![0.0; self.config.item_len()]
            }
        };
        Some(Sample { x, label })
    }

    fn len(&self) -> usize {
        self.paths.len()
    }
}

fn read_counts(augment: bool, len: usize) -> Arc<[AtomicU32]> {
    let len = if augment { len } else { 0 };
    (0..len).map(|_| AtomicU32::new(0)).collect()
}

/// Whether the path has an image extension.
fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// The entries of `dir`: name, path, whether a directory (symbolic links followed).
pub(crate) fn entries(dir: &Path) -> Result<Vec<(String, PathBuf, bool)>, DataError> {
    let io_error = |source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let path = entry.path();
        // A dangling link or an unreadable entry counts as a file (skipped unless an image).
        let is_dir = std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
        out.push((
            entry.file_name().to_string_lossy().into_owned(),
            path,
            is_dir,
        ));
    }
    Ok(out)
}

/// Whether `dir` holds an image file directly.
pub(crate) fn has_images(dir: &Path) -> Result<bool, DataError> {
    Ok(entries(dir)?
        .iter()
        .any(|(name, path, is_dir)| !*is_dir && !name.starts_with('.') && is_image(path)))
}

/// Every image file below `dir` (not hidden), to `MAX_DEPTH` folders down.
fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), DataError> {
    for (name, path, is_dir) in entries(dir)? {
        if name.starts_with('.') {
            continue;
        }
        if is_dir {
            if depth < MAX_DEPTH {
                walk(&path, depth + 1, out)?;
            }
        } else if is_image(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn reader(path: &Path) -> Result<ImageReader<std::io::BufReader<std::fs::File>>, DataError> {
    ImageReader::open(path)
        .and_then(ImageReader::with_guessed_format)
        .map_err(|source| DataError::Image {
            path: path.to_path_buf(),
            source,
        })
}

fn image_error(path: &Path, err: image::ImageError) -> DataError {
    DataError::Image {
        path: path.to_path_buf(),
        source: std::io::Error::other(err),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use burn::backend::NdArray;
    use burn::data::dataloader::DataLoaderBuilder;
    use burn::data::dataset::Dataset;
    use image::{GrayImage, Luma, Rgb, RgbImage};
    use shiftkit_testkit::Scratch;

    use super::{Augment, ImageConfig, ImageFolder, Normalisation};
    use crate::user::{Label, LabelKind, SampleDataset};
    use crate::{DataError, DomainBatch};

    fn grey(path: &Path, w: u32, h: u32, value: u8) {
        GrayImage::from_pixel(w, h, Luma([value]))
            .save(path)
            .unwrap();
    }

    fn colour(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
        RgbImage::from_pixel(w, h, Rgb(rgb)).save(path).unwrap();
    }

    /// An RGB image whose pixel (x, y) is `(10 x + y, 100, 200 - y)`.
    fn gradient(path: &Path, w: u32, h: u32) {
        RgbImage::from_fn(w, h, |x, y| Rgb([(10 * x + y) as u8, 100, (200 - y) as u8]))
            .save(path)
            .unwrap();
    }

    fn mkdir(dir: &Scratch, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    fn assert_close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() < 1e-5, "value {i}: {x} vs {y}");
        }
    }

    #[test]
    fn class_folders_give_sorted_classes_and_pixels() {
        let dir = Scratch::new("images-classes");
        let root = mkdir(&dir, "domain");
        mkdir(&dir, "domain/dog/sub");
        mkdir(&dir, "domain/cat");
        mkdir(&dir, "domain/.git");
        colour(&root.join("dog/sub/c.png"), 3, 2, [255, 0, 51]);
        colour(&root.join("cat/b.png"), 3, 2, [0, 255, 0]);
        colour(&root.join("cat/a.PNG"), 3, 2, [0, 0, 255]);
        std::fs::write(root.join("cat/notes.txt"), b"not an image").unwrap();
        let folder = ImageFolder::classes(&root, ImageConfig::new(2, 3)).unwrap();
        assert_eq!(folder.len(), 3);
        assert_eq!(folder.shape(), [3, 2, 3]);
        let data = SampleDataset::from(folder);
        assert_eq!(data.class_names().unwrap(), ["cat", "dog"]);
        assert_eq!(data.task(), LabelKind::Classes { num_classes: 2 });
        assert_eq!(
            data.labels(),
            [Label::Class(0), Label::Class(0), Label::Class(1)]
        );
        assert!(data.name(0).unwrap().ends_with("cat/a.PNG"));
        assert!(data.name(2).unwrap().ends_with("dog/sub/c.png"));
        let item = data.get(2).unwrap();
        assert_eq!(item.label, Label::Class(1));
        let expected: Vec<f32> = [1.0f32, 0.0, 0.2].iter().flat_map(|&v| [v; 6]).collect();
        assert_close(&item.x, &expected);
        data.check().unwrap();
    }

    #[test]
    fn grey_images_are_promoted_and_colour_reduced_by_luma() {
        let dir = Scratch::new("images-channels");
        let grey_dir = mkdir(&dir, "grey");
        let colour_dir = mkdir(&dir, "colour");
        grey(&grey_dir.join("g.png"), 2, 2, 128);
        colour(&colour_dir.join("c.png"), 2, 2, [255, 0, 0]);
        let grey_folder = ImageFolder::flat(&grey_dir, ImageConfig::new(2, 2)).unwrap();
        assert_eq!(grey_folder.colour_channels(10).unwrap(), 1);
        let item = grey_folder.get(0).unwrap();
        assert_eq!(item.label, Label::None);
        assert_close(&item.x, &[128.0 / 255.0; 12]);
        let colour_folder =
            ImageFolder::flat(&colour_dir, ImageConfig::new(2, 2).with_channels(1)).unwrap();
        assert_eq!(colour_folder.colour_channels(10).unwrap(), 3);
        let item = colour_folder.get(0).unwrap();
        assert_eq!(item.x.len(), 4);
        assert!(
            item.x.iter().all(|&v| (v - 0.2126).abs() < 1e-3),
            "{:?}",
            item.x
        );
    }

    #[test]
    fn images_are_resized_to_the_configured_size() {
        let dir = Scratch::new("images-resize");
        let root = mkdir(&dir, "flat");
        grey(&root.join("big.png"), 8, 6, 200);
        gradient(&root.join("grad.jpg"), 5, 5);
        let folder = ImageFolder::flat(&root, ImageConfig::new(3, 4).with_channels(1)).unwrap();
        let item = folder.get(0).unwrap();
        assert_eq!(item.x.len(), 12);
        assert_close(&item.x, &[200.0 / 255.0; 12]);
        // The JPEG decodes too, to the same size.
        assert_eq!(folder.get(1).unwrap().x.len(), 12);
        assert_eq!(folder.decode_failure_count(), 0);
    }

    #[test]
    fn channel_statistics_and_normalisation() {
        let dir = Scratch::new("images-stats");
        let root = mkdir(&dir, "flat");
        grey(&root.join("a.png"), 4, 4, 51);
        grey(&root.join("b.png"), 4, 4, 153);
        let folder = ImageFolder::flat(&root, ImageConfig::new(4, 4)).unwrap();
        let stats = folder.channel_stats(super::STATS_SAMPLE).unwrap();
        assert_close(&stats.mean, &[0.4; 3]);
        assert_close(&stats.std, &[0.2; 3]);
        // One image only: the first, with no spread.
        let one = folder.channel_stats(1).unwrap();
        assert_close(&one.mean, &[0.2; 3]);
        assert_close(&one.std, &[1e-6; 3]);
        let folder = folder.with_normalisation(Some(stats)).unwrap();
        assert_close(&folder.get(0).unwrap().x, &[-1.0; 48]);
        assert_close(&folder.get(1).unwrap().x, &[1.0; 48]);
        let err = folder
            .clone()
            .with_normalisation(Some(Normalisation::identity(1)))
            .unwrap_err();
        assert!(matches!(err, DataError::InvalidImageConfig(_)), "{err}");
        let imagenet = folder
            .with_normalisation(Some(Normalisation::imagenet()))
            .unwrap();
        let x = imagenet.get(0).unwrap().x;
        assert!((x[0] - (0.2 - 0.485) / 0.229).abs() < 1e-5);
        assert!((x[47] - (0.2 - 0.406) / 0.225).abs() < 1e-5);
    }

    #[test]
    fn augmentation_is_seeded_and_changes_pixels() {
        let dir = Scratch::new("images-augment");
        let root = mkdir(&dir, "flat");
        gradient(&root.join("g.png"), 6, 5);
        let plain = ImageFolder::flat(&root, ImageConfig::new(5, 6)).unwrap();
        let original = plain.get(0).unwrap().x;
        let augment = Augment {
            pad: 2,
            flip: true,
            seed: 7,
        };
        let reads = |folder: &ImageFolder| -> Vec<Vec<f32>> {
            (0..8).map(|_| folder.get(0).unwrap().x).collect()
        };
        let a = plain.clone().with_augment(Some(augment));
        let b = plain.clone().with_augment(Some(augment));
        let first = reads(&a);
        assert_eq!(first, reads(&b), "the same seed gives the same draws");
        assert!(
            first.iter().any(|x| *x != original),
            "augmentation changes pixels"
        );
        assert!(first.iter().any(|x| *x != first[0]), "each read draws anew");
        a.reset_augmentation();
        assert_eq!(reads(&a), first, "a reset starts the draws again");
        let other = plain
            .clone()
            .with_augment(Some(Augment { seed: 8, ..augment }));
        assert_ne!(reads(&other), first, "another seed draws otherwise");

        // Flip only: each read is the image or its mirror, and both occur.
        let flip = plain.with_augment(Some(Augment {
            pad: 0,
            flip: true,
            seed: 1,
        }));
        let mirror: Vec<f32> = original
            .chunks_exact(6)
            .flat_map(|row| row.iter().rev().copied())
            .collect();
        let seen = reads(&flip);
        assert!(seen.iter().all(|x| *x == original || *x == mirror));
        assert!(seen.contains(&original) && seen.contains(&mirror));
    }

    #[test]
    fn undecodable_images_are_reported() {
        let dir = Scratch::new("images-broken");
        let root = mkdir(&dir, "flat");
        grey(&root.join("a.png"), 4, 4, 10);
        let broken = root.join("b.png");
        std::fs::write(&broken, b"this is not a png").unwrap();
        let folder = ImageFolder::flat(&root, ImageConfig::new(4, 4)).unwrap();
        let err = folder.check().unwrap_err();
        assert!(
            matches!(&err, DataError::Image { path, .. } if *path == broken),
            "{err}"
        );
        assert!(err.to_string().contains("b.png"));
        let item = folder.get(1).unwrap();
        assert_eq!(item.x, vec![0.0; 48]);
        let clone = folder.clone();
        assert_eq!(clone.decode_failure_count(), 1);
        assert_eq!(clone.decode_failures()[0].path, broken);
        assert_eq!(clone.decode_failures()[0].index, 1);

        // Cut after the header: the header check passes, decoding does not.
        let dir2 = Scratch::new("images-truncated");
        let root2 = mkdir(&dir2, "flat");
        let whole = root2.join("t.png");
        gradient(&whole, 40, 40);
        let bytes = std::fs::read(&whole).unwrap();
        std::fs::write(&whole, &bytes[..bytes.len() / 2]).unwrap();
        let folder = ImageFolder::flat(&root2, ImageConfig::new(4, 4)).unwrap();
        folder.check().unwrap();
        let err = folder.check_decode().unwrap_err();
        assert!(
            matches!(&err, DataError::Image { path, .. } if *path == whole),
            "{err}"
        );
    }

    #[test]
    fn folder_errors_name_the_folder() {
        let dir = Scratch::new("images-errors");
        let root = mkdir(&dir, "domain");
        mkdir(&dir, "domain/cat");
        mkdir(&dir, "domain/dog");
        grey(&root.join("cat/a.png"), 2, 2, 0);
        std::fs::write(root.join("dog/readme.txt"), b"").unwrap();
        let err = ImageFolder::classes(&root, ImageConfig::new(2, 2)).unwrap_err();
        assert!(
            matches!(&err, DataError::EmptyClassFolder { path } if path.ends_with("dog")),
            "{err}"
        );
        let empty = mkdir(&dir, "empty");
        let err = ImageFolder::classes(&empty, ImageConfig::new(2, 2)).unwrap_err();
        assert!(matches!(&err, DataError::NoSamples { path } if *path == empty));
        let err = ImageFolder::flat(&empty, ImageConfig::new(2, 2)).unwrap_err();
        assert!(matches!(&err, DataError::NoSamples { path } if *path == empty));
        let err = ImageFolder::flat(dir.join("absent"), ImageConfig::new(2, 2)).unwrap_err();
        assert!(matches!(err, DataError::Io { .. }), "{err}");
        for config in [
            ImageConfig::new(0, 2),
            ImageConfig::new(2, 2).with_channels(2),
        ] {
            let err = ImageFolder::classes(&root, config).unwrap_err();
            assert!(matches!(err, DataError::InvalidImageConfig(_)), "{err}");
        }
    }

    #[test]
    fn list_files_resolve_paths_and_report_bad_lines() {
        let dir = Scratch::new("images-list");
        let images = mkdir(&dir, "data/amazon/images/cup");
        grey(&images.join("a b.png"), 2, 2, 255);
        grey(&images.join("c.png"), 2, 2, 0);
        let absolute = images.join("c.png");
        let lists = mkdir(&dir, "data/image_list");
        let list = lists.join("amazon.txt");
        std::fs::write(
            &list,
            format!(
                "# tllib list\namazon/images/cup/a b.png 4\n\n{} 1\n",
                absolute.display()
            ),
        )
        .unwrap();
        let base = dir.join("data");
        let folder = ImageFolder::list(&list, Some(&base), ImageConfig::new(2, 2)).unwrap();
        assert_eq!(folder.len(), 2);
        let data = SampleDataset::from(folder);
        assert_eq!(data.task(), LabelKind::Classes { num_classes: 5 });
        assert_eq!(data.class_names(), None);
        assert_eq!(data.labels(), [Label::Class(4), Label::Class(1)]);
        assert_close(&data.get(0).unwrap().x, &[1.0; 12]);
        // Relative to the list's own folder, the first path does not exist.
        let err = ImageFolder::list(&list, None, ImageConfig::new(2, 2)).unwrap_err();
        assert!(
            matches!(&err, DataError::ListMissingImage { line: 2, path, .. } if *path == list),
            "{err}"
        );
        for (text, line) in [
            ("a.png\n", 1),
            ("c.png 1\nc.png cat\n", 2),
            ("c.png -1\n", 1),
        ] {
            let bad = dir.write("bad.txt", text.as_bytes());
            std::fs::copy(&absolute, dir.join("c.png")).unwrap();
            std::fs::copy(&absolute, dir.join("a.png")).unwrap();
            let err = ImageFolder::list(&bad, None, ImageConfig::new(2, 2)).unwrap_err();
            assert!(
                matches!(&err, DataError::ListLine { line: l, path, .. } if *l == line && *path == bad),
                "{text:?}: {err}"
            );
        }
        let empty = dir.write("empty.txt", b"# nothing\n");
        let err = ImageFolder::list(&empty, None, ImageConfig::new(2, 2)).unwrap_err();
        assert!(matches!(err, DataError::NoSamples { .. }), "{err}");
    }

    #[test]
    fn target_folders_take_the_source_class_numbers() {
        let dir = Scratch::new("images-remap");
        for (domain, classes) in [
            ("source", &["ant", "bee", "cat"][..]),
            ("target", &["cat"][..]),
        ] {
            for class in classes {
                let folder = mkdir(&dir, &format!("{domain}/{class}"));
                grey(&folder.join("x.png"), 2, 2, 9);
            }
        }
        let config = ImageConfig::new(2, 2);
        let source =
            SampleDataset::from(ImageFolder::classes(dir.join("source"), config.clone()).unwrap());
        let target = SampleDataset::from(ImageFolder::classes(dir.join("target"), config).unwrap());
        assert_eq!(target.label(0), Some(Label::Class(0)));
        let target = target.remap_classes(source.class_names().unwrap()).unwrap();
        assert_eq!(target.label(0), Some(Label::Class(2)));
        assert_eq!(target.get(0).unwrap().label, Label::Class(2));
        assert_eq!(target.num_classes(), Some(3));
        let subset = source.subset(&[2, 0]).unwrap();
        assert_eq!(subset.labels(), [Label::Class(2), Label::Class(0)]);
        assert!(subset.name(0).unwrap().ends_with("cat/x.png"));
        assert!(matches!(
            source.subset(&[3]),
            Err(DataError::IndexOutOfRange { index: 3, len: 3 })
        ));
    }

    #[test]
    fn a_loader_batches_images_as_nchw() {
        let dir = Scratch::new("images-loader");
        for class in ["a", "b"] {
            let folder = mkdir(&dir, &format!("d/{class}"));
            for i in 0..3 {
                colour(&folder.join(format!("{i}.png")), 7, 5, [i * 50, 0, 0]);
            }
        }
        let data: SampleDataset = ImageFolder::classes(dir.join("d"), ImageConfig::new(4, 6))
            .unwrap()
            .into();
        let loader = DataLoaderBuilder::<NdArray, _, DomainBatch<NdArray, 4>>::new(data.batcher())
            .batch_size(4)
            .build(data.clone());
        let batches: Vec<_> = loader.iter().collect();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].inputs.dims(), [4, 3, 4, 6]);
        assert_eq!(batches[1].inputs.dims(), [2, 3, 4, 6]);
        let labels = batches[0]
            .labels
            .clone()
            .into_data()
            .to_vec::<i64>()
            .unwrap();
        assert_eq!(labels, [0, 0, 0, 1]);
    }
}
