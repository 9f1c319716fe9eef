//! Peers in several processes, possibly on several machines: how each collective operation
//! between nodes is made on `burn-collective` 0.21.
//!
//! That version runs one operation between nodes per registration: its nodes' synchronisation
//! keeps every node that ever synchronised in its list, so a second operation waits forever for
//! a list it can no longer match. A peer in a group across nodes therefore registers, operates
//! and finishes in every operation ([`around`]); joining only records what it registers with.
//! Three more things make that sequence safe:
//!
//! - **Two orchestrators, in turn.** An orchestrator completes a registration once it holds as
//!   many registered nodes as the run has, and a node that finished an operation quickly could
//!   otherwise register for the next one while a slower node's registration of the last one is
//!   still held, and be answered at once. Operations alternate between the orchestrator at the
//!   given port and the one at the next port ([`run_orchestrator`] starts both), so a node's
//!   registration for operation `k` meets only registrations for `k`: every node finished
//!   operation `k - 2` at that orchestrator before registering for `k - 1` at the other.
//! - **The data service's port free** before registering ([`port_free`]): the previous
//!   operation's server lets it go shortly after finishing, and a server that cannot bind its
//!   port leaves the other nodes nobody to download from.
//! - **Every other node listening** before the operation's transfers ([`listening`]): the
//!   engine starts a node's server without waiting for it to listen, and a download from a node
//!   not yet listening fails (and ends the process).

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use burn::tensor::backend::Backend;
use burn_collective::{CollectiveConfig, PeerId};

use super::{Nodes, PeerConfig, host_and_port};
use crate::error::PeerError;

pub(super) fn peer_id(rank: usize) -> PeerId {
    PeerId(u32::try_from(rank).unwrap_or(u32::MAX))
}

pub(super) fn failed(
    operation: &'static str,
) -> impl Fn(burn_collective::CollectiveError) -> PeerError {
    move |error| PeerError::Collective {
        operation,
        problem: format!("{error:?}"),
    }
}

/// How long a node waits for a port to be free or another node to listen.
const PATIENCE: Duration = Duration::from_secs(10);

/// What each operation of a peer in a group across nodes registers with.
#[derive(Clone)]
struct Registration {
    /// With the orchestrator at the given port, and at the next one.
    configs: [CollectiveConfig; 2],
    /// The operations made so far, which choose the orchestrator.
    operations: u64,
    /// The port of the node's data service.
    port: u16,
    /// The other nodes' `host:port`, and the address it resolved to when joining.
    others: Vec<(String, SocketAddr)>,
}

/// The registrations of the peers of this process that are in groups across nodes, by rank.
fn registrations() -> MutexGuard<'static, BTreeMap<usize, Registration>> {
    static REGISTRATIONS: Mutex<BTreeMap<usize, Registration>> = Mutex::new(BTreeMap::new());
    // The map holds no invariant a panic could break half-way.
    REGISTRATIONS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Records what peer `peer` (of a group across `nodes`) registers with in each operation.
pub(super) fn record(
    peer: &PeerConfig,
    nodes: &Nodes,
    config: CollectiveConfig,
) -> Result<(), PeerError> {
    let url = |host: &str, port: u16| {
        format!("ws://{host}:{port}")
            .parse()
            .map_err(|_| PeerError::Collective {
                operation: "register",
                problem: format!("`{host}:{port}` is not a host:port address"),
            })
    };
    let (host, orchestrator) = host_and_port(&nodes.orchestrator)?;
    let mut own = None;
    let mut others = Vec::with_capacity(nodes.count());
    for (rank, address) in nodes.addresses.iter().enumerate() {
        let parsed = host_and_port(address)?;
        if rank == nodes.rank {
            own = Some(parsed);
        } else {
            others.push((address.clone(), resolve(address)?));
        }
    }
    // `PeerConfig::check` has checked the rank: this error is for a caller that did not.
    let (own_host, port) = own.ok_or_else(|| PeerError::Collective {
        operation: "register",
        problem: format!(
            "node rank {} is not below {} nodes",
            nodes.rank,
            nodes.count()
        ),
    })?;
    let config = config
        .with_num_nodes(u32::try_from(nodes.count()).unwrap_or(u32::MAX))
        .with_node_address(url(&own_host, port)?)
        .with_data_service_port(port);
    let next = orchestrator.checked_add(1).ok_or(PeerError::Collective {
        operation: "register",
        problem: format!("the orchestrator's port {orchestrator} has no next port"),
    })?;
    let configs = [
        config
            .clone()
            .with_global_address(url(&host, orchestrator)?),
        config.with_global_address(url(&host, next)?),
    ];
    let registration = Registration {
        configs,
        operations: 0,
        port,
        others,
    };
    registrations().insert(peer.rank(), registration);
    Ok(())
}

/// Forgets peer `rank`'s registration; whether it was in a group across nodes.
pub(super) fn forget(rank: usize) -> bool {
    registrations().remove(&rank).is_some()
}

