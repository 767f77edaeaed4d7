//! The fake Arakoon cluster itself (tests/util/arakoon.rs), spoken to in
//! raw bytes built here from Arakoon's sources (protocol_common.ml,
//! llio.ml, update.ml, client_protocol.ml), not with the fake's own
//! decoder, so that a misreading of the protocol shows up here.

mod util;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use util::arakoon::{FakeArakoon, Limits};

// Opcodes (protocol_common.ml), each sent as `opcode | 0xB1FF0000`.
const PING: u32 = 0x01;
const WHO_MASTER: u32 = 0x02;
const EXISTS: u32 = 0x07;
const GET: u32 = 0x08;
const SET: u32 = 0x09;
const DELETE: u32 = 0x0a;
const RANGE: u32 = 0x0b;
const PREFIX_KEYS: u32 = 0x0c;
const TEST_AND_SET: u32 = 0x0d;
const RANGE_ENTRIES: u32 = 0x0f;
const SEQUENCE: u32 = 0x10;
const MULTI_GET: u32 = 0x11;
const EXPECT_PROGRESS_POSSIBLE: u32 = 0x12;
const ASSERT: u32 = 0x16;
const GET_KEY_COUNT: u32 = 0x1a;
const REV_RANGE_ENTRIES: u32 = 0x23;
const SYNCED_SEQUENCE: u32 = 0x24;
const DELETE_PREFIX: u32 = 0x27;
const VERSION: u32 = 0x28;
const ASSERT_EXISTS: u32 = 0x29;
const MULTI_GET_OPTION: u32 = 0x31;
const REPLACE: u32 = 0x33;
const NOP: u32 = 0x41;
const GET_TXID: u32 = 0x43;

// Return codes (arakoon_exc.ml).
const E_OK: u32 = 0x00;
const E_NO_MAGIC: u32 = 0x01;
const E_NOT_MASTER: u32 = 0x04;
const E_NOT_FOUND: u32 = 0x05;
const E_ASSERTION_FAILED: u32 = 0x07;
const E_BAD_INPUT: u32 = 0x26;
const E_INCONSISTENT_READ: u32 = 0x80;
const E_UNKNOWN_FAILURE: u32 = 0xff;

// Consistency bytes.
const CONSISTENT: &[u8] = &[0];
const NO_GUARANTEES: &[u8] = &[1];

/// Llio's encodings, little-endian.
fn int(n: i32) -> Vec<u8> {
    n.to_le_bytes().to_vec()
}

fn string(s: &[u8]) -> Vec<u8> {
    [int(s.len() as i32), s.to_vec()].concat()
}

fn option(s: Option<&[u8]>) -> Vec<u8> {
    match s {
        None => vec![0],
        Some(s) => [vec![1], string(s)].concat(),
    }
}

fn command(op: u32) -> Vec<u8> {
    (op | 0xB1FF_0000).to_le_bytes().to_vec()
}

/// A request: the command word, then its fields.
fn req(op: u32, fields: &[Vec<u8>]) -> Vec<u8> {
    [command(op), fields.concat()].concat()
}

// Updates (update.ml's to_buffer).
fn set_u(k: &[u8], v: &[u8]) -> Vec<u8> {
    [int(1), string(k), string(v)].concat()
}

fn delete_u(k: &[u8]) -> Vec<u8> {
    [int(2), string(k)].concat()
}

fn assert_u(k: &[u8], v: Option<&[u8]>) -> Vec<u8> {
    [int(8), string(k), option(v)].concat()
}

fn assert_exists_u(k: &[u8]) -> Vec<u8> {
    [int(15), string(k)].concat()
}

fn delete_prefix_u(p: &[u8]) -> Vec<u8> {
    [int(14), string(p)].concat()
}

fn sequence_u(updates: &[Vec<u8>]) -> Vec<u8> {
    [int(5), int(updates.len() as i32), updates.concat()].concat()
}

/// A sequence request: the serialized Sequence as one string.
fn sequence(op: u32, updates: &[Vec<u8>]) -> Vec<u8> {
    req(op, &[string(&sequence_u(updates))])
}

