//! Data-parallel training: several peers, each with its own device and its own shard of the
//! source and target data, train one model together on Burn's collective engine
//! (`burn-collective`, feature `collective`). This crate is the communication: who the peers
//! are ([`PeerConfig`], [`Nodes`], [`Peers`]) and the operations between them; the trainer
//! (`shiftkit-train`'s `DannTrainer::join`) runs a step over them.
//!
//! Each peer runs a `DannTrainer` on its shards and
//! joins (`DannTrainer::join`) the group described by a [`PeerConfig`]: threads of one
//! process, or threads of several processes on one or several machines ([`Nodes`]). Every step, the
//! peers' gradients are summed (one all-reduce of all of them, packed) and divided by the peer
//! count, and every peer takes the same Adam step on the same parameters. What is not a
//! parameter but must be global is made so:
//!
//! - **Parameters at the start**: broadcast from peer 0 when the group is joined, so peers
//!   need not build their models from the same seed.
//! - **Schedules**: alpha, the ramps and the learning rate follow the step counter, which is
//!   the same on every peer (joining checks that every peer has as many steps per epoch).
//! - **MSTN's target centroids**: the per-class sums and counts of both batches are summed over
//!   the peers before the means and the moving average are taken, so the centroids are those
//!   of one process on the union batch (`shiftkit_align::CentroidAligner::batch_sums`).
//!   Terms of your own do the same with [`Peers::union`] (a statistic of the union batch
//!   whose gradient reaches this peer's rows) and [`Peers::global_loss`]; [`Peers::sum`] is
//!   detached, for what carries no gradient (counts, moving averages).
//! - **Metrics**: the steps' losses and counts are summed over the peers before they are
//!   read (one all-reduce per read window of the trainer's device reads), so every peer's history
//!   is the union batch's; the target tracking likewise at the end of each epoch.
//! - **Non-finite losses**: a NaN on any peer is in the sum every peer reads, so every peer
//!   stops with the trainer's non-finite-loss error naming the same step, back on the same weights
//!   (those of the window's start).
//! - **Batch normalisation**: each peer normalises with its own shard's statistics (as
//!   PyTorch's `DistributedDataParallel` without `SyncBatchNorm`); synchronising them would
//!   take an all-reduce inside every batch-norm layer's forward pass, which Burn's `BatchNorm`
//!   does not expose. The running statistics are averaged over the peers at the end of every
//!   epoch, so every peer holds the same model for evaluation.
//! - **Random draws** (dropout): each peer draws its host-drawn masks (the CPU default,
//!   `shiftkit_nn::DropoutMasks::Host`) from a stream of its own thread,
//!   seeded from the run's seed, the epoch and its rank (`shiftkit_nn::seed_thread_masks`):
//!   the backend's generator is the process's, and peers on threads would take its draws in
//!   whatever order they reach it. A run on threads is then reproducible. Masks drawn by the
//!   backend's own sampler (the GPU default) still come from the backend's generator.
//! - **Checkpoints**: every peer holds the same state, so the first peer of each process writes
//!   it; every peer resumes before joining, and joining checks that all of them resumed at the
//!   same step (see `shiftkit_train::checkpoint`).
//!
//! With a BN-free encoder and no dropout, `P` peers with batch `b` each train the model that
//! one process trains with batch `P b`, up to the order of floating-point sums (the tests check
//! 20 steps of DANN and DANN+MSTN to `1e-5`). The MMD, CORAL, CDAN and MCC terms compute their
//! statistics on each peer's shard: a valid estimate of the same quantity from fewer samples,
//! not the union batch's.

#[cfg(feature = "collective")]
mod collective;
#[cfg(feature = "collective")]
mod nodes;

use burn::tensor::Tensor;
use burn::tensor::backend::{AutodiffBackend, Backend};

mod error;

pub use error::PeerError;

use crate::error::bad;

#[cfg(feature = "collective")]
pub use collective::{average_state, broadcast_parameters, finish, register, sum_gradients};
#[cfg(feature = "collective")]
pub use nodes::run_orchestrator;

