//! The hyper-parameters a selection can vary.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use shiftkit_train::{DannConfig, Method};

/// A hyper-parameter a selection can vary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Param {
    /// The adversarial weight (DANN, DANN+MSTN, CDAN, CDAN+E).
    DomainWeight,
    /// MSTN's centroid weight (DANN+MSTN).
    SemanticWeight,
    /// MMD's weight.
    MmdWeight,
    /// CORAL's weight.
    CoralWeight,
    /// MCC's weight.
    MccWeight,
    /// Adam's learning rate (every method, source-only included).
    Lr,
}

impl Param {
    /// Every parameter.
    pub const ALL: [Param; 6] = [
        Param::DomainWeight,
        Param::SemanticWeight,
        Param::MmdWeight,
        Param::CoralWeight,
        Param::MccWeight,
        Param::Lr,
    ];

    /// The name on command lines and in `selection.json`: `domain-weight`, `semantic-weight`,
    /// `mmd-weight`, `coral-weight`, `mcc-weight`, `lr`.
    pub fn name(self) -> &'static str {
        match self {
            Param::DomainWeight => "domain-weight",
            Param::SemanticWeight => "semantic-weight",
            Param::MmdWeight => "mmd-weight",
            Param::CoralWeight => "coral-weight",
            Param::MccWeight => "mcc-weight",
            Param::Lr => "lr",
        }
    }

    /// Whether `method` reads this parameter.
    pub fn applies_to(self, method: Method) -> bool {
        match self {
            Param::DomainWeight => matches!(
                method,
                Method::Dann | Method::DannMstn | Method::Cdan | Method::CdanE
            ),
            Param::SemanticWeight => method == Method::DannMstn,
            Param::MmdWeight => method == Method::Mmd,
            Param::CoralWeight => method == Method::Coral,
            Param::MccWeight => method == Method::Mcc,
            Param::Lr => true,
        }
    }

    /// The name of the term whose weight this is (`None` for the learning rate).
    pub fn term(self) -> Option<&'static str> {
        match self {
            Param::DomainWeight => Some("domain"),
            Param::SemanticWeight => Some("semantic"),
            Param::MmdWeight => Some("mmd"),
            Param::CoralWeight => Some("coral"),
            Param::MccWeight => Some("mcc"),
            Param::Lr => None,
        }
    }

    /// `config` with this parameter set to `value`: a weight on the run's terms of that name
    /// ([`DannConfig::with_term_weight`]), the learning rate on the optimiser.
    #[must_use]
    pub fn apply(self, config: DannConfig, value: f64) -> DannConfig {
        match self.term() {
            Some(term) => config.with_term_weight(term, value),
            None => config.with_lr(value),
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Param {
    type Err = UnknownParam;

    /// Reads a [`name`](Param::name); `_` may stand for `-`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('_', "-");
        Param::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| UnknownParam(s.to_owned()))
    }
}

/// A name that is not a [`Param`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown parameter {0:?} (expected one of domain-weight, semantic-weight, mmd-weight, coral-weight, mcc-weight, lr)"
)]
pub struct UnknownParam(pub String);