/// A client connection, after the prologue.
struct Conn(TcpStream);

impl Conn {
    fn open(addr: SocketAddr, cluster_id: &str) -> Conn {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let prologue = [0xB1FF_0000u32.to_le_bytes().to_vec(), int(1), string(cluster_id.as_bytes())].concat();
        stream.write_all(&prologue).unwrap();
        Conn(stream)
    }

    fn to(fake: &FakeArakoon, node: usize) -> Conn {
        Conn::open(fake.addrs()[node], fake.cluster_id())
    }

    fn send(&mut self, bytes: &[u8]) -> &mut Conn {
        self.0.write_all(bytes).unwrap();
        self
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        self.0.read_exact(&mut buf).unwrap();
        buf
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes(4).try_into().unwrap())
    }

    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.bytes(8).try_into().unwrap())
    }

    fn string(&mut self) -> Vec<u8> {
        let n = self.u32() as usize;
        self.bytes(n)
    }

    fn option(&mut self) -> Option<Vec<u8>> {
        match self.bytes(1)[0] {
            0 => None,
            1 => Some(self.string()),
            b => panic!("{b} is not a bool"),
        }
    }

    fn bool(&mut self) -> bool {
        match self.bytes(1)[0] {
            0 => false,
            1 => true,
            b => panic!("{b} is not a bool"),
        }
    }

    /// The reply's return code, which must be E_OK.
    fn ok(&mut self) -> &mut Conn {
        assert_eq!(self.u32(), E_OK);
        self
    }

    /// An error reply: its code and message.
    fn error(&mut self) -> (u32, Vec<u8>) {
        let rc = self.u32();
        assert_ne!(rc, E_OK);
        (rc, self.string())
    }

    /// A list of `n` strings (or key-value pairs), as sent.
    fn strings(&mut self, pairs: bool) -> Vec<Vec<u8>> {
        let n = self.u32();
        (0..n * if pairs { 2 } else { 1 }).map(|_| self.string()).collect()
    }

    /// The node closed the connection (end of file or reset), with nothing
    /// more written.
    fn closed(&mut self) -> bool {
        let mut buf = [0; 1];
        matches!(self.0.read(&mut buf), Ok(0) | Err(_))
    }
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

#[test]
fn the_url_names_the_cluster_and_every_node_and_the_root() {
    let fake = FakeArakoon::start("c_url", 2);
    let [a, b] = [fake.addrs()[0], fake.addrs()[1]];
    assert_eq!(fake.url(""), format!("arakoon://c_url@{a},{b}"));
    assert_eq!(fake.url("/ovs"), format!("arakoon://c_url@{a},{b}/ovs"));
    assert!(a.ip().is_loopback() && b.ip().is_loopback());
    assert_eq!(fake.names(), ["arakoon_0", "arakoon_1"]);
}

#[test]
fn who_master_names_the_master_on_every_node_and_follows_it() {
    let fake = FakeArakoon::start("c_who", 3);
    let mut slave = Conn::to(&fake, 1);
    slave.send(&command(WHO_MASTER)).ok();
    assert_eq!(slave.option(), Some(b("arakoon_0")));
    fake.set_master(Some(2));
    slave.send(&command(WHO_MASTER)).ok();
    assert_eq!(slave.option(), Some(b("arakoon_2")));
    fake.set_master(None);
    slave.send(&command(WHO_MASTER)).ok();
    assert_eq!(slave.option(), None);
    assert_eq!(fake.count("who_master"), 3);
}

#[test]
fn another_clusters_id_in_the_prologue_closes_the_connection_unanswered() {
    let fake = FakeArakoon::start("c_right", 1);
    let mut conn = Conn::open(fake.addrs()[0], "c_wrong");
    conn.send(&command(WHO_MASTER));
    assert!(conn.closed());
    assert_eq!(fake.count("who_master"), 0);
}

