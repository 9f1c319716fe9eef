//! The integration tests of shiftkit-align: one binary, one module per topic (Burn is linked once).

mod alignment;
mod autotraits;
mod common;
mod discrepancy;
mod errors;
mod f32;
mod gradient_check;
mod laws;
mod random_map;
mod record;
