//! The integration tests of the shiftkit facade: one binary, one module per topic (Burn is
//! linked once).

#[cfg(feature = "wgpu")]
mod wgpu;
