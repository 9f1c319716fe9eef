//! The integration tests of shiftkit-grl: one binary, one module per topic (Burn is linked once).

mod common;
mod gradient_check;
mod laws;
mod layer;
