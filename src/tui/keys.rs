//! Key bindings: one table drives the dispatcher, the footer, the help overlay, the popups'
//! key hints and the README's key tables. Users override bindings in `eventscope.toml` under
//! `[keys]` (`quit = ["q", "ctrl-c"]`, `forward-send = ["ctrl-s"]`). A popup's actions count only
//! while it is open ([`Context`]), so they may reuse the main view's keys.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Context};

/// A key with modifiers, as written in config: `q`, `G`, `ctrl-c`, `shift-tab`, `enter`, `f1`;
/// or a two-key sequence, vim's way: `z c` (a plain character, then a key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    /// The first key of a sequence (`z` of `z c`); `None` for a single key.
    pub lead: Option<char>,
}

impl Key {
    pub fn from_event(event: KeyEvent) -> Key {
        let mut modifiers = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        // Shift is part of the character for letters and symbols; keep it for special keys.
        if !matches!(event.code, KeyCode::Char(_)) {
            modifiers |= event.modifiers & KeyModifiers::SHIFT;
        }
        let code = match event.code {
            KeyCode::BackTab => KeyCode::Tab,
            code => code,
        };
        if event.code == KeyCode::BackTab {
            modifiers |= KeyModifiers::SHIFT;
        }
        Key {
            code,
            modifiers,
            lead: None,
        }
    }

    /// This key as the second of a sequence led by `lead`.
    pub fn after(self, lead: char) -> Key {
        Key {
            lead: Some(lead),
            ..self
        }
    }

    pub fn parse(text: &str) -> Result<Key, String> {
        if let Some((first, second)) = text.split_once(' ') {
            let lead = match Key::parse(first)? {
                Key {
                    code: KeyCode::Char(c),
                    modifiers: KeyModifiers::NONE,
                    lead: None,
                } if c != ' ' => c,
                _ => {
                    return Err(format!(
                        "{text:?}: a sequence starts with a plain character, like \"z c\""
                    ));
                }
            };
            return match Key::parse(second)? {
                key @ Key { lead: None, .. } => Ok(key.after(lead)),
                _ => Err(format!("{text:?}: a sequence has two keys, like \"z c\"")),
            };
        }
        Self::parse_one(text)
    }

    fn parse_one(text: &str) -> Result<Key, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl-") {
                modifiers |= KeyModifiers::CONTROL;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("alt-") {
                modifiers |= KeyModifiers::ALT;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("shift-").filter(|r| r.len() > 1) {
                modifiers |= KeyModifiers::SHIFT;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdown" | "pagedown" => KeyCode::PageDown,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => return Err(format!("unknown key {text:?}")),
                }
            }
        };
        Ok(Key {
            code,
            modifiers,
            lead: None,
        })
    }

    /// How the key is shown in help and the footer (a sequence as `zc`).
    pub fn label(&self) -> String {
        let mut label = String::new();
        label.extend(self.lead);
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            label.push_str("Ctrl-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            label.push_str("Alt-");
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            label.push_str("Shift-");
        }
        match self.code {
            KeyCode::Char(' ') => label.push_str("Space"),
            KeyCode::Char(c) => label.push(c),
            KeyCode::Enter => label.push_str("Enter"),
            KeyCode::Esc => label.push_str("Esc"),
            KeyCode::Tab => label.push_str("Tab"),
            KeyCode::Up => label.push('↑'),
            KeyCode::Down => label.push('↓'),
            KeyCode::Left => label.push('←'),
            KeyCode::Right => label.push('→'),
            KeyCode::Home => label.push_str("Home"),
            KeyCode::End => label.push_str("End"),
            KeyCode::PageUp => label.push_str("PgUp"),
            KeyCode::PageDown => label.push_str("PgDn"),
            KeyCode::F(n) => label.push_str(&format!("F{n}")),
            other => label.push_str(&format!("{other:?}")),
        }
        label
    }
}

