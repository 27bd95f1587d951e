//! The message list's columns: their names (what a saved view's `columns = [...]` says), their
//! widths, and which of them a given width has room for.

use std::fmt;

/// One column of the message list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// When the collector received it (`HH:MM:SS.mmm`, UTC).
    Time,
    /// The source: its configured label, else the masked write key.
    Source,
    /// The message type.
    Type,
    /// Event, page or screen name (and the like per type).
    Name,
    /// userId, else anonymousId.
    User,
    /// How late it arrived: `receivedAt − timestamp`, skew-corrected where `sentAt` was given.
    Latency,
    /// The message's size in bytes.
    Size,
    /// The verdict and PII glyphs.
    Verdict,
}

/// How wide a column is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    Fixed(usize),
    /// Shares what the fixed columns leave.
    Flexible,
}

/// The narrowest a name column is squeezed to before optional columns leave.
const MIN_NAME: usize = 18;
/// The narrowest a user column is squeezed to before optional columns leave.
const MIN_USER: usize = 10;
/// The user column's share of the flexible width is at most this.
const MAX_USER: usize = 24;

impl Column {
    pub const ALL: [Column; 8] = [
        Column::Time,
        Column::Source,
        Column::Type,
        Column::Name,
        Column::User,
        Column::Latency,
        Column::Size,
        Column::Verdict,
    ];

    /// The column's name, as the config writes it.
    pub fn name(self) -> &'static str {
        match self {
            Column::Time => "time",
            Column::Source => "source",
            Column::Type => "type",
            Column::Name => "name",
            Column::User => "user",
            Column::Latency => "latency",
            Column::Size => "size",
            Column::Verdict => "verdict",
        }
    }

    /// A column by name, case-insensitive.
    pub fn parse(name: &str) -> Option<Column> {
        Column::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The heading drawn above it.
    pub fn heading(self) -> &'static str {
        match self {
            Column::Time => "time (UTC)",
            Column::Source => "source",
            Column::Type => "type",
            Column::Name => "name",
            Column::User => "user",
            Column::Latency => "late",
            Column::Size => "size",
            Column::Verdict => "",
        }
    }

    fn width(self) -> Width {
        match self {
            Column::Time => Width::Fixed(12),
            Column::Source => Width::Fixed(9),
            Column::Type => Width::Fixed(9),
            Column::Latency => Width::Fixed(8),
            Column::Size => Width::Fixed(6),
            Column::Verdict => Width::Fixed(2),
            Column::Name | Column::User => Width::Flexible,
        }
    }

    /// Whether a narrow list may leave it out, and how early: lower leaves first.
    fn drop_rank(self) -> Option<u8> {
        match self {
            Column::Size => Some(0),
            Column::Latency => Some(1),
            Column::Source => Some(2),
            Column::User => Some(3),
            Column::Time | Column::Type | Column::Name | Column::Verdict => None,
        }
    }

    /// Right-aligned (numbers).
    pub fn right_aligned(self) -> bool {
        matches!(self, Column::Size | Column::Latency)
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown column name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown column `{0}`; columns: {names}", names = column_names())]
pub struct UnknownColumn(pub String);

fn column_names() -> String {
    Column::ALL.map(Column::name).join(", ")
}

/// The columns the list draws, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSet(Vec<Column>);

impl Default for ColumnSet {
    /// Every column, in [`Column::ALL`]'s order.
    fn default() -> ColumnSet {
        ColumnSet(Column::ALL.to_vec())
    }
}

impl ColumnSet {
    /// The columns named, in their order (duplicates once); an unknown name is an error.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<ColumnSet, UnknownColumn> {
        let mut columns = Vec::new();
        for name in names {
            let column =
                Column::parse(name.as_ref()).ok_or_else(|| UnknownColumn(name.as_ref().into()))?;
            if !columns.contains(&column) {
                columns.push(column);
            }
        }
        Ok(ColumnSet(columns))
    }

    /// These columns, in this order (duplicates once).
    pub fn new(columns: impl IntoIterator<Item = Column>) -> ColumnSet {
        let mut set = Vec::new();
        for column in columns {
            if !set.contains(&column) {
                set.push(column);
            }
        }
        ColumnSet(set)
    }

    pub fn columns(&self) -> &[Column] {
        &self.0
    }

    pub fn contains(&self, column: Column) -> bool {
        self.0.contains(&column)
    }

    /// The columns drawn in `width` cells and the width of each (one space between them):
    /// optional columns leave, narrowest rank first, until the name keeps [`MIN_NAME`]; the
    /// name takes two thirds of what the fixed columns leave, the user the rest (at most
    /// [`MAX_USER`]).
    pub fn fit(&self, width: usize) -> Vec<(Column, usize)> {
        self.fit_where(width, |_| true)
    }

    /// [`ColumnSet::fit`] of the columns `useful` keeps (the list leaves out a source column
    /// while a single source has been seen, and a latency column while no lateness is known).
    pub fn fit_where(&self, width: usize, useful: impl Fn(Column) -> bool) -> Vec<(Column, usize)> {
        let mut shown: Vec<Column> = self.0.iter().copied().filter(|c| useful(*c)).collect();
        loop {
            if needed(&shown) <= width {
                break;
            }
            let dropped = shown
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.drop_rank().map(|rank| (rank, i)))
                .min();
            match dropped {
                Some((_, index)) => {
                    shown.remove(index);
                }
                None => break,
            }
        }
        let fixed: usize = shown
            .iter()
            .map(|c| match c.width() {
                Width::Fixed(w) => w,
                Width::Flexible => 0,
            })
            .sum();
        let separators = shown.len().saturating_sub(1);
        let flexible = width.saturating_sub(fixed + separators);
        let has_name = shown.contains(&Column::Name);
        let has_user = shown.contains(&Column::User);
        let (name, user) = match (has_name, has_user) {
            (true, true) => {
                let flexible = flexible.max(MIN_NAME + MIN_USER);
                let user = (flexible / 3).clamp(MIN_USER, MAX_USER);
                (flexible - user, user)
            }
            (true, false) => (flexible.max(MIN_NAME), 0),
            (false, true) => (0, flexible.max(MIN_USER)),
            (false, false) => (0, 0),
        };
        shown
            .into_iter()
            .map(|c| {
                let w = match (c, c.width()) {
                    (_, Width::Fixed(w)) => w,
                    (Column::User, Width::Flexible) => user,
                    (_, Width::Flexible) => name,
                };
                (c, w)
            })
            .collect()
    }
}