#[test]
fn a_bad_magic_or_version_in_the_prologue_closes_the_connection() {
    let fake = FakeArakoon::start("c_magic", 1);
    for (magic, version) in [(0xB1FF_0001u32, 1), (0xB1FF_0000, 2)] {
        let mut stream = TcpStream::connect(fake.addrs()[0]).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let prologue = [magic.to_le_bytes().to_vec(), int(version), string(b"c_magic"), command(WHO_MASTER)].concat();
        stream.write_all(&prologue).unwrap();
        assert!(Conn(stream).closed());
    }
}

#[test]
fn a_command_without_the_magic_is_answered_1_alone_and_an_unknown_one_5() {
    let fake = FakeArakoon::start("c_cmd", 1);
    let mut conn = Conn::to(&fake, 0);
    conn.send(&0x0000_0002u32.to_le_bytes());
    assert_eq!(conn.u32(), E_NO_MAGIC);
    assert!(conn.closed());
    let mut conn = Conn::to(&fake, 0);
    conn.send(&command(0xfe));
    assert_eq!(conn.error(), (E_NOT_FOUND, b("fe: command not found")));
    assert!(conn.closed());
}

#[test]
fn ping_and_version_report_arakoon_1_9() {
    let fake = FakeArakoon::start("c_ping", 1);
    let mut conn = Conn::to(&fake, 0);
    conn.send(&req(PING, &[string(b"me"), string(b"c_ping")])).ok();
    assert!(conn.string().starts_with(b"Arakoon 1.9."));
    conn.send(&command(VERSION)).ok();
    let (major, minor) = (conn.u32(), conn.u32());
    let (_patch, _info) = (conn.u32(), conn.string());
    assert_eq!((major, minor), (1, 9));
}

#[test]
fn set_get_exists_and_delete_on_the_master_with_binary_keys_and_values() {
    let fake = FakeArakoon::start("c_kv", 3);
    let (key, value) = (b"ovs/\x00\xff\n".to_vec(), (0..=255u8).collect::<Vec<u8>>());
    let mut conn = Conn::to(&fake, 0);
    conn.send(&req(SET, &[string(&key), string(&value)])).ok();
    assert_eq!(fake.raw_get(&key), Some(value.clone()));
    conn.send(&req(GET, &[CONSISTENT.to_vec(), string(&key)])).ok();
    assert_eq!(conn.string(), value);
    conn.send(&req(EXISTS, &[CONSISTENT.to_vec(), string(&key)])).ok();
    assert!(conn.bool());
    conn.send(&req(DELETE, &[string(&key)])).ok();
    assert_eq!(fake.raw_get(&key), None);
    conn.send(&req(GET, &[CONSISTENT.to_vec(), string(&key)]));
    assert_eq!(conn.error(), (E_NOT_FOUND, b("Not_found")));
    conn.send(&req(DELETE, &[string(&key)]));
    assert_eq!(conn.error(), (E_NOT_FOUND, key.clone()));
    conn.send(&req(EXISTS, &[CONSISTENT.to_vec(), string(&key)])).ok();
    assert!(!conn.bool(), "the connection stays open after not-found");
    assert_eq!(fake.raw_keys(), Vec::<Vec<u8>>::new());
}

#[test]
fn a_slave_refuses_writes_and_consistent_reads_naming_the_master_then_closes() {
    let fake = FakeArakoon::start("c_slave", 3);
    fake.raw_set(b"k", b"v");
    let mut slave = Conn::to(&fake, 1);
    slave.send(&req(GET, &[NO_GUARANTEES.to_vec(), string(b"k")])).ok();
    assert_eq!(slave.string(), b"v");
    slave.send(&req(SET, &[string(b"k"), string(b"w")]));
    assert_eq!(slave.error(), (E_NOT_MASTER, b("arakoon_0")));
    assert!(slave.closed());
    let mut slave = Conn::to(&fake, 1);
    slave.send(&req(GET, &[CONSISTENT.to_vec(), string(b"k")]));
    assert_eq!(slave.error(), (E_NOT_MASTER, b("arakoon_0")));
    assert_eq!(fake.raw_get(b"k"), Some(b("v")));

    fake.set_master(None);
    let mut old_master = Conn::to(&fake, 0);
    old_master.send(&sequence(SEQUENCE, &[set_u(b"k", b"x")]));
    assert_eq!(old_master.error(), (E_NOT_MASTER, b("None")));
    fake.set_master(Some(1));
    let mut new_master = Conn::to(&fake, 1);
    new_master.send(&req(SET, &[string(b"k"), string(b"y")])).ok();
    assert_eq!(fake.raw_get(b"k"), Some(b("y")));
}

