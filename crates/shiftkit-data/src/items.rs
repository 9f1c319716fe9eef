use serde::{Deserialize, Serialize};

/// Side of an image in MNIST's geometry, in pixels.
pub const IMAGE_SIDE: usize = 28;

/// Pixels in one image in MNIST's geometry (`28 * 28`).
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;

/// The number of digit classes, `0..=9`.
pub const NUM_CLASSES: usize = 10;

/// The first label that is not a digit class, with its position.
pub(crate) fn first_invalid_label(labels: &[u8]) -> Option<(usize, u8)> {
    labels
        .iter()
        .copied()
        .enumerate()
        .find(|&(_, label)| usize::from(label) >= NUM_CLASSES)
}

/// One digit image and its class: the item of a [`DigitDataset`](crate::DigitDataset).
///
/// Every item this crate makes has [`IMAGE_PIXELS`] (784) pixels, row-major `28x28`, each in
/// `[0, 1]` (0 is background), and a label in `0..=9`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DigitItem {
    /// The 784 pixels, row by row.
    pub pixels: Vec<f32>,
    /// The digit, `0..=9`.
    pub label: u8,
}

/// One point in the plane and its class: the item of a [`PointDataset`](crate::PointDataset).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointItem {
    /// The coordinates `(x, y)`.
    pub x: [f32; 2],
    /// The class (for two moons, 0 for the upper moon, 1 for the lower one).
    pub label: u8,
}
