//! The integration tests of the shiftkit facade: one binary, one module per topic (Burn is
//! linked once).

#[cfg(feature = "cuda")]
mod cuda;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod device_runs;
#[cfg(feature = "wgpu")]
mod wgpu;
