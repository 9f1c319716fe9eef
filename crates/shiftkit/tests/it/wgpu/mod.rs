//! shiftkit on wgpu (the feature `wgpu`): the reversal's laws in f32, training against the
//! CPU, the device choice.
//!
//! They run on whatever adapter answers: Mesa's lavapipe (Vulkan on the CPU) on a machine
//! without a GPU, as on CI. Each test is skipped, saying so on stderr, only where no adapter
//! answers at all ([`wgpu_adapter`]): a build with the feature still passes its tests on a
//! machine without Vulkan.
//!
//! The reversal's checks live here rather than in shiftkit-grl's suite because the probe is
//! the facade's, and dependencies point down only.
// A skipped test says why; the comparisons show their measured differences (`--nocapture`).
#![allow(clippy::print_stderr)]

use shiftkit::device::wgpu_adapter;

mod reversal;
mod training;

/// Whether an adapter answers; where none does, says the test is skipped.
fn adapter() -> bool {
    if wgpu_adapter().is_some() {
        true
    } else {
        eprintln!("skipped: no wgpu adapter answers on this machine");
        false
    }
}
