//! A JSON array of strings (a `?keys` listing) read as it arrives. Consul
//! answers a listing of 100,000 keys with one array; serde_json walks it
//! with a sequence visitor over a reader of the body, on a thread of its
//! own, handing each string over a bounded channel, so memory holds one
//! chunk of the body and a few keys whatever the array's length. Dropping
//! the iterator ends the thread at its next key (and closes the answer).

use std::cell::Cell;
use std::io::Read;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::Duration;

use bytes::{Buf, Bytes};
use reqwest::Response;
use serde::de::{Deserializer, SeqAccess, Visitor};

use super::client::Http;
use crate::store::{Context, StoreError};

/// Keys handed over ahead of the consumer.
const AHEAD: usize = 1024;

/// The strings of the array, in order; an error ends them.
pub(super) struct Strings {
    rx: Receiver<Result<String, StoreError>>,
}

impl Iterator for Strings {
    type Item = Result<String, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv().ok()
    }
}

/// Read `response`'s body, a JSON array of strings, as it arrives.
pub(super) fn strings(http: &Http, response: Response) -> Result<Strings, StoreError> {
    let (tx, rx) = sync_channel(AHEAD);
    let body = Body { rt: http.rt, response, chunk: Bytes::new(), timeout: http.timeout };
    let (store, agent, timeout) = (http.describe.clone(), http.agent(), http.timeout);
    std::thread::Builder::new()
        .name("ovs-consul-keys".into())
        .spawn(move || {
            let gone = Cell::new(false);
            let mut de = serde_json::Deserializer::from_reader(body);
            let read = de.deserialize_seq(Sink { tx: &tx, gone: &gone }).and_then(|()| de.end());
            match read {
                Ok(()) => {}
                // The consumer went away: nobody to tell.
                Err(_) if gone.get() => {}
                Err(e) => {
                    let error = match e.io_error_kind() {
                        Some(std::io::ErrorKind::TimedOut) => StoreError::Timeout {
                            store,
                            after: timeout,
                            during: "reading a key listing".into(),
                            source: None,
                        },
                        Some(_) => StoreError::Unreachable {
                            store,
                            endpoint: agent,
                            source: Context::cause("a key listing was cut short", e),
                        },
                        None => StoreError::failed(&store, "a key listing that is not JSON", e),
                    };
                    let _ = tx.send(Err(error));
                }
            }
        })
        .map_err(|e| StoreError::failed(&http.describe, "cannot start a thread", e))?;
    Ok(Strings { rx })
}

/// Sends each string of the array on; stops when nobody listens.
struct Sink<'a> {
    tx: &'a SyncSender<Result<String, StoreError>>,
    gone: &'a Cell<bool>,
}

impl<'de> Visitor<'de> for Sink<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of keys")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(key) = seq.next_element::<String>()? {
            if self.tx.send(Ok(key)).is_err() {
                self.gone.set(true);
                return Err(serde::de::Error::custom("nobody reads the listing any more"));
            }
        }
        Ok(())
    }
}

/// The body as `Read`: one chunk at a time, each within the timeout.
struct Body {
    rt: &'static tokio::runtime::Runtime,
    response: Response,
    chunk: Bytes,
    timeout: Duration,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            // The timer needs the runtime's context: made inside it.
            let (timeout, response) = (self.timeout, &mut self.response);
            let next = self.rt.block_on(async { tokio::time::timeout(timeout, response.chunk()).await });
            match next {
                Err(_) => return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "no data within the timeout")),
                Ok(Err(e)) => return Err(std::io::Error::other(e)),
                Ok(Ok(None)) => return Ok(0),
                Ok(Ok(Some(chunk))) => self.chunk = chunk,
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Ok(n)
    }
}
