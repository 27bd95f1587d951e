//! One person as the graph knows them: identifiers (when each was first and last seen, and the
//! message that added it), traits (last write wins, each with the message that set it), the
//! messages (counts plus the newest seqs), accounts, merges, and how two profiles become one.

use std::collections::VecDeque;
use std::sync::Arc;

use std::num::NonZeroU64;

use chrono::{DateTime, Utc};

use super::by_name::ByName;
use super::records::Merge;

/// A profile's id; ids are never reused. A merged-away profile's id stops answering. (Never 0,
/// so that a row's `Option<ProfileId>` is 8 bytes.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProfileId(pub NonZeroU64);

impl std::fmt::Display for ProfileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "p{}", self.0)
    }
}

/// Distinct event names counted per profile; past it, messages count under [`OTHER_EVENTS`].
pub const MAX_EVENT_NAMES: usize = 200;
/// Trait names kept per profile, and the bytes of one trait's value kept (cut with `…`): a
/// profile is small whatever its identify calls carry.
pub const MAX_TRAITS: usize = 200;
pub const MAX_TRAIT_BYTES: usize = 1024;
/// The name counting messages past [`MAX_EVENT_NAMES`].
pub const OTHER_EVENTS: &str = "(other)";
/// Accounts (`groupId`s) kept per profile.
pub const MAX_GROUPS: usize = 100;

/// One identifier held by a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierRecord {
    pub kind: Arc<str>,
    pub value: Arc<str>,
    /// The message that added it (its first sighting).
    pub first_seq: u64,
    pub last_seq: u64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// A trait's latest value (compact JSON text) and the message that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraitValue {
    pub value: String,
    pub seq: u64,
}

/// A person.
#[derive(Debug, Clone)]
pub struct Profile {
    pub(super) id: ProfileId,
    pub(super) identifiers: Vec<IdentifierRecord>,
    pub(super) traits: ByName<TraitValue>,
    pub(super) message_count: u64,
    /// The newest seqs, ascending, at most the graph's `recent_messages`.
    pub(super) recent: VecDeque<u64>,
    pub(super) events: ByName<u64>,
    pub(super) groups: Vec<String>,
    pub(super) merges: Vec<Merge>,
    pub(super) first_seen: DateTime<Utc>,
    pub(super) last_seen: DateTime<Utc>,
}

impl Profile {
    pub(super) fn new(id: ProfileId, at: DateTime<Utc>) -> Profile {
        Profile {
            id,
            identifiers: Vec::new(),
            traits: ByName::default(),
            message_count: 0,
            recent: VecDeque::new(),
            events: ByName::default(),
            groups: Vec::new(),
            merges: Vec::new(),
            first_seen: at,
            last_seen: at,
        }
    }

    pub fn id(&self) -> ProfileId {
        self.id
    }

    /// Its identifiers, in the order they were added.
    pub fn identifiers(&self) -> &[IdentifierRecord] {
        &self.identifiers
    }

    pub fn identifier(&self, kind: &str, value: &str) -> Option<&IdentifierRecord> {
        self.identifiers
            .iter()
            .find(|r| &*r.kind == kind && &*r.value == value)
    }

    /// Traits by name: the latest value of each and the message that set it.
    pub fn traits(&self) -> &ByName<TraitValue> {
        &self.traits
    }

    /// Every message observed for this person (including those no longer in `recent_seqs`).
    pub fn message_count(&self) -> u64 {
        self.message_count
    }

