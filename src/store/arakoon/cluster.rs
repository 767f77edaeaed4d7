//! Finding the master and failing over. Every request goes to the master
//! (reads are `Consistent`). A node is asked `who_master` before the first
//! request sent to it; the answer names a node, which is gone to directly
//! when the URL or `arakoon_cacc.ini` gave its name, else requests walk the
//! nodes until one does not answer "not master". "Not master", "no longer
//! master", "going down", a refused or dropped connection or a node that
//! does not answer in its share of the time all move on to the next node;
//! after a whole round with no master the walk pauses briefly and starts
//! again (an election may be under way), until `--timeout` is spent.

use std::io::BufReader;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::connection::{Connection, Lost, Reply, Timed};
use super::wire::{self, rc, Reader};
use crate::store::{Context, Said, StoreError};

/// The pause between two rounds that found no master.
const PAUSE: Duration = Duration::from_millis(100);

/// One node: where it listens, and its name where the configuration says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Node {
    pub addr: String,
    pub name: Option<String>,
}

pub(super) struct Cluster {
    pub id: String,
    pub nodes: Vec<Node>,
    pub timeout: Duration,
    describe: String,
    state: Mutex<State>,
}

struct State {
    /// The node requests go to first: the master, as far as is known.
    current: usize,
    /// Whether `current` has answered a request (it needs no `who_master`).
    confirmed: bool,
    connections: Vec<Option<Connection>>,
}

/// What one round of the walk met, for the error when nothing answered.
#[derive(Default)]
struct Seen {
    /// The last failure to reach a node, with its address.
    failure: Option<StoreError>,
    /// Nodes that answered that there is no master, or not them.
    masterless: usize,
    /// Nodes that closed a new connection without a word.
    closed: usize,
}

