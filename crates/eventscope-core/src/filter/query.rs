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
        if nodes.len() == 1
            && let Some(node) = nodes.pop()
        {
            return node;
        }
        if nodes.is_empty() {
            return Node::All;
        }
        nodes.sort_by_key(Node::cost);
        Node::And(nodes.into())
    }

    /// Any of `nodes`, cheapest first.
    pub(crate) fn or(mut nodes: Vec<Node>) -> Node {
        if nodes.len() == 1
            && let Some(node) = nodes.pop()
        {
            return node;
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

    /// Three-valued evaluation with the jq term's answer given (`None`: unknown). An AND with
    /// a false part is false and an OR with a true part true, whatever the jq term says.
    fn eval<F: Filterable + ?Sized>(&self, item: &F, jq: Option<bool>) -> Option<bool> {
        match self {
            Node::All => Some(true),
            Node::Pred(Predicate::Jq(_)) => jq,
            Node::Pred(p) => Some(p.matches(item)),
            Node::Not(n) => n.eval(item, jq).map(|b| !b),
            Node::And(ns) => {
                let mut known = true;
                for n in ns.iter() {
                    match n.eval(item, jq) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => known = false,
                    }
                }
                known.then_some(true)
            }
            Node::Or(ns) => {
                let mut known = true;
                for n in ns.iter() {
                    match n.eval(item, jq) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => known = false,
                    }
                }
                known.then_some(false)
            }
        }
    }

    fn jq_code(&self) -> Option<&str> {
        match self {
            Node::All => None,
            Node::Pred(Predicate::Jq(jq)) => Some(jq.code()),
            Node::Pred(_) => None,
            Node::Not(n) => n.jq_code(),
            Node::And(ns) | Node::Or(ns) => ns.iter().find_map(Node::jq_code),
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
