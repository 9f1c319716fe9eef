//! The integration tests of shiftkit-nn: one binary, one module per topic (Burn is linked once).

mod common;
mod conv_algorithm;
mod custom_encoder;
mod dense;
mod determinism;
mod dropout;
mod encode_pair;
mod errors;
mod modes;
mod records;
mod resnet;
mod send_sync;
mod shapes;