/// Where a trainer stands among the peers of a data-parallel run.
///
/// Peers are numbered `0..peers` across the whole run: node `n` hosts peers
/// `n * local_peers .. (n + 1) * local_peers`, one thread (and one device) each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    local_rank: usize,
    local_peers: usize,
    nodes: Option<Nodes>,
}

/// How the processes of a multi-process run find each other: through an orchestrator
/// (`run_orchestrator`, one per run), then directly, each node listening at its address.
///
/// Each collective operation between nodes registers anew (`burn-collective` 0.21 runs one
/// operation between nodes per registration), which costs a few connections per operation:
/// docs/scaling.md has the measured overhead. Before each operation's transfers, a node waits
/// until every other node's data service is listening, which is why every address is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nodes {
    /// This process's node number, an index into `addresses`.
    pub rank: usize,
    /// `host:port` of the orchestrator every node connects to (`run_orchestrator`).
    pub orchestrator: String,
    /// `host:port` of every node, in rank order: node `r` listens at `addresses[r]`'s port and
    /// the others reach it there.
    pub addresses: Vec<String>,
}

impl Nodes {
    /// The number of processes (nodes) in the run.
    pub fn count(&self) -> usize {
        self.addresses.len()
    }

    /// The port of [`orchestrator`](Self::orchestrator): the one `run_orchestrator` serves
    /// (with the next) in the process that runs it.
    ///
    /// # Errors
    ///
    /// [`PeerError::Collective`] when the address does not end in a port.
    pub fn orchestrator_port(&self) -> Result<u16, PeerError> {
        host_and_port(&self.orchestrator).map(|(_, port)| port)
    }

    /// Checks the run's description before anything connects: at least one node, the rank
    /// one of them, and every address, the orchestrator's too, a `host:port`.
    ///
    /// # Errors
    ///
    /// [`PeerError::Setting`] naming `nodes` or `node rank`;
    /// [`PeerError::Collective`] for an address that is not a `host:port`.
    pub fn check(&self) -> Result<(), PeerError> {
        if self.count() == 0 {
            return bad("nodes", 0.0, ">= 1");
        }
        if self.rank >= self.count() {
            return bad("node rank", self.rank as f64, "below the number of nodes");
        }
        for address in std::iter::once(&self.orchestrator).chain(&self.addresses) {
            host_and_port(address)?;
        }
        Ok(())
    }
}

/// `host:port` split into its host (not empty) and its port.
pub(crate) fn host_and_port(address: &str) -> Result<(String, u16), PeerError> {
    address
        .rsplit_once(':')
        .filter(|(host, _)| !host.is_empty())
        .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
        .map(|(host, port)| (host.to_string(), port))
        .ok_or_else(|| PeerError::Collective {
            operation: "register",
            problem: format!("`{address}` is not a host:port address"),
        })
}

impl PeerConfig {
    /// Peer `rank` of `peers` in this process: one thread per peer, each with its own device.
    pub fn local(rank: usize, peers: usize) -> Self {
        Self {
            local_rank: rank,
            local_peers: peers,
            nodes: None,
        }
    }

    /// The same, in one of several processes (possibly on several machines) that each host
    /// the same number of peers and meet through an orchestrator.
    pub fn with_nodes(mut self, nodes: Nodes) -> Self {
        self.nodes = Some(nodes);
        self
    }

    /// This peer's number in the whole run.
    pub fn rank(&self) -> usize {
        self.nodes.as_ref().map_or(0, |n| n.rank) * self.local_peers + self.local_rank
    }

    /// The number of peers in the whole run.
    pub fn peers(&self) -> usize {
        self.nodes.as_ref().map_or(1, Nodes::count) * self.local_peers
    }

    /// The peers in this process.
    pub fn local_peers(&self) -> usize {
        self.local_peers
    }

    /// How the processes meet, for a multi-process run.
    pub fn nodes(&self) -> Option<&Nodes> {
        self.nodes.as_ref()
    }

    /// Checks the numbers: ranks within their counts, counts at least 1.
    ///
    /// # Errors
    ///
    /// [`PeerError::Setting`] naming the number out of range.
    #[cfg(feature = "collective")]
    pub fn check(&self) -> Result<(), PeerError> {
        if self.local_peers == 0 {
            return bad("peers", 0.0, ">= 1");
        }
        if self.local_rank >= self.local_peers {
            return bad("rank", self.local_rank as f64, "below the number of peers");
        }
        match &self.nodes {
            Some(nodes) => nodes.check(),
            None => Ok(()),
        }
    }
}