/// Runs `operation` for peer `rank` on `device`: within a registration of its own when the
/// peer is in a group across nodes, as it is otherwise.
///
/// Across nodes, every operation but the first (joining, when the other nodes may still be
/// starting) is given [`OPERATION_PATIENCE`]: a node that stopped, or a failure inside
/// `burn-collective` 0.21 (rare: docs/scaling.md), would otherwise leave the others waiting for
/// ever. The operation is then left on its own thread, and the peer gets
/// [`PeerError::Collective`].
pub(super) fn around<B, T>(
    rank: usize,
    device: &B::Device,
    operation: impl FnOnce() -> Result<T, PeerError> + Send + 'static,
) -> Result<T, PeerError>
where
    B: Backend,
    T: Send + 'static,
{
    let registration = {
        let mut registrations = registrations();
        let Some(registration) = registrations.get_mut(&rank) else {
            drop(registrations);
            return operation();
        };
        registration.operations += 1;
        registration.clone()
    };
    let first = registration.operations == 1;
    let device = device.clone();
    let registered = move || registered::<B, T>(rank, &device, &registration, operation);
    if first {
        return registered();
    }
    let (sender, receiver) = mpsc::channel();
    thread::Builder::new()
        .name(format!("shiftkit-peer-{rank}-operation"))
        .spawn(move || {
            // The receiver is gone only after a timeout, which has reported.
            let _ = sender.send(registered());
        })
        .map_err(|error| PeerError::Collective {
            operation: "all-reduce",
            problem: format!("no thread for the operation: {error}"),
        })?;
    receiver
        .recv_timeout(OPERATION_PATIENCE)
        .unwrap_or_else(|_| {
            Err(PeerError::Collective {
                operation: "all-reduce",
                problem: format!(
                    "no answer from the other nodes in {} s: one stopped, or burn-collective \
                     0.21 failed between them (see docs/scaling.md)",
                    OPERATION_PATIENCE.as_secs()
                ),
            })
        })
}

/// How long an operation between nodes may take, past the first.
const OPERATION_PATIENCE: Duration = Duration::from_secs(120);

/// `operation` between its registration and its finish, for peer `rank`.
fn registered<B: Backend, T>(
    rank: usize,
    device: &B::Device,
    registration: &Registration,
    operation: impl FnOnce() -> Result<T, PeerError>,
) -> Result<T, PeerError> {
    let id = peer_id(rank);
    port_free(registration.port)?;
    let config = registration.configs[(registration.operations % 2) as usize].clone();
    burn_collective::register::<B>(id, device.clone(), config).map_err(failed("register"))?;
    let result = listening(&registration.others).and_then(|()| operation());
    let finished = burn_collective::finish_collective::<B>(id).map_err(failed("finish"));
    // The operation's own error first: it says what went wrong.
    let result = result?;
    finished?;
    Ok(result)
}

/// Returns once `port` is free.
fn port_free(port: u16) -> Result<(), PeerError> {
    let started = Instant::now();
    loop {
        match TcpListener::bind(("0.0.0.0", port)) {
            Ok(_) => return Ok(()),
            Err(error) if error.kind() == ErrorKind::AddrInUse && started.elapsed() < PATIENCE => {
                thread::sleep(Duration::from_millis(1));
            }
            Err(error) => {
                return Err(PeerError::Collective {
                    operation: "register",
                    problem: format!("the data service's port {port}: {error}"),
                });
            }
        }
    }
}

/// The socket address `host:port` resolves to (the first, when several).
fn resolve(address: &str) -> Result<SocketAddr, PeerError> {
    let unresolved = |problem: String| PeerError::Collective {
        operation: "register",
        problem: format!("node {address}: {problem}"),
    };
    address
        .to_socket_addrs()
        .map_err(|error| unresolved(error.to_string()))?
        .next()
        .ok_or_else(|| unresolved("no address".to_string()))
}

/// Returns once every node in `others` accepts connections.
fn listening(others: &[(String, SocketAddr)]) -> Result<(), PeerError> {
    let started = Instant::now();
    for (address, target) in others {
        while let Err(error) = TcpStream::connect_timeout(target, Duration::from_secs(1)) {
            if started.elapsed() >= PATIENCE {
                return Err(PeerError::Collective {
                    operation: "all-reduce",
                    problem: format!(
                        "node {address}: not listening after {} s: {error}",
                        PATIENCE.as_secs()
                    ),
                });
            }
            thread::sleep(Duration::from_millis(1));
        }
    }
    Ok(())
}

/// Runs the two orchestrators that the nodes of a multi-process run meet through, listening
/// on `port` and `port + 1` on every interface, until the process is interrupted (Ctrl-C).
/// Start them once per run, on a machine every node reaches, before or while the nodes start;
/// give the nodes `host:port` as [`Nodes::orchestrator`].
///
/// # Errors
///
/// [`PeerError::Collective`] when its runtime cannot start or `port` is the last port.
pub fn run_orchestrator(port: u16) -> Result<(), PeerError> {
    let next = port.checked_add(1).ok_or(PeerError::Collective {
        operation: "orchestrator",
        problem: format!("port {port} has no next port"),
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| PeerError::Collective {
            operation: "orchestrator",
            problem: error.to_string(),
        })?;
    runtime.block_on(async {
        tokio::join!(
            burn_collective::start_global_orchestrator(port),
            burn_collective::start_global_orchestrator(next),
        )
    });
    Ok(())
}
