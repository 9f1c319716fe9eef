//! A trainer's side of a data-parallel run: joining the group, the gradients' mean, the
//! running statistics' average, leaving.

use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use shiftkit_grl::GradientReversalBackend;

use super::Peers;
use crate::{DannModel, DannTrainer, TrainError, TrainableEncoder};

impl<B, M, const D: usize> DannTrainer<B, M, D>
where
    B: AutodiffBackend + GradientReversalBackend,
    M: TrainableEncoder<B, D>,
{
    /// Joins the data-parallel run described by `peer`, before training: registers with Burn's
    /// collective engine (returning when every peer of this process has; across nodes each
    /// operation registers, and the first waits for every node), checks that every peer takes
    /// as many steps per epoch, and takes peer 0's parameters. Every peer calls it, each on its own thread
    /// with its own device and its own shards of the source and the target data; see
    /// [`peers`](crate::peers) for what a step then does.
    ///
    /// Call [`leave`](Self::leave) when training is over. With checkpoints, only peer 0
    /// writes them.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidHyperParameter`] for a rank outside its count,
    /// [`TrainError::Collective`] when registering or a collective operation failed,
    /// [`TrainError::UnevenShards`] when the peers' loaders give different numbers of steps
    /// per epoch (every peer gets it).
    #[cfg(feature = "collective")]
    pub fn join(mut self, peer: super::PeerConfig) -> Result<Self, TrainError> {
        peer.check()?;
        super::register::<B::InnerBackend>(&peer, &self.device)?;
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

    /// What joining does once registered: the shards' check and peer 0's parameters.
    #[cfg(feature = "collective")]
    fn start_together(&mut self) -> Result<(), TrainError> {
        if self.peers.alone() {
            return Ok(());
        }
        // Equal steps on every peer, else a peer would wait forever in a step the others never
        // take: all equal exactly when (sum s)^2 = P sum s^2, which every peer computes alike.
        let steps = self.steps_per_epoch() as f64;
        let moments = burn::tensor::Tensor::<B::InnerBackend, 1>::from_floats(
            [steps as f32, (steps * steps) as f32],
            &self.device,
        );
        let moments: Vec<f64> = self
            .peers
            .sum_inner(moments)?
            .into_data()
            .convert::<f64>()
            .to_vec()
            .unwrap_or_default();
        let p = self.peers.count() as f64;
        if (moments[0] * moments[0] - p * moments[1]).abs() > 0.5 {
            return Err(TrainError::UnevenShards {
                steps: steps as usize,
                peers: self.peers.count(),
                mean: moments[0] / p,
            });
        }
        let model = self.model_ref().clone();
        self.model = Some(super::broadcast_parameters(self.peers, model)?);
        Ok(())
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
        super::finish::<B::InnerBackend>(peers.rank())?;
        let _ = peers;
        Ok(())
    }

    /// The peers this trainer trains with: itself alone unless it joined a
    /// data-parallel run.
    pub fn peers(&self) -> Peers {
        self.peers
    }

    /// The mean of the peers' gradients (the gradients themselves, alone).
    pub(crate) fn mean_over_peers(
        &self,
        model: &DannModel<B, M>,
        grads: GradientsParams,
    ) -> Result<GradientsParams, TrainError> {
        if self.peers.alone() {
            return Ok(grads);
        }
        #[cfg(feature = "collective")]
        return super::sum_gradients(self.peers, model, grads);
        #[cfg(not(feature = "collective"))]
        {
            let _ = model;
            Ok(grads)
        }
    }

    /// At the end of an epoch: batch norm's running statistics averaged over the peers, so
    /// every peer holds the same model.
    pub(crate) fn average_state(&mut self) -> Result<(), TrainError> {
        if self.peers.alone() {
            return Ok(());
        }
        #[cfg(feature = "collective")]
        {
            // On a failure, the model stays as it was.
            let model = self.model_ref().clone();
            self.model = Some(super::average_state(self.peers, model)?);
        }
        Ok(())
    }
}
