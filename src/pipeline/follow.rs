//! Following the keys a consumer read (render --watch, exec --watch): block
//! until a change to one of them has settled, as `--wait MIN[:MAX]` says
//! (consul-template's quiescence), while noting the signals the command
//! acts on and riding out the store going away.
//!
//! Each key or prefix of interest is watched with the store's own watcher
//! (a key's watch covers its subtree; changes outside the interest are left
//! out). Over [`MAX_WATCHES`] of them, their closest common prefix is
//! watched instead. A store that went away is watched again once it is
//! back, and that counts as a change: what changed meanwhile is unknown.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::ride_out::{Away, PAUSE};
use super::Ctx;
use crate::interrupt::Kept;
use crate::store::{Key, Store, Watcher};

/// The most watches one follower keeps open.
const MAX_WATCHES: usize = 8;

/// The longest a watcher is waited on before signals and the caller's
/// `tick` are looked at again.
const SLICE: Duration = Duration::from_millis(100);

pub use crate::cli::Wait;

/// How long a burst of changes still has to settle under a [`Wait`].
trait Settle {
    fn settled(&self, first: Instant, last: Instant) -> Option<Duration>;
}

impl Settle for Wait {
    /// Whether a burst that began at `first`, last changed at `last`, has
    /// settled; else how long to wait at most for that.
    fn settled(&self, first: Instant, last: Instant) -> Option<Duration> {
        let calm = (last + self.min).saturating_duration_since(Instant::now());
        let cap = (first + self.max).saturating_duration_since(Instant::now());
        let left = calm.min(cap);
        (!left.is_zero()).then_some(left)
    }
}

/// What a consumer read: keys, and prefixes whose whole subtree matters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interest {
    pub keys: BTreeSet<Key>,
    pub prefixes: BTreeSet<Key>,
}

impl Interest {
    /// Whether a change to `key` matters.
    pub fn matters(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k.as_str() == key) || self.prefixes.iter().any(|p| p.contains(key))
    }

    /// The closest prefix whose subtree holds all of it: what one read of
    /// everything of interest scans.
    pub fn scope(&self) -> Key {
        let all: Vec<Key> = self.keys.iter().chain(&self.prefixes).cloned().collect();
        match all.is_empty() {
            true => Key::root(),
            false => common_prefix(&all),
        }
    }

    /// What to watch: each prefix and key not inside another, or over
    /// [`MAX_WATCHES`] of them their closest common prefix.
    fn roots(&self) -> Vec<Key> {
        let mut all: Vec<&Key> = self.keys.iter().chain(&self.prefixes).collect();
        all.sort();
        let mut roots: Vec<Key> = Vec::new();
        for key in all {
            if !roots.iter().any(|root| root.contains(key.as_str())) {
                roots.push(key.clone());
            }
        }
        if roots.len() <= MAX_WATCHES {
            return roots;
        }
        vec![common_prefix(&roots)]
    }
}

/// The longest prefix, on segment boundaries, that contains every key.
fn common_prefix(keys: &[Key]) -> Key {
    let mut segments: Vec<&str> = keys[0].as_str().split('/').collect();
    for key in &keys[1..] {
        let same = segments.iter().zip(key.as_str().split('/')).take_while(|(a, b)| *a == b).count();
        segments.truncate(same);
    }
    Key::parse(&segments.join("/")).unwrap_or_else(|_| Key::root())
}

/// Why [`Follow::next`] returned.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake {
    /// Something of interest changed, and the burst has settled: the keys
    /// that changed, or None when they are unknown (the store is back after
    /// being away).
    Changed(Option<BTreeSet<String>>),
    /// A kept signal came.
    Signal(i32),
    /// The caller's `tick` asked to return.
    Tick,
}

/// Following one store for a consumer.
pub struct Follow<'a> {
    store: &'a dyn Store,
    interest: Interest,
    wait: Wait,
    signals: &'a Kept,
    /// The open watches; None while the store is away.
    watchers: Option<Vec<Box<dyn Watcher + 'a>>>,
    away: Away<'a>,
}

