//! Syntax highlighting of the detail pane's JSON, off the UI thread and cached.
//!
//! [`highlight_doc`] colors a [`PrettyDoc`] with syntect's JSON syntax and the theme's payload
//! theme. [`HighlightWorker`] runs it on one dedicated thread: the newest request wins (older
//! pending ones are dropped unseen), and results land both in the results channel and in a
//! small LRU shared with the UI, so revisiting a message costs nothing.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::JoinHandle;

use ratatui::style::{Modifier, Style};
use syntect::highlighting::{FontStyle, HighlightState, Highlighter, RangedHighlightIterator};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};
use tokio::sync::mpsc::UnboundedSender;

use crate::tui::theme::{ColorMode, Theme, to_color};
use eventscope_core::model::pretty::{PrettyDoc, PrettyLine, pretty};

/// Longer lines are left plain: syntect's regexes cost grows with the line.
pub const MAX_HIGHLIGHT_LINE: usize = 2_000;

/// Entries kept by [`HighlightWorker`]'s cache …
pub const CACHE_ENTRIES: usize = 64;

/// … and the memory they may take, estimated (the newest entry is kept whatever its size).
pub const CACHE_BYTES: usize = 32 * 1024 * 1024;

/// One styled line: byte ranges into the [`PrettyLine`] text, in order, covering it fully.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StyledLine {
    pub spans: Vec<(Range<usize>, Style)>,
}

impl StyledLine {
    fn plain(len: usize, style: Style) -> StyledLine {
        StyledLine {
            spans: vec![(0..len, style)],
        }
    }

    /// Appends a span, merging it into the last one when the style is the same.
    fn push(&mut self, range: Range<usize>, style: Style) {
        if range.is_empty() {
            return;
        }
        match self.spans.last_mut() {
            Some((last, last_style)) if *last_style == style && last.end == range.start => {
                last.end = range.end;
            }
            _ => self.spans.push((range, style)),
        }
    }
}

struct Assets {
    syntaxes: SyntaxSet,
    json: usize,
}

/// syntect's default syntaxes (without newlines: lines are fed as they are), loaded once.
fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let syntaxes = SyntaxSet::load_defaults_nonewlines();
        let json = syntaxes
            .syntaxes()
            .iter()
            .position(|s| s.name == "JSON")
            .or_else(|| {
                let by_ext = syntaxes.find_syntax_by_extension("json")?;
                syntaxes
                    .syntaxes()
                    .iter()
                    .position(|s| s.name == by_ext.name)
            })
            .unwrap_or(0);
        Assets { syntaxes, json }
    })
}

impl Assets {
    fn json(&self) -> &SyntaxReference {
        &self.syntaxes.syntaxes()[self.json]
    }
}

/// Styles every line of `doc`. Lines over [`MAX_HIGHLIGHT_LINE`] bytes stay plain (the UI
/// foreground). In `NoColor` mode keys are bold and everything else unstyled.
pub fn highlight_doc(doc: &PrettyDoc, theme: &Theme) -> Vec<StyledLine> {
    if theme.mode == ColorMode::NoColor {
        return doc.lines.iter().map(no_color_line).collect();
    }
    let plain = Style::new().fg(theme.ui.fg);
    let assets = assets();
    let highlighter = Highlighter::new(&theme.payload);
    let mut state = HighlightState::new(&highlighter, ScopeStack::new());
    let mut parser = ParseState::new(assets.json());
    let mut broken = false;
    doc.lines
        .iter()
        .map(|line| {
            let text = line.text.as_str();
            if broken {
                return StyledLine::plain(text.len(), plain);
            }
            if text.len() > MAX_HIGHLIGHT_LINE {
                // Feed a short line of the same shape, so the lines after it keep their state.
                if parser
                    .parse_line(&stand_in(line), &assets.syntaxes)
                    .is_err()
                {
                    broken = true;
                }
                return StyledLine::plain(text.len(), plain);
            }
            let Ok(ops) = parser.parse_line(text, &assets.syntaxes) else {
                broken = true;
                return StyledLine::plain(text.len(), plain);
            };
            let mut styled = StyledLine::default();
            for (style, _, range) in
                RangedHighlightIterator::new(&mut state, &ops, text, &highlighter)
            {
                styled.push(range, convert(style, theme.mode));
            }
            if styled.spans.last().map_or(0, |(r, _)| r.end) < text.len() {
                let end = styled.spans.last().map_or(0, |(r, _)| r.end);
                styled.push(end..text.len(), plain);
            }
            styled
        })
        .collect()
}

