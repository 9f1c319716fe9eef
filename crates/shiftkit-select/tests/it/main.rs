//! The integration tests of shiftkit-select: one binary, one module per topic.

mod common;
mod regression;
mod select;
