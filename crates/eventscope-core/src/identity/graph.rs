//! The identity graph: profiles made by flat matching, fed message by message. A message's
//! identifiers are looked up; none held → a new profile, one profile → added to it, several →
//! merged — unless a limit would be exceeded, in which case the message's lowest-priority
//! identifier is demoted (recorded as a refusal) and matching is tried again. Alias links are
//! kept beside the graph. Memory is bounded: a cap on identifiers, the newest seqs per profile,
//! the newest refusals and alias links.

use std::collections::VecDeque;
use std::num::NonZeroU64;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::identifiers::{BlockedValue, Identifier, promote};
use super::profile::{IdentifierRecord, Profile, ProfileId};
use super::records::{AliasLink, Merge, Observed, RULE_LIMIT, Refusal};
use super::settings::{IdentitySettings, USER_ID};
use super::shared::SharedIdentifiers;
use crate::model::json::Json;

type FastMap<K, V> = foldhash::HashMap<K, V>;

/// Message seqs kept per profile by default (counts are always whole).
pub const DEFAULT_RECENT_MESSAGES: usize = 10_000;
/// Refusals and alias links kept (the newest; totals are always whole).
pub const MAX_RECORDS: usize = 100_000;

/// Profiles, the identifiers that point at them, and what was decided on the way.
#[derive(Debug)]
pub struct IdentityGraph {
    settings: Arc<IdentitySettings>,
    recent_messages: usize,
    /// Keep identify traits on profiles (off where only the ids matter: `check`).
    keep_traits: bool,
    /// Boxed: a map's spare slots then cost a pointer, not a whole profile.
    profiles: FastMap<ProfileId, Box<Profile>>,
    /// Identifier value → (type, profile) for every identifier held.
    /// (The value's text is shared with the profile's record of it.)
    index: FastMap<Arc<str>, Vec<(Arc<str>, ProfileId)>>,
    /// A merged-away profile → the profile it joined.
    redirects: FastMap<ProfileId, ProfileId>,
    kinds: Vec<Arc<str>>,
    next_id: NonZeroU64,
    identifier_count: usize,
    dropped_identifiers: u64,
    refusals: VecDeque<Refusal>,
    refusal_total: u64,
    aliases: VecDeque<AliasLink>,
    alias_total: u64,
    merge_total: u64,
    /// Identifiers refusals showed with several user ids (bounded: see `shared.rs`).
    shared: SharedIdentifiers,
}

impl IdentityGraph {
    pub fn new(settings: IdentitySettings) -> IdentityGraph {
        IdentityGraph {
            settings: Arc::new(settings),
            recent_messages: DEFAULT_RECENT_MESSAGES,
            keep_traits: true,
            profiles: FastMap::default(),
            index: FastMap::default(),
            redirects: FastMap::default(),
            kinds: Vec::new(),
            next_id: NonZeroU64::MIN,
            identifier_count: 0,
            dropped_identifiers: 0,
            refusals: VecDeque::new(),
            refusal_total: 0,
            aliases: VecDeque::new(),
            alias_total: 0,
            merge_total: 0,
            shared: SharedIdentifiers::default(),
        }
    }

    /// Keeps the newest `n` message seqs per profile (at least 1).
    pub fn with_recent_messages(mut self, n: usize) -> IdentityGraph {
        self.recent_messages = n.max(1);
        self
    }

    /// Keeps no traits: a profile then grows only with its identifiers (bounded by the cap),
    /// not with every trait name a stream sends.
    pub fn without_traits(mut self) -> IdentityGraph {
        self.keep_traits = false;
        self
    }

    pub fn settings(&self) -> &IdentitySettings {
        &self.settings
    }

