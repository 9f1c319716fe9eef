//! A trainer's side of a data-parallel run: joining the group, the gradients' mean, the
//! running statistics' average, leaving.

use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_grl::GradientReversalBackend;
use shiftkit_peers::Peers;

use super::DannTrainer;
use crate::{DannModel, TrainError, TrainableEncoder};

impl<B, M, const D: usize> DannTrainer<B, M, D>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: TrainableEncoder<B, D>,
{
    /// Joins the data-parallel run described by `peer`, before training: registers with Burn's
    /// collective engine (returning when every peer of this process has; across nodes each
    /// operation registers, and the first waits for every node), checks that every peer takes
    /// as many steps per epoch and has done as many steps, and takes peer 0's parameters.
    /// Every peer calls it, each on its own thread with its own device and its own shards of
    /// the source and the target data; see [`peers`](shiftkit_peers) for what a step then does.
    ///
    /// Call [`leave`](Self::leave) when training is over. With checkpoints, the first peer of
    /// each process writes them (every peer holds the same state); to continue a run, every
    /// peer [`resume`](Self::resume)s from its process's checkpoint, then joins.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] for a rank outside its count,
    /// [`TrainError::Collective`] when registering or a collective operation failed,
    /// [`TrainError::UnevenShards`] when the peers' loaders give different numbers of steps
    /// per epoch (every peer gets it), [`TrainError::PeersOutOfStep`] when the peers have
    /// done different numbers of steps (they resumed from different epochs).
    #[cfg(feature = "collective")]
    pub fn join(mut self, peer: shiftkit_peers::PeerConfig) -> Result<Self, TrainError> {
        peer.check()?;
        shiftkit_peers::register::<B::InnerBackend>(&peer, &self.device)?;
        self.registered = true;
        self.peers = Peers::new(&peer);
        match self.start_together() {
            Ok(()) => Ok(self),
            Err(error) => {
                // Every peer fails alike here; each leaves, so the engine is free again.
                let _ = self.leave();
                Err(error)
            }
        }
    }

    /// What joining does once registered: the peers' agreement on steps and peer 0's
    /// parameters.
    #[cfg(feature = "collective")]
    fn start_together(&mut self) -> Result<(), TrainError> {
        if self.peers.alone() {
            return Ok(());
        }
        // Equal steps per epoch on every peer, else a peer would wait forever in a step the
        // others never take; equal steps done, else the peers resumed from different epochs
        // and their schedules (and their step counts) part.
        let counts = self.gather_counts([self.steps_per_epoch(), self.steps_done])?;
        let per_epoch: Vec<usize> = counts.iter().map(|c| c[0]).collect();
        if per_epoch.iter().any(|&s| s != per_epoch[0]) {
            return Err(TrainError::UnevenShards {
                steps: self.steps_per_epoch(),
                peers: self.peers.count(),
                mean: per_epoch.iter().sum::<usize>() as f64 / per_epoch.len() as f64,
            });
        }
        let done: Vec<usize> = counts.iter().map(|c| c[1]).collect();
        if done.iter().any(|&s| s != done[0]) {
            return Err(TrainError::PeersOutOfStep { steps: done });
        }
        let model = self.model_ref().clone();
        self.model = Some(shiftkit_peers::broadcast_parameters(self.peers, model)?);
        Ok(())
    }

    /// Every peer's `values`, by rank, exactly: each peer writes its own into a slot of a
    /// zero vector (in 20-bit halves, exact in `f32` below 2^40) and the vectors are summed.
    #[cfg(feature = "collective")]
    fn gather_counts<const N: usize>(
        &self,
        values: [usize; N],
    ) -> Result<Vec<[usize; N]>, TrainError> {
        const HALF: usize = 1 << 20;
        let (rank, count) = (self.peers.rank(), self.peers.count());
        let mut slots = vec![0.0f32; count * N * 2];
        for (i, value) in values.iter().enumerate() {
            let at = (rank * N + i) * 2;
            slots[at] = (value / HALF) as f32;
            slots[at + 1] = (value % HALF) as f32;
        }
        let slots = burn::tensor::Tensor::<B::InnerBackend, 1>::from_data(
            burn::tensor::TensorData::new(slots, [count * N * 2]),
            &self.device,
        );
        let sums: Vec<f32> = self
            .peers
            .sum_inner(slots)?
            .into_data()
            .convert::<f32>()
            .to_vec()
            .unwrap_or_default();
        Ok(sums
            .chunks_exact(N * 2)
            .map(|peer| {
                std::array::from_fn(|i| peer[2 * i] as usize * HALF + peer[2 * i + 1] as usize)
            })
            .collect())
    }

    /// Leaves the data-parallel run this trainer joined (nothing, if it joined none). Every
    /// peer calls it once training is over; the trainer then trains alone.
    ///
    /// # Errors
    ///
    /// [`TrainError::Collective`] when the collective engine refused.
    pub fn leave(&mut self) -> Result<(), TrainError> {
        if !std::mem::take(&mut self.registered) {
            return Ok(());
        }
        let peers = std::mem::replace(&mut self.peers, Peers::ALONE);
        shiftkit_nn::seed_thread_masks(None);
        #[cfg(feature = "collective")]
        shiftkit_peers::finish::<B::InnerBackend>(peers.rank())?;
        let _ = peers;
        Ok(())
    }

    /// The peers this trainer trains with: itself alone unless it joined a
    /// data-parallel run.
    pub fn peers(&self) -> Peers {
        self.peers
    }

    /// The mean of the peers' gradients (the gradients themselves, alone).
    pub(super) fn mean_over_peers(
        &self,
        model: &DannModel<B, M>,
        grads: GradientsParams,
    ) -> Result<GradientsParams, TrainError> {
        if self.peers.alone() {
            return Ok(grads);
        }
        #[cfg(feature = "collective")]
        return shiftkit_peers::sum_gradients(self.peers, model, grads).map_err(Into::into);
        #[cfg(not(feature = "collective"))]
        {
            let _ = model;
            Ok(grads)
        }
    }

    /// At the end of an epoch: batch norm's running statistics averaged over the peers, so
    /// every peer holds the same model.
    pub(super) fn average_state(&mut self) -> Result<(), TrainError> {
        if self.peers.alone() {
            return Ok(());
        }
        #[cfg(feature = "collective")]
        {
            // On a failure, the model stays as it was.
            let model = self.model_ref().clone();
            self.model = Some(shiftkit_peers::average_state(self.peers, model)?);
        }
        Ok(())
    }
}
