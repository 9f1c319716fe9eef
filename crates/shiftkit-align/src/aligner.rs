use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::error::{AlignError, Domain};
use crate::means::class_sums_unchecked;
use crate::start::CentroidStart;
use crate::state::CentroidState;

/// MSTN semantic alignment: per-batch source class centroids pulled towards moving-average
/// target class centroids.
///
/// Built by [`CentroidAlignerConfig::init`](crate::CentroidAlignerConfig::init). It holds the
/// hyper-parameters and the [`CentroidState`]. The state changes only in
/// [`step`](Self::step) and [`step_trusted_labels`](Self::step_trusted_labels), which take
/// `&mut self`, and only when they return `Ok`; nothing else touches it.
///
/// See the [crate documentation](crate) for the formulas.
#[derive(Debug, Clone)]
pub struct CentroidAligner<B: Backend> {
    num_classes: usize,
    latent_dim: usize,
    momentum: f64,
    start: CentroidStart,
    state: CentroidState<B>,
}

impl<B: Backend> CentroidAligner<B> {
    /// Assembles an aligner from checked parts.
    pub(crate) fn from_parts(
        num_classes: usize,
        latent_dim: usize,
        momentum: f64,
        start: CentroidStart,
        state: CentroidState<B>,
    ) -> Self {
        Self {
            num_classes,
            latent_dim,
            momentum,
            start,
            state,
        }
    }

    /// The number of classes `K`.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// The feature width `d`.
    pub fn latent_dim(&self) -> usize {
        self.latent_dim
    }

    /// `beta`, the weight of the new batch mean in the target-centroid moving average.
    pub fn momentum(&self) -> f64 {
        self.momentum
    }

    /// How target centroids start (see [`CentroidStart`]).
    pub fn start(&self) -> CentroidStart {
        self.start
    }

    /// The current target centroids and seen mask.
    pub fn state(&self) -> &CentroidState<B> {
        &self.state
    }

    /// One alignment step: updates the target centroids with the pseudo-labelled target batch
    /// and returns the centroid alignment loss.
    ///
    /// The target features are detached first: the moving average never carries gradient, and
    /// the new state holds no autodiff graph. The loss is differentiable with respect to
    /// `source` (and only `source`).
    ///
    /// Labels are checked to lie in `[0, num_classes)`, which costs one small host read (the
    /// minimum and maximum of both label vectors, fetched together). Callers whose labels are
    /// in range by construction can skip it with
    /// [`step_trusted_labels`](Self::step_trusted_labels).
    ///
    /// # Shapes
    ///
    /// - `source`: `[n_s, latent_dim]`, `source_labels`: `[n_s]`
    /// - `target`: `[n_t, latent_dim]`, `target_pseudo`: `[n_t]`
    /// - output: the loss, `[1]`
    ///
    /// # Errors
    ///
    /// [`AlignError::FeatureWidth`], [`AlignError::BatchLength`] or
    /// [`AlignError::LabelOutOfRange`]; the state is then unchanged.
    pub fn step(
        &mut self,
        source: &Tensor<B, 2>,
        source_labels: &Tensor<B, 1, Int>,
        target: &Tensor<B, 2>,
        target_pseudo: &Tensor<B, 1, Int>,
    ) -> Result<Tensor<B, 1>, AlignError> {
        self.check_shapes(source, source_labels, target, target_pseudo)?;
        self.check_labels(source_labels, target_pseudo)?;
        let (loss, state) = self.propose_unchecked(source, source_labels, target, target_pseudo);
        self.state = state;
        Ok(loss)
    }

    /// [`step`](Self::step) without the label-range check, so without any host read: the whole
    /// step stays on the device.
    ///
    /// For labels already known to lie in `[0, num_classes)`, such as pseudo-labels taken as
    /// the argmax of a `num_classes`-wide classifier output. A label outside the range is not
    /// an error here and causes no panic: it matches no class, so its sample is ignored.
    ///
    /// # Errors
    ///
    /// [`AlignError::FeatureWidth`] or [`AlignError::BatchLength`]; the state is then
    /// unchanged.
    pub fn step_trusted_labels(
        &mut self,
        source: &Tensor<B, 2>,
        source_labels: &Tensor<B, 1, Int>,
        target: &Tensor<B, 2>,
        target_pseudo: &Tensor<B, 1, Int>,
    ) -> Result<Tensor<B, 1>, AlignError> {
        let (loss, state) = self.propose(source, source_labels, target, target_pseudo)?;
        self.state = state;
        Ok(loss)
    }

