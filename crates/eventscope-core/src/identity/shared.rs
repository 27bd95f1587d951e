//! Identifiers seen with many people: for each identifier a refused merge gave up (an in-store
//! iPad's device id, a hard-coded anonymousId), the distinct user ids refusals showed beside it
//! and the message that first did. Bounded in count and bytes (see the constants).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use super::graph::abbreviate;
use super::identifiers::Identifier;
use super::records::Shared;

type FastMap<K, V> = foldhash::HashMap<K, V>;

/// Identifiers tracked at most; past it new ones are counted, not tracked.
pub const MAX_SHARED_IDENTIFIERS: usize = 1_000;
/// Distinct user ids kept per identifier (16 bytes each: a hash and a seq). With
/// [`MAX_SHARED_IDENTIFIERS`] and [`MAX_KEY_BYTES`] the whole record stays under ~17 MB.
pub const MAX_USERS_PER_IDENTIFIER: usize = 1_000;
/// Identifier values longer than this are not tracked (an id is short; this bounds the keys).
pub const MAX_KEY_BYTES: usize = 256;
/// Seqs named in one [`Shared`] (the newest).
pub const MAX_SHARED_SEQS: usize = 20;
/// User ids named in one [`Shared`] (the first, abbreviated).
const NAMED_USERS: usize = 3;

#[derive(Debug, Default)]
pub(super) struct SharedIdentifiers {
    records: FastMap<(Arc<str>, Box<str>), UsersSeen>,
    /// Identifiers not tracked because the record was full or the value too long.
    untracked: u64,
}

#[derive(Debug, Default)]
struct UsersSeen {
    /// (hash of the user id, the seq that first showed it here), in the order seen.
    users: Vec<(u64, u64)>,
    named: Vec<String>,
}

impl SharedIdentifiers {
    /// Records that a refusal showed `identifier` with `users` (user id, the seq that showed
    /// it); answers the identifier's record when this added a user id and it now has more than
    /// `threshold`.
    pub(super) fn add(
        &mut self,
        kind: &Arc<str>,
        value: &str,
        users: &[(&str, u64)],
        threshold: usize,
    ) -> Option<Shared> {
        if value.len() > MAX_KEY_BYTES {
            self.untracked += 1;
            return None;
        }
        let key = (Arc::clone(kind), Box::<str>::from(value));
        if !self.records.contains_key(&key) && self.records.len() >= MAX_SHARED_IDENTIFIERS {
            self.untracked += 1;
            return None;
        }
        let seen = self.records.entry(key).or_default();
        let before = seen.users.len();
        for &(user, seq) in users {
            let hash = hash(user);
            if seen.users.len() >= MAX_USERS_PER_IDENTIFIER {
                break;
            }
            if seen.users.iter().any(|(h, _)| *h == hash) {
                continue;
            }
            seen.users.push((hash, seq));
            if seen.named.len() < NAMED_USERS {
                seen.named.push(abbreviate(user));
            }
        }
        if seen.users.len() == before || seen.users.len() <= threshold {
            return None;
        }
        let mut seqs: Vec<u64> = seen.users.iter().map(|(_, seq)| *seq).collect();
        seqs.sort_unstable();
        seqs.dedup();
        let skip = seqs.len().saturating_sub(MAX_SHARED_SEQS);
        Some(Shared {
            identifier: Identifier {
                kind: kind.to_string().into(),
                value: value.to_string().into(),
            },
            users: seen.users.len(),
            named: seen.named.clone(),
            seqs: seqs.split_off(skip),
        })
    }

    pub(super) fn untracked(&self) -> u64 {
        self.untracked
    }
}

/// A user id's fingerprint: 64 bits tell distinct ids apart without keeping them.
fn hash(user: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    user.hash(&mut hasher);
    hasher.finish()
}
