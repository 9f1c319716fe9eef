//! The layout the lowered kernels share, and the vector width they run at.

/// Size of one activation tensor, channel-major: channels, images, height, width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planes {
    /// Channels.
    pub channels: usize,
    /// Images.
    pub images: usize,
    /// Rows of an image.
    pub height: usize,
    /// Columns of an image.
    pub width: usize,
}

impl Planes {
    /// The planes of a `[C, N, H, W]` tensor.
    pub fn from_dims([channels, images, height, width]: [usize; 4]) -> Self {
        Self {
            channels,
            images,
            height,
            width,
        }
    }

    /// Values in one image's plane, `H x W`.
    pub fn plane(&self) -> usize {
        self.height * self.width
    }

    /// Values in the whole tensor.
    pub fn len(&self) -> usize {
        self.channels * self.images * self.plane()
    }

    /// Whether the tensor holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs `f` compiled for the widest vector instructions the processor has (AVX-512 or AVX2,
/// chosen at run time by `pulp`, as gemm chooses its kernels) instead of baseline x86-64's four
/// lanes. The kernels it runs add, multiply and compare per lane, with their sums' order
/// written out (`blocked_sum`'s lanes, a row's additions one after the other), so the values
/// are the same bit for bit on any processor.
#[inline(always)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}
