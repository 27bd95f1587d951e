//! The mapping's memo of names: each raw key's column name (one go-snakecase pass per distinct
//! key, not per message) and one shared text per path and fixed name, so a message whose keys
//! were seen before allocates nothing for its columns' names and paths.
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
    /// raw key (`address_zipCode`, `context_userAgent`) → column name.
    columns: Map,
    /// a text kept as is: a path (`properties.address.zipCode`), a fixed column or table name.
    texts: Map,
    bytes: usize,
}

impl Names {
    /// `raw`'s column name (empty when go-snakecase makes it so).
    pub fn column(&mut self, raw: &str) -> Arc<str> {
        if let Some(name) = self.columns.get(raw) {
            return Arc::clone(name);
        }
        let name = self.text(&column_name(raw));
        self.bytes += raw.len();
        self.columns.insert(raw.into(), Arc::clone(&name));
        name
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