/// The least width `columns` are drawn in.
fn needed(columns: &[Column]) -> usize {
    let cells: usize = columns
        .iter()
        .map(|c| match (c, c.width()) {
            (_, Width::Fixed(w)) => w,
            (Column::User, Width::Flexible) => MIN_USER,
            (_, Width::Flexible) => MIN_NAME,
        })
        .sum();
    cells + columns.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_unknown_names_list_the_known() {
        for column in Column::ALL {
            assert_eq!(Column::parse(column.name()), Some(column));
            assert_eq!(Column::parse(&column.name().to_uppercase()), Some(column));
        }
        let err = ColumnSet::parse(&["time", "colour"]).unwrap_err();
        assert!(err.to_string().contains("`colour`"), "{err}");
        assert!(err.to_string().contains("latency"), "{err}");
        let set = ColumnSet::parse(&["name", "time", "name"]).unwrap();
        assert_eq!(set.columns(), [Column::Name, Column::Time]);
    }

    #[test]
    fn columns_that_say_nothing_leave_and_give_their_room_to_the_name() {
        let fitted = ColumnSet::default().fit_where(68, |c| c != Column::Source);
        let names: Vec<&str> = fitted.iter().map(|(c, _)| c.name()).collect();
        assert_eq!(
            names,
            ["time", "type", "name", "user", "latency", "verdict"]
        );
        let name = fitted.iter().find(|(c, _)| *c == Column::Name).unwrap().1;
        assert!(name >= MIN_NAME, "{name}");
    }

    #[test]
    fn a_wide_list_draws_every_column_and_fills_the_width() {
        let fitted = ColumnSet::default().fit(140);
        let columns: Vec<Column> = fitted.iter().map(|(c, _)| *c).collect();
        assert_eq!(columns, Column::ALL);
        let total: usize = fitted.iter().map(|(_, w)| w).sum::<usize>() + fitted.len() - 1;
        assert_eq!(total, 140);
    }

    #[test]
    fn a_narrow_list_drops_the_optional_columns_first() {
        let names = |width| -> Vec<&str> {
            ColumnSet::default()
                .fit(width)
                .iter()
                .map(|(c, _)| c.name())
                .collect()
        };
        assert_eq!(
            names(80),
            [
                "time", "source", "type", "name", "user", "latency", "verdict"
            ]
        );
        assert_eq!(
            names(68),
            ["time", "source", "type", "name", "user", "verdict"]
        );
        assert_eq!(names(60), ["time", "type", "name", "user", "verdict"]);
        assert_eq!(names(40), ["time", "type", "name", "verdict"]);
        // Never fewer than the required ones, however narrow.
        assert_eq!(names(5), ["time", "type", "name", "verdict"]);
    }
}
