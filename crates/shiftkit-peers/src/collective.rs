//! The operations of a data-parallel step, on `burn-collective`.
//!
//! Every operation here is collective: each peer of the group calls it, in the same order, with
//! tensors of the same shape. Peers are registered under their rank in the whole run.
//!
//! Across nodes each operation registers anew ([`super::nodes`]).

use burn::module::{AutodiffModule, Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorPrimitive};
use burn_collective::{CollectiveConfig, ReduceOperation};

use super::nodes::{self, failed, peer_id};
use super::{PeerConfig, Peers};
use crate::error::PeerError;

/// Registers this peer with the collective engine of backend `B` (the inner backend of the
/// trainer: collective operations take plain tensors). Returns when every local peer has
/// registered. Across nodes it only records what each operation registers with.
pub fn register<B: Backend>(peer: &PeerConfig, device: &B::Device) -> Result<(), PeerError> {
    let config = CollectiveConfig::default().with_num_devices(peer.local_peers());
    match peer.nodes() {
        Some(across) => nodes::record(peer, across, config),
        None => burn_collective::register::<B>(peer_id(peer.rank()), device.clone(), config)
            .map_err(failed("register")),
    }
}

/// Leaves the group. Every peer calls it once, at the end.
pub fn finish<B: Backend>(rank: usize) -> Result<(), PeerError> {
    if nodes::forget(rank) {
        // Every operation has finished its own registration.
        return Ok(());
    }
    burn_collective::finish_collective::<B>(peer_id(rank)).map_err(failed("finish"))
}

/// The sum of `tensor` over the peers.
pub(crate) fn sum<B: Backend, const D: usize>(
    rank: usize,
    tensor: Tensor<B, D>,
) -> Result<Tensor<B, D>, PeerError> {
    let device = tensor.device();
    let primitive = tensor.into_primitive().tensor();
    let summed = nodes::around::<B, _>(rank, &device, move || {
        burn_collective::all_reduce::<B>(peer_id(rank), primitive, ReduceOperation::Sum)
            .map_err(failed("all-reduce"))
    })?;
    Ok(Tensor::from_primitive(TensorPrimitive::Float(summed)))
}

/// Which float tensors of a module an operation packs.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Everything: trainable parameters and running statistics.
    All,
    /// Tensors that take no gradient: batch norm's running statistics.
    State,
}

/// Packs a module's float tensors of one kind, in the module's own order, into one vector.
struct Pack<B: AutodiffBackend> {
    kind: Kind,
    parts: Vec<Tensor<B::InnerBackend, 1>>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Pack<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let value = param.val();
        if self.kind == Kind::State && value.is_require_grad() {
            return;
        }
        let numel = value.shape().num_elements();
        self.parts.push(value.inner().reshape([numel]));
    }
}

/// Writes a packed vector back into the module's float tensors of one kind, in the same order.
struct Unpack<B: AutodiffBackend> {
    kind: Kind,
    packed: Tensor<B::InnerBackend, 1>,
    offset: usize,
}

impl<B: AutodiffBackend> ModuleMapper<B> for Unpack<B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let packed = &self.packed;
        let offset = &mut self.offset;
        let kind = self.kind;
        param.map(|value| {
            let require_grad = value.is_require_grad();
            if kind == Kind::State && require_grad {
                return value;
            }
            let shape = value.shape();
            let numel = shape.num_elements();
            let part = packed
                .clone()
                .slice(*offset..*offset + numel)
                .reshape(shape);
            *offset += numel;
            Tensor::from_inner(part).set_require_grad(require_grad)
        })
    }
}

/// Every float tensor of `module` of one kind, packed, through `reduce`, and back.
fn through<B, M>(
    module: M,
    kind: Kind,
    reduce: impl FnOnce(Tensor<B::InnerBackend, 1>) -> Result<Tensor<B::InnerBackend, 1>, PeerError>,
) -> Result<M, PeerError>
where
    B: AutodiffBackend,
    M: Module<B>,
{
    let mut pack = Pack::<B> {
        kind,
        parts: Vec::new(),
    };
    module.visit(&mut pack);
    if pack.parts.is_empty() {
        return Ok(module);
    }
    let packed = reduce(Tensor::cat(pack.parts, 0))?;
    Ok(module.map(&mut Unpack::<B> {
        kind,
        packed,
        offset: 0,
    }))
}

/// Peer 0's parameters (and running statistics), on every peer.
///
/// A sum in which every other peer adds zeros, exact: `burn-collective` 0.21 broadcasts between
/// the devices of one process but not across nodes (its global broadcast is unimplemented),
/// and its all-reduce works in both.
pub fn broadcast_parameters<B, M>(peers: Peers, module: M) -> Result<M, PeerError>
where
    B: AutodiffBackend,
    M: Module<B>,
{
    through(module, Kind::All, |packed| {
        let own = if peers.rank() == 0 {
            packed
        } else {
            packed.zeros_like()
        };
        sum(peers.rank(), own)
    })
}

/// The running statistics (tensors that take no gradient) averaged over the peers.
pub fn average_state<B, M>(peers: Peers, module: M) -> Result<M, PeerError>
where
    B: AutodiffBackend,
    M: Module<B>,
{
    through(module, Kind::State, |packed| {
        Ok(sum(peers.rank(), packed)?.div_scalar(peers.count() as f64))
    })
}

/// The mean over the peers of every gradient in `grads`, in one all-reduce: the gradients are
/// packed in the module's order of parameters (the same on every peer, whatever the
/// parameters' ids), summed, divided by the peer count and unpacked.
pub fn sum_gradients<B, M>(
    peers: Peers,
    module: &M,
    mut grads: GradientsParams,
) -> Result<GradientsParams, PeerError>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
{
    struct Take<'a, B: AutodiffBackend> {
        grads: &'a mut GradientsParams,
        taken: Vec<(ParamId, Tensor<B::InnerBackend, 1>)>,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for Take<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if let Some(grad) = self.grads.remove::<B::InnerBackend, D>(param.id) {
                let numel = grad.shape().num_elements();
                self.taken.push((param.id, grad.reshape([numel])));
            }
        }
    }
    struct Give<'a, B: AutodiffBackend> {
        grads: &'a mut GradientsParams,
        packed: Tensor<B::InnerBackend, 1>,
        ids: std::collections::HashSet<ParamId>,
        offset: usize,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for Give<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if !self.ids.remove(&param.id) {
                return;
            }
            let shape = param.lazy_shape();
            let numel = shape.num_elements();
            let grad = self
                .packed
                .clone()
                .slice(self.offset..self.offset + numel)
                .reshape(shape);
            self.offset += numel;
            self.grads.register::<B::InnerBackend, D>(param.id, grad);
        }
    }

    let mut take = Take::<B> {
        grads: &mut grads,
        taken: Vec::new(),
    };
    module.visit(&mut take);
    if take.taken.is_empty() {
        return Ok(grads);
    }
    let (ids, parts): (std::collections::HashSet<_>, Vec<_>) = take.taken.into_iter().unzip();
    let packed = sum(peers.rank(), Tensor::cat(parts, 0))?.div_scalar(peers.count() as f64);
    module.visit(&mut Give::<B> {
        grads: &mut grads,
        packed,
        ids,
        offset: 0,
    });
    Ok(grads)
}
