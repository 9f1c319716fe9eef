//! The integration tests of shiftkit-validate: one binary, one module per topic (Burn is linked once).

mod autotraits;
mod validators;
