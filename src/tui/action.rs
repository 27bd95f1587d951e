//! Everything a user can ask of the viewer. Keys map to actions (see `keys`); state changes
//! only in `App::update(action)`. Each action belongs to a [`Context`]: the main view's, or a
//! popup's (its keys count only while that popup is open, so they may reuse the main keys).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    /// Back to the newest message, following new ones.
    Live,
    TogglePause,
    OpenFilter,
    ClearFilter,
    NextMatch,
    PrevMatch,
    /// Move keyboard focus between the list and the detail pane.
    SwitchFocus,
    NextTab,
    PrevTab,
    ShowPretty,
    ShowRaw,
    ShowCall,
    ShowFindings,
    /// Would Segment deliver the message to each configured destination.
    ShowRouting,
    /// The warehouse rows the message becomes.
    ShowWarehouse,
    /// In the Findings tab: show the selected finding's line in the Pretty tab.
    JumpToFinding,
    /// Hide PII values on screen.
    ToggleMask,
    /// Messages and findings per event name.
    Summary,
    /// The selected message's person (identity graph): ids, traits, timeline.
    Person,
    /// The warehouse schema the messages build: tables, columns, types, conflicts.
    Schema,
    /// A SQL query over the retained messages (the warehouse tables, messages, findings).
    Sql,
    /// A structural diff of the two marked messages, or the selected one and the previous
    /// message of its event.
    Diff,
    ToggleWrap,
    CopyMessage,
    CopyPath,
    /// Copy the JSON value under the detail cursor (a scalar, or a container whole).
    CopyValue,
    WriteView,
    Clear,
    /// Mark or unmark the selected message (the anchor for `mark-range`).
    ToggleMark,
    /// Mark every message from the anchor to the selection.
    MarkRange,
    /// Mark every message the filter shows.
    MarkMatching,
    ClearMarks,
    /// The forward popup over the marked messages (or the selected one).
    Forward,
    /// Replay the marked messages (or the selected one) into the collector.
    Replay,
    /// The Deliveries view, and back.
    Deliveries,
    /// The selected message's deliveries, and back.
    MessageDeliveries,
    Help,
    /// Close the top popup or mode.
    Back,
    /// The saved views (`[[view]]`): pick one to apply.
    SavedViews,
    /// Jump to a time in the list (`14:03`, `-5m`, an ISO timestamp).
    JumpToTime,

    // The forward popup (`popups::forward`).
    /// Send the requests previewed.
    /// The Pretty tree: fold the node under the cursor (on a leaf or a folded node, its
    /// parent).
    FoldNode,
    UnfoldNode,
    /// Fold or unfold the node under the cursor and its siblings.
    FoldSiblings,
    UnfoldSiblings,
    FoldAll,
    UnfoldAll,
    ForwardSend,
    ForwardEdit,
    /// Send what routing drops, unstripped (and back): `--ignore-routing` for this forward.
    ForwardIgnoreRouting,
    ForwardPrevDestination,
    ForwardNextDestination,
    #[serde(rename = "forward-destination-1")]
    ForwardDestination1,
    #[serde(rename = "forward-destination-2")]
    ForwardDestination2,
    #[serde(rename = "forward-destination-3")]
    ForwardDestination3,
    #[serde(rename = "forward-destination-4")]
    ForwardDestination4,
    #[serde(rename = "forward-destination-5")]
    ForwardDestination5,
    #[serde(rename = "forward-destination-6")]
    ForwardDestination6,
    #[serde(rename = "forward-destination-7")]
    ForwardDestination7,
    #[serde(rename = "forward-destination-8")]
    ForwardDestination8,
    #[serde(rename = "forward-destination-9")]
    ForwardDestination9,
    ForwardPrevRequest,
    ForwardNextRequest,
    ForwardScrollUp,
    ForwardScrollDown,
    ForwardPageUp,
    ForwardPageDown,
    ForwardTop,
    ForwardBottom,
    ForwardClose,

    // The replay popup (`popups::replay`).
    ReplaySend,
    ReplayPrevOption,
    ReplayNextOption,
    /// Flip the option under the cursor.
    ReplayChange,
    ReplayToggleIds,
    ReplayToggleTimes,
    ReplayClose,

    // The Summary (`popups::summary`).
    SummaryDown,
    SummaryUp,
    SummaryPageDown,
    SummaryPageUp,
    SummaryTop,
    SummaryBottom,
    /// Cycle the order: errors, warnings, PII, messages, name.
    SummarySort,
    SummaryNextTab,
    SummaryPrevTab,
    /// Pick the next rule (by event) or top event (by rule) of the selected row.
    SummaryNextCell,
    SummaryPrevCell,
    /// Filter the list to the selected row (and picked cell).
    SummaryFilter,
    SummaryClose,

    // The person view (`popups::person`).
    PersonDown,
    PersonUp,
    PersonPageDown,
    PersonPageUp,
    PersonTop,
    PersonBottom,
    /// Select the timeline row's message in the list.
    PersonSelect,
    /// Narrow the list to the person (`person:ID`).
    PersonNarrow,
    PersonClose,

    // The schema view (`popups::schema`).
    SchemaDown,
    SchemaUp,
    SchemaPageDown,
    SchemaPageUp,
    SchemaTop,
    SchemaBottom,
    /// On a table: expand or collapse it; on a column: select the message that added it.
    SchemaSelect,
    SchemaClose,

    // The diff pane (`popups::diff`).
    DiffDown,
    DiffUp,
    DiffPageDown,
    DiffPageUp,
    DiffTop,
    DiffBottom,
    /// Show or hide the changes in volatile fields (messageId, timestamps, _metadata).
    DiffToggleVolatile,
    DiffClose,
}