/// `"key": ` kept, the value replaced by `0` (a bracket stays), the trailing comma kept.
fn stand_in(line: &PrettyLine) -> String {
    let text = line.text.as_str();
    let mut out = String::new();
    if line.key.is_some() {
        out.push_str("\"\": ");
    }
    let rest = match (&line.value, &line.key) {
        (Some(_), _) => "0",
        (None, Some(key)) => text[key.end..].trim_start_matches([':', ' ']),
        // Brackets are short: this is a raw line of text that is not JSON.
        (None, None) => return String::new(),
    };
    out.push_str(rest.trim_end_matches(','));
    if text.ends_with(',') {
        out.push(',');
    }
    out
}

fn no_color_line(line: &PrettyLine) -> StyledLine {
    let mut styled = StyledLine::default();
    match &line.key {
        Some(key) => {
            styled.push(0..key.start, Style::new());
            styled.push(key.clone(), Style::new().add_modifier(Modifier::BOLD));
            styled.push(key.end..line.text.len(), Style::new());
        }
        None => styled.push(0..line.text.len(), Style::new()),
    }
    if styled.spans.is_empty() {
        styled.spans.push((0..0, Style::new()));
    }
    styled
}

/// syntect's style as a ratatui style: the foreground and font style only, so the pane's
/// background (and the selection's) shows through.
fn convert(style: syntect::highlighting::Style, mode: ColorMode) -> Style {
    let c = style.foreground;
    let mut out = Style::new().fg(to_color((c.r, c.g, c.b), mode));
    for (font, modifier) in [
        (FontStyle::BOLD, Modifier::BOLD),
        (FontStyle::ITALIC, Modifier::ITALIC),
        (FontStyle::UNDERLINE, Modifier::UNDERLINED),
    ] {
        if style.font_style.contains(font) {
            out = out.add_modifier(modifier);
        }
    }
    out
}

/// What a highlight is for: a message (`id`, e.g. its seq) in a theme. Put everything that
/// changes the result in it: if the color mode can change at run time, in `theme` too.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct HighlightKey {
    pub id: u64,
    pub theme: String,
}

/// A finished highlight.
#[derive(Clone, Debug)]
pub struct Highlighted {
    pub key: HighlightKey,
    pub doc: Arc<PrettyDoc>,
    pub lines: Arc<Vec<StyledLine>>,
}

impl Highlighted {
    /// Roughly the memory its document and styles take.
    fn bytes(&self) -> usize {
        let per_line = std::mem::size_of::<PrettyLine>() + std::mem::size_of::<StyledLine>();
        let lines = self.doc.lines.iter().map(|l| l.text.len() + l.path.len());
        let spans = self
            .lines
            .iter()
            .map(|l| l.spans.len() * std::mem::size_of::<(Range<usize>, Style)>());
        self.doc.lines.len() * per_line + lines.sum::<usize>() + spans.sum::<usize>()
    }
}

/// Least recently used entries go first.
struct Lru {
    order: VecDeque<HighlightKey>,
    entries: HashMap<HighlightKey, (Highlighted, usize)>,
    capacity: usize,
    /// What the entries take, estimated, and the most they may.
    bytes: usize,
    max_bytes: usize,
}

impl Lru {
    fn new(capacity: usize) -> Lru {
        Lru {
            order: VecDeque::with_capacity(capacity + 1),
            entries: HashMap::with_capacity(capacity + 1),
            capacity,
            bytes: 0,
            max_bytes: CACHE_BYTES,
        }
    }

    fn touch(&mut self, key: &HighlightKey) {
        if let Some(i) = self.order.iter().position(|k| k == key)
            && let Some(k) = self.order.remove(i)
        {
            self.order.push_back(k);
        }
    }

    fn get(&mut self, key: &HighlightKey) -> Option<Highlighted> {
        let hit = self.entries.get(key)?.0.clone();
        self.touch(key);
        Some(hit)
    }

