//! The integration tests of shiftkit-data: one binary, one module per topic (Burn is linked once).

mod autotraits;
mod batcher;
mod common;
mod malformed;
mod mnist;
mod moons;
mod optdigits;
mod split;
mod suite;
