//! A label-free choice in the programs: train the candidates of a grid with
//! [`shiftkit::select`], then, for the report only, measure every candidate's target
//! accuracy, and write `selection.json`.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;

use burn::data::dataset::Dataset;
use serde::Serialize;
use shiftkit::backend::TrainingBackend;
use shiftkit::data::DomainPair;
use shiftkit::nn::NnError;
use shiftkit::select::{Candidate, SelectConfig, Selection, select};
use shiftkit::train::{TrainableEncoder, evaluate};
use shiftkit::validate::ValidationInputs;

use crate::experiment::{Item, Length, Loaders, PairBatcher, eval_loader, new_trainer};

/// One candidate's line of `selection.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateRecord {
    /// `method param=value ...`, as [`Candidate::label`] writes it.
    pub label: String,
    /// The method and the values of the parameters varied.
    pub params: BTreeMap<String, serde_json::Value>,
    /// The validator's score of the kept epoch (higher is better).
    pub score: f64,
    /// The kept epoch.
    pub epoch: usize,
    /// Whether the choice could take it: its kept epoch raised no collapse alarm, the
    /// validator ranks it (a validator its loss optimises does not), and it shows the class
    /// structure the no-transfer rule asks for where that rule fires.
    pub eligible: bool,
    /// Target-test accuracy of the kept model: measured after the choice, for the report.
    pub target_accuracy: f64,
    /// Source-test accuracy of the kept model.
    pub source_accuracy: f64,
}

/// A candidate whose training failed, in `selection.json`.
#[derive(Debug, Clone, Serialize)]
pub struct FailedRecord {
    /// `method param=value ...`, as [`Candidate::label`] writes it.
    pub label: String,
    /// The method and the values of the parameters varied.
    pub params: BTreeMap<String, serde_json::Value>,
    /// What failed.
    pub error: String,
}

/// `selection.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SelectionRecord {
    /// The validator that chose.
    pub validator: String,
    /// The model's name.
    pub model: &'static str,
    /// The seed.
    pub seed: u64,
    /// Every candidate, in the order trained (source-only first).
    pub candidates: Vec<CandidateRecord>,
    /// The index of the chosen candidate.
    pub chosen: usize,
    /// The candidates whose training failed (a non-finite loss, or the collapse guard
    /// stopping it), with the error: left out of the choice.
    pub failed: Vec<FailedRecord>,
    /// What the choice warns of (a target the source's classes do not reach, candidates
    /// that collapsed), as sentences.
    pub warnings: Vec<String>,
}

impl SelectionRecord {
    /// The candidates as a table, the chosen one marked.
    pub fn table(&self) -> String {
        let mut out = format!(
            "selection by {} ({} seed {}): target accuracy measured after the choice\n\n",
            self.validator, self.model, self.seed
        );
        out.push_str(&format!(
            "{:<44} {:>10} {:>6} {:>9} {:>9}\n",
            "candidate", "score", "epoch", "target %", "source %"
        ));
        for (i, c) in self.candidates.iter().enumerate() {
            let mark = if i == self.chosen {
                "  <- chosen"
            } else if !c.eligible {
                "  (not eligible)"
            } else {
                ""
            };
            out.push_str(&format!(
                "{:<44} {:>10.4} {:>6} {:>9.1} {:>9.1}{mark}\n",
                c.label,
                c.score,
                c.epoch,
                100.0 * c.target_accuracy,
                100.0 * c.source_accuracy,
            ));
        }
        for warning in &self.warnings {
            out.push_str(&format!("\nwarning: {warning}\n"));
        }
        out
    }
}

/// The `params` object of a candidate: `method` and each parameter varied.
pub fn params(candidate: &Candidate) -> BTreeMap<String, serde_json::Value> {
    let mut params = BTreeMap::new();
    params.insert("method".to_string(), candidate.method.name().into());
    for (param, value) in &candidate.params {
        params.insert(param.name().to_string(), (*value).into());
    }
    params
}