/// The default bindings, in help order: the main view's, then each popup's.
pub const DEFAULTS: &[(Action, &[&str])] = &[
    (Action::Down, &["j", "down"]),
    (Action::Up, &["k", "up"]),
    (Action::PageDown, &["pgdown", "ctrl-d"]),
    (Action::PageUp, &["pgup", "ctrl-u"]),
    (Action::Top, &["g", "home"]),
    (Action::Live, &["G", "end"]),
    (Action::TogglePause, &["p"]),
    (Action::OpenFilter, &["/"]),
    (Action::ClearFilter, &["ctrl-l"]),
    (Action::NextMatch, &["n"]),
    (Action::PrevMatch, &["N"]),
    (Action::SwitchFocus, &["tab"]),
    (Action::NextTab, &["]", "right"]),
    (Action::PrevTab, &["[", "left"]),
    (Action::ShowPretty, &["1"]),
    (Action::ShowRaw, &["2"]),
    (Action::ShowCall, &["3"]),
    (Action::ShowFindings, &["4"]),
    (Action::ShowRouting, &["5"]),
    (Action::ShowWarehouse, &["6"]),
    (Action::JumpToFinding, &["enter"]),
    (Action::ToggleMask, &["m"]),
    (Action::Summary, &["s"]),
    (Action::Person, &["P"]),
    (Action::Schema, &["W"]),
    (Action::Sql, &[":"]),
    (Action::Diff, &["="]),
    (Action::ToggleWrap, &["z"]),
    (Action::CopyMessage, &["y"]),
    (Action::CopyPath, &["Y"]),
    (Action::CopyValue, &["c"]),
    (Action::WriteView, &["w"]),
    (Action::Clear, &["X"]),
    (Action::ToggleMark, &["space"]),
    (Action::MarkRange, &["V"]),
    (Action::MarkMatching, &["*"]),
    (Action::ClearMarks, &["u"]),
    (Action::Forward, &["f"]),
    (Action::Replay, &["R"]),
    (Action::Deliveries, &["d"]),
    (Action::MessageDeliveries, &["D"]),
    (Action::Help, &["?", "f1"]),
    (Action::Back, &["esc"]),
    (Action::JumpToTime, &["t"]),
    (Action::Quit, &["q", "ctrl-c"]),
    (Action::SavedViews, &["v"]),
    // The Pretty tree (detail pane focused); its keys come before the main view's.
    (Action::FoldNode, &["h", "left", "z c"]),
    (Action::UnfoldNode, &["l", "right", "z o"]),
    (Action::FoldSiblings, &["H"]),
    (Action::UnfoldSiblings, &["L"]),
    (Action::FoldAll, &["alt-h", "z M"]),
    (Action::UnfoldAll, &["alt-l", "z R"]),
    // The forward popup.
    (Action::ForwardSend, &["enter"]),
    (Action::ForwardEdit, &["e"]),
    (Action::ForwardIgnoreRouting, &["i"]),
    (Action::ForwardPrevDestination, &["left", "h", "shift-tab"]),
    (Action::ForwardNextDestination, &["right", "l", "tab"]),
    (Action::ForwardDestination1, &["1"]),
    (Action::ForwardDestination2, &["2"]),
    (Action::ForwardDestination3, &["3"]),
    (Action::ForwardDestination4, &["4"]),
    (Action::ForwardDestination5, &["5"]),
    (Action::ForwardDestination6, &["6"]),
    (Action::ForwardDestination7, &["7"]),
    (Action::ForwardDestination8, &["8"]),
    (Action::ForwardDestination9, &["9"]),
    (Action::ForwardPrevRequest, &["["]),
    (Action::ForwardNextRequest, &["]"]),
    (Action::ForwardScrollUp, &["up", "k"]),
    (Action::ForwardScrollDown, &["down", "j"]),
    (Action::ForwardPageUp, &["pgup", "ctrl-u"]),
    (Action::ForwardPageDown, &["pgdown", "space", "ctrl-d"]),
    (Action::ForwardTop, &["home", "g"]),
    (Action::ForwardBottom, &["end", "G"]),
    (Action::ForwardClose, &["esc", "q"]),
    // The replay popup.
    (Action::ReplaySend, &["enter"]),
    (Action::ReplayPrevOption, &["up", "k", "shift-tab"]),
    (Action::ReplayNextOption, &["down", "j", "tab"]),
    (Action::ReplayChange, &["space", "left", "right", "h", "l"]),
    (Action::ReplayToggleIds, &["i"]),
    (Action::ReplayToggleTimes, &["t"]),
    (Action::ReplayClose, &["esc", "q"]),
    // The Summary.
    (Action::SummaryDown, &["j", "down"]),
    (Action::SummaryUp, &["k", "up"]),
    (Action::SummaryPageDown, &["pgdown", "ctrl-d", "space"]),
    (Action::SummaryPageUp, &["pgup", "ctrl-u"]),
    (Action::SummaryTop, &["g", "home"]),
    (Action::SummaryBottom, &["G", "end"]),
    (Action::SummarySort, &["o"]),
    (Action::SummaryNextTab, &["tab", "]"]),
    (Action::SummaryPrevTab, &["shift-tab", "["]),
    (Action::SummaryNextCell, &["right", "l"]),
    (Action::SummaryPrevCell, &["left", "h"]),
    (Action::SummaryFilter, &["enter"]),
    (Action::SummaryClose, &["esc", "q", "s"]),
    // The person view.
    (Action::PersonDown, &["j", "down"]),
    (Action::PersonUp, &["k", "up"]),
    (Action::PersonPageDown, &["pgdown", "ctrl-d", "space"]),
    (Action::PersonPageUp, &["pgup", "ctrl-u"]),
    (Action::PersonTop, &["g", "home"]),
    (Action::PersonBottom, &["G", "end"]),
    (Action::PersonSelect, &["enter"]),
    (Action::PersonNarrow, &["/"]),
    (Action::PersonClose, &["esc", "q", "P"]),
    // The schema view.
    (Action::SchemaDown, &["j", "down"]),
    (Action::SchemaUp, &["k", "up"]),
    (Action::SchemaPageDown, &["pgdown", "ctrl-d", "space"]),
    (Action::SchemaPageUp, &["pgup", "ctrl-u"]),
    (Action::SchemaTop, &["g", "home"]),
    (Action::SchemaBottom, &["G", "end"]),
    (Action::SchemaSelect, &["enter"]),
    (Action::SchemaClose, &["esc", "q", "W"]),
    // The diff pane.
    (Action::DiffDown, &["j", "down"]),
    (Action::DiffUp, &["k", "up"]),
    (Action::DiffPageDown, &["pgdown", "ctrl-d", "space"]),
    (Action::DiffPageUp, &["pgup", "ctrl-u"]),
    (Action::DiffTop, &["g", "home"]),
    (Action::DiffBottom, &["G", "end"]),
    (Action::DiffToggleVolatile, &["v"]),
    (Action::DiffClose, &["esc", "q", "="]),
];