#[test]
fn a_cluster_of_one_node_takes_writes_without_a_master_as_arakoon_does() {
    let fake = FakeArakoon::start("c_one", 1);
    fake.set_master(None);
    Conn::to(&fake, 0).send(&req(SET, &[string(b"k"), string(b"v")])).ok();
    assert_eq!(fake.raw_get(b"k"), Some(b("v")));
}

/// Four keys a..d with values A..D.
fn abcd(name: &str) -> FakeArakoon {
    let fake = FakeArakoon::start(name, 1);
    for (k, v) in [("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")] {
        fake.raw_set(k.as_bytes(), v.as_bytes());
    }
    fake
}

fn range_req(op: u32, first: Option<&[u8]>, finc: bool, last: Option<&[u8]>, linc: bool, max: i32) -> Vec<u8> {
    req(op, &[CONSISTENT.to_vec(), option(first), vec![finc as u8], option(last), vec![linc as u8], int(max)])
}

#[test]
fn range_entries_pages_forward_and_sends_the_highest_key_first() {
    let fake = abcd("c_range_e");
    let mut conn = Conn::to(&fake, 0);
    conn.send(&range_req(RANGE_ENTRIES, None, true, None, true, -1)).ok();
    assert_eq!(conn.strings(true), ["d", "D", "c", "C", "b", "B", "a", "A"].map(b));
    conn.send(&range_req(RANGE_ENTRIES, Some(b"a"), false, None, true, 2)).ok();
    assert_eq!(conn.strings(true), ["c", "C", "b", "B"].map(b));
    conn.send(&range_req(RANGE_ENTRIES, Some(b"b"), true, Some(b"d"), false, -1)).ok();
    assert_eq!(conn.strings(true), ["c", "C", "b", "B"].map(b));
    conn.send(&range_req(RANGE_ENTRIES, Some(b"b"), true, Some(b"d"), true, 0)).ok();
    assert_eq!(conn.strings(true), Vec::<Vec<u8>>::new());
}

#[test]
fn empty_and_inverted_ranges_answer_nothing_and_no_first_key_is_the_empty_key() {
    let fake = abcd("c_range_empty");
    fake.raw_set(b"", b"EMPTY");
    let mut conn = Conn::to(&fake, 0);
    for (first, finc, last, linc) in [("b", false, "b", false), ("b", true, "b", false), ("c", true, "a", true)] {
        conn.send(&range_req(RANGE_ENTRIES, Some(first.as_bytes()), finc, Some(last.as_bytes()), linc, -1)).ok();
        assert_eq!(conn.strings(true), Vec::<Vec<u8>>::new());
        conn.send(&range_req(REV_RANGE_ENTRIES, Some(last.as_bytes()), linc, Some(first.as_bytes()), finc, -1)).ok();
        assert_eq!(conn.strings(true), Vec::<Vec<u8>>::new());
    }
    conn.send(&range_req(RANGE, Some(b"b"), true, Some(b"b"), true, -1)).ok();
    assert_eq!(conn.strings(false), ["b"].map(b));
    conn.send(&range_req(RANGE, None, false, Some(b"a"), true, -1)).ok();
    assert_eq!(conn.strings(false), ["a"].map(b));
    conn.send(&range_req(RANGE, None, true, Some(b"a"), true, -1)).ok();
    assert_eq!(conn.strings(false), ["a", ""].map(b));
    conn.send(&range_req(REV_RANGE_ENTRIES, Some(b"a"), true, None, false, -1)).ok();
    assert_eq!(conn.strings(true), ["a", "A"].map(b));
}

