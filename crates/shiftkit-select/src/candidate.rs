//! What a selection trains: the parameters it can vary, its candidates, and the grid of them.

use shiftkit_train::{DannConfig, Method};

use crate::error::SelectError;
use crate::param::Param;

/// One configuration to train: a method and the values of the parameters varied.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The method.
    pub method: Method,
    /// The parameters varied, with their values (those the method reads).
    pub params: Vec<(Param, f64)>,
    /// The whole configuration.
    pub config: DannConfig,
}

impl Candidate {
    /// `method` on `base` (through [`Method::configure`]), then `params` set.
    pub fn new(method: Method, base: &DannConfig, params: Vec<(Param, f64)>) -> Self {
        let config = params
            .iter()
            .fold(method.configure(base.clone()), |config, &(param, value)| {
                param.apply(config, value)
            });
        Self {
            method,
            params,
            config,
        }
    }

    /// The candidate with `param` at `value` where the grid does not vary it: a setting of the
    /// whole selection, such as a model's own MSTN weight, kept out of the label. A weight of a
    /// term the method does not have changes nothing.
    #[must_use]
    pub fn with_fixed(mut self, param: Param, value: f64) -> Self {
        if !self.params.iter().any(|&(varied, _)| varied == param) {
            self.config = param.apply(self.config, value);
        }
        self
    }

    /// `dann domain-weight=0.1`: the method and the parameters varied.
    pub fn label(&self) -> String {
        let mut label = self.method.name().to_string();
        for (param, value) in &self.params {
            label.push_str(&format!(" {param}={value}"));
        }
        label
    }
}

/// The candidates of a grid: source-only first (with only the parameters every method reads,
/// such as the learning rate), then every method of `methods` with every combination of the
/// values of the parameters it reads. A method reading none of the axes is one candidate with
/// its default weights. A method named twice is one.
///
/// # Errors
///
/// [`SelectError::BadValue`] for a value that is not finite and above 0: a weight of 0 would
/// leave its term out (source-only is a candidate already), and a rate of 0 trains nothing.
pub fn grid(
    methods: &[Method],
    base: &DannConfig,
    axes: &[(Param, Vec<f64>)],
) -> Result<Vec<Candidate>, SelectError> {
    for (param, values) in axes {
        if let Some(&value) = values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(SelectError::BadValue {
                param: *param,
                value,
            });
        }
    }
    let mut methods: Vec<Method> = methods
        .iter()
        .copied()
        .filter(|&m| m != Method::SourceOnly)
        .collect();
    let mut seen = Vec::new();
    methods.retain(|m| {
        let first = !seen.contains(m);
        seen.push(*m);
        first
    });
    let mut candidates = Vec::new();
    for method in std::iter::once(Method::SourceOnly).chain(methods) {
        let mut combinations: Vec<Vec<(Param, f64)>> = vec![Vec::new()];
        for (param, values) in axes {
            if !param.applies_to(method) || values.is_empty() {
                continue;
            }
            combinations = combinations
                .into_iter()
                .flat_map(|combo| {
                    values.iter().map(move |&value| {
                        let mut next = combo.clone();
                        next.push((*param, value));
                        next
                    })
                })
                .collect();
        }
        for params in combinations {
            candidates.push(Candidate::new(method, base, params));
        }
    }
    Ok(candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_read_their_names() {
        for param in Param::ALL {
            assert_eq!(param.name().parse::<Param>().unwrap(), param);
        }
        assert_eq!(
            "domain_weight".parse::<Param>().unwrap(),
            Param::DomainWeight
        );
        assert!(matches!(
            "alpha".parse::<Param>(),
            Err(crate::param::UnknownParam(_))
        ));
    }

    #[test]
    fn the_grid_puts_source_only_first_and_varies_what_each_method_reads() {
        let base = DannConfig::recommended();
        let axes = vec![
            (Param::DomainWeight, vec![0.1, 1.0]),
            (Param::SemanticWeight, vec![0.2, 0.5]),
        ];
        let candidates = grid(
            &[Method::Dann, Method::DannMstn, Method::Mmd, Method::Dann],
            &base,
            &axes,
        )
        .unwrap();
        let labels: Vec<String> = candidates.iter().map(Candidate::label).collect();
        assert_eq!(
            labels,
            [
                "source_only",
                "dann domain-weight=0.1",
                "dann domain-weight=1",
                "dann_mstn domain-weight=0.1 semantic-weight=0.2",
                "dann_mstn domain-weight=0.1 semantic-weight=0.5",
                "dann_mstn domain-weight=1 semantic-weight=0.2",
                "dann_mstn domain-weight=1 semantic-weight=0.5",
                "mmd",
            ]
        );
        assert!(candidates[0].config.run_terms().is_empty());
        assert_eq!(candidates[2].config.term_weight("domain"), Some(1.0));
        assert_eq!(candidates[4].config.term_weight("semantic"), Some(0.5));
        assert_eq!(candidates[4].config.term_weight("domain"), Some(0.1));
        // A weight not varied is the method's default.
        assert_eq!(candidates[7].config.run_terms(), Method::Mmd.terms());
    }

    #[test]
    fn a_grid_value_that_would_switch_a_term_off_is_an_error() {
        let base = DannConfig::recommended();
        for value in [0.0, -0.3, f64::NAN] {
            let axes = vec![(Param::DomainWeight, vec![0.3, value])];
            let error = grid(&[Method::Dann], &base, &axes).unwrap_err();
            assert!(
                matches!(error, SelectError::BadValue { param: Param::DomainWeight, value: v }
                    if v.to_bits() == value.to_bits()),
                "{error:?}"
            );
        }
    }
}
