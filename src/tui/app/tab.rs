//! The detail pane's tabs, in the order `]` and `[` step through them and the number keys
//! name them: Routing only with destinations configured.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Pretty,
    Raw,
    Call,
    Findings,
    /// Shown only when destinations are configured.
    Routing,
    /// The warehouse rows the message becomes.
    Warehouse,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Pretty,
        Tab::Raw,
        Tab::Call,
        Tab::Findings,
        Tab::Routing,
        Tab::Warehouse,
    ];

    /// [`Tab::ALL`] without Routing.
    const WITHOUT_ROUTING: [Tab; 5] = [
        Tab::Pretty,
        Tab::Raw,
        Tab::Call,
        Tab::Findings,
        Tab::Warehouse,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Pretty => "Pretty",
            Tab::Raw => "Raw",
            Tab::Call => "Call",
            Tab::Findings => "Findings",
            Tab::Routing => "Routing",
            Tab::Warehouse => "Warehouse",
        }
    }

    /// The tabs shown: Routing only with destinations to route to.
    pub fn shown(routing: bool) -> &'static [Tab] {
        if routing {
            &Tab::ALL
        } else {
            &Tab::WITHOUT_ROUTING
        }
    }

    pub(super) fn step(self, forward: bool, routing: bool) -> Tab {
        let tabs = Tab::shown(routing);
        let i = tabs.iter().position(|t| *t == self).unwrap_or(0);
        let n = tabs.len();
        tabs[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}
