//! The mapping's memo of names: each leaf's path with its column name (one go-snakecase pass
//! and one lookup per distinct path, not per message) and one shared text per fixed name, so a
//! message whose keys were seen before allocates nothing for its columns' names and paths.
//!
//! A column name is go-snakecase of the path itself (`context.app.version` →
//! `context_app_version`; after the first segment for properties and traits: `address.zipCode`
//! → `address_zip_code`): go-snakecase treats `.` and `_` alike (every byte that is not an
//! ASCII letter or digit separates words), so this is the name of the `_`-joined key Segment
//! converts, and a key with a dot in it (`{"a.b": 1}`) lands where `{"a": {"b": 1}}` does.
//!
//! One memo per thread (the viewer's feeds map on several), bounded in bytes: past the bound it
//! starts again. It is only ever cleared between two messages, and a column name is kept as a
//! text too, so within one [`super::rows`] call equal names are one `Arc` ([`same`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::naming::column_name;

/// Bytes of keys and texts kept before the memo starts again (a stream of unbounded ids as
/// keys would otherwise grow it forever).
const MAX_BYTES: usize = 4 << 20;

type Map = HashMap<Box<str>, Arc<str>, foldhash::fast::RandomState>;

#[derive(Default)]
pub(super) struct Names {
    /// a leaf's path (`properties.address.zipCode`, `context.userAgent`) → (the path as a
    /// shared text, its column name).
    leaves: HashMap<Box<str>, (Arc<str>, Arc<str>), foldhash::fast::RandomState>,
    /// a text kept as is: a column or table name.
    texts: Map,
    bytes: usize,
}

impl Names {
    /// The leaf at `path`: the path as a shared text, and its column name (go-snakecase of the
    /// path from byte `strip` on; empty when that makes it so).
    pub fn leaf(&mut self, path: &str, strip: usize) -> (Arc<str>, Arc<str>) {
        if let Some((path, name)) = self.leaves.get(path) {
            return (Arc::clone(path), Arc::clone(name));
        }
        let name = self.text(&column_name(path.get(strip..).unwrap_or("")));
        let shared: Arc<str> = Arc::from(path);
        self.bytes += 2 * path.len();
        self.leaves
            .insert(path.into(), (Arc::clone(&shared), Arc::clone(&name)));
        (shared, name)
    }

    /// `text` as a shared text.
    pub fn text(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.texts.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.bytes += 2 * text.len();
        self.texts.insert(text.into(), Arc::clone(&shared));
        shared
    }

    /// Starts again when past the bound; called between messages only.
    fn bound(&mut self) {
        if self.bytes > MAX_BYTES {
            *self = Names::default();
        }
    }
}

/// Whether two names handed out while mapping one message are equal: they are when they are
/// one allocation.
pub(super) fn same(a: &Arc<str>, b: &Arc<str>) -> bool {
    Arc::ptr_eq(a, b)
}

thread_local! {
    static NAMES: RefCell<Names> = RefCell::default();
}

/// Runs `map` with this thread's memo (bounded first).
pub(super) fn with<R>(map: impl FnOnce(&mut Names) -> R) -> R {
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        names.bound();
        map(&mut names)
    })
}