/// Where an action's keys count: the main view (and the Help and Deliveries views, which read
/// the main keys), or a popup (the Summary is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Main,
    Forward,
    Replay,
    Summary,
    Person,
    Schema,
    /// The Pretty tab's tree while the detail pane has focus: its keys come before the main
    /// view's (so `←`/`→` fold there and switch tabs elsewhere).
    Tree,
    Diff,
}

impl Context {
    pub const ALL: [Context; 8] = [
        Context::Main,
        Context::Forward,
        Context::Replay,
        Context::Summary,
        Context::Person,
        Context::Schema,
        Context::Tree,
        Context::Diff,
    ];

    /// The name shown in help and the README.
    pub fn title(self) -> &'static str {
        match self {
            Context::Main => "Keys",
            Context::Forward => "Forward popup",
            Context::Replay => "Replay popup",
            Context::Summary => "Summary",
            Context::Person => "Person view",
            Context::Schema => "Schema view",
            Context::Tree => "Pretty tree (detail pane focused)",
            Context::Diff => "Diff pane",
        }
    }
}

impl Action {
    pub const ALL: [Action; 120] = [
        Action::Quit,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Live,
        Action::TogglePause,
        Action::OpenFilter,
        Action::ClearFilter,
        Action::NextMatch,
        Action::PrevMatch,
        Action::SwitchFocus,
        Action::NextTab,
        Action::PrevTab,
        Action::ShowPretty,
        Action::ShowRaw,
        Action::ShowCall,
        Action::ShowFindings,
        Action::ShowRouting,
        Action::ShowWarehouse,
        Action::JumpToFinding,
        Action::ToggleMask,
        Action::Summary,
        Action::Person,
        Action::Schema,
        Action::Sql,
        Action::Diff,
        Action::ToggleWrap,
        Action::CopyMessage,
        Action::CopyPath,
        Action::CopyValue,
        Action::WriteView,
        Action::Clear,
        Action::ToggleMark,
        Action::MarkRange,
        Action::MarkMatching,
        Action::ClearMarks,
        Action::Forward,
        Action::Replay,
        Action::Deliveries,
        Action::MessageDeliveries,
        Action::Help,
        Action::Back,
        Action::SavedViews,
        Action::JumpToTime,
        Action::FoldNode,
        Action::UnfoldNode,
        Action::FoldSiblings,
        Action::UnfoldSiblings,
        Action::FoldAll,
        Action::UnfoldAll,
        Action::ForwardSend,
        Action::ForwardEdit,
        Action::ForwardIgnoreRouting,
        Action::ForwardPrevDestination,
        Action::ForwardNextDestination,
        Action::ForwardDestination1,
        Action::ForwardDestination2,
        Action::ForwardDestination3,
        Action::ForwardDestination4,
        Action::ForwardDestination5,
        Action::ForwardDestination6,
        Action::ForwardDestination7,
        Action::ForwardDestination8,
        Action::ForwardDestination9,
        Action::ForwardPrevRequest,
        Action::ForwardNextRequest,
        Action::ForwardScrollUp,
        Action::ForwardScrollDown,
        Action::ForwardPageUp,
        Action::ForwardPageDown,
        Action::ForwardTop,
        Action::ForwardBottom,
        Action::ForwardClose,
        Action::ReplaySend,
        Action::ReplayPrevOption,
        Action::ReplayNextOption,
        Action::ReplayChange,
        Action::ReplayToggleIds,
        Action::ReplayToggleTimes,
        Action::ReplayClose,
        Action::SummaryDown,
        Action::SummaryUp,
        Action::SummaryPageDown,
        Action::SummaryPageUp,
        Action::SummaryTop,
        Action::SummaryBottom,
        Action::SummarySort,
        Action::SummaryNextTab,
        Action::SummaryPrevTab,
        Action::SummaryNextCell,
        Action::SummaryPrevCell,
        Action::SummaryFilter,
        Action::SummaryClose,
        Action::PersonDown,
        Action::PersonUp,
        Action::PersonPageDown,
        Action::PersonPageUp,
        Action::PersonTop,
        Action::PersonBottom,
        Action::PersonSelect,
        Action::PersonNarrow,
        Action::PersonClose,
        Action::SchemaDown,
        Action::SchemaUp,
        Action::SchemaPageDown,
        Action::SchemaPageUp,
        Action::SchemaTop,
        Action::SchemaBottom,
        Action::SchemaSelect,
        Action::SchemaClose,
        Action::DiffDown,
        Action::DiffUp,
        Action::DiffPageDown,
        Action::DiffPageUp,
        Action::DiffTop,
        Action::DiffBottom,
        Action::DiffToggleVolatile,
        Action::DiffClose,
    ];

