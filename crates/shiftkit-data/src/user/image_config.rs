//! How an image folder turns files into items: size, channels, normalisation, augmentation.

use serde::{Deserialize, Serialize};

use crate::error::DataError;

/// A per-channel normalisation: `(v - mean[c]) / std[c]` for pixel values `v` in `[0, 1]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalisation {
    /// One mean per channel.
    pub mean: Vec<f32>,
    /// One standard deviation per channel (positive).
    pub std: Vec<f32>,
}

impl Normalisation {
    /// ImageNet's statistics (RGB), which ImageNet-pretrained networks expect.
    pub fn imagenet() -> Self {
        Self {
            mean: vec![0.485, 0.456, 0.406],
            std: vec![0.229, 0.224, 0.225],
        }
    }

    /// No change: mean 0 and deviation 1 for each of `channels` channels.
    pub fn identity(channels: usize) -> Self {
        Self {
            mean: vec![0.0; channels],
            std: vec![1.0; channels],
        }
    }

    fn check(&self, channels: usize) -> Result<(), DataError> {
        if self.mean.len() != channels || self.std.len() != channels {
            return Err(DataError::InvalidImageConfig(format!(
                "the normalisation has {} means and {} deviations for {channels} channels",
                self.mean.len(),
                self.std.len()
            )));
        }
        if self.mean.iter().any(|m| !m.is_finite())
            || self.std.iter().any(|s| !(s.is_finite() && *s > 0.0))
        {
            return Err(DataError::InvalidImageConfig(format!(
                "normalisation means must be finite and deviations finite and positive, got {:?} and {:?}",
                self.mean, self.std
            )));
        }
        Ok(())
    }
}

/// Training augmentation: a random crop of the image padded with `pad` black pixels on every
/// side (the crop has the image's size), then a horizontal flip with probability 1/2 when
/// `flip` is set, as torchvision's `RandomCrop(padding=pad)` and `RandomHorizontalFlip`.
///
/// Draws are seeded: the `k`-th read of item `i` (counted from 0 by the folder, shared by its
/// clones) uses a generator derived from `(seed, i, k)`. Burn's loader reads every item once
/// per epoch, so `k` is the epoch and a run with the same seed sees the same crops, each epoch
/// new ones, whatever the number of loader workers (as long as the same items are read the
/// same number of times). [`ImageFolder::reset_augmentation`](crate::ImageFolder::reset_augmentation) sets the counts back to 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Augment {
    /// Padding on each side before the crop, in pixels (0: no crop).
    pub pad: u32,
    /// Whether to flip horizontally half of the time.
    pub flip: bool,
    /// The seed of the draws.
    pub seed: u64,
}

/// How an [`ImageFolder`](crate::ImageFolder) turns files into items.
///
/// Every image is decoded, converted to `channels` (1: grey by luma, with the image crate's
/// Rec. 709 weights `0.2126 R + 0.7152 G + 0.0722 B`; 3: RGB, a grey image repeated on the
/// three channels; alpha dropped), resized to `height x width` with a bilinear (triangle)
/// filter unless it has that size, scaled to `[0, 1]` (16-bit images keep their precision),
/// augmented when asked, and normalised when asked. The size has no default: 28 suits digits,
/// 224 ImageNet-pretrained networks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// The items' height in pixels.
    pub height: u32,
    /// The items' width in pixels.
    pub width: u32,
    /// 1 (grey) or 3 (RGB).
    pub channels: usize,
    /// The per-channel normalisation, if any (else values stay in `[0, 1]`).
    pub normalisation: Option<Normalisation>,
    /// The training augmentation, if any.
    pub augment: Option<Augment>,
}

impl ImageConfig {
    /// Items of `height x width` pixels, 3 channels, neither normalised nor augmented.
    pub fn new(height: u32, width: u32) -> Self {
        Self {
            height,
            width,
            channels: 3,
            normalisation: None,
            augment: None,
        }
    }

    /// With `channels` channels (1 or 3).
    pub fn with_channels(mut self, channels: usize) -> Self {
        self.channels = channels;
        self
    }

    /// With a normalisation (or none).
    pub fn with_normalisation(mut self, normalisation: Option<Normalisation>) -> Self {
        self.normalisation = normalisation;
        self
    }

    /// With an augmentation (or none).
    pub fn with_augment(mut self, augment: Option<Augment>) -> Self {
        self.augment = augment;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    ///
    /// [`DataError::InvalidImageConfig`] for a size of 0, channels other than 1 or 3, or a
    /// normalisation of another channel count, with a non-finite mean or a deviation that is
    /// not positive.
    pub fn check(&self) -> Result<(), DataError> {
        if self.height == 0 || self.width == 0 {
            return Err(DataError::InvalidImageConfig(format!(
                "the image size must be at least 1x1, got {}x{}",
                self.height, self.width
            )));
        }
        if !matches!(self.channels, 1 | 3) {
            return Err(DataError::InvalidImageConfig(format!(
                "images have 1 or 3 channels, got {}",
                self.channels
            )));
        }
        if let Some(normalisation) = &self.normalisation {
            normalisation.check(self.channels)?;
        }
        Ok(())
    }

    /// The values per item, `channels * height * width`.
    pub(super) fn item_len(&self) -> usize {
        self.channels * self.height as usize * self.width as usize
    }
}
