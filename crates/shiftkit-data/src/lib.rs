//! Domain pairs for shiftkit, as Burn datasets and batchers.

mod batch;

pub use batch::DomainBatch;
