//! A compiled query and its evaluation.

use std::fmt;

use super::predicate::Predicate;
use super::{FilterError, Filterable, parse};

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
        let parsed = parse::parse(input)?;
        Ok(Query {
            source: input.to_string(),
            root: parsed.root,
            highlights: parsed.highlights,
        })
    }

    /// Whether `item` passes the filter.
    pub fn matches<F: Filterable + ?Sized>(&self, item: &F) -> bool {
        self.root.matches(item)
    }

    /// What to highlight in the detail pane: the free-text terms and the literal parts of
    /// `event:`, `user:` and `id:` values that are not negated, ASCII-lowercased and without
    /// duplicates. Find them with an ASCII-case-insensitive search; byte offsets are the
    /// same as in the original text.
    pub fn highlights(&self) -> &[String] {
        &self.highlights
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

/// The boolean structure of a query.
#[derive(Clone)]
pub(crate) enum Node {
    /// No terms: everything matches.
    All,
    Pred(Predicate),
    Not(Box<Node>),
    And(Box<[Node]>),
    Or(Box<[Node]>),
}

impl Node {
    /// All of `nodes`, cheapest first (terms have no side effects, so order is free).
    pub(crate) fn and(mut nodes: Vec<Node>) -> Node {
        if nodes.len() == 1 {
            return nodes.pop().expect("one node");
        }
        if nodes.is_empty() {
            return Node::All;
        }
        nodes.sort_by_key(Node::cost);
        Node::And(nodes.into())
    }

    /// Any of `nodes`, cheapest first.
    pub(crate) fn or(mut nodes: Vec<Node>) -> Node {
        if nodes.len() == 1 {
            return nodes.pop().expect("one node");
        }
        nodes.sort_by_key(Node::cost);
        Node::Or(nodes.into())
    }

    fn cost(&self) -> u8 {
        match self {
            Node::All => 0,
            Node::Pred(p) => p.cost(),
            Node::Not(n) => n.cost(),
            Node::And(ns) | Node::Or(ns) => ns.iter().map(Node::cost).max().unwrap_or(0),
        }
    }

    fn matches<F: Filterable + ?Sized>(&self, item: &F) -> bool {
        match self {
            Node::All => true,
            Node::Pred(p) => p.matches(item),
            Node::Not(n) => !n.matches(item),
            Node::And(ns) => ns.iter().all(|n| n.matches(item)),
            Node::Or(ns) => ns.iter().any(|n| n.matches(item)),
        }
    }
}
