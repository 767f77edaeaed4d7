//! The one async runtime every networked backend shares. It has a worker
//! thread of its own, so tasks a client spawns (ZooKeeper's session pings,
//! etcd's HTTP/2 keep-alives) go on running between calls — while an editor
//! is open, say — and not only inside `block_on`.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

use super::StoreError;

/// The shared runtime, started on first use and kept for the process
/// (`store` names the store that asks, should it fail to start).
pub(crate) fn shared(store: &str) -> Result<&'static Runtime, StoreError> {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("ovs-io")
        .enable_all()
        .build()
        .map_err(|e| StoreError::failed(store, "cannot start the I/O runtime", e))?;
    Ok(RUNTIME.get_or_init(|| rt))
}