    /// The description shown in help and the README key table.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Up => "previous message (or scroll up in the detail pane)",
            Action::Down => "next message (or scroll down in the detail pane)",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first message",
            Action::Live => "newest message, follow live",
            Action::TogglePause => "pause / resume the view (frames keep arriving)",
            Action::OpenFilter => "filter the list by text and terms (see Filter terms)",
            Action::ClearFilter => "clear the filter",
            Action::NextMatch => "next filter match in the detail pane",
            Action::PrevMatch => "previous filter match in the detail pane",
            Action::SwitchFocus => "focus list / detail",
            Action::NextTab => "next detail tab",
            Action::PrevTab => "previous detail tab",
            Action::ShowPretty => "Pretty tab (highlighted JSON)",
            Action::ShowRaw => "Raw tab (as received)",
            Action::ShowCall => "Call tab (the SDK call)",
            Action::ShowFindings => {
                "Findings tab (spec, plan, PII, identity and warehouse verdicts)"
            }
            Action::ShowRouting => "Routing tab (would Segment deliver it, and why not)",
            Action::ShowWarehouse => {
                "Warehouse tab (the rows it becomes: tables, columns, types, new and conflicting)"
            }
            Action::JumpToFinding => {
                "in Findings: show the finding's line; on an id in Pretty: its person; in Deliveries: show the message"
            }
            Action::ToggleMask => "mask PII values on screen",
            Action::Summary => {
                "summary of the shown messages: errors, warnings, PII per event and per rule"
            }
            Action::Person => {
                "the selected message's person: ids, traits, events and timeline across their ids"
            }
            Action::Schema => {
                "the warehouse schema the messages build: tables, columns, types, conflicts"
            }
            Action::Sql => {
                "SQL over the retained messages: warehouse tables, messages, findings, deliveries"
            }
            Action::Diff => {
                "diff the two marked messages (or the selected one and the previous of its event)"
            }
            Action::ToggleWrap => "wrap long lines",
            Action::CopyMessage => "copy the message JSON (OSC 52)",
            Action::CopyPath => "copy the JSON path of the line under the cursor",
            Action::CopyValue => "copy the JSON value under the cursor (OSC 52, --copy-to)",
            Action::FoldNode => {
                "fold the node under the cursor (on a leaf or a folded node: its parent)"
            }
            Action::UnfoldNode => "unfold the node under the cursor",
            Action::FoldSiblings => "fold the node under the cursor and its siblings",
            Action::UnfoldSiblings => "unfold the node under the cursor and its siblings",
            Action::FoldAll => "fold every container (the root stays open)",
            Action::UnfoldAll => "unfold everything",
            Action::WriteView => "write the shown rows as a recording (asks for the path)",
            Action::Clear => "clear all messages (asks first)",
            Action::ToggleMark => "mark / unmark the message and go to the next",
            Action::MarkRange => "mark from the last marked row to the selection",
            Action::MarkMatching => "mark every message the filter shows",
            Action::ClearMarks => "clear the marks",
            Action::Forward => "forward the marked (or selected) messages to a destination",
            Action::Replay => "replay the marked (or selected) messages into the collector",
            Action::Deliveries => "Deliveries view: forwards, replays, upstream answers",
            Action::MessageDeliveries => "the selected message's deliveries (and back)",
            Action::Help => "help",
            Action::Back => "close / cancel / back; with nothing open, clear the marks",
            Action::SavedViews => "saved views ([[view]] in the config): pick one to apply",
            Action::JumpToTime => "jump to a time in the list: 14:03, -5m or an ISO timestamp",
            Action::ForwardSend => "send the requests shown",
            Action::ForwardEdit => "edit the messages in $EDITOR, then map them again",
            Action::ForwardIgnoreRouting => {
                "ignore routing: also send what Segment would drop, unstripped (and back)"
            }
            Action::ForwardPrevDestination => "previous destination",
            Action::ForwardNextDestination => "next destination",
            Action::ForwardPrevRequest => "previous request",
            Action::ForwardNextRequest => "next request",
            Action::ForwardScrollUp => "scroll up",
            Action::ForwardScrollDown => "scroll down",
            Action::ForwardPageUp => "page up",
            Action::ForwardPageDown => "page down",
            Action::ForwardTop => "top of the request",
            Action::ForwardBottom => "end of the request",
            Action::ForwardClose => "close the popup",
            Action::ReplaySend => "replay with the options shown",
            Action::ReplayPrevOption => "previous option",
            Action::ReplayNextOption => "next option",
            Action::ReplayChange => "change the option under the cursor",
            Action::ReplayToggleIds => "new or kept messageIds",
            Action::ReplayToggleTimes => "timestamps kept or moved to now",
            Action::ReplayClose => "cancel",
            Action::SummaryDown => "next row",
            Action::SummaryUp => "previous row",
            Action::SummaryPageDown => "page down",
            Action::SummaryPageUp => "page up",
            Action::SummaryTop => "first row",
            Action::SummaryBottom => "last row",
            Action::SummarySort => "sort by errors, warnings, PII, messages, name",
            Action::SummaryNextTab => "next tab (by event, by rule, by destination)",
            Action::SummaryPrevTab => "previous tab",
            Action::SummaryNextCell => {
                "pick the next rule (by event), event (by rule) or count (by destination) in the row"
            }
            Action::SummaryPrevCell => "pick the previous rule, event or count in the row",
            Action::SummaryFilter => "filter the list to the row's event, rule or picked cell",
            Action::SummaryClose => "close the summary",
            Action::PersonDown => "next timeline row",
            Action::PersonUp => "previous timeline row",
            Action::PersonPageDown => "page down",
            Action::PersonPageUp => "page up",
            Action::PersonTop => "first timeline row",
            Action::PersonBottom => "newest timeline row (and follow)",
            Action::PersonSelect => "select the row's message in the list (a merge's: its message)",
            Action::PersonNarrow => "narrow the list to this person (filter person:ID)",
            Action::PersonClose => "back to the list",
            Action::SchemaDown => "next table or column",
            Action::SchemaUp => "previous table or column",
            Action::SchemaPageDown => "page down",
            Action::SchemaPageUp => "page up",
            Action::SchemaTop => "first table",
            Action::SchemaBottom => "last row",
            Action::SchemaSelect => {
                "on a table: expand / collapse its columns; on a column: select the message that added it"
            }
            Action::SchemaClose => "back to the list",
            Action::DiffDown => "scroll down",
            Action::DiffUp => "scroll up",
            Action::DiffPageDown => "page down",
            Action::DiffPageUp => "page up",
            Action::DiffTop => "first change",
            Action::DiffBottom => "last change",
            Action::DiffToggleVolatile => {
                "show / hide changes in volatile fields (messageId, timestamps, _metadata)"
            }
            Action::DiffClose => "back to the list",
            Action::ForwardDestination1 => "destination 1",
            Action::ForwardDestination2 => "destination 2",
            Action::ForwardDestination3 => "destination 3",
            Action::ForwardDestination4 => "destination 4",
            Action::ForwardDestination5 => "destination 5",
            Action::ForwardDestination6 => "destination 6",
            Action::ForwardDestination7 => "destination 7",
            Action::ForwardDestination8 => "destination 8",
            Action::ForwardDestination9 => "destination 9",
        }
    }

    /// Where the action's keys count.
    pub fn context(self) -> Context {
        match self {
            Action::ForwardSend
            | Action::ForwardEdit
            | Action::ForwardIgnoreRouting
            | Action::ForwardPrevDestination
            | Action::ForwardNextDestination
            | Action::ForwardDestination1
            | Action::ForwardDestination2
            | Action::ForwardDestination3
            | Action::ForwardDestination4
            | Action::ForwardDestination5
            | Action::ForwardDestination6
            | Action::ForwardDestination7
            | Action::ForwardDestination8
            | Action::ForwardDestination9
            | Action::ForwardPrevRequest
            | Action::ForwardNextRequest
            | Action::ForwardScrollUp
            | Action::ForwardScrollDown
            | Action::ForwardPageUp
            | Action::ForwardPageDown
            | Action::ForwardTop
            | Action::ForwardBottom
            | Action::ForwardClose => Context::Forward,
            Action::ReplaySend
            | Action::ReplayPrevOption
            | Action::ReplayNextOption
            | Action::ReplayChange
            | Action::ReplayToggleIds
            | Action::ReplayToggleTimes
            | Action::ReplayClose => Context::Replay,
            Action::SummaryDown
            | Action::SummaryUp
            | Action::SummaryPageDown
            | Action::SummaryPageUp
            | Action::SummaryTop
            | Action::SummaryBottom
            | Action::SummarySort
            | Action::SummaryNextTab
            | Action::SummaryPrevTab
            | Action::SummaryNextCell
            | Action::SummaryPrevCell
            | Action::SummaryFilter
            | Action::SummaryClose => Context::Summary,
            Action::PersonDown
            | Action::PersonUp
            | Action::PersonPageDown
            | Action::PersonPageUp
            | Action::PersonTop
            | Action::PersonBottom
            | Action::PersonSelect
            | Action::PersonNarrow
            | Action::PersonClose => Context::Person,
            Action::SchemaDown
            | Action::SchemaUp
            | Action::SchemaPageDown
            | Action::SchemaPageUp
            | Action::SchemaTop
            | Action::SchemaBottom
            | Action::SchemaSelect
            | Action::SchemaClose => Context::Schema,
            Action::FoldNode
            | Action::UnfoldNode
            | Action::FoldSiblings
            | Action::UnfoldSiblings
            | Action::FoldAll
            | Action::UnfoldAll => Context::Tree,
            Action::DiffDown
            | Action::DiffUp
            | Action::DiffPageDown
            | Action::DiffPageUp
            | Action::DiffTop
            | Action::DiffBottom
            | Action::DiffToggleVolatile
            | Action::DiffClose => Context::Diff,
            _ => Context::Main,
        }
    }

    /// The destination a `forward-destination-N` action picks (0-based).
    pub fn destination_index(self) -> Option<usize> {
        const PICKS: [Action; 9] = [
            Action::ForwardDestination1,
            Action::ForwardDestination2,
            Action::ForwardDestination3,
            Action::ForwardDestination4,
            Action::ForwardDestination5,
            Action::ForwardDestination6,
            Action::ForwardDestination7,
            Action::ForwardDestination8,
            Action::ForwardDestination9,
        ];
        PICKS.iter().position(|a| *a == self)
    }
}