    /// Feeds one message: `seq` names it in every record, `at` (its timestamp) places it in
    /// limit windows and first/last seen.
    pub fn observe(&mut self, seq: u64, at: DateTime<Utc>, message: &Json<'_>) -> Observed {
        let settings = Arc::clone(&self.settings);
        let promoted = promote(message, &settings);
        let mut candidates = promoted.identifiers;
        candidates.sort_by(|a, b| settings.rank(&a.kind).cmp(&settings.rank(&b.kind)));

        let mut observed = Observed {
            blocked: promoted
                .blocked
                .into_iter()
                .map(BlockedValue::into_owned)
                .collect(),
            ..Observed::default()
        };

        // Demote the lowest-priority identifier until the match breaks no limit.
        let matched = loop {
            let (matched, all_held) = self.matching(&candidates);
            // Identifiers one profile already holds can break no limit (the common case).
            let checked = if all_held && matched.len() == 1 {
                None
            } else {
                self.exceeded(&candidates, &matched, at)
            };
            let Some((kind, count)) = checked else {
                break matched;
            };
            let Some(demoted) = candidates.pop() else {
                break Vec::new();
            };
            // Whose limit it is: the identifier given up ("3rd user_id for anonymous_id 9f…"),
            // or, when that is itself the extra value, the message's highest-priority one
            // ("6th anonymous_id for user_id abc123").
            let about = match candidates.first() {
                Some(first) if demoted.kind == kind => first,
                _ => &demoted,
            };
            let detail = format!(
                "{} {kind} for {} {}",
                ordinal(count),
                about.kind,
                abbreviate(&about.value)
            );
            let refusal = Refusal {
                seq,
                rule: RULE_LIMIT,
                profile: self.holder(&demoted.kind, &demoted.value),
                detail,
                exceeded: kind,
                identifier: demoted.into_owned(),
            };
            self.note_shared(seq, &refusal, &candidates, &mut observed);
            observed.refused.push(refusal);
        };

        let profile = match matched.as_slice() {
            [] if candidates.is_empty() => None,
            [] if self.identifier_count >= settings.max_identifiers => {
                observed.dropped += candidates.len();
                None
            }
            [] => {
                let id = ProfileId(self.next_id);
                self.next_id = self.next_id.saturating_add(1);
                self.profiles.insert(id, Box::new(Profile::new(id, at)));
                observed.created = true;
                Some(id)
            }
            [one] => Some(*one),
            several => {
                let merge = self.merge(seq, several, &candidates);
                let into = merge.into;
                observed.merge = Some(merge);
                Some(into)
            }
        };

        if let Some(id) = profile {
            observed.dropped += self.add(id, seq, at, &candidates);
            let event = match message.get("type").and_then(Json::as_str) {
                Some("track") => message
                    .get("event")
                    .and_then(Json::as_str)
                    .unwrap_or("track"),
                Some(call) => call,
                None => "(no type)",
            };
            let group = promoted.group_id.as_deref();
            let keep = self.recent_messages;
            if let Some(p) = self.profiles.get_mut(&id) {
                p.record_message(seq, at, event, group, keep);
                if self.keep_traits
                    && message.get("type").and_then(Json::as_str) == Some("identify")
                    && let Some(traits) = message.get("traits").and_then(Json::as_object)
                {
                    for (name, value) in traits {
                        p.set_trait(name, value.to_string(), seq);
                    }
                }
            }
        }
        self.dropped_identifiers += observed.dropped as u64;
        observed.profile = profile;

        if let Some(alias) = promoted.alias {
            let link = AliasLink {
                seq,
                previous_id: alias.previous_id.into_owned(),
                user_id: alias.user_id.into_owned(),
            };
            push_bounded(&mut self.aliases, link.clone());
            self.alias_total += 1;
            observed.alias = Some(link);
        }
        for refusal in &observed.refused {
            push_bounded(&mut self.refusals, refusal.clone());
            self.refusal_total += 1;
        }
        observed
    }

