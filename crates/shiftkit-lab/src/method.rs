//! The methods the programs compare, and how each name maps to a [`DannConfig`].

use std::fmt;
use std::str::FromStr;

use shiftkit::methods::DannConfig;

/// The methods compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The classifier trained on the source alone (domain and semantic weights 0).
    SourceOnly,
    /// Domain-adversarial training (Ganin et al., 2016).
    Dann,
    /// DANN plus MSTN's centroid alignment (Xie et al., 2018).
    DannMstn,
}

impl Method {
    /// Every method, in the order of the tables.
    pub const ALL: [Method; 3] = [Method::SourceOnly, Method::Dann, Method::DannMstn];

    /// The name on the command line and in the JSON outputs.
    pub fn name(self) -> &'static str {
        match self {
            Method::SourceOnly => "source_only",
            Method::Dann => "dann",
            Method::DannMstn => "dann_mstn",
        }
    }

    /// The name in plot titles.
    pub fn title(self) -> &'static str {
        match self {
            Method::SourceOnly => "source only",
            Method::Dann => "DANN",
            Method::DannMstn => "DANN+MSTN",
        }
    }

    /// The configuration of this method, from the DANN configuration `base`: source-only
    /// switches both adaptation terms off, DANN keeps `base` with no semantic term, and
    /// DANN+MSTN adds the semantic term with `semantic_weight`.
    pub fn configure(self, base: DannConfig, semantic_weight: f64) -> DannConfig {
        match self {
            Method::SourceOnly => base.with_domain_weight(0.0).with_semantic_weight(0.0),
            Method::Dann => base.with_semantic_weight(0.0),
            Method::DannMstn => base.with_semantic_weight(semantic_weight),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.to_ascii_lowercase().replace('-', "_");
        Method::ALL
            .into_iter()
            .find(|m| m.name() == wanted)
            .ok_or_else(|| "expected source_only, dann, dann_mstn or all".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::Method;

    #[test]
    fn names_round_trip_and_source_only_switches_adaptation_off() {
        for method in Method::ALL {
            assert_eq!(method.name().parse(), Ok(method));
        }
        assert_eq!("Dann-MSTN".parse(), Ok(Method::DannMstn));
        assert!("mstn".parse::<Method>().is_err());
        let config = Method::SourceOnly.configure(shiftkit::methods::DannConfig::new(), 0.5);
        assert_eq!((config.domain_weight, config.semantic_weight), (0.0, 0.0));
        let config = Method::DannMstn.configure(shiftkit::methods::DannConfig::new(), 0.5);
        assert_eq!(config.semantic_weight, 0.5);
    }
}
