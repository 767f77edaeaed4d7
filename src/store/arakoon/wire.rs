//! Arakoon's client protocol on the wire, as its sources lay it out
//! (`src/tools/llio.ml`, `src/client/protocol_common.ml`,
//! `src/tlog/update.ml`, `doc/manifest.rst`): little-endian int32s, a
//! string is its int32 length then its bytes, an option is a byte (0 None,
//! 1 Some) then the value, a list is its count then its items *last first*
//! (so that a reader that prepends gets them in order). A request is its
//! opcode masked with the magic, then its fields; a reply is an int32 return
//! code, then the payload (0) or a message string (anything else).

use std::io::{self, Read};

/// `0xB1FF0000`: the connection's first word, and the mask of every opcode.
pub(super) const MAGIC: u32 = 0xB1FF_0000;
/// The protocol version a connection announces after the magic.
const VERSION: u32 = 1;

/// The requests this client sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Opcode {
    WhoMaster = 0x02,
    RangeEntries = 0x0f,
    Sequence = 0x10,
}

/// Return codes (`src/client/arakoon_exc.ml`).
pub(super) mod rc {
    pub const OK: u32 = 0x00;
    pub const NOT_MASTER: u32 = 0x04;
    pub const NOT_FOUND: u32 = 0x05;
    pub const WRONG_CLUSTER: u32 = 0x06;
    pub const ASSERTION_FAILED: u32 = 0x07;
    pub const GOING_DOWN: u32 = 0x10;
    pub const NO_LONGER_MASTER: u32 = 0x21;
    pub const BAD_INPUT: u32 = 0x26;
    pub const MAX_CONNECTIONS: u32 = 0xfe;
}

/// No string the client reads may claim more than this: a garbled length
/// fails the read instead of asking for gigabytes. Arakoon's own largest
/// message is its max_buffer_size (32 MiB).
const MAX_STRING: usize = 64 << 20;

/// What a connection sends first: the magic, the version, the cluster id.
pub(super) fn prologue(cluster: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + cluster.len());
    int(&mut out, MAGIC);
    int(&mut out, VERSION);
    string(&mut out, cluster.as_bytes());
    out
}

fn int(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn string(out: &mut Vec<u8>, bytes: &[u8]) {
    int(out, bytes.len() as u32);
    out.extend_from_slice(bytes);
}

fn option(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            string(out, bytes);
        }
    }
}

fn request(op: Opcode) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    int(&mut out, op as u32 | MAGIC);
    out
}

/// `who_master`: the name of the node that is master, if this one knows.
pub(super) fn who_master() -> Vec<u8> {
    request(Opcode::WhoMaster)
}

/// `range_entries`, read consistently (from the master): at most `max`
/// pairs with keys from `first` to `last` (None: no bound), each bound
/// included or not.
pub(super) fn range_entries(
    first: Option<&[u8]>,
    first_in: bool,
    last: Option<&[u8]>,
    last_in: bool,
    max: u32,
) -> Vec<u8> {
    let mut out = request(Opcode::RangeEntries);
    out.push(0); // Consistent
    option(&mut out, first);
    out.push(first_in as u8);
    option(&mut out, last);
    out.push(last_in as u8);
    int(&mut out, max);
    out
}

/// One update of a sequence (`src/tlog/update.ml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Update {
    Set(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    /// The key must have this value (None: must not exist).
    Assert(Vec<u8>, Option<Vec<u8>>),
    DeletePrefix(Vec<u8>),
}

impl Update {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Update::Set(key, value) => {
                int(out, 1);
                string(out, key);
                string(out, value);
            }
            Update::Delete(key) => {
                int(out, 2);
                string(out, key);
            }
            Update::Assert(key, value) => {
                int(out, 8);
                string(out, key);
                option(out, value.as_deref());
            }
            Update::DeletePrefix(prefix) => {
                int(out, 14);
                string(out, prefix);
            }
        }
    }
}

/// `sequence`: the updates, applied all or none. Its body is one string
/// holding a `Sequence` update (tag 5, the count, each update in order).
pub(super) fn sequence(updates: &[Update]) -> Vec<u8> {
    let mut body = Vec::new();
    int(&mut body, 5);
    int(&mut body, updates.len() as u32);
    for update in updates {
        update.encode(&mut body);
    }
    let mut out = request(Opcode::Sequence);
    string(&mut out, &body);
    out
}

/// Reads the fields of a reply.
pub(super) struct Reader<R> {
    inner: R,
}

impl<R: Read> Reader<R> {
    pub(super) fn new(inner: R) -> Reader<R> {
        Reader { inner }
    }

    pub(super) fn int(&mut self) -> io::Result<u32> {
        let mut word = [0; 4];
        self.inner.read_exact(&mut word)?;
        Ok(u32::from_le_bytes(word))
    }

