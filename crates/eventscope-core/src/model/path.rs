//! A path into a message, kept as a chain of stack frames while a walk descends and written out
//! (as the detail pane writes paths: `properties.items[0]["odd key"]`) only when a finding
//! needs it, so a walk over a clean message allocates nothing for its paths.

use super::pretty::{index_path, key_path};

/// Where a value sits in a message: the step that reached it and the node it was reached from.
///
/// A walk keeps one node per level on its own stack and hands children a reference to it:
///
/// ```
/// use eventscope_core::model::path::PathNode;
///
/// let properties = PathNode::Key(&PathNode::Root, "properties");
/// let first = PathNode::Index(&properties, 0);
/// let odd = PathNode::Key(&first, "unit price");
/// assert_eq!(odd.render(), r#"properties[0]["unit price"]"#);
/// assert_eq!(odd.depth(), 3);
/// ```
#[derive(Debug, Clone, Copy)]
pub enum PathNode<'a> {
    /// The message itself; it renders as the empty path.
    Root,
    /// Member `key` of the object at the parent node.
    Key(&'a PathNode<'a>, &'a str),
    /// Element `index` of the array at the parent node.
    Index(&'a PathNode<'a>, usize),
}

impl<'a> PathNode<'a> {
    /// The node this one was reached from; `None` for the root.
    pub fn parent(&self) -> Option<&'a PathNode<'a>> {
        match *self {
            PathNode::Root => None,
            PathNode::Key(parent, _) | PathNode::Index(parent, _) => Some(parent),
        }
    }

    /// The number of steps from the root (0 for the root).
    pub fn depth(&self) -> usize {
        self.ancestors().count()
    }

    /// This node and the nodes above it, deepest first, without the root.
    pub fn ancestors(&self) -> impl Iterator<Item = &PathNode<'a>> {
        std::iter::successors(Some(self), |node| node.parent())
            .take_while(|node| !matches!(node, PathNode::Root))
    }

    /// The path as the detail pane writes it (`model::pretty::{key_path, index_path}`).
    pub fn render(&self) -> String {
        match *self {
            PathNode::Root => String::new(),
            PathNode::Key(parent, key) => key_path(&parent.render(), key),
            PathNode::Index(parent, index) => index_path(&parent.render(), index),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PathNode;

    #[test]
    fn renders_like_the_detail_pane() {
        let root = PathNode::Root;
        assert_eq!(root.render(), "");
        assert_eq!(root.depth(), 0);
        let context = PathNode::Key(&root, "context");
        let agent = PathNode::Key(&context, "user-agent");
        let item = PathNode::Index(&agent, 2);
        let leaf = PathNode::Key(&item, "_id");
        assert_eq!(leaf.render(), r#"context["user-agent"][2]._id"#);
        assert_eq!(leaf.depth(), 4);
        let keys: Vec<String> = leaf
            .ancestors()
            .map(|node| match node {
                PathNode::Key(_, key) => (*key).to_string(),
                PathNode::Index(_, i) => i.to_string(),
                PathNode::Root => unreachable!("the root is not an ancestor"),
            })
            .collect();
        assert_eq!(keys, ["_id", "2", "user-agent", "context"]);
        // An odd key at the top is quoted, as `key_path` does.
        assert_eq!(PathNode::Key(&root, "a b").render(), r#"["a b"]"#);
    }
}