/// Actions shown in the footer, in order.
pub const FOOTER: &[Action] = &[
    Action::OpenFilter,
    Action::TogglePause,
    Action::Live,
    Action::SwitchFocus,
    Action::NextTab,
    Action::CopyMessage,
    Action::WriteView,
    Action::Help,
    Action::Quit,
];

/// The footer while messages are marked.
pub const FOOTER_MARKED: &[Action] = &[
    Action::ToggleMark,
    Action::MarkRange,
    Action::Forward,
    Action::Replay,
    Action::ClearMarks,
    Action::Deliveries,
    Action::Help,
    Action::Quit,
];

/// The footer of the Deliveries view.
pub const FOOTER_DELIVERIES: &[Action] = &[
    Action::OpenFilter,
    Action::SwitchFocus,
    Action::JumpToFinding,
    Action::Back,
    Action::Help,
    Action::Quit,
];

#[derive(Debug, Clone)]
pub struct KeyMap {
    /// Each action's keys, in help order.
    bindings: Vec<(Action, Vec<Key>)>,
    /// A key means one action per context.
    lookup: HashMap<(Context, Key), Action>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .map(|(action, keys)| {
                let keys = keys.iter().filter_map(|k| Key::parse(k).ok()).collect();
                (*action, keys)
            })
            .collect();
        KeyMap::from_bindings(bindings)
    }
}

impl KeyMap {
    fn from_bindings(bindings: Vec<(Action, Vec<Key>)>) -> KeyMap {
        let mut lookup = HashMap::new();
        for (action, keys) in &bindings {
            for key in keys {
                lookup.insert((action.context(), *key), *action);
            }
        }
        KeyMap { bindings, lookup }
    }

