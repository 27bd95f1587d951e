//! Everything a user can ask of the viewer. Keys map to actions (see `keys`); state changes
//! only in `App::update(action)`.

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
    /// In the Findings tab: show the selected finding's line in the Pretty tab.
    JumpToFinding,
    /// Hide PII values on screen.
    ToggleMask,
    /// Messages and findings per event name.
    Summary,
    ToggleWrap,
    CopyMessage,
    CopyPath,
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
}

impl Action {
    pub const ALL: [Action; 37] = [
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
        Action::JumpToFinding,
        Action::ToggleMask,
        Action::Summary,
        Action::ToggleWrap,
        Action::CopyMessage,
        Action::CopyPath,
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
            Action::OpenFilter => "filter: text, type:, event:, user:, id:, key:, has:, jq:",
            Action::ClearFilter => "clear the filter",
            Action::NextMatch => "next filter match in the detail pane",
            Action::PrevMatch => "previous filter match in the detail pane",
            Action::SwitchFocus => "focus list / detail",
            Action::NextTab => "next detail tab",
            Action::PrevTab => "previous detail tab",
            Action::ShowPretty => "Pretty tab (highlighted JSON)",
            Action::ShowRaw => "Raw tab (as received)",
            Action::ShowCall => "Call tab (the SDK call)",
            Action::ShowFindings => "Findings tab (spec, plan and PII verdicts)",
            Action::JumpToFinding => {
                "in Findings: show the finding's line; in Deliveries: show the message"
            }
            Action::ToggleMask => "mask PII values on screen",
            Action::Summary => "summary: messages, findings by rule and PII per event name",
            Action::ToggleWrap => "wrap long lines",
            Action::CopyMessage => "copy the message JSON (OSC 52)",
            Action::CopyPath => "copy the JSON path of the line under the cursor",
            Action::WriteView => "write the filtered view to an NDJSON file",
            Action::Clear => "clear all messages",
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
        }
    }
}