#[test]
fn rev_range_entries_pages_backward_and_sends_the_lowest_key_first() {
    let fake = abcd("c_rev");
    let mut conn = Conn::to(&fake, 0);
    conn.send(&range_req(REV_RANGE_ENTRIES, None, true, None, true, 2)).ok();
    assert_eq!(conn.strings(true), ["c", "C", "d", "D"].map(b));
    conn.send(&range_req(REV_RANGE_ENTRIES, Some(b"c"), false, Some(b"a"), false, -1)).ok();
    assert_eq!(conn.strings(true), ["b", "B"].map(b));
}

#[test]
fn range_and_prefix_keys_send_keys_highest_first() {
    let fake = abcd("c_keys");
    fake.raw_set(b"ab", b"AB");
    let mut conn = Conn::to(&fake, 0);
    conn.send(&range_req(RANGE, Some(b"ab"), true, Some(b"c"), true, -1)).ok();
    assert_eq!(conn.strings(false), ["c", "b", "ab"].map(b));
    conn.send(&req(PREFIX_KEYS, &[CONSISTENT.to_vec(), string(b"a"), int(-1)])).ok();
    assert_eq!(conn.strings(false), ["ab", "a"].map(b));
    conn.send(&req(PREFIX_KEYS, &[CONSISTENT.to_vec(), string(b"a"), int(1)])).ok();
    assert_eq!(conn.strings(false), ["a"].map(b));
}

#[test]
fn multi_get_answers_in_reverse_and_multi_get_option_in_order() {
    let fake = abcd("c_multi");
    let mut conn = Conn::to(&fake, 0);
    let keys = [int(2), string(b"a"), string(b"c")].concat();
    conn.send(&req(MULTI_GET, &[CONSISTENT.to_vec(), keys])).ok();
    assert_eq!(conn.strings(false), ["C", "A"].map(b));
    let keys = [int(3), string(b"a"), string(b"x"), string(b"c")].concat();
    conn.send(&req(MULTI_GET_OPTION, &[CONSISTENT.to_vec(), keys.clone()])).ok();
    assert_eq!(conn.u32(), 3);
    assert_eq!([conn.option(), conn.option(), conn.option()], [Some(b("A")), None, Some(b("C"))]);
    conn.send(&req(MULTI_GET, &[CONSISTENT.to_vec(), keys]));
    assert_eq!(conn.error(), (E_NOT_FOUND, b("x")));
}

#[test]
fn a_sequence_applies_every_update_in_order_as_one_request() {
    let fake = abcd("c_seq");
    let mut conn = Conn::to(&fake, 0);
    let nested = sequence_u(&[set_u(b"n", b"N"), assert_exists_u(b"n")]);
    let updates = [
        assert_u(b"a", Some(b"A")),
        assert_u(b"new", None),
        set_u(b"new", b"NEW"),
        delete_u(b"b"),
        delete_prefix_u(b"c"),
        nested,
    ];
    conn.send(&sequence(SEQUENCE, &updates)).ok();
    assert_eq!(fake.raw_keys(), ["a", "d", "n", "new"].map(b));
    assert_eq!(fake.raw_get(b"new"), Some(b("NEW")));
    conn.send(&sequence(SYNCED_SEQUENCE, &[set_u(b"s", b"S")])).ok();
    assert_eq!(fake.raw_get(b"s"), Some(b("S")));
    assert_eq!((fake.count("sequence"), fake.count("synced_sequence"), fake.count("set")), (1, 1, 0));
}