    fn insert(&mut self, value: Highlighted) {
        let key = value.key.clone();
        let bytes = value.bytes();
        self.bytes += bytes;
        if let Some((_, old)) = self.entries.insert(key.clone(), (value, bytes)) {
            self.bytes -= old;
            self.touch(&key);
        } else {
            self.order.push_back(key);
        }
        while self.order.len() > self.capacity
            || (self.bytes > self.max_bytes && self.order.len() > 1)
        {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some((_, bytes)) = self.entries.remove(&old) {
                self.bytes -= bytes;
            }
        }
    }
}

/// One highlighting asked for: the newest replaces an older one still waiting.
struct HighlightRequest {
    key: HighlightKey,
    input: Input,
    theme: Arc<Theme>,
}

/// What to highlight: JSON text (pretty-printed here), or a document already laid out (shared,
/// not copied: the detail pane's, cut to its bounds).
enum Input {
    Json(Arc<str>),
    Doc(Arc<PrettyDoc>),
}

#[derive(Default)]
struct Queue {
    pending: Option<HighlightRequest>,
    shutdown: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    cache: Mutex<Lru>,
    computed: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Pretty-prints and highlights on one dedicated thread. Dropping it stops the thread (after
/// the highlight in progress, if any) without waiting for it.
pub struct HighlightWorker {
    shared: Arc<Shared>,
    results: UnboundedSender<Highlighted>,
    thread: Option<JoinHandle<()>>,
}

impl HighlightWorker {
    /// Starts the thread; results are sent to `results` (and kept in the cache).
    #[allow(
        clippy::expect_used,
        reason = "a viewer that cannot start a thread cannot run"
    )]
    pub fn spawn(results: UnboundedSender<Highlighted>) -> HighlightWorker {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            cache: Mutex::new(Lru::new(CACHE_ENTRIES)),
            computed: AtomicU64::new(0),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            let results = results.clone();
            std::thread::Builder::new()
                .name("eventscope-highlight".into())
                .spawn(move || run(&shared, &results))
                .expect("spawning the highlight thread")
        };
        HighlightWorker {
            shared,
            results,
            thread: Some(thread),
        }
    }

    /// Asks for `json` highlighted with `theme` under `key`. A cached key is answered at once
    /// (sent to the results channel from this thread); otherwise this request replaces any
    /// that is still pending. A highlight already in progress still finishes and is sent, so
    /// check the key of what arrives.
    pub fn request(&self, key: HighlightKey, json: Arc<str>, theme: Arc<Theme>) {
        self.ask(key, Input::Json(json), theme);
    }

    /// As [`HighlightWorker::request`], for a document already pretty-printed: the highlight
    /// shares it.
    pub fn request_doc(&self, key: HighlightKey, doc: Arc<PrettyDoc>, theme: Arc<Theme>) {
        self.ask(key, Input::Doc(doc), theme);
    }

    fn ask(&self, key: HighlightKey, input: Input, theme: Arc<Theme>) {
        if let Some(hit) = self.cached(&key) {
            lock(&self.shared.queue).pending = None;
            let _ = self.results.send(hit);
            return;
        }
        self.enqueue(HighlightRequest { key, input, theme });
    }

    fn enqueue(&self, job: HighlightRequest) {
        lock(&self.shared.queue).pending = Some(job);
        self.shared.wake.notify_one();
    }

    /// A finished highlight from the cache, if there is one.
    pub fn cached(&self, key: &HighlightKey) -> Option<Highlighted> {
        lock(&self.shared.cache).get(key)
    }

    /// How many highlights the worker has computed (cache hits and dropped requests not
    /// counted).
    pub fn computed(&self) -> u64 {
        self.shared.computed.load(Ordering::Relaxed)
    }
}

impl Drop for HighlightWorker {
    fn drop(&mut self) {
        lock(&self.shared.queue).shutdown = true;
        self.shared.wake.notify_one();
        // Not joined: quitting must not wait for a long document's highlight; the thread
        // ends after it (or with the process).
        self.thread.take();
    }
}

