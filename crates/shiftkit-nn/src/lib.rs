//! Networks for domain adaptation: the encoder trait, the domain discriminator, and reference
//! encoders.

mod encoder;

pub use encoder::Encoder;