#[test]
fn a_failed_assert_or_a_missing_delete_in_a_sequence_applies_nothing() {
    let fake = abcd("c_seq_fail");
    let before = fake.raw_keys();
    let mut conn = Conn::to(&fake, 0);
    conn.send(&sequence(SEQUENCE, &[set_u(b"x", b"X"), delete_u(b"a"), assert_u(b"b", Some(b"other"))]));
    assert_eq!(conn.error(), (E_ASSERTION_FAILED, b("b")));
    conn.send(&sequence(SEQUENCE, &[delete_prefix_u(b""), assert_exists_u(b"zz")]));
    assert_eq!(conn.error(), (E_ASSERTION_FAILED, b("zz")));
    conn.send(&sequence(SEQUENCE, &[set_u(b"y", b"Y"), sequence_u(&[delete_u(b"missing")])]));
    assert_eq!(conn.error(), (E_NOT_FOUND, b("missing")));
    assert_eq!(fake.raw_keys(), before);
    assert_eq!(fake.raw_get(b"a"), Some(b("A")));
    // The connection stays open after these.
    conn.send(&command(WHO_MASTER)).ok();
    assert_eq!(conn.option(), Some(b("arakoon_0")));
}

#[test]
fn a_sequence_request_must_hold_a_sequence() {
    let fake = FakeArakoon::start("c_not_seq", 1);
    let mut conn = Conn::to(&fake, 0);
    conn.send(&req(SEQUENCE, &[string(&set_u(b"k", b"v"))]));
    assert_eq!(conn.error(), (E_UNKNOWN_FAILURE, b("should have been a sequence")));
    assert!(conn.closed());
    let mut conn = Conn::to(&fake, 0);
    conn.send(&req(SEQUENCE, &[string(&[int(5), int(1), int(99)].concat())]));
    assert_eq!(conn.error(), (E_UNKNOWN_FAILURE, b("unknown failure")));
    assert!(conn.closed());
    assert_eq!(fake.raw_keys(), Vec::<Vec<u8>>::new());
}

#[test]
fn the_lone_calls_assert_test_and_set_replace_delete_prefix_and_count() {
    let fake = abcd("c_lone");
    let mut conn = Conn::to(&fake, 0);
    conn.send(&req(ASSERT, &[CONSISTENT.to_vec(), string(b"a"), option(Some(b"A"))])).ok();
    conn.send(&req(ASSERT, &[CONSISTENT.to_vec(), string(b"a"), option(None)]));
    assert_eq!(conn.error(), (E_ASSERTION_FAILED, b("a")));
    conn.send(&req(ASSERT_EXISTS, &[CONSISTENT.to_vec(), string(b"q")]));
    assert_eq!(conn.error(), (E_ASSERTION_FAILED, b("q")));
    conn.send(&req(TEST_AND_SET, &[string(b"a"), option(Some(b"wrong")), option(Some(b"Z"))])).ok();
    assert_eq!((conn.option(), fake.raw_get(b"a")), (Some(b("A")), Some(b("A"))));
    conn.send(&req(TEST_AND_SET, &[string(b"a"), option(Some(b"A")), option(None)])).ok();
    assert_eq!((conn.option(), fake.raw_get(b"a")), (Some(b("A")), None));
    conn.send(&req(REPLACE, &[string(b"b"), option(Some(b"BB"))])).ok();
    assert_eq!((conn.option(), fake.raw_get(b"b")), (Some(b("B")), Some(b("BB"))));
    conn.send(&req(DELETE_PREFIX, &[string(b"")])).ok();
    assert_eq!(conn.u32(), 3);
    conn.send(&command(GET_KEY_COUNT)).ok();
    assert_eq!(conn.i64(), 0);
    conn.send(&command(NOP)).ok();
    conn.send(&command(EXPECT_PROGRESS_POSSIBLE)).ok();
    assert!(conn.bool());
}

#[test]
fn get_txid_counts_updates_and_at_least_reads_wait_for_them() {
    let fake = FakeArakoon::start("c_txid", 2);
    let mut master = Conn::to(&fake, 0);
    master.send(&command(GET_TXID)).ok();
    assert_eq!(master.bytes(1), [2]);
    let start = master.i64();
    master.send(&req(SET, &[string(b"k"), string(b"v")])).ok();
    master.send(&req(DELETE, &[string(b"missing")])).error();
    master.send(&command(GET_TXID)).ok();
    assert_eq!(master.bytes(1), [2]);
    assert_eq!(master.i64(), start + 2, "a failed update went through consensus too");
    let mut slave = Conn::to(&fake, 1);
    let at_least = |i: i64| [vec![2], i.to_le_bytes().to_vec()].concat();
    slave.send(&req(GET, &[at_least(start + 2), string(b"k")])).ok();
    assert_eq!(slave.string(), b"v");
    slave.send(&req(GET, &[at_least(start + 3), string(b"k")]));
    assert_eq!(slave.error(), (E_INCONSISTENT_READ, b("store not fresh enough")));
}