    /// Records the user ids a refusal showed beside its demoted identifier (those of the
    /// profile holding it, and the message's own); notes the identifier in `observed` when it
    /// is now seen with more than `shared_identifier_users`.
    fn note_shared(
        &mut self,
        seq: u64,
        refusal: &Refusal,
        candidates: &[Identifier<'_>],
        observed: &mut Observed,
    ) {
        let demoted = &refusal.identifier;
        if demoted.kind == USER_ID {
            return;
        }
        let mut users: Vec<(&str, u64)> = refusal
            .profile
            .and_then(|p| self.profiles.get(&p))
            .map(|p| {
                p.identifiers
                    .iter()
                    .filter(|r| &*r.kind == USER_ID)
                    .map(|r| (r.value.as_ref(), r.first_seq))
                    .collect()
            })
            .unwrap_or_default();
        users.extend(
            candidates
                .iter()
                .filter(|c| c.kind == USER_ID)
                .map(|c| (c.value.as_ref(), seq)),
        );
        if users.is_empty() {
            return;
        }
        users.sort_by_key(|(_, seq)| *seq);
        let kind = match self.kinds.iter().find(|k| ***k == *demoted.kind) {
            Some(k) => Arc::clone(k),
            None => Arc::from(demoted.kind.as_ref()),
        };
        let threshold = self.settings.shared_identifier_users;
        if let Some(shared) = self.shared.add(&kind, &demoted.value, &users, threshold) {
            observed.shared.push(shared);
        }
    }

    /// The distinct profiles holding any of `candidates`, in the candidates' order, and
    /// whether every candidate is held.
    fn matching(&self, candidates: &[Identifier<'_>]) -> (Vec<ProfileId>, bool) {
        let mut matched = Vec::new();
        let mut all_held = true;
        for c in candidates {
            match self.holder(&c.kind, &c.value) {
                Some(id) if !matched.contains(&id) => matched.push(id),
                Some(_) => {}
                None => all_held = false,
            }
        }
        (matched, all_held)
    }

    /// The first identifier type (by priority) whose limit the match would exceed, and how
    /// many values of it the joined profile would hold. A limit is exceeded only by what the
    /// message brings: a profile already holding its values again is never refused.
    fn exceeded(
        &self,
        candidates: &[Identifier<'_>],
        matched: &[ProfileId],
        at: DateTime<Utc>,
    ) -> Option<(String, usize)> {
        let profiles: Vec<&Profile> = matched
            .iter()
            .filter_map(|id| self.profiles.get(id).map(|p| &**p))
            .collect();
        let mut kinds: Vec<&str> = candidates.iter().map(|c| c.kind.as_ref()).collect();
        for p in &profiles {
            kinds.extend(p.identifiers.iter().map(|r| r.kind.as_ref()));
        }
        kinds.sort_by_key(|k| self.settings.rank(k));
        kinds.dedup();
        for kind in kinds {
            let limit = self.settings.limit(kind);
            let since = limit.period.and_then(|p| {
                chrono::Duration::from_std(p.length())
                    .ok()
                    .and_then(|d| at.checked_sub_signed(d))
            });
            let in_message = |value: &str| {
                candidates
                    .iter()
                    .any(|c| c.kind == kind && c.value == value)
            };
            // Values of `kind` a profile counts now: seen within the window, or seen again.
            let counted = |r: &&IdentifierRecord| {
                &*r.kind == kind && (since.is_none_or(|s| r.last_seen >= s) || in_message(&r.value))
            };
            let mut values: Vec<&str> = candidates
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| c.value.as_ref())
                .collect();
            let mut most_in_one = 0;
            for p in &profiles {
                let held: Vec<&str> = p
                    .identifiers
                    .iter()
                    .filter(counted)
                    .map(|r| r.value.as_ref())
                    .collect();
                most_in_one = most_in_one.max(held.len());
                values.extend(held);
            }
            values.sort_unstable();
            values.dedup();
            if values.len() > limit.count as usize && values.len() > most_in_one {
                return Some((kind.to_string(), values.len()));
            }
        }
        None
    }

    /// Joins `several` profiles into the one with most messages; re-points their identifiers.
    fn merge(&mut self, seq: u64, several: &[ProfileId], candidates: &[Identifier<'_>]) -> Merge {
        let mut joined = several.to_vec();
        joined.sort_by_key(|id| {
            let messages = self.profiles.get(id).map_or(0, |p| p.message_count());
            (std::cmp::Reverse(messages), *id)
        });
        let into = joined[0];
        let by = candidates
            .iter()
            .filter(|c| self.holder(&c.kind, &c.value).is_some())
            .map(|c| c.clone().into_owned())
            .collect();
        for &gone in &joined[1..] {
            let Some(other) = self.profiles.remove(&gone) else {
                continue;
            };
            for record in &other.identifiers {
                if let Some(entries) = self.index.get_mut(&*record.value) {
                    for entry in entries.iter_mut().filter(|(k, _)| *k == record.kind) {
                        entry.1 = into;
                    }
                }
            }
            self.redirects.insert(gone, into);
            if let Some(survivor) = self.profiles.get_mut(&into) {
                survivor.absorb(*other, self.recent_messages);
            }
        }
        let merge = Merge {
            seq,
            into,
            joined,
            by,
        };
        if let Some(survivor) = self.profiles.get_mut(&into) {
            survivor.merges.push(merge.clone());
        }
        self.merge_total += 1;
        merge
    }

    /// Adds the message's identifiers to `id` (or refreshes them); answers how many new ones
    /// the cap dropped.
    fn add(
        &mut self,
        id: ProfileId,
        seq: u64,
        at: DateTime<Utc>,
        candidates: &[Identifier<'_>],
    ) -> usize {
        let mut dropped = 0;
        // Exactly what this message adds: a million profiles × spare capacity adds up.
        let new = candidates
            .iter()
            .filter(|c| self.holder(&c.kind, &c.value).is_none())
            .count();
        if let Some(profile) = self.profiles.get_mut(&id) {
            profile.identifiers.reserve_exact(new);
        }
        for c in candidates {
            let held = self.holder(&c.kind, &c.value).is_some();
            if !held && self.identifier_count >= self.settings.max_identifiers {
                dropped += 1;
                continue;
            }
            let kind = self.intern(&c.kind);
            let Some(profile) = self.profiles.get_mut(&id) else {
                return dropped;
            };
            if held {
                if let Some(r) = profile
                    .identifiers
                    .iter_mut()
                    .find(|r| r.kind == kind && *r.value == *c.value)
                {
                    r.last_seq = r.last_seq.max(seq);
                    r.last_seen = r.last_seen.max(at);
                }
                continue;
            }
            let value: Arc<str> = match self.index.get_key_value(c.value.as_ref()) {
                Some((held, _)) => Arc::clone(held),
                None => c.value.as_ref().into(),
            };
            profile.identifiers.push(IdentifierRecord {
                kind: Arc::clone(&kind),
                value: Arc::clone(&value),
                first_seq: seq,
                last_seq: seq,
                first_seen: at,
                last_seen: at,
            });
            // Most values are held under one type by one profile: no spare slots.
            self.index
                .entry(value)
                .or_insert_with(|| Vec::with_capacity(1))
                .push((kind, id));
            self.identifier_count += 1;
        }
        dropped
    }

    fn intern(&mut self, kind: &str) -> Arc<str> {
        if let Some(k) = self.kinds.iter().find(|k| &***k == kind) {
            return Arc::clone(k);
        }
        let k: Arc<str> = kind.into();
        self.kinds.push(Arc::clone(&k));
        k
    }

    /// The profile holding the identifier (`kind`, `value`).
    fn holder(&self, kind: &str, value: &str) -> Option<ProfileId> {
        self.index
            .get(value)?
            .iter()
            .find(|(k, _)| &**k == kind)
            .map(|(_, id)| *id)
    }

    /// The profile holding the identifier (`kind`, `value`).
    pub fn profile_of_identifier(&self, kind: &str, value: &str) -> Option<&Profile> {
        self.profiles.get(&self.holder(kind, value)?).map(|p| &**p)
    }

    /// The profile holding `value` as an identifier of any type (the first type added, if
    /// several profiles hold it under different types).
    pub fn profile_of(&self, value: &str) -> Option<&Profile> {
        let (_, id) = self.index.get(value)?.first()?;
        self.profiles.get(id).map(|p| &**p)
    }

    pub fn profile(&self, id: ProfileId) -> Option<&Profile> {
        self.profiles.get(&id).map(|p| &**p)
    }

    /// The profile `id` is now part of (itself, or the profile it was merged into).
    pub fn current(&self, mut id: ProfileId) -> Option<ProfileId> {
        while !self.profiles.contains_key(&id) {
            id = *self.redirects.get(&id)?;
        }
        Some(id)
    }

    /// The profile ids that are now the person holding `value` (any identifier type): its
    /// profile and every profile merged into it, sorted. Empty when no profile holds it.
    pub fn members_of(&self, value: &str) -> Vec<ProfileId> {
        self.profile_of(value)
            .map_or_else(Vec::new, Profile::members)
    }

    /// Every profile, most messages first (ties: oldest profile first).
    pub fn profiles_by_size(&self) -> Vec<&Profile> {
        let mut all: Vec<&Profile> = self.profiles.values().map(|p| &**p).collect();
        all.sort_by_key(|p| (std::cmp::Reverse(p.message_count()), p.id()));
        all
    }

    /// How many profiles there are.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Identifiers held (at most the settings' `max_identifiers`).
    pub fn identifier_count(&self) -> usize {
        self.identifier_count
    }

    /// New identifiers not kept because the cap was reached.
    pub fn dropped_identifiers(&self) -> u64 {
        self.dropped_identifiers
    }

    /// The newest refusals (at most [`MAX_RECORDS`]), oldest first.
    pub fn refusals(&self) -> impl DoubleEndedIterator<Item = &Refusal> + ExactSizeIterator {
        self.refusals.iter()
    }

    /// Every refusal ever recorded, including those no longer kept.
    pub fn refusal_total(&self) -> u64 {
        self.refusal_total
    }

    /// The newest alias links (at most [`MAX_RECORDS`]), oldest first.
    pub fn aliases(&self) -> impl DoubleEndedIterator<Item = &AliasLink> + ExactSizeIterator {
        self.aliases.iter()
    }

    pub fn alias_total(&self) -> u64 {
        self.alias_total
    }

    /// Identifiers refused merges gave up that were not tracked for
    /// `identity/shared-identifier` (the record was full, or the value too long).
    pub fn shared_untracked(&self) -> u64 {
        self.shared.untracked()
    }

    /// Merges ever made.
    pub fn merge_total(&self) -> u64 {
        self.merge_total
    }
}

fn push_bounded<T>(records: &mut VecDeque<T>, record: T) {
    if records.len() >= MAX_RECORDS {
        records.pop_front();
    }
    records.push_back(record);
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, `21st`.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A value short enough for a sentence: the first 8 characters and `…` past 12.
pub fn abbreviate(value: &str) -> String {
    if value.chars().count() <= 12 {
        value.to_string()
    } else {
        let head: String = value.chars().take(8).collect();
        format!("{head}…")
    }
}
