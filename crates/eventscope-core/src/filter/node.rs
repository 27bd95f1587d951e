//! The boolean structure of a compiled query (terms joined by and, or, not) and its
//! evaluation over a message.

use super::Filterable;
use super::predicate::{PersonTerm, Predicate};

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
    pub(super) fn eval<F: Filterable + ?Sized>(&self, item: &F, jq: Option<bool>) -> Option<bool> {
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

    pub(super) fn jq_code(&self) -> Option<&str> {
        match self {
            Node::All => None,
            Node::Pred(Predicate::Jq(jq)) => Some(jq.code()),
            Node::Pred(_) => None,
            Node::Not(n) => n.jq_code(),
            Node::And(ns) | Node::Or(ns) => ns.iter().find_map(Node::jq_code),
        }
    }

    pub(super) fn matches<F: Filterable + ?Sized>(&self, item: &F) -> bool {
        match self {
            Node::All => true,
            Node::Pred(p) => p.matches(item),
            Node::Not(n) => !n.matches(item),
            Node::And(ns) => ns.iter().all(|n| n.matches(item)),
            Node::Or(ns) => ns.iter().any(|n| n.matches(item)),
        }
    }
}

impl Node {
    /// Every `person:` term, to read or bind.
    pub(super) fn people_mut<'a>(&'a mut self, out: &mut Vec<&'a mut PersonTerm>) {
        match self {
            Node::Pred(Predicate::Person(person)) => out.push(person),
            Node::All | Node::Pred(_) => {}
            Node::Not(n) => n.people_mut(out),
            Node::And(ns) | Node::Or(ns) => ns.iter_mut().for_each(|n| n.people_mut(out)),
        }
    }

    pub(super) fn people<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Node::Pred(Predicate::Person(person)) => out.push(&person.value),
            Node::All | Node::Pred(_) => {}
            Node::Not(n) => n.people(out),
            Node::And(ns) | Node::Or(ns) => ns.iter().for_each(|n| n.people(out)),
        }
    }
}