/// What a selection run needs besides the candidates.
#[derive(Debug, Clone)]
pub struct SelectionSpec {
    /// The model's name in the outputs.
    pub model: &'static str,
    /// The seed of weights, shuffling and data split.
    pub seed: u64,
    /// Examples per training batch, per domain.
    pub batch_size: usize,
    /// How long to train each candidate.
    pub length: Length,
}

/// Trains `candidates` on `pair` and chooses one with `config`'s validator (its epoch count is
/// set from `spec.length`). Every candidate's run equals the one `train_and_evaluate` makes
/// for the same configuration and seed. `on_epoch` sees every scored epoch.
///
/// # Errors
///
/// A refused configuration, a failed training step, or a score that cannot be computed.
#[allow(clippy::too_many_arguments)]
pub fn run_selection<B, M, I, Ds, Bt, const D: usize>(
    spec: &SelectionSpec,
    candidates: &[Candidate],
    mut config: SelectConfig,
    pair: &DomainPair<Ds>,
    batcher: Bt,
    build_model: impl Fn(&B::Device) -> Result<M, NnError>,
    device: &B::Device,
    on_epoch: impl FnMut(&Candidate, usize, &M::InnerModule, &ValidationInputs<B::InnerBackend>),
) -> Result<(SelectionRecord, Selection<M>), Box<dyn Error>>
where
    B: TrainingBackend,
    M: TrainableEncoder<B, D>,
    Bt: PairBatcher<B, I, D>,
    I: Item,
    Ds: Dataset<I> + Clone + 'static,
{
    let build = |candidate: &Candidate| {
        new_trainer(
            (pair.source_train.clone(), pair.target_train.clone()),
            Loaders::for_run(batcher.clone(), spec.batch_size, spec.seed),
            spec.seed,
            candidate.config.clone(),
            &build_model,
            device,
        )
    };
    let steps_per_epoch = build(&candidates[0])?.steps_per_epoch();
    config.epochs = spec.length.epochs(steps_per_epoch);
    let eval_loader =
        |data: &Ds| eval_loader::<B::InnerBackend, I, Ds, Bt, D>(data, batcher.clone(), device);
    // Held-out source rows (labels allowed) and the target's training rows (inputs only).
    let source_val = eval_loader(&pair.source_test);
    let target_rows = eval_loader(&pair.target_train);
    let selection = select(
        candidates,
        build,
        source_val.as_ref(),
        target_rows.as_ref(),
        &config,
        on_epoch,
    )?;

    // For the report, after the choice: the kept models' test accuracies.
    let target_test = eval_loader(&pair.target_test);
    let mut records = Vec::with_capacity(selection.candidates.len());
    for trained in &selection.candidates {
        let model = trained.model.valid();
        records.push(CandidateRecord {
            label: trained.candidate.label(),
            params: params(&trained.candidate),
            score: trained.kept.score,
            epoch: trained.kept.epoch,
            eligible: trained.eligible,
            target_accuracy: evaluate(&model, target_test.as_ref(), "target-test")?.accuracy,
            source_accuracy: evaluate(&model, source_val.as_ref(), "source-test")?.accuracy,
        });
    }
    let record = SelectionRecord {
        validator: selection.validator.name().to_string(),
        model: spec.model,
        seed: spec.seed,
        candidates: records,
        chosen: selection.chosen,
        failed: failed_records(&selection),
        warnings: warnings(&selection),
    };
    Ok((record, selection))
}

/// `selection`'s failed candidates, as `selection.json` lists them.
pub fn failed_records<M>(selection: &Selection<M>) -> Vec<FailedRecord> {
    selection
        .failed
        .iter()
        .map(|f| FailedRecord {
            label: f.candidate.label(),
            params: params(&f.candidate),
            error: f.error.clone(),
        })
        .collect()
}

/// `selection`'s warnings, as `selection.json` lists them.
pub fn warnings<M>(selection: &Selection<M>) -> Vec<String> {
    selection.warnings.iter().map(ToString::to_string).collect()
}

/// Writes `record` to `path`.
///
/// # Errors
///
/// The file cannot be written.
pub fn write(path: &Path, record: &SelectionRecord) -> Result<(), Box<dyn Error>> {
    crate::report::write_json(path, record)
}