    /// The defaults with `overrides` (action name → keys) replacing whole bindings. A key taken
    /// by an override leaves the other actions of the same context.
    pub fn with_overrides(overrides: &HashMap<String, Vec<String>>) -> Result<KeyMap, String> {
        let mut map = KeyMap::default();
        for (name, keys) in overrides {
            let action =
                action_named(name).ok_or_else(|| format!("[keys]: unknown action {name:?}"))?;
            let keys = keys
                .iter()
                .map(|k| Key::parse(k).map_err(|e| format!("[keys] {name}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            for (other, bound) in &mut map.bindings {
                if other.context() == action.context() {
                    bound.retain(|k| !keys.contains(k));
                }
            }
            if let Some((_, bound)) = map.bindings.iter_mut().find(|(a, _)| *a == action) {
                *bound = keys;
            }
        }
        Ok(KeyMap::from_bindings(map.bindings))
    }

    /// The main view's action for a key.
    pub fn action(&self, event: KeyEvent) -> Option<Action> {
        self.action_in(Context::Main, event)
    }

    /// The action a key means in `context`.
    pub fn action_in(&self, context: Context, event: KeyEvent) -> Option<Action> {
        self.lookup.get(&(context, Key::from_event(event))).copied()
    }

    /// The action of the sequence `lead`, then `event`, in `context`.
    pub fn action_after(&self, context: Context, lead: char, event: KeyEvent) -> Option<Action> {
        let key = Key::from_event(event).after(lead);
        self.lookup.get(&(context, key)).copied()
    }

    /// The character `event` types when it starts a sequence bound in `context`.
    pub fn lead_of(&self, context: Context, event: KeyEvent) -> Option<char> {
        match Key::from_event(event) {
            Key {
                code: KeyCode::Char(c),
                modifiers: KeyModifiers::NONE,
                ..
            } => self
                .lookup
                .keys()
                .any(|(ctx, key)| *ctx == context && key.lead == Some(c))
                .then_some(c),
            _ => None,
        }
    }

    /// What can follow `lead` in `context`, for the status line: `c fold the node · o …`.
    pub fn sequences_after(&self, context: Context, lead: char) -> String {
        let mut hints = Vec::new();
        for (action, keys) in self.bindings(context) {
            for key in keys.iter().filter(|k| k.lead == Some(lead)) {
                let second = Key { lead: None, ..*key };
                // The description up to its aside: `fold the node under the cursor`.
                let what = action.description();
                let what = what.split(" (").next().unwrap_or(what);
                hints.push(format!("{} {what}", second.label()));
            }
        }
        hints.join(" · ")
    }

    /// The bindings of `context`, in help order.
    pub fn bindings(&self, context: Context) -> impl Iterator<Item = &(Action, Vec<Key>)> {
        self.bindings
            .iter()
            .filter(move |(action, _)| action.context() == context)
    }

    /// The key table of `context` as Markdown, as the README shows it.
    pub fn markdown_table(&self, context: Context) -> String {
        let mut table = String::from("| keys | action |\n|---|---|\n");
        for (action, keys) in self.bindings(context) {
            let keys: Vec<String> = keys
                .iter()
                .map(|k| format!("`{}`", k.label().replace('|', "\\|")))
                .collect();
            table.push_str(&format!(
                "| {} | {} |\n",
                keys.join(" "),
                action.description()
            ));
        }
        table
    }

    /// The label of an action's first key.
    pub fn first_key_label(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, keys)| keys.first())
            .map(Key::label)
            .unwrap_or_default()
    }

    /// The label of an action's `n`th key (from 0), or of its first when it has fewer.
    pub fn nth_key_label(&self, action: Action, n: usize) -> String {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, keys)| keys.get(n).or(keys.first()))
            .map(Key::label)
            .unwrap_or_default()
    }

    /// A key hint with the keys filled in from the bindings: `{forward-send} send` reads
    /// `Enter send`. `{name}` is the action's first key, `{name.N}` its `N`th (from 1; the first
    /// when it has fewer, so a rebound action still shows a key). A name that is no action is
    /// left as written (the tests keep the hints honest).
    pub fn hint(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                rest = &rest[open..];
                break;
            };
            let placeholder = &after[..close];
            let (name, nth) = match placeholder.split_once('.') {
                Some((name, n)) => (name, n.parse::<usize>().ok().and_then(|n| n.checked_sub(1))),
                None => (placeholder, Some(0)),
            };
            match (action_named(name), nth) {
                (Some(action), Some(n)) => out.push_str(&self.nth_key_label(action, n)),
                _ => {
                    out.push('{');
                    out.push_str(placeholder);
                    out.push('}');
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// `j/↓`-style label of an action's keys.
    pub fn keys_label(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, keys)| keys.iter().map(Key::label).collect::<Vec<_>>().join("/"))
            .unwrap_or_default()
    }
}

