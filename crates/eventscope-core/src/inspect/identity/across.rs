//! Identity verdicts that need the messages before this one (`identity/…`): a merge a limit
//! refused, an identifier shared by too many user ids, an alias Unify would not follow. Read
//! from what the identity graph decided when it observed the message.

use super::super::Finding;
use crate::identity::{IdentityGraph, Observed};

/// The findings for the message the graph just observed (`observed` is what `observe` said of
/// it; `graph` is the graph after it).
pub fn across(_observed: &Observed, _graph: &IdentityGraph) -> Vec<Finding> {
    Vec::new()
}
