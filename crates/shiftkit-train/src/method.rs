//! The named methods users reach for first, as presets of [`DannConfig`].

use std::fmt;
use std::str::FromStr;

use crate::DannConfig;
use crate::terms::{
    CentroidAlignmentConfig, ClassConfusionConfig, ConditionalAdversarialConfig,
    CovarianceAlignmentConfig, DomainAdversarialConfig, MeanDiscrepancyConfig, TermConfig,
};

/// A domain-adaptation method: which adaptation terms a run adds to the source cross-entropy.
///
/// A method is a list of term configurations ([`terms`](Self::terms));
/// [`configure`](Self::configure) puts them into a base configuration (the optimiser, the
/// discriminator, the schedules) in place of the base's own terms.
///
/// | method | terms |
/// |---|---|
/// | `source_only` | none: the classifier trained on the source alone |
/// | `dann` | domain-adversarial (Ganin et al., 2016) |
/// | `dann_mstn` | domain-adversarial + MSTN centroids (Xie et al., 2018) |
/// | `mmd` | multi-kernel MMD of the features (DAN, Long et al., 2015) |
/// | `coral` | covariance alignment (Deep CORAL, Sun & Saenko, 2016) |
/// | `cdan` | adversarial on features ⊗ predictions (Long et al., 2018) |
/// | `cdan_e` | CDAN with entropy-weighted examples |
/// | `mcc` | minimum class confusion of the target predictions (Jin et al., 2020) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Method {
    /// No adaptation term.
    SourceOnly,
    /// DANN.
    Dann,
    /// DANN with MSTN's centroid alignment.
    DannMstn,
    /// Multi-kernel MMD.
    Mmd,
    /// CORAL.
    Coral,
    /// CDAN.
    Cdan,
    /// CDAN+E.
    CdanE,
    /// Minimum class confusion.
    Mcc,
}

impl Method {
    /// Every method, in the order of the tables.
    pub const ALL: [Method; 8] = [
        Method::SourceOnly,
        Method::Dann,
        Method::DannMstn,
        Method::Mmd,
        Method::Coral,
        Method::Cdan,
        Method::CdanE,
        Method::Mcc,
    ];

    /// The name on command lines and in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Method::SourceOnly => "source_only",
            Method::Dann => "dann",
            Method::DannMstn => "dann_mstn",
            Method::Mmd => "mmd",
            Method::Coral => "coral",
            Method::Cdan => "cdan",
            Method::CdanE => "cdan_e",
            Method::Mcc => "mcc",
        }
    }

    /// The name in titles.
    pub fn title(self) -> &'static str {
        match self {
            Method::SourceOnly => "source only",
            Method::Dann => "DANN",
            Method::DannMstn => "DANN+MSTN",
            Method::Mmd => "MMD",
            Method::Coral => "CORAL",
            Method::Cdan => "CDAN",
            Method::CdanE => "CDAN+E",
            Method::Mcc => "MCC",
        }
    }

    /// The method's terms, each with its configuration's defaults, in the order they run.
    pub fn terms(self) -> Vec<TermConfig> {
        match self {
            Method::SourceOnly => Vec::new(),
            Method::Dann => vec![TermConfig::Dann(DomainAdversarialConfig::new())],
            Method::DannMstn => vec![
                TermConfig::Dann(DomainAdversarialConfig::new()),
                TermConfig::Mstn(CentroidAlignmentConfig::new()),
            ],
            Method::Mmd => vec![TermConfig::Mmd(MeanDiscrepancyConfig::new())],
            Method::Coral => vec![TermConfig::Coral(CovarianceAlignmentConfig::new())],
            Method::Cdan | Method::CdanE => vec![TermConfig::Cdan(
                ConditionalAdversarialConfig::new().with_entropy(self == Method::CdanE),
            )],
            Method::Mcc => vec![TermConfig::Mcc(ClassConfusionConfig::new())],
        }
    }

    /// `base` training the method's [`terms`](Self::terms): the base's terms (ShiftKit's
    /// `domain_weight` and `semantic_weight`, and its list) are replaced by the method's, each
    /// at its default weight. Everything else is the base's: the optimiser, the discriminator,
    /// the schedules, and the MSTN settings (`ramp_semantic`, `pseudo_label_confidence`,
    /// `centroids`), which the method's MSTN term takes. Set another weight afterwards with
    /// [`DannConfig::with_term_weight`].
    #[must_use]
    pub fn configure(self, base: DannConfig) -> DannConfig {
        let terms = self
            .terms()
            .into_iter()
            .map(|term| match term {
                TermConfig::Mstn(preset) => TermConfig::Mstn(base.shiftkit_mstn(preset.weight)),
                term => term,
            })
            .collect();
        base.with_domain_weight(0.0)
            .with_semantic_weight(0.0)
            .with_terms(terms)
    }

    /// The method on [`DannConfig::recommended`], every weight at the method's default.
    pub fn config(self) -> DannConfig {
        self.configure(DannConfig::recommended())
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a [`Method`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown method `{0}`: expected one of source_only, dann, dann_mstn, mmd, coral, cdan, cdan_e, mcc"
)]
pub struct UnknownMethod(pub String);

impl FromStr for Method {
    type Err = UnknownMethod;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase().replace(['-', '+'], "_");
        Method::ALL
            .into_iter()
            .find(|m| m.name() == wanted)
            .ok_or_else(|| UnknownMethod(text.to_string()))
    }
}