/// The action `[keys]` calls `name` (`toggle-pause`, `forward-send`).
pub fn action_named(name: &str) -> Option<Action> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_parse_label_and_refuse_what_cannot_lead() {
        let zc = Key::parse("z c").unwrap();
        assert_eq!(zc.lead, Some('z'));
        assert_eq!(zc.code, KeyCode::Char('c'));
        assert_eq!(zc.label(), "zc");
        assert_eq!(Key::parse("g ctrl-d").unwrap().label(), "gCtrl-d");
        for bad in ["ctrl-z c", "enter c", "z c d", "z "] {
            assert!(Key::parse(bad).is_err(), "{bad:?}");
        }
        let map = KeyMap::default();
        let z = KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE);
        assert_eq!(map.lead_of(Context::Tree, z), Some('z'));
        assert_eq!(
            map.lead_of(Context::Main, z),
            None,
            "z wraps at once in the list"
        );
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(
            map.action_after(Context::Tree, 'z', c),
            Some(Action::FoldNode)
        );
        assert_eq!(map.action_in(Context::Tree, c), None, "c alone is no fold");
    }

    #[test]
    fn every_action_has_a_default_binding_with_a_description() {
        let map = KeyMap::default();
        for action in Action::ALL {
            assert!(!map.keys_label(action).is_empty(), "{action:?} has no key");
            assert!(!action.description().is_empty());
        }
        assert_eq!(DEFAULTS.len(), Action::ALL.len());
    }

    #[test]
    fn the_readme_key_tables_match_the_bindings() {
        let readme = include_str!("../../README.md");
        for context in Context::ALL {
            let table = KeyMap::default().markdown_table(context);
            assert!(
                readme.contains(&table),
                "README.md's {} table is out of date; it should read:\n{table}",
                context.title()
            );
        }
    }

    #[test]
    fn popup_keys_may_reuse_main_keys_and_overrides_stay_in_their_context() {
        let map = KeyMap::default();
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.action(q), Some(Action::Quit));
        assert_eq!(
            map.action_in(Context::Forward, q),
            Some(Action::ForwardClose)
        );
        assert_eq!(map.action_in(Context::Replay, q), Some(Action::ReplayClose));
        let overrides = HashMap::from([("forward-send".to_string(), vec!["q".to_string()])]);
        let map = KeyMap::with_overrides(&overrides).unwrap();
        assert_eq!(
            map.action_in(Context::Forward, q),
            Some(Action::ForwardSend)
        );
        assert_eq!(map.action(q), Some(Action::Quit), "the main q is untouched");
        assert_eq!(map.keys_label(Action::ForwardClose), "Esc");
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(map.action_in(Context::Forward, enter), None);
    }

    #[test]
    fn hints_take_their_keys_from_the_bindings() {
        let map = KeyMap::default();
        assert_eq!(
            map.hint("{forward-send} send · {replay-change} {replay-change.2}/{replay-change.3}"),
            "Enter send · Space ←/→"
        );
        assert_eq!(map.hint("{no-such-action} x"), "{no-such-action} x");
        let overrides = HashMap::from([("forward-send".to_string(), vec!["ctrl-s".to_string()])]);
        let map = KeyMap::with_overrides(&overrides).unwrap();
        assert_eq!(map.hint("{forward-send} send"), "Ctrl-s send");
    }

    #[test]
    fn parses_and_dispatches_keys() {
        let map = KeyMap::default();
        let press = |code, modifiers| KeyEvent::new(code, modifiers);
        assert_eq!(
            map.action(press(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            map.action(press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            map.action(press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Live)
        );
        assert_eq!(
            map.action(press(KeyCode::Char('/'), KeyModifiers::NONE)),
            Some(Action::OpenFilter)
        );
        assert_eq!(
            map.action(press(KeyCode::End, KeyModifiers::NONE)),
            Some(Action::Live)
        );
        assert_eq!(map.keys_label(Action::Down), "j/↓");
        assert!(Key::parse("ctrl-").is_err());
        assert!(Key::parse("hyper-x").is_err());
    }

    #[test]
    fn overrides_replace_bindings_and_free_their_keys() {
        let overrides = HashMap::from([("quit".to_string(), vec!["x".to_string()])]);
        let map = KeyMap::with_overrides(&overrides).unwrap();
        let x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.action(x), Some(Action::Quit));
        assert_eq!(map.action(q), None);
        let bad = HashMap::from([("fly".to_string(), vec!["x".to_string()])]);
        assert!(KeyMap::with_overrides(&bad).unwrap_err().contains("fly"));
    }
}