#[test]
fn values_near_the_limit_are_taken_and_at_it_refused_as_arakoon_does() {
    let fake = FakeArakoon::start("c_limit", 1);
    let mut conn = Conn::to(&fake, 0);
    let just_under = vec![7u8; (8 << 20) - 1];
    conn.send(&req(SET, &[string(b"big"), string(&just_under)])).ok();
    assert_eq!(fake.raw_get(b"big").map(|v| v.len()), Some(just_under.len()));
    let at_limit = vec![7u8; 8 << 20];
    conn.send(&req(SET, &[string(b"big"), string(&at_limit)]));
    assert_eq!(conn.error(), (E_UNKNOWN_FAILURE, b("unknown failure")));
    assert!(conn.closed());
    assert_eq!(fake.raw_get(b"big").map(|v| v.len()), Some(just_under.len()));
}

#[test]
fn an_update_over_the_buffer_size_is_bad_input_and_nothing_is_written() {
    let fake = FakeArakoon::start_with("c_buffer", 1, Limits { max_value_size: 8 << 20, max_buffer_size: 1000 });
    let mut conn = Conn::to(&fake, 0);
    // 4 (Sequence) + 4 (count) + 4 (Set) + 4 + 1 + 4 + 2000.
    conn.send(&sequence(SEQUENCE, &[set_u(b"k", &[1; 2000])]));
    let want = "update Sequence([Set            ;\"k\";2000;\"...\"... (0 more) ]) has size 2021 > 1000";
    assert_eq!(conn.error(), (E_BAD_INPUT, b(want)));
    conn.send(&sequence(SEQUENCE, &[set_u(b"k", &[1; 900])])).ok();
    assert_eq!(fake.raw_get(b"k").map(|v| v.len()), Some(900));
}

#[test]
fn a_killed_node_refuses_connections_and_drops_its_clients_until_revived() {
    let fake = FakeArakoon::start("c_kill", 2);
    let mut before = Conn::to(&fake, 0);
    before.send(&command(WHO_MASTER)).ok().option();
    fake.kill(0);
    assert!(before.send(&command(WHO_MASTER)).closed());
    assert!(TcpStream::connect(fake.addrs()[0]).is_err());
    let mut other = Conn::to(&fake, 1);
    other.send(&command(WHO_MASTER)).ok();
    assert_eq!(other.option(), Some(b("arakoon_0")), "who is master is the test's to say");
    fake.revive(0);
    let mut after = Conn::to(&fake, 0);
    after.send(&req(SET, &[string(b"k"), string(b"v")])).ok();
    assert_eq!(fake.raw_get(b"k"), Some(b("v")));
}

#[test]
fn ini_writes_open_vstorages_client_configuration() {
    let fake = FakeArakoon::start("c_ini", 2);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("arakoon_cacc.ini");
    fake.ini(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("[global]\ncluster_id = c_ini\ncluster = arakoon_0,arakoon_1\n"), "{text}");
    let port = fake.addrs()[1].port();
    assert!(text.contains(&format!("[arakoon_1]\nname = arakoon_1\nip = 127.0.0.1\nclient_port = {port}\n")), "{text}");
}

#[test]
fn the_shared_cluster_is_one_for_the_binary() {
    let shared = util::arakoon::shared();
    assert!(std::ptr::eq(shared, util::arakoon::shared()));
    assert_eq!(shared.addrs().len(), 3);
}