    /// The newest message seqs, ascending (bounded by the graph's `recent_messages`).
    pub fn recent_seqs(&self) -> impl DoubleEndedIterator<Item = u64> + ExactSizeIterator + '_ {
        self.recent.iter().copied()
    }

    /// Message counts by event (`track`'s event name, else the call type).
    pub fn events(&self) -> &ByName<u64> {
        &self.events
    }

    /// Accounts (`groupId`) this person's messages named: account links, not identifiers.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// This profile's id and every profile merged into it, sorted: the ids its people's rows
    /// may carry.
    pub fn members(&self) -> Vec<ProfileId> {
        // A merge carries the merged profile's own merges over, so one level is all of them.
        let mut ids: Vec<ProfileId> = std::iter::once(self.id)
            .chain(self.merges.iter().flat_map(|m| m.joined.iter().copied()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The merges that made this profile, oldest first.
    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }

    pub fn first_seen(&self) -> DateTime<Utc> {
        self.first_seen
    }

    pub fn last_seen(&self) -> DateTime<Utc> {
        self.last_seen
    }

    /// Counts one message (seq, time, event name, account).
    pub(super) fn record_message(
        &mut self,
        seq: u64,
        at: DateTime<Utc>,
        event: &str,
        group: Option<&str>,
        keep: usize,
    ) {
        self.message_count += 1;
        // Seqs arrive ascending from a stream; keep the order if a caller replays out of order.
        if self.recent.back().is_none_or(|&last| last <= seq) {
            self.recent.push_back(seq);
        } else {
            let at_index = self.recent.partition_point(|&s| s <= seq);
            self.recent.insert(at_index, seq);
        }
        while self.recent.len() > keep {
            self.recent.pop_front();
        }
        self.first_seen = self.first_seen.min(at);
        self.last_seen = self.last_seen.max(at);
        if let Some(n) = self.events.get_mut(event) {
            *n += 1;
        } else {
            let name = if self.events.len() < MAX_EVENT_NAMES {
                event
            } else {
                OTHER_EVENTS
            };
            match self.events.get_mut(name) {
                Some(n) => *n += 1,
                None => {
                    self.events.insert(name.to_string(), 1);
                }
            }
        }
        if let Some(group) = group
            && self.groups.len() < MAX_GROUPS
            && !self.groups.iter().any(|g| g == group)
        {
            self.groups.push(group.to_string());
        }
    }

    /// Sets a trait unless a later message already set it. Past [`MAX_TRAITS`] names, new
    /// ones are not kept; a value's text is cut at [`MAX_TRAIT_BYTES`].
    pub(super) fn set_trait(&mut self, name: &str, mut value: String, seq: u64) {
        if value.len() > MAX_TRAIT_BYTES {
            let mut end = MAX_TRAIT_BYTES;
            while !value.is_char_boundary(end) {
                end -= 1;
            }
            value.truncate(end);
            value.push('…');
        }
        let room = self.traits.len() < MAX_TRAITS;
        match self.traits.get_mut(name) {
            Some(existing) if existing.seq > seq => {}
            Some(existing) => *existing = TraitValue { value, seq },
            None if room => {
                self.traits
                    .insert(name.to_string(), TraitValue { value, seq });
            }
            None => {}
        }
    }

    /// Takes everything `other` holds (its identifiers are already re-pointed by the graph).
    pub(super) fn absorb(&mut self, other: Profile, keep: usize) {
        self.identifiers.extend(other.identifiers);
        for (name, value) in other.traits {
            self.set_trait(&name, value.value, value.seq);
        }
        self.message_count += other.message_count;
        let mut recent: Vec<u64> = self.recent.drain(..).chain(other.recent).collect();
        recent.sort_unstable();
        recent.dedup();
        let skip = recent.len().saturating_sub(keep);
        self.recent = recent.into_iter().skip(skip).collect();
        for (event, n) in other.events {
            if let Some(mine) = self.events.get_mut(&event) {
                *mine += n;
            } else {
                let name = if self.events.len() < MAX_EVENT_NAMES {
                    event
                } else {
                    OTHER_EVENTS.to_string()
                };
                match self.events.get_mut(&name) {
                    Some(mine) => *mine += n,
                    None => {
                        self.events.insert(name, n);
                    }
                }
            }
        }
        for group in other.groups {
            if self.groups.len() < MAX_GROUPS && !self.groups.contains(&group) {
                self.groups.push(group);
            }
        }
        self.merges.extend(other.merges);
        self.merges.sort_by_key(|m| m.seq);
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
    }
}