fn run(shared: &Shared, results: &UnboundedSender<Highlighted>) {
    loop {
        let job = {
            let mut queue = lock(&shared.queue);
            loop {
                if queue.shutdown {
                    return;
                }
                if let Some(job) = queue.pending.take() {
                    break job;
                }
                queue = shared
                    .wake
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let cached = lock(&shared.cache).get(&job.key);
        let done = cached.unwrap_or_else(|| {
            let done = compute(job);
            shared.computed.fetch_add(1, Ordering::Relaxed);
            lock(&shared.cache).insert(done.clone());
            done
        });
        if results.send(done).is_err() {
            return;
        }
    }
}

fn compute(job: HighlightRequest) -> Highlighted {
    let HighlightRequest { key, input, theme } = job;
    // A bug in the printer or syntect must not take the worker down: show the text plain.
    let (doc, lines) = std::panic::catch_unwind(|| {
        let doc = match &input {
            Input::Json(json) => Arc::new(pretty(json)),
            Input::Doc(doc) => Arc::clone(doc),
        };
        let lines = highlight_doc(&doc, &theme);
        (doc, lines)
    })
    .unwrap_or_else(|_| {
        let doc = match &input {
            Input::Doc(doc) => Arc::clone(doc),
            Input::Json(json) => Arc::new(PrettyDoc {
                lines: json
                    .lines()
                    .map(|l| PrettyLine {
                        text: l.to_string(),
                        path: String::new(),
                        depth: 0,
                        key: None,
                        value: None,
                        fold: None,
                    })
                    .collect(),
            }),
        };
        let plain = theme.fg(theme.ui.fg);
        let lines = doc
            .lines
            .iter()
            .map(|l| StyledLine::plain(l.text.len(), plain))
            .collect();
        (doc, lines)
    });
    Highlighted {
        key,
        doc,
        lines: Arc::new(lines),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use ratatui::style::Color;
    use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

    use super::*;
    use crate::tui::theme::{builtin_theme_names, load_theme};

    fn largest_fixture() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events.ndjson");
        let fixture = std::fs::read_to_string(path).expect("fixture");
        fixture.lines().max_by_key(|l| l.len()).unwrap().to_string()
    }

    fn assert_covers(doc: &PrettyDoc, lines: &[StyledLine]) {
        assert_eq!(doc.lines.len(), lines.len());
        for (line, styled) in doc.lines.iter().zip(lines) {
            let mut at = 0;
            for (range, _) in &styled.spans {
                assert_eq!(range.start, at, "line {:?}", line.text);
                assert!(line.text.is_char_boundary(range.end));
                at = range.end;
            }
            assert_eq!(at, line.text.len(), "line {:?}", line.text);
        }
    }

    fn style_at(styled: &StyledLine, at: usize) -> Style {
        styled
            .spans
            .iter()
            .find(|(r, _)| r.contains(&at))
            .map(|(_, s)| *s)
            .unwrap()
    }

    #[test]
    fn fixture_spans_cover_lines_and_keys_differ_from_strings() {
        let doc = pretty(&largest_fixture());
        for name in builtin_theme_names() {
            for mode in [ColorMode::TrueColor, ColorMode::Ansi16, ColorMode::NoColor] {
                let theme = load_theme(name, mode).unwrap();
                let lines = highlight_doc(&doc, &theme);
                assert_covers(&doc, &lines);
                // A key and a string value on the same line.
                let (i, line) = doc
                    .lines
                    .iter()
                    .enumerate()
                    .find(|(_, l)| {
                        l.key.is_some()
                            && l.value
                                .as_ref()
                                .is_some_and(|v| l.text[v.clone()].starts_with('"'))
                    })
                    .unwrap();
                let key = style_at(&lines[i], line.key.clone().unwrap().start + 1);
                let value = style_at(&lines[i], line.value.clone().unwrap().start + 1);
                assert_ne!(key, value, "{name} {mode:?}: {}", line.text);
                for styled in &lines {
                    for (_, style) in &styled.spans {
                        assert_eq!(style.bg, None);
                        match mode {
                            ColorMode::NoColor => assert_eq!(style.fg, None),
                            ColorMode::Ansi16 => assert!(!matches!(style.fg, Some(Color::Rgb(..)))),
                            ColorMode::TrueColor => {
                                assert!(matches!(style.fg, Some(Color::Rgb(..))))
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn scalar_kinds_get_their_colors() {
        let theme = load_theme("dark", ColorMode::TrueColor).unwrap();
        let doc = pretty(r#"{"s":"x","n":42.50,"b":true,"z":null,"a":[1,"y"],"o":{"k":"v"}}"#);
        let lines = highlight_doc(&doc, &theme);
        let at = |path: &str| {
            let i = doc.line_of(path).unwrap();
            style_at(&lines[i], doc.lines[i].value.clone().unwrap().start).fg
        };
        let key_of = |path: &str| {
            let i = doc.line_of(path).unwrap();
            style_at(&lines[i], doc.lines[i].key.clone().unwrap().start).fg
        };
        assert_eq!(at("s"), Some(Color::Rgb(0x98, 0xc3, 0x79)));
        assert_eq!(at("a[1]"), at("s"));
        assert_eq!(at("o.k"), at("s"));
        assert_eq!(at("n"), Some(Color::Rgb(0xd1, 0x9a, 0x66)));
        assert_eq!(at("a[0]"), at("n"));
        assert_eq!(at("b"), Some(Color::Rgb(0xc6, 0x78, 0xdd)));
        assert_eq!(at("z"), at("b"));
        assert_eq!(key_of("s"), Some(Color::Rgb(0x61, 0xaf, 0xef)));
        assert_eq!(key_of("o.k"), key_of("s"));
        assert_eq!(key_of("o"), key_of("s"));
    }

    #[test]
    fn long_lines_stay_plain_and_do_not_break_the_rest() {
        let theme = load_theme("dark", ColorMode::TrueColor).unwrap();
        let long = "x".repeat(MAX_HIGHLIGHT_LINE + 10);
        let json = format!(r#"{{"{long}":{{"a":"{long}","b":"short"}},"c":1}}"#);
        let doc = pretty(&json);
        let lines = highlight_doc(&doc, &theme);
        assert_covers(&doc, &lines);
        let plain = Style::new().fg(theme.ui.fg);
        assert_eq!(lines[1].spans, vec![(0..doc.lines[1].text.len(), plain)]);
        assert_eq!(lines[2].spans, vec![(0..doc.lines[2].text.len(), plain)]);
        let reference = highlight_doc(&pretty(r#"{"k":{"a":"v","b":"short"},"c":1}"#), &theme);
        assert_eq!(lines[3], reference[3]);
        assert_eq!(lines[5], reference[5]);
    }

    #[test]
    fn raw_fallback_lines_are_styled_too() {
        let theme = load_theme("light", ColorMode::Ansi16).unwrap();
        let doc = pretty("{\"a\": [1,\nnot json");
        let lines = highlight_doc(&doc, &theme);
        assert_covers(&doc, &lines);
        let long = format!("{{\"a\": \"{}\n[1]", "y".repeat(40_000));
        let doc = pretty(&long);
        let lines = highlight_doc(&doc, &theme);
        assert_covers(&doc, &lines);
        assert_eq!(lines[0].spans.len(), 1);
    }

    fn receive(rx: &mut UnboundedReceiver<Highlighted>, until: &HighlightKey) -> Vec<u64> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        loop {
            match rx.try_recv() {
                Ok(done) => {
                    seen.push(done.key.id);
                    if done.key == *until {
                        return seen;
                    }
                }
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
                Err(e) => panic!("no result for {until:?}: {e:?}, got {seen:?}"),
            }
        }
    }

    fn key(id: u64) -> HighlightKey {
        HighlightKey {
            id,
            theme: "dark".into(),
        }
    }

    #[test]
    fn newest_request_wins() {
        let theme = Arc::new(load_theme("dark", ColorMode::TrueColor).unwrap());
        let json: Arc<str> = largest_fixture().into();
        let (tx, mut rx) = unbounded_channel();
        let worker = HighlightWorker::spawn(tx);
        for id in 0..50 {
            worker.request(key(id), Arc::clone(&json), Arc::clone(&theme));
        }
        let seen = receive(&mut rx, &key(49));
        assert!(worker.computed() < 10, "computed {}", worker.computed());
        assert!(seen.len() < 10, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        let done = worker.cached(&key(49)).unwrap();
        assert!(done.doc.lines.len() > 100);
        assert_eq!(done.doc.lines.len(), done.lines.len());
    }

    #[test]
    fn cache_hits_answer_without_work() {
        let theme = Arc::new(load_theme("dark", ColorMode::TrueColor).unwrap());
        let json: Arc<str> = largest_fixture().into();
        let (tx, mut rx) = unbounded_channel();
        let worker = HighlightWorker::spawn(tx);
        assert!(worker.cached(&key(7)).is_none());
        worker.request(key(7), Arc::clone(&json), Arc::clone(&theme));
        let first = receive(&mut rx, &key(7));
        assert_eq!(first, [7]);
        assert_eq!(worker.computed(), 1);
        let cached = worker.cached(&key(7)).unwrap();

        worker.request(key(7), Arc::clone(&json), Arc::clone(&theme));
        // Answered synchronously from the cache: already in the channel, same allocation.
        let again = rx.try_recv().expect("cache hit is sent at once");
        assert!(Arc::ptr_eq(&again.lines, &cached.lines));
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(worker.computed(), 1);
        assert!(rx.try_recv().is_err());

        // Another theme is another key.
        let other = HighlightKey {
            id: 7,
            theme: "light".into(),
        };
        let light = Arc::new(load_theme("light", ColorMode::TrueColor).unwrap());
        worker.request(other.clone(), json, light);
        receive(&mut rx, &other);
        assert_eq!(worker.computed(), 2);
    }

    #[test]
    fn lru_evicts_least_recently_used() {
        let entry = |id| Highlighted {
            key: key(id),
            doc: Arc::new(PrettyDoc::default()),
            lines: Arc::new(Vec::new()),
        };
        let mut lru = Lru::new(3);
        for id in 0..3 {
            lru.insert(entry(id));
        }
        assert!(lru.get(&key(0)).is_some());
        lru.insert(entry(3));
        assert!(lru.get(&key(1)).is_none());
        for id in [0, 2, 3] {
            assert!(lru.get(&key(id)).is_some());
        }
        lru.insert(entry(2));
        assert_eq!(lru.entries.len(), 3);
        assert_eq!(lru.order.len(), 3);
    }

    #[test]
    fn lru_is_bounded_by_bytes_too_and_keeps_the_newest() {
        let entry = |id, bytes: usize| {
            let doc = PrettyDoc {
                lines: vec![PrettyLine {
                    text: "x".repeat(bytes),
                    path: String::new(),
                    depth: 0,
                    key: None,
                    value: None,
                    fold: None,
                }],
            };
            Highlighted {
                key: key(id),
                doc: Arc::new(doc),
                lines: Arc::new(vec![StyledLine::default()]),
            }
        };
        let mut lru = Lru::new(10);
        lru.max_bytes = 10_000;
        for id in 0..4 {
            lru.insert(entry(id, 3000));
        }
        assert!(lru.bytes <= 10_000, "{}", lru.bytes);
        assert!(lru.get(&key(0)).is_none() && lru.get(&key(3)).is_some());
        lru.insert(entry(9, 50_000));
        assert_eq!(lru.order.len(), 1, "only the newest, however large");
        assert!(lru.get(&key(9)).is_some());
        lru.insert(entry(10, 10));
        assert!(
            lru.get(&key(9)).is_none(),
            "evicted once something newer came"
        );
        assert_eq!(
            lru.bytes,
            lru.entries.values().map(|(_, b)| b).sum::<usize>()
        );
    }

    #[test]
    fn a_document_is_highlighted_as_it_is_shared() {
        let (tx, mut rx) = unbounded_channel();
        let worker = HighlightWorker::spawn(tx);
        let theme = Arc::new(load_theme("dark", ColorMode::TrueColor).unwrap());
        let doc = Arc::new(pretty(r#"{"a":1}"#));
        worker.request_doc(key(5), Arc::clone(&doc), theme);
        receive(&mut rx, &key(5));
        let done = worker.cached(&key(5)).expect("cached");
        assert!(
            Arc::ptr_eq(&done.doc, &doc),
            "the document is shared, not copied"
        );
        assert_eq!(done.lines.len(), doc.lines.len());
    }
}