#[test]
fn malformed_requests_close_the_connection_and_the_node_serves_on() {
    let fake = abcd("c_malformed");
    let bad: [Vec<u8>; 5] = [
        // A consistency byte that is none.
        req(GET, &[vec![7], string(b"a")]),
        // A negative string length.
        req(GET, &[CONSISTENT.to_vec(), int(-1)]),
        // A bool that is none.
        req(RANGE_ENTRIES, &[CONSISTENT.to_vec(), vec![2]]),
        // A list longer than what follows, then the end of the connection.
        req(MULTI_GET, &[CONSISTENT.to_vec(), int(1 << 30), string(b"a")]),
        // A string longer than what follows.
        req(SET, &[string(b"k"), int(1 << 30), b"short".to_vec()]),
    ];
    for (i, request) in bad.iter().enumerate() {
        let mut conn = Conn::to(&fake, 0);
        conn.send(request);
        conn.0.shutdown(std::net::Shutdown::Write).unwrap();
        assert!(conn.closed(), "request {i}");
    }
    // Read inside the node's error handler: "unknown failure" first.
    let mut conn = Conn::to(&fake, 0);
    conn.send(&req(PING, &[string(b"me"), int(-5)]));
    assert_eq!(conn.error(), (E_UNKNOWN_FAILURE, b("unknown failure")));
    assert!(conn.closed());
    let mut conn = Conn::to(&fake, 0);
    conn.send(&req(PING, &[string(b"me"), string(b"another")]));
    assert_eq!(conn.error(), (E_UNKNOWN_FAILURE, b("unknown failure")));
    assert!(conn.closed());
    Conn::to(&fake, 0).send(&req(GET, &[CONSISTENT.to_vec(), string(b"a")])).ok();
    assert_eq!(fake.raw_keys(), ["a", "b", "c", "d"].map(b));
}

#[test]
fn what_the_fake_does_not_follow_is_refused_by_name_and_user_functions_are_unknown() {
    let fake = FakeArakoon::start("c_unserved", 1);
    let mut conn = Conn::to(&fake, 0);
    conn.send(&command(0x13));
    assert_eq!(conn.error(), (E_UNKNOWN_FAILURE, b("the fake Arakoon does not serve statistics")));
    assert!(conn.closed());
    let mut conn = Conn::to(&fake, 0);
    let user_function = [int(7), string(b"incr"), option(None)].concat();
    conn.send(&sequence(SEQUENCE, &[set_u(b"k", b"v"), user_function]));
    assert_eq!(conn.error(), (E_UNKNOWN_FAILURE, b("the fake Arakoon does not apply update kind 7")));
    assert!(conn.closed());
    let mut conn = Conn::to(&fake, 0);
    conn.send(&req(0x15, &[string(b"incr"), option(Some(b"k"))]));
    assert_eq!(conn.error(), (E_BAD_INPUT, b("User function \"incr\" could not be found")));
    assert_eq!(fake.raw_keys(), Vec::<Vec<u8>>::new());
}

/// update.ml's Assert_range with a ContainsExactly: its keys a list, so
/// last first on the wire.
fn assert_range_u(prefix: &[u8], wire_keys: &[&[u8]]) -> Vec<u8> {
    let keys: Vec<u8> = wire_keys.iter().flat_map(|k| string(k)).collect();
    [int(17), string(prefix), int(1), int(wire_keys.len() as i32), keys].concat()
}

#[test]
fn assert_range_compares_the_keys_below_a_prefix_sent_last_first() {
    let fake = abcd("c_assert_range");
    fake.raw_set(b"ab", b"AB");
    let mut conn = Conn::to(&fake, 0);
    conn.send(&sequence(SEQUENCE, &[assert_range_u(b"a", &[b"ab", b"a"]), set_u(b"ok", b"1")])).ok();
    assert_eq!(fake.raw_get(b"ok"), Some(b("1")));
    conn.send(&sequence(SEQUENCE, &[set_u(b"no", b"1"), assert_range_u(b"a", &[b"a", b"ab"])]));
    let want = "ContainsExactly [ \"ab; a\" ] actual: a,ab";
    assert_eq!(conn.error(), (E_ASSERTION_FAILED, b(want)));
    assert_eq!(fake.raw_get(b"no"), None);
}