    /// [`step_trusted_labels`](Self::step_trusted_labels) without changing the aligner: returns
    /// the loss and the state the step would leave, for a caller that decides afterwards
    /// whether to keep it ([`commit`](Self::commit)) — a trainer that first checks the step's
    /// losses for NaN, for one. Nothing is copied: the returned state is the new tensors.
    ///
    /// # Errors
    ///
    /// As [`step_trusted_labels`](Self::step_trusted_labels).
    pub fn propose(
        &self,
        source: &Tensor<B, 2>,
        source_labels: &Tensor<B, 1, Int>,
        target: &Tensor<B, 2>,
        target_pseudo: &Tensor<B, 1, Int>,
    ) -> Result<(Tensor<B, 1>, CentroidState<B>), AlignError> {
        self.check_shapes(source, source_labels, target, target_pseudo)?;
        Ok(self.propose_unchecked(source, source_labels, target, target_pseudo))
    }

    /// Makes `state`, from [`propose`](Self::propose), the aligner's state.
    ///
    /// # Errors
    ///
    /// [`AlignError::StateShape`] when the state has another number of classes or another
    /// width than the aligner; the aligner is then unchanged.
    pub fn commit(&mut self, state: CentroidState<B>) -> Result<(), AlignError> {
        let [k, d] = state.centroids.dims();
        let [seen] = state.seen.dims();
        let expected = (self.num_classes, self.latent_dim);
        if (k, d) != expected || seen != k {
            return Err(AlignError::StateShape {
                expected,
                actual: (k, d),
            });
        }
        self.state = state;
        Ok(())
    }

    /// Checks widths and batch lengths (host-side dimensions only, no read).
    fn check_shapes(
        &self,
        source: &Tensor<B, 2>,
        source_labels: &Tensor<B, 1, Int>,
        target: &Tensor<B, 2>,
        target_pseudo: &Tensor<B, 1, Int>,
    ) -> Result<(), AlignError> {
        for (domain, features, labels) in [
            (Domain::Source, source, source_labels),
            (Domain::Target, target, target_pseudo),
        ] {
            let [rows, width] = features.dims();
            if width != self.latent_dim {
                return Err(AlignError::FeatureWidth {
                    domain,
                    expected: self.latent_dim,
                    actual: width,
                });
            }
            let [n_labels] = labels.dims();
            if rows != n_labels {
                return Err(AlignError::BatchLength {
                    domain: Some(domain),
                    features: rows,
                    labels: n_labels,
                });
            }
        }
        Ok(())
    }

    /// Checks that every label lies in `[0, num_classes)`, with a single host read.
    fn check_labels(
        &self,
        source_labels: &Tensor<B, 1, Int>,
        target_pseudo: &Tensor<B, 1, Int>,
    ) -> Result<(), AlignError> {
        let mut parts = Vec::with_capacity(4);
        let mut domains = Vec::with_capacity(2);
        for (domain, labels) in [
            (Domain::Source, source_labels),
            (Domain::Target, target_pseudo),
        ] {
            if labels.dims()[0] > 0 {
                parts.push(labels.clone().min());
                parts.push(labels.clone().max());
                domains.push(domain);
            }
        }
        if parts.is_empty() {
            return Ok(());
        }
        let extremes: Vec<i64> = Tensor::cat(parts, 0).into_data().iter::<i64>().collect();
        for (domain, pair) in domains.into_iter().zip(extremes.chunks(2)) {
            for &label in pair {
                if label < 0 || label >= self.num_classes as i64 {
                    return Err(AlignError::LabelOutOfRange {
                        domain,
                        label,
                        num_classes: self.num_classes,
                    });
                }
            }
        }
        Ok(())
    }

    /// The per-class sums and counts of a step's two batches: all that a step of the aligner
    /// reads from them, packed in one `[K, 2d + 2]` tensor, one row per class. Columns `0..d`
    /// hold the source features' sums (differentiable), column `d` the source counts, columns
    /// `d + 1..2d + 1` the target features' sums (detached) and column `2d + 1` the target
    /// counts. A label outside `[0, K)` matches no class, as in
    /// [`step_trusted_labels`](Self::step_trusted_labels).
    ///
    /// [`propose_from_sums`](Self::propose_from_sums) finishes the step. Between the two, a
    /// data-parallel trainer adds the sums of every peer (each holds a shard of the batch), so
    /// that every peer takes the step the union batch gives: the sums are the statistics that
    /// add up across shards, the means are not.
    ///
    /// # Errors
    ///
    /// [`AlignError::FeatureWidth`] or [`AlignError::BatchLength`].
    pub fn batch_sums(
        &self,
        source: &Tensor<B, 2>,
        source_labels: &Tensor<B, 1, Int>,
        target: &Tensor<B, 2>,
        target_pseudo: &Tensor<B, 1, Int>,
    ) -> Result<Tensor<B, 2>, AlignError> {
        self.check_shapes(source, source_labels, target, target_pseudo)?;
        Ok(self.batch_sums_unchecked(source, source_labels, target, target_pseudo))
    }