/// The peers of a data-parallel run, as a step sees them: one peer (`count() == 1`) when the
/// trainer has not joined a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peers {
    rank: usize,
    count: usize,
    /// This peer's number among the peers of its process.
    local_rank: usize,
    /// Whether the peers are in several processes.
    across_nodes: bool,
}

impl Peers {
    /// A run of one.
    pub const ALONE: Self = Self {
        rank: 0,
        count: 1,
        local_rank: 0,
        across_nodes: false,
    };

    /// Where the peer `peer` describes stands.
    #[cfg(feature = "collective")]
    pub fn new(peer: &PeerConfig) -> Self {
        Self {
            rank: peer.rank(),
            count: peer.peers(),
            local_rank: peer.local_rank,
            across_nodes: peer.nodes().is_some(),
        }
    }

    /// This peer's number, in `0..count()`.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of peers.
    pub fn count(&self) -> usize {
        self.count
    }

    /// This peer's number among the peers of its process, in `0..local peers`: the peer
    /// numbered 0 there writes the process's checkpoints.
    pub fn local_rank(&self) -> usize {
        self.local_rank
    }

    /// Whether this peer trains alone.
    pub fn alone(&self) -> bool {
        self.count == 1
    }

    /// Whether the peers are in several processes, where every collective operation is a
    /// round trip between processes.
    pub fn across_nodes(&self) -> bool {
        self.across_nodes
    }

    /// The sum of `tensor` over the peers (detached; `tensor` itself when alone), for
    /// statistics of the union batch that add up across shards: per-class sums and counts,
    /// sums of squares.
    ///
    /// # Errors
    ///
    /// [`PeerError::Collective`] when the collective operation failed.
    pub fn sum<B: AutodiffBackend, const D: usize>(
        &self,
        tensor: Tensor<B, D>,
    ) -> Result<Tensor<B, D>, PeerError> {
        if self.alone() {
            return Ok(tensor.detach());
        }
        Ok(Tensor::from_inner(self.sum_inner(tensor.inner())?))
    }

    /// `local + (sum over peers of local) - local`, detached where it should be: the union
    /// batch's statistic, whose gradient flows to this peer's rows only.
    ///
    /// # Errors
    ///
    /// As [`sum`](Self::sum).
    pub fn union<B: AutodiffBackend, const D: usize>(
        &self,
        local: Tensor<B, D>,
    ) -> Result<Tensor<B, D>, PeerError> {
        if self.alone() {
            return Ok(local);
        }
        let detached = local.clone().detach();
        let total = self.sum(detached.clone())?;
        Ok(local + (total - detached))
    }

    /// A loss computed from union statistics ([`union`](Self::union)), made to train as the
    /// union batch's: the trainer averages the peers' gradients, as a mean of per-shard losses
    /// needs, but each peer's gradient of a union-statistics loss is already its own rows' part
    /// of the whole, so it is multiplied by the peer count. The value is unchanged.
    pub fn global_loss<B: AutodiffBackend>(&self, loss: Tensor<B, 1>) -> Tensor<B, 1> {
        if self.alone() {
            return loss;
        }
        let extra = (self.count - 1) as f64;
        loss.clone().mul_scalar(self.count as f64) - loss.detach().mul_scalar(extra)
    }

    /// The sum over the peers of a tensor of the registered (inner) backend.
    #[cfg(feature = "collective")]
    pub fn sum_inner<B: Backend, const D: usize>(
        &self,
        tensor: Tensor<B, D>,
    ) -> Result<Tensor<B, D>, PeerError> {
        collective::sum(self.rank, tensor)
    }

    /// Without the `collective` feature no group can be joined, so there is nothing to sum.
    #[cfg(not(feature = "collective"))]
    pub fn sum_inner<B: Backend, const D: usize>(
        &self,
        tensor: Tensor<B, D>,
    ) -> Result<Tensor<B, D>, PeerError> {
        Ok(tensor)
    }
}
