//! A profile's small maps (traits, event counts): sorted by name in one vector. A person has a
//! handful of traits and event names, and a million profiles each paying for a `BTreeMap`'s
//! first node (~400–600 bytes) was most of the graph's memory.

/// Values by name, in name order; the read side of a `BTreeMap<String, V>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByName<V> {
    entries: Vec<(String, V)>,
}

impl<V> Default for ByName<V> {
    fn default() -> Self {
        ByName {
            entries: Vec::new(),
        }
    }
}

impl<V> ByName<V> {
    pub fn get(&self, name: &str) -> Option<&V> {
        let at = self.find(name).ok()?;
        Some(&self.entries[at].1)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        let at = self.find(name).ok()?;
        Some(&mut self.entries[at].1)
    }

    /// Sets `name`, answering the value it replaced.
    pub fn insert(&mut self, name: String, value: V) -> Option<V> {
        match self.find(&name) {
            Ok(at) => Some(std::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                // Grow by one: most profiles never hold more than a few.
                self.entries.reserve_exact(1);
                self.entries.insert(at, (name, value));
                None
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Name and value, in name order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(name, value)| (name, value))
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(held, _)| held.as_str().cmp(name))
    }
}

impl<V> IntoIterator for ByName<V> {
    type Item = (String, V);
    type IntoIter = std::vec::IntoIter<(String, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, V> IntoIterator for &'a ByName<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, V)>,
        fn(&'a (String, V)) -> (&'a String, &'a V),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(name, value)| (name, value))
    }
}
