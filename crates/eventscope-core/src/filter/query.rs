//! A compiled query and its evaluation.

use std::fmt;

use super::node::Node;
use super::{FilterError, Filterable, parse};
use crate::identity::ProfileId;

/// A parsed and compiled filter, evaluated on many frames.
///
/// Parsing does all the work that can be done once (substring automata, globs, the jq
/// program), so [`Query::matches`] allocates nothing unless the query has a `jq:` term,
/// which parses the message JSON on every call.
///
/// A `Query` is `Send + Sync`: it can be built on the UI thread and used by a worker.
#[derive(Clone)]
pub struct Query {
    source: String,
    root: Node,
    highlights: Vec<String>,
}

impl Query {
    /// Parses and compiles `input`. An empty (or all-blank) input matches everything.
    pub fn parse(input: &str) -> Result<Query, FilterError> {
        Query::parse_for(input, &[])
    }

    /// [`Query::parse`], where `routed:` and `dropped:` may name `destinations` (the configured
    /// destinations' names, in the order of the rows' [`Filterable::routes`]).
    pub fn parse_for(input: &str, destinations: &[&str]) -> Result<Query, FilterError> {
        let parsed = parse::parse(input, destinations)?;
        Ok(Query {
            source: input.to_string(),
            root: parsed.root,
            highlights: parsed.highlights,
        })
    }

    /// Whether `item` passes the filter. A `jq:` term runs here, in this thread, without a
    /// budget: where the program is untrusted and the caller must stay responsive, ask
    /// [`Query::decide`] first and evaluate [`Query::jq_code`] elsewhere (the viewer uses a
    /// budgeted worker process, [`crate::filter::jq_worker`]).
    pub fn matches<F: Filterable + ?Sized>(&self, item: &F) -> bool {
        self.root.matches(item)
    }

    /// Whether `item` passes the filter, decided without running its `jq:` term: `None`
    /// when the answer depends on the jq term (then ask [`Query::matches_given`] with its
    /// result). `type:track jq: …` is decided here for every non-track.
    pub fn decide<F: Filterable + ?Sized>(&self, item: &F) -> Option<bool> {
        self.root.eval(item, None)
    }

    /// Whether `item` passes the filter when its `jq:` term answered `jq`.
    pub fn matches_given<F: Filterable + ?Sized>(&self, item: &F, jq: bool) -> bool {
        self.root.eval(item, Some(jq)).unwrap_or(false)
    }

    /// The program of the query's `jq:` term (a query has at most one: it takes the rest of
    /// the input).
    pub fn jq_code(&self) -> Option<&str> {
        self.root.jq_code()
    }

    /// What to highlight in the detail pane: the free-text terms and the literal parts of
    /// `event:`, `user:` and `id:` values that are not negated, ASCII-lowercased and without
    /// duplicates. Find them with an ASCII-case-insensitive search; byte offsets are the
    /// same as in the original text.
    pub fn highlights(&self) -> &[String] {
        &self.highlights
    }

    /// The identifiers of the query's `person:` terms, as typed.
    pub fn people(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.root.people(&mut out);
        out
    }

    /// Binds each `person:` term to the profiles `resolve` says are that person now (the
    /// identity graph's `members_of`); true when any term's profiles changed (the rows must
    /// be tested again). Called again as merges happen.
    pub fn bind_people(&mut self, mut resolve: impl FnMut(&str) -> Vec<ProfileId>) -> bool {
        let mut terms = Vec::new();
        self.root.people_mut(&mut terms);
        let mut changed = false;
        for term in terms {
            let mut members = resolve(&term.value);
            members.sort_unstable();
            if *term.members != *members {
                term.members = members.into();
                changed = true;
            }
        }
        changed
    }

    /// The text the query was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the query has no terms and so matches everything.
    pub fn is_empty(&self) -> bool {
        matches!(self.root, Node::All)
    }
}

impl Default for Query {
    /// The empty query, which matches everything.
    fn default() -> Query {
        Query {
            source: String::new(),
            root: Node::All,
            highlights: Vec::new(),
        }
    }
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Query")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}
