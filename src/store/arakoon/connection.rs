//! One TCP connection to one Arakoon node: the prologue, then requests
//! answered in order. Every connect, write and read has a deadline, so a
//! node that accepts and then says nothing costs its share of the timeout,
//! never a hang.

use std::io::{self, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::wire::{self, rc, Reader};

pub(super) struct Connection {
    stream: TcpStream,
    /// No request has been answered on it yet: a node that closes it
    /// without a word is refusing the prologue (another cluster's id).
    fresh: bool,
}

/// What a node made of a request.
pub(super) enum Reply<T> {
    Done(T),
    /// A return code other than success, and the node's message.
    Refused(u32, Vec<u8>),
}

/// How a request failed below the protocol.
pub(super) struct Lost {
    pub error: io::Error,
    /// The connection was closed before its first answer.
    pub closed_at_once: bool,
}

impl Connection {
    /// Connect to `addr` by `deadline` and send the prologue for `cluster`.
    pub(super) fn open(addr: &str, cluster: &str, deadline: Instant) -> io::Result<Connection> {
        let mut last = None;
        for sockaddr in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&sockaddr, left(deadline)?) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    let mut conn = Connection { stream, fresh: true };
                    conn.send(&wire::prologue(cluster), deadline)?;
                    return Ok(conn);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address")))
    }

    fn send(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()> {
        self.stream.set_write_timeout(Some(left(deadline)?))?;
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Send `request` and read its reply with `decode`, all by `deadline`.
    pub(super) fn call<T>(
        &mut self,
        request: &[u8],
        deadline: Instant,
        decode: impl FnOnce(&mut Reader<BufReader<Timed<'_>>>) -> io::Result<T>,
    ) -> Result<Reply<T>, Lost> {
        let fresh = self.fresh;
        let lost = |error: io::Error| Lost {
            closed_at_once: fresh
                && matches!(
                    error.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                ),
            error,
        };
        self.send(request, deadline).map_err(lost)?;
        let mut reader = Reader::new(BufReader::with_capacity(64 << 10, Timed { stream: &self.stream, deadline }));
        let code = reader.int().map_err(lost)?;
        self.fresh = false;
        if code == rc::OK {
            return decode(&mut reader).map(Reply::Done).map_err(lost);
        }
        let message = reader.string().map_err(lost)?;
        Ok(Reply::Refused(code, message))
    }
}

/// The time left before `deadline`, or a timeout error when none is.
fn left(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(io::ErrorKind::TimedOut, "no answer in time"));
    }
    Ok(left)
}

/// A stream whose every read ends by the deadline.
pub(super) struct Timed<'s> {
    stream: &'s TcpStream,
    deadline: Instant,
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(left(self.deadline)?))?;
        match self.stream.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(io::Error::new(io::ErrorKind::TimedOut, "no answer in time"))
            }
            other => other,
        }
    }
}