    /// The loss and the state that a step leaves, from the (possibly summed over peers)
    /// [`batch_sums`](Self::batch_sums); the aligner is not changed (see
    /// [`propose`](Self::propose)).
    ///
    /// # Errors
    ///
    /// [`AlignError::SumsShape`] when `sums` is not `[K, 2d + 2]`.
    pub fn propose_from_sums(
        &self,
        sums: Tensor<B, 2>,
    ) -> Result<(Tensor<B, 1>, CentroidState<B>), AlignError> {
        let expected = [self.num_classes, 2 * self.latent_dim + 2];
        if sums.dims() != expected {
            return Err(AlignError::SumsShape {
                expected,
                actual: sums.dims(),
            });
        }
        Ok(self.propose_from_sums_unchecked(sums))
    }

    /// The step proper, on validated inputs: the loss and the new state. Every operation stays
    /// on the device.
    fn propose_unchecked(
        &self,
        source: &Tensor<B, 2>,
        source_labels: &Tensor<B, 1, Int>,
        target: &Tensor<B, 2>,
        target_pseudo: &Tensor<B, 1, Int>,
    ) -> (Tensor<B, 1>, CentroidState<B>) {
        let sums = self.batch_sums_unchecked(source, source_labels, target, target_pseudo);
        self.propose_from_sums_unchecked(sums)
    }

    /// [`batch_sums`](Self::batch_sums) on checked shapes.
    fn batch_sums_unchecked(
        &self,
        source: &Tensor<B, 2>,
        source_labels: &Tensor<B, 1, Int>,
        target: &Tensor<B, 2>,
        target_pseudo: &Tensor<B, 1, Int>,
    ) -> Tensor<B, 2> {
        let k = self.num_classes;
        let s = class_sums_unchecked(source.clone(), source_labels.clone(), k);
        // The moving average never carries gradient.
        let t = class_sums_unchecked(target.clone().detach(), target_pseudo.clone(), k);
        Tensor::cat(vec![s.sums, s.counts, t.sums, t.counts], 1)
    }

    /// [`propose_from_sums`](Self::propose_from_sums) on a checked shape.
    fn propose_from_sums_unchecked(&self, sums: Tensor<B, 2>) -> (Tensor<B, 1>, CentroidState<B>) {
        let (k, d) = (self.num_classes, self.latent_dim);
        let means = |from: usize| {
            let counts = sums.clone().slice([0..k, from + d..from + d + 1]);
            let means = sums.clone().slice([0..k, from..from + d]) / counts.clone().clamp_min(1.0);
            (means, counts)
        };
        let (means_s, counts_s) = means(0);
        let (means_t, counts_t) = means(d + 1);

        // Target side: the batch means, then the moving average.
        let present_t = counts_t.greater_elem(0.0); // [K, 1]
        let seen = self.state.seen.clone().reshape([k, 1]);
        let old = self.state.centroids.clone();
        let blended =
            old.clone().mul_scalar(1.0 - self.momentum) + means_t.clone().mul_scalar(self.momentum);
        let centroids = match self.start {
            CentroidStart::FirstSighting => {
                let blend = present_t.clone().bool_and(seen.clone());
                let first = present_t.clone().bool_and(seen.clone().bool_not());
                old.mask_where(blend.expand([k, d]), blended)
                    .mask_where(first.expand([k, d]), means_t)
            }
            // From a zero start, a first sighting blends like any other.
            CentroidStart::Zero => old.mask_where(present_t.clone().expand([k, d]), blended),
        }
        .detach();
        let seen = seen.bool_or(present_t); // [K, 1]

        // Source side: per-batch means, tracked.
        let present_s = counts_s.greater_elem(0.0);
        let qualifies = match self.start {
            CentroidStart::FirstSighting => present_s.bool_and(seen.clone()),
            CentroidStart::Zero => present_s,
        }
        .float(); // [K, 1]
        let squared = (means_s - centroids.clone()).square().sum_dim(1); // [K, 1]
        let total = (squared * qualifies.clone()).sum();
        let denominator = qualifies.sum().clamp_min(1.0).mul_scalar(d as f64);
        let loss = total / denominator;

        let state = CentroidState {
            centroids,
            seen: seen.reshape([k]),
        };
        (loss, state)
    }
}