impl<'a> Follow<'a> {
    /// Start watching what `interest` names. The watches are open when this
    /// returns: a change made after it is not missed.
    pub fn start(
        ctx: &'a Ctx<'a>,
        store: &'a dyn Store,
        interest: Interest,
        wait: Wait,
        signals: &'a Kept,
    ) -> Result<Follow<'a>> {
        let away = Away::new(ctx, store.describe().to_string(), None);
        let mut follow = Follow { store, interest, wait, signals, watchers: None, away };
        follow.open()?;
        Ok(follow)
    }

    /// Follow `interest` from now on (a template that read other keys this
    /// time); the watches are opened again only if they must change.
    /// True when they were: a change made since the caller's last read of
    /// what is new in `interest` may have been missed, so read it again.
    pub fn focus(&mut self, interest: Interest) -> Result<bool> {
        let reopen = interest.roots() != self.interest.roots();
        self.interest = interest;
        if reopen && self.watchers.is_some() {
            self.watchers = None;
            self.open()?;
        }
        Ok(reopen)
    }

    /// Open the watches; Ok(false) while the store is away.
    fn open(&mut self) -> Result<bool> {
        let mut watchers = Vec::new();
        for root in self.interest.roots() {
            match self.store.watch(&root, None) {
                Ok(watcher) => watchers.push(watcher),
                Err(e) => {
                    self.away.failed(e.into())?;
                    return Ok(false);
                }
            }
        }
        self.watchers = Some(watchers);
        self.away.reached();
        Ok(true)
    }

    /// Block until a change of interest has settled, a kept signal came, or
    /// `tick` (asked every [`SLICE`] at most) says to return.
    pub fn next(&mut self, mut tick: impl FnMut() -> Result<bool>) -> Result<Wake> {
        let mut burst: Option<(Instant, Instant)> = None;
        let mut changed = Some(BTreeSet::new());
        loop {
            if let Some(signal) = self.signals.take() {
                return Ok(Wake::Signal(signal));
            }
            if tick()? {
                return Ok(Wake::Tick);
            }
            let budget = match burst {
                Some((first, last)) => match self.wait.settled(first, last) {
                    None => return Ok(Wake::Changed(changed)),
                    Some(left) => left.min(SLICE),
                },
                None => SLICE,
            };
            let came = self.changed(budget)?;
            if came != Some(BTreeSet::new()) {
                changed = match (changed, came) {
                    (Some(mut all), Some(keys)) => {
                        all.extend(keys);
                        Some(all)
                    }
                    _ => None,
                };
                let now = Instant::now();
                burst = Some((burst.map_or(now, |(first, _)| first), now));
            }
        }
    }

    /// The keys of interest that changed within `budget`; None when that is
    /// unknown (the store is back after being away).
    fn changed(&mut self, budget: Duration) -> Result<Option<BTreeSet<String>>> {
        let Follow { watchers, interest, away, .. } = self;
        let Some(open) = watchers.as_mut() else {
            std::thread::sleep(PAUSE);
            return Ok(match self.open()? {
                true => None,
                false => Some(BTreeSet::new()),
            });
        };
        if open.is_empty() {
            std::thread::sleep(budget);
            return Ok(Some(BTreeSet::new()));
        }
        let share = budget / open.len() as u32;
        let mut changed = BTreeSet::new();
        for watcher in open.iter_mut() {
            // Drain what has already arrived, so a batch is seen whole.
            let mut wait = share;
            loop {
                match watcher.next(wait) {
                    Ok(Some(update)) => changed
                        .extend(update.events().iter().filter(|e| interest.matters(&e.key)).map(|e| e.key.clone())),
                    Ok(None) => break,
                    Err(e) => {
                        *watchers = None;
                        away.failed(e.into())?;
                        return Ok(Some(BTreeSet::new()));
                    }
                }
                wait = Duration::ZERO;
            }
        }
        Ok(Some(changed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        Key::parse(text).unwrap()
    }

    fn interest(keys: &[&str], prefixes: &[&str]) -> Interest {
        Interest { keys: keys.iter().map(|k| key(k)).collect(), prefixes: prefixes.iter().map(|p| key(p)).collect() }
    }

    #[test]
    fn wait_takes_min_and_max() {
        let ms = Duration::from_millis;
        assert_eq!(Wait::parse("500ms"), Ok(Wait { min: ms(500), max: ms(2000) }));
        assert_eq!(Wait::parse("1s:3s"), Ok(Wait { min: ms(1000), max: ms(3000) }));
        assert_eq!(Wait::parse("0"), Ok(Wait::OFF));
        assert_eq!(Wait::parse("0:2s"), Ok(Wait { min: ms(0), max: ms(2000) }));
        assert_eq!(Wait::parse("0s"), Ok(Wait::OFF));
        for bad in ["", "x", "2s:1s", "1s:", ":1s", "1s:2s:3s", "-1s"] {
            assert!(Wait::parse(bad).is_err(), "{bad:?} was taken");
        }
    }

    #[test]
    fn a_burst_settles_after_min_of_calm_or_at_max() {
        let wait = Wait { min: Duration::from_secs(10), max: Duration::from_secs(20) };
        let now = Instant::now();
        assert!(wait.settled(now, now).is_some());
        let long_ago = now - Duration::from_secs(30);
        assert_eq!(wait.settled(long_ago, now), None, "MAX caps the wait");
        assert_eq!(wait.settled(now - Duration::from_secs(11), now - Duration::from_secs(11)), None);
        assert_eq!(Wait::OFF.settled(now, now), None);
    }

    #[test]
    fn what_matters_respects_segments() {
        let interest = interest(&["/a/b"], &["/p"]);
        assert!(interest.matters("/a/b") && interest.matters("/p") && interest.matters("/p/x/y"));
        assert!(!interest.matters("/a/b/c") && !interest.matters("/a/bc") && !interest.matters("/px"));
    }

    #[test]
    fn roots_leave_out_what_another_covers() {
        assert_eq!(interest(&["/p/a", "/q"], &["/p"]).roots(), [key("/p"), key("/q")]);
        let many: Vec<String> = (0..20).map(|i| format!("/app/db/k{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(interest(&many, &["/app/web"]).roots(), [key("/app")]);
        assert_eq!(interest(&many, &["/other"]).roots(), [Key::root()]);
        assert_eq!(interest(&["/app/a/x"], &["/app/b"]).scope(), key("/app"));
        assert_eq!(interest(&["/app/a"], &[]).scope(), key("/app/a"));
    }
}