type Decode<'a, T> = &'a mut dyn FnMut(&mut Reader<BufReader<Timed<'_>>>) -> std::io::Result<T>;

impl Cluster {
    pub(super) fn new(id: String, nodes: Vec<Node>, timeout: Duration, describe: String) -> Cluster {
        let connections = nodes.iter().map(|_| None).collect();
        Cluster { id, nodes, timeout, describe, state: Mutex::new(State { current: 0, confirmed: false, connections }) }
    }

    /// Send `request` to the master and decode its answer: the payload, or
    /// the master's refusal (return code and message).
    pub(super) fn call<T>(
        &self,
        request: &[u8],
        mut decode: impl FnMut(&mut Reader<BufReader<Timed<'_>>>) -> std::io::Result<T>,
    ) -> Result<Reply<T>, StoreError> {
        let deadline = Instant::now() + self.timeout;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let n = self.nodes.len();
        loop {
            let mut seen = Seen::default();
            for _ in 0..n {
                let i = state.current;
                // This node's share of what is left of the time.
                let share = deadline.saturating_duration_since(Instant::now()) / n as u32;
                match self.attempt(&mut state, i, request, Instant::now() + share, deadline, &mut decode, &mut seen) {
                    Some(Ok(reply)) => return Ok(reply),
                    Some(Err(e)) => return Err(e),
                    None => {}
                }
            }
            if seen.closed == n {
                return Err(self.wrong_cluster());
            }
            if Instant::now() + PAUSE >= deadline {
                return Err(self.no_master(seen));
            }
            std::thread::sleep(PAUSE);
        }
    }

    /// Try node `i`: None when the walk goes on to the next node (`current`
    /// is then moved), else its answer or an error that ends the call.
    #[allow(clippy::too_many_arguments)]
    fn attempt<T>(
        &self,
        state: &mut State,
        i: usize,
        request: &[u8],
        share: Instant,
        deadline: Instant,
        decode: Decode<'_, T>,
        seen: &mut Seen,
    ) -> Option<Result<Reply<T>, StoreError>> {
        let next = |state: &mut State| {
            state.current = (i + 1) % self.nodes.len();
            state.confirmed = false;
        };
        if state.connections[i].is_none() {
            match Connection::open(&self.nodes[i].addr, &self.id, share) {
                Ok(conn) => state.connections[i] = Some(conn),
                Err(e) => {
                    seen.failure = Some(self.unreachable(i, e.into()));
                    next(state);
                    return None;
                }
            }
        }
        if !state.confirmed {
            match self.ask_master(state, i, share, seen) {
                Ok(Some(j)) if j != i => {
                    // Go straight to the node it names.
                    state.current = j;
                    return None;
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    next(state);
                    return None;
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let conn = state.connections[i].as_mut()?;
        match conn.call(request, deadline, |r| decode(r)) {
            Ok(Reply::Refused(code, message)) => {
                // A node closes the connection after a failure.
                state.connections[i] = None;
                match code {
                    rc::NOT_MASTER | rc::NO_LONGER_MASTER | rc::GOING_DOWN | rc::MAX_CONNECTIONS => {
                        seen.masterless += 1;
                        next(state);
                        None
                    }
                    rc::WRONG_CLUSTER => Some(Err(self.wrong_cluster())),
                    _ => {
                        state.confirmed = true;
                        Some(Ok(Reply::Refused(code, message)))
                    }
                }
            }
            Ok(done) => {
                state.confirmed = true;
                Some(Ok(done))
            }
            Err(lost) => {
                self.lost(state, i, lost, seen);
                next(state);
                None
            }
        }
    }

    /// Ask node `i` which node is master: Some(the index to go to: the one
    /// it names, or `i` itself when the name is unknown here), or None when
    /// it knows of no master or could not be asked.
    fn ask_master(
        &self,
        state: &mut State,
        i: usize,
        by: Instant,
        seen: &mut Seen,
    ) -> Result<Option<usize>, StoreError> {
        let conn = state.connections[i].as_mut().expect("a connection was just opened");
        match conn.call(&wire::who_master(), by, |r| r.string_option()) {
            Ok(Reply::Done(Some(name))) => {
                let name = String::from_utf8_lossy(&name);
                Ok(Some(self.nodes.iter().position(|n| n.name.as_deref() == Some(&*name)).unwrap_or(i)))
            }
            Ok(Reply::Done(None)) => {
                seen.masterless += 1;
                Ok(None)
            }
            Ok(Reply::Refused(rc::WRONG_CLUSTER, _)) => Err(self.wrong_cluster()),
            Ok(Reply::Refused(_, message)) => {
                state.connections[i] = None;
                seen.failure = Some(self.unreachable(i, Said::cause(quote(&message))));
                Ok(None)
            }
            Err(lost) => {
                self.lost(state, i, lost, seen);
                Ok(None)
            }
        }
    }

    fn lost(&self, state: &mut State, i: usize, lost: Lost, seen: &mut Seen) {
        state.connections[i] = None;
        if lost.closed_at_once {
            seen.closed += 1;
        }
        seen.failure = Some(self.unreachable(i, lost.error.into()));
    }

    fn unreachable(&self, i: usize, source: crate::store::Cause) -> StoreError {
        StoreError::Unreachable { store: self.describe.clone(), endpoint: self.nodes[i].addr.clone(), source }
    }

    /// The nodes, as messages name them.
    fn listed(&self) -> String {
        let names: Vec<String> = self
            .nodes
            .iter()
            .map(|n| match &n.name {
                Some(name) => format!("{name} ({})", n.addr),
                None => n.addr.clone(),
            })
            .collect();
        names.join(", ")
    }

    fn wrong_cluster(&self) -> StoreError {
        StoreError::Backend {
            store: self.describe.clone(),
            message: format!(
                "no node of {} serves cluster {:?}: each closed the connection or refused the cluster id (is \
                 the cluster id right?)",
                self.listed(),
                self.id
            ),
        }
    }

    /// Nothing answered as master until the time was spent: exit 6,
    /// naming the cluster and its nodes.
    fn no_master(&self, seen: Seen) -> StoreError {
        let master = format!("a master of cluster {:?} among {}", self.id, self.listed());
        if seen.masterless == 0 {
            // Every node was down or silent, round after round.
            let last = seen.failure.map(|e| match e {
                StoreError::Unreachable { endpoint, source, .. } => Context::cause(endpoint, source),
                other => Box::new(other),
            });
            return StoreError::Timeout {
                store: self.describe.clone(),
                after: self.timeout,
                during: format!("looking for {master}"),
                source: last,
            };
        }
        StoreError::Unreachable {
            store: self.describe.clone(),
            endpoint: master,
            source: Said::cause(format!("none was master within {:?}: the cluster has no master now", self.timeout)),
        }
    }
}

/// A node's message, as one escaped line.
pub(super) fn quote(message: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(message))
}
