//! The integration tests of shiftkit-train: one binary, one module per topic (Burn is linked once).

mod autotraits;
mod bad_input;
mod checkpoint;
mod common;
mod custom_term;
mod errors;
mod evaluate;
mod guard;
mod history;
mod mcc;
mod methods;
mod moons;
mod parallel_domains;
#[cfg(feature = "collective")]
mod peers;
mod pseudo_labels;
mod reads;
mod regression;
mod schedule;
mod shapes;
mod terms;
mod warmup;
