//! Identity verdicts that need the messages before this one (`identity/…`): a merge a limit
//! refused, an identifier shared by too many user ids, an alias Unify would not follow. Read
//! from what the identity graph decided when it observed the message; each finding names the
//! other messages involved (`seqs`) so a person can jump to them.

use super::super::{Finding, Kind, Severity};
use crate::identity::{
    ANONYMOUS_ID, AliasLink, IdentifierRecord, IdentityGraph, MAX_SHARED_SEQS, Observed, Period,
    Profile, Refusal, Shared, USER_ID, abbreviate,
};

/// A merge refused by a limit: the message's lowest-priority identifier was not added.
pub const MERGE_REFUSED: &str = "identity/merge-refused";
/// One identifier seen with more user ids than `shared_identifier_users` across refused merges.
pub const SHARED_IDENTIFIER: &str = "identity/shared-identifier";
/// An `alias` whose two ids are in two profiles: the alias is their only link.
pub const ALIAS_ONLY_LINK: &str = "identity/alias-only-link";
/// An `alias` whose `previousId` was never seen as an identifier.
pub const ALIAS_UNSEEN_PREVIOUS: &str = "identity/alias-unseen-previous";

/// Values named in a sentence before "and N more".
const NAMED: usize = 3;

/// The findings for the message the graph just observed (`observed` is what `observe` said of
/// it; `graph` is the graph after it).
pub fn across(observed: &Observed, graph: &IdentityGraph) -> Vec<Finding> {
    let mut out = Vec::new();
    for refusal in &observed.refused {
        out.push(merge_refused(refusal, observed, graph));
    }
    let this = observed.refused.first().map(|r| r.seq);
    for shared in &observed.shared {
        out.push(shared_identifier(shared, this, graph));
    }
    if let Some(alias) = &observed.alias {
        out.extend(alias_finding(alias, observed, graph));
    }
    out
}

/// "2nd user_id for anonymous_id 9f1c2e…: shared device or hard-coded id?", what Unify did
/// instead, and the messages that put the conflicting values in the profile.
fn merge_refused(refusal: &Refusal, observed: &Observed, graph: &IdentityGraph) -> Finding {
    let demoted = &refusal.identifier;
    let joined = observed.profile.and_then(|p| graph.current(p));
    let holder = refusal.profile.and_then(|p| graph.current(p));
    let what = match joined {
        Some(p) if observed.created => format!("the message started a new profile {p}"),
        Some(p) => format!("the message joined profile {p}"),
        None => "the message joined no profile".to_string(),
    };
    // The profile the merge was refused with: the one holding the demoted identifier, else
    // (it was new) one a later demotion of the same message gave up; the one joined if none.
    let holder = holder.filter(|h| Some(*h) != joined).or_else(|| {
        observed
            .refused
            .iter()
            .filter_map(|r| r.profile.and_then(|p| graph.current(p)))
            .find(|h| Some(*h) != joined)
    });
    let other_id = holder.or(joined);
    let other = other_id.and_then(|p| graph.profile(p));
    let conflicting: Vec<&IdentifierRecord> = other
        .map(|p| {
            p.identifiers()
                .iter()
                .filter(|r| *r.kind == *refusal.exceeded && r.first_seq != refusal.seq)
                .collect()
        })
        .unwrap_or_default();
    let mut seqs: Vec<u64> = conflicting.iter().map(|r| r.first_seq).collect();
    if let Some(record) = holder
        .and_then(|h| graph.profile(h))
        .and_then(|p| p.identifier(&demoted.kind, &demoted.value))
        .filter(|r| r.first_seq != refusal.seq)
    {
        seqs.push(record.first_seq);
    }
    let instead = match (holder, other) {
        (Some(h), Some(p)) => format!(
            "{what} instead of merging into {h}, which holds {}",
            holds(p, &refusal.exceeded, &conflicting)
        ),
        (_, Some(p)) if !conflicting.is_empty() => {
            format!(
                "{what}, which holds {}",
                holds(p, &refusal.exceeded, &conflicting)
            )
        }
        _ => what,
    };
    let limit = graph.settings().limit(&refusal.exceeded);
    let per = match limit.period {
        None => "",
        Some(Period::Daily) => " a day",
        Some(Period::Weekly) => " a week",
        Some(Period::Monthly) => " a month",
        Some(Period::Annually) => " a year",
    };
    Finding::new(
        Kind::Identity,
        MERGE_REFUSED,
        path_of(&demoted.kind, graph),
        Severity::Warning,
        format!(
            "{}: shared device or hard-coded id? Unify would not add {} {} to this message's \
             profile: {instead}",
            refusal.detail,
            demoted.kind,
            abbreviate(&demoted.value)
        ),
    )
    .expected(format!(
        "at most {} {}{per} per profile ([identity] limits)",
        limit.count, refusal.exceeded
    ))
    .actual(refusal.detail.clone())
    .seqs(first(seqs))
}

/// "user_id u1 (seq 1)", "anonymous_id a1 (seq 1), a2 (seq 2), a3 (seq 4) and 2 more".
fn holds(profile: &Profile, kind: &str, records: &[&IdentifierRecord]) -> String {
    if records.is_empty() {
        return format!("its own {kind}s ({} in all)", profile.identifiers().len());
    }
    let named: Vec<String> = records
        .iter()
        .take(NAMED)
        .map(|r| format!("{} (seq {})", abbreviate(&r.value), r.first_seq))
        .collect();
    let more = records.len().saturating_sub(NAMED);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("{kind} {}{tail}", named.join(", "))
}