    fn byte(&mut self) -> io::Result<u8> {
        let mut byte = [0; 1];
        self.inner.read_exact(&mut byte)?;
        Ok(byte[0])
    }

    pub(super) fn string(&mut self) -> io::Result<Vec<u8>> {
        let len = self.int()? as usize;
        if len > MAX_STRING {
            return Err(garbled(format!("a string of {len} bytes")));
        }
        let mut bytes = vec![0; len];
        self.inner.read_exact(&mut bytes)?;
        Ok(bytes)
    }

    pub(super) fn string_option(&mut self) -> io::Result<Option<Vec<u8>>> {
        match self.byte()? {
            0 => Ok(None),
            1 => self.string().map(Some),
            other => Err(garbled(format!("an option marked {other:#x}"))),
        }
    }

    /// A list of key-value pairs, in key order whichever order it came in
    /// (Arakoon sends lists last first).
    pub(super) fn pairs(&mut self) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let count = self.int()? as usize;
        if count > MAX_STRING / 8 {
            return Err(garbled(format!("a list of {count} items")));
        }
        let mut pairs = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            let key = self.string()?;
            pairs.push((key, self.string()?));
        }
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(pairs)
    }
}

fn garbled(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("not an Arakoon reply: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prologue_is_magic_version_and_cluster() {
        assert_eq!(prologue("ovs"), [0x00, 0x00, 0xff, 0xb1, 1, 0, 0, 0, 3, 0, 0, 0, b'o', b'v', b's']);
    }

    #[test]
    fn requests_are_masked_opcodes_then_fields() {
        assert_eq!(who_master(), [0x02, 0x00, 0xff, 0xb1]);
        let range = range_entries(Some(b"a/"), true, None, false, 70000);
        #[rustfmt::skip]
        let want = [
            0x0f, 0x00, 0xff, 0xb1, // RANGE_ENTRIES | magic
            0x00,                   // consistent
            0x01, 2, 0, 0, 0, b'a', b'/', 0x01, // Some "a/", included
            0x00, 0x00,             // None, not included
            0x70, 0x11, 0x01, 0x00, // 70000, as the manifest shows it
        ];
        assert_eq!(range, want);
    }

    #[test]
    fn a_sequence_is_one_string_of_tagged_updates() {
        let updates = [
            Update::Assert(b"k".to_vec(), None),
            Update::Set(b"k".to_vec(), b"v".to_vec()),
            Update::Delete(b"d".to_vec()),
            Update::DeletePrefix(b"p/".to_vec()),
            Update::Assert(b"c".to_vec(), Some(b"1".to_vec())),
        ];
        let got = sequence(&updates);
        #[rustfmt::skip]
        let body: Vec<u8> = [
            &[5, 0, 0, 0, 5, 0, 0, 0][..],                  // Sequence of 5
            &[8, 0, 0, 0, 1, 0, 0, 0, b'k', 0],             // Assert k None
            &[1, 0, 0, 0, 1, 0, 0, 0, b'k', 1, 0, 0, 0, b'v'], // Set k v
            &[2, 0, 0, 0, 1, 0, 0, 0, b'd'],                // Delete d
            &[14, 0, 0, 0, 2, 0, 0, 0, b'p', b'/'],         // DeletePrefix p/
            &[8, 0, 0, 0, 1, 0, 0, 0, b'c', 1, 1, 0, 0, 0, b'1'], // Assert c (Some 1)
        ].concat();
        let mut want = vec![0x10, 0x00, 0xff, 0xb1];
        want.extend_from_slice(&(body.len() as u32).to_le_bytes());
        want.extend_from_slice(&body);
        assert_eq!(got, want);
    }

    #[test]
    fn pairs_come_back_in_key_order_from_a_list_sent_last_first() {
        #[rustfmt::skip]
        let wire: Vec<u8> = [
            &[2, 0, 0, 0][..],
            &[1, 0, 0, 0, b'b', 1, 0, 0, 0, b'2'],
            &[1, 0, 0, 0, b'a', 0, 0, 0, 0],
        ].concat();
        let pairs = Reader::new(&wire[..]).pairs().unwrap();
        assert_eq!(pairs, [(b"a".to_vec(), b"".to_vec()), (b"b".to_vec(), b"2".to_vec())]);
    }

    #[test]
    fn garbled_lengths_and_options_fail_the_read() {
        let huge = [0xff, 0xff, 0xff, 0x7f];
        assert_eq!(Reader::new(&huge[..]).string().unwrap_err().kind(), io::ErrorKind::InvalidData);
        assert_eq!(Reader::new(&[7u8][..]).string_option().unwrap_err().kind(), io::ErrorKind::InvalidData);
        assert_eq!(Reader::new(&[1u8, 9, 0][..]).string_option().unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }
}