/// "ios.id ipad-store has been seen with 6 user ids …".
fn shared_identifier(shared: &Shared, this: Option<u64>, graph: &IdentityGraph) -> Finding {
    let id = &shared.identifier;
    let named = if shared.users > shared.named.len() {
        format!("{}, …", shared.named.join(", "))
    } else {
        shared.named.join(", ")
    };
    let threshold = graph.settings().shared_identifier_users;
    Finding::new(
        Kind::Identity,
        SHARED_IDENTIFIER,
        path_of(&id.kind, graph),
        Severity::Warning,
        format!(
            "{} {} has been seen with {} user ids across refused merges ({named}): a shared \
             device (an in-store iPad) or a hard-coded id? Unify keeps those people apart only \
             by its limits",
            id.kind,
            abbreviate(&id.value),
            shared.users
        ),
    )
    .expected(format!(
        "at most {threshold} user ids per {} ([identity] shared_identifier_users)",
        id.kind
    ))
    .actual(format!("{} user ids", shared.users))
    .seqs(shared.seqs.iter().copied().filter(|s| Some(*s) != this))
}

/// `alias-only-link` when the alias's ids are in two profiles, `alias-unseen-previous` when its
/// `previousId` was never an identifier.
fn alias_finding(alias: &AliasLink, observed: &Observed, graph: &IdentityGraph) -> Option<Finding> {
    let previous = &alias.previous_id;
    let Some(previous_profile) = graph.profile_of(previous) else {
        let mut message = format!(
            "alias previousId {previous:?} was never seen as an identifier: the alias links \
             userId {:?} to an id no message carried (a typo, an id from another system, or \
             messages from before this recording)",
            alias.user_id
        );
        let dropped = graph.dropped_identifiers();
        if dropped > 0 {
            message.push_str(&format!(
                "; the identity graph is full ({dropped} new identifiers dropped), so it may \
                 have been one of them"
            ));
        }
        return Some(
            Finding::new(
                Kind::Identity,
                ALIAS_UNSEEN_PREVIOUS,
                "previousId",
                Severity::Info,
                message,
            )
            .expected("a previousId an earlier message carried (anonymousId or userId)"),
        );
    };
    let user_profile = graph
        .profile_of_identifier(USER_ID, &alias.user_id)
        .or_else(|| observed.profile.and_then(|p| graph.profile(p)))?;
    if previous_profile.id() == user_profile.id() {
        return None;
    }
    let previous_record = previous_profile
        .identifiers()
        .iter()
        .find(|r| *r.value == **previous)?;
    let user_record = user_profile.identifier(USER_ID, &alias.user_id);
    let seqs = [Some(previous_record), user_record]
        .into_iter()
        .flatten()
        .flat_map(|r| [r.first_seq, r.last_seq])
        .filter(|s| *s != alias.seq);
    let fix = match &*previous_record.kind {
        ANONYMOUS_ID => format!(
            "send an identify with both ids (userId {:?}, anonymousId {previous:?})",
            alias.user_id
        ),
        USER_ID => "Unify keeps one user_id per profile, so two userIds stay two people: \
                    if they are one person, send one userId for them"
            .to_string(),
        kind => format!(
            "send an identify with both ids (userId {:?} and the {kind} {previous:?})",
            alias.user_id
        ),
    };
    Some(
        Finding::new(
            Kind::Identity,
            ALIAS_ONLY_LINK,
            "previousId",
            Severity::Warning,
            format!(
                "alias joins {} {} ({}, {}) to userId {} ({}, {}): joined in Mixpanel, \
                 two profiles in Unify (alias can't merge Unify profiles): {fix}",
                previous_record.kind,
                abbreviate(previous),
                previous_profile.id(),
                seen(previous_record, alias.seq),
                abbreviate(&alias.user_id),
                user_profile.id(),
                user_record.map_or_else(|| "not held".to_string(), |r| seen(r, alias.seq)),
            ),
        )
        .expected("one profile holding both ids (an identify or track carrying both)")
        .actual(format!(
            "{} and {}",
            previous_profile.id(),
            user_profile.id()
        ))
        .seqs(seqs),
    )
}

/// "seen at seq 3", "seen at seqs 3–9", or "first seen here" for an identifier this message
/// added.
fn seen(record: &IdentifierRecord, this: u64) -> String {
    match (record.first_seq, record.last_seq) {
        (first, _) if first == this => "first seen here".to_string(),
        (first, last) if first == last || last == this => format!("seen at seq {first}"),
        (first, last) => format!("seen at seqs {first}–{last}"),
    }
}

/// The earliest seqs, at most [`MAX_SHARED_SEQS`] (sorted and deduplicated by the finding).
fn first(mut seqs: Vec<u64>) -> Vec<u64> {
    seqs.sort_unstable();
    seqs.dedup();
    seqs.truncate(MAX_SHARED_SEQS);
    seqs
}

/// Where in a message an identifier type is read (`""` when it has several places, as email).
fn path_of(kind: &str, graph: &IdentityGraph) -> String {
    let path = match kind {
        USER_ID => "userId",
        ANONYMOUS_ID => "anonymousId",
        "ios.id" | "android.id" => "context.device.id",
        "ios.idfa" | "android.idfa" => "context.device.advertisingId",
        "ios.push_token" | "android.push_token" => "context.device.token",
        crate::identity::GA_CLIENT_ID => "context.integrations.Google Analytics.clientId",
        _ => {
            return graph
                .settings()
                .extra
                .iter()
                .find(|e| e.kind == kind)
                .map_or_else(String::new, |e| e.path.clone());
        }
    };
    path.to_string()
}
