//! Forwards and replays on the app's side: the destinations, opening the forward and replay
//! popups, doing what they ask (mapping, editing, sending, replaying), and the jobs in flight
//! until each says how it went.

use std::sync::Arc;

use super::{App, Effect, Mode, SourceKind};
use crate::tui::action::Action;
use crate::tui::deliveries::{CarriedNames, Origin};
use crate::tui::forward::{Prepared, parse_edit};
use crate::tui::popups::forward::{self, ForwardPopup, Preview};
use crate::tui::popups::replay::{self, ReplayPopup};
use eventscope_core::forward::replay::CollectorTarget;
use eventscope_core::forward::{Destination, DestinationError, Outgoing, Request};
use eventscope_core::inspect::Inspector;
use eventscope_core::model::DeliveryFrame;

/// The destinations of the config, ready to use, or why there are none.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    pub list: Vec<Arc<Destination>>,
    /// The config's `[[destination]]` tables could not be used: one line, shown in the popup.
    pub problem: Option<String>,
    /// Destinations that cannot be used (a missing `env:` credential, a bad table), found at
    /// start: named in the header, listed disabled in the forward popup.
    pub unusable: Vec<Unusable>,
    /// The config file read, if any, for the popup's hint.
    pub config_path: Option<String>,
    /// `--ignore-routing`: every destination gets what Segment would drop, unstripped (the
    /// header says so; the forward popup starts with its toggle on).
    pub ignore_routing: bool,
}

impl Destinations {
    /// Resolves the config's `[[destination]]` tables (reading `env:VAR` credentials). The
    /// viewer starts even when one is unusable: the usable ones can be chosen, and the forward
    /// popup says what is wrong with the others.
    pub fn from_config(
        tables: &[eventscope_core::forward::destination::DestinationConfig],
        config_path: Option<&std::path::Path>,
    ) -> Destinations {
        let mut list: Vec<Arc<Destination>> = Vec::new();
        let mut problems = Vec::new();
        let mut unusable = Vec::new();
        for table in tables {
            match Destination::from_config(table) {
                Ok(destination) if list.iter().any(|d| d.name == destination.name) => problems
                    .push(format!(
                        "destination `{}` is configured twice; names must be unique",
                        destination.name
                    )),
                Ok(destination) => list.push(Arc::new(destination)),
                Err(e) => {
                    if let DestinationError::Invalid { name, message } = &e {
                        unusable.push(Unusable::new(name, message));
                    }
                    problems.push(e.to_string())
                }
            }
        }
        Destinations {
            list,
            problem: (!problems.is_empty()).then(|| problems.join("; ")),
            unusable,
            config_path: config_path.map(|p| p.display().to_string()),
            ignore_routing: false,
        }
    }

    /// `--ignore-routing` for every destination (`on`), or routing as Segment does.
    pub fn set_ignore_routing(&mut self, on: bool) {
        self.ignore_routing = on;
        for destination in &mut self.list {
            Arc::make_mut(destination).ignore_routing = on;
        }
    }
}

/// A configured destination that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    pub name: String,
    /// The whole reason, e.g. "`api_key` reads env:AMP_KEY, but the environment variable
    /// AMP_KEY is not set".
    pub reason: String,
    /// A few words for the header: `env AMP_KEY not set`, or the reason.
    pub short: String,
}

impl Unusable {
    fn new(name: &str, reason: &str) -> Unusable {
        let missing = reason
            .split_once("reads env:")
            .and_then(|(_, rest)| rest.split([',', ' ']).next())
            .filter(|var| !var.is_empty() && reason.ends_with("is not set"));
        Unusable {
            name: name.to_string(),
            reason: reason.to_string(),
            short: match missing {
                Some(var) => format!("env {var} not set"),
                None => reason.to_string(),
            },
        }
    }
}

/// Requests in flight for one forward or replay.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: u64,
    /// The destination's name, or `collector`.
    pub label: String,
    pub done: usize,
    pub ok: usize,
    pub failed: usize,
    /// The last failure, e.g. `500` or `timeout after 5s`.
    pub last_failure: Option<String>,
    /// The event names and users of its messages, for its deliveries.
    pub names: Arc<CarriedNames>,
    /// A forward with routing ignored: each of its deliveries says so (`ignoredRouting`).
    pub ignored_routing: bool,
}

/// Mapping the picked messages to a destination's requests (off the UI task).
#[derive(Clone)]
pub struct MapJob {
    pub generation: u64,
    pub destination: Arc<Destination>,
    pub messages: Arc<Vec<Outgoing>>,
    pub inspector: Arc<Inspector>,
}

impl std::fmt::Debug for MapJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapJob")
            .field("generation", &self.generation)
            .field("destination", &self.destination.name)
            .field("messages", &self.messages.len())
            .finish_non_exhaustive()
    }
}

/// Sending mapped requests through the engine.
#[derive(Debug, Clone)]
pub struct SendJob {
    pub job: u64,
    pub destination: Arc<Destination>,
    pub requests: Vec<Request>,
}

/// Posting messages again into a collector.
#[derive(Debug, Clone)]
pub struct ReplayJob {
    pub job: u64,
    pub target: CollectorTarget,
    pub messages: Arc<Vec<Outgoing>>,
    pub new_ids: bool,
    pub to_now: bool,
}

impl App {
    /// The forward popup, if it is open.
    pub fn forward_popup(&self) -> Option<&ForwardPopup> {
        match &self.mode {
            Mode::Forward(popup) => Some(popup),
            _ => None,
        }
    }

    /// The replay popup, if it is open.
    pub fn replay_popup(&self) -> Option<&ReplayPopup> {
        match &self.mode {
            Mode::Replay(popup) => Some(popup),
            _ => None,
        }
    }

    /// Takes the forward popup out of the mode (which becomes Normal), if it is open.
    fn take_forward(&mut self) -> Option<ForwardPopup> {
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Forward(popup) => Some(popup),
            other => {
                self.mode = other;
                None
            }
        }
    }

    /// `f`: the forward popup over the picked messages.
    pub(super) fn open_forward(&mut self) -> Option<Effect> {
        let messages = self.picked();
        if messages.is_empty() {
            self.set_status("nothing to forward: select or mark a message", true);
            return None;
        }
        let mut popup = ForwardPopup::new(messages, self.destinations.ignore_routing);
        let effect = self.remap(&mut popup);
        self.mode = Mode::Forward(popup);
        effect
    }

    /// Starts mapping the popup's messages for its destination.
    fn remap(&mut self, popup: &mut ForwardPopup) -> Option<Effect> {
        popup.shown = None;
        popup.request = 0;
        popup.scroll = 0;
        let Some(mut destination) = self.destinations.list.get(popup.destination).cloned() else {
            popup.preview = Preview::NoDestination;
            return None;
        };
        if destination.ignore_routing != popup.ignore_routing {
            Arc::make_mut(&mut destination).ignore_routing = popup.ignore_routing;
        }
        popup.generation = self.next_generation;
        self.next_generation += 1;
        popup.preview = Preview::Mapping;
        Some(Effect::Map(MapJob {
            generation: popup.generation,
            destination,
            messages: Arc::clone(&popup.messages),
            inspector: Arc::clone(&self.inspector),
        }))
    }

    /// The mapping for the forward popup is done (stale generations are dropped).
    pub fn forward_mapped(&mut self, generation: u64, result: Result<Prepared, String>) {
        let Mode::Forward(popup) = &mut self.mode else {
            return;
        };
        if popup.generation != generation {
            return;
        }
        popup.preview = match result {
            Ok(prepared) => Preview::Ready(Arc::new(prepared)),
            Err(error) => Preview::Failed(error),
        };
        popup.show_request(0);
    }

    /// The editor closed: `Ok(text)` is what the file holds now, `Err` why it could not run.
    pub fn forward_edited(&mut self, result: Result<String, String>) -> Option<Effect> {
        let mut popup = self.take_forward()?;
        let mut effect = None;
        match result {
            Err(error) => self.set_status(error, true),
            Ok(text) => match parse_edit(&text, &popup.messages) {
                Ok(messages) if messages == *popup.messages => {
                    popup.draft = None;
                    self.set_status("no change", false);
                }
                Ok(messages) => {
                    let count = messages.len();
                    popup.messages = Arc::new(messages);
                    popup.edited = true;
                    popup.draft = None;
                    effect = self.remap(&mut popup);
                    self.set_status(
                        format!(
                            "edited: {}, mapped again",
                            eventscope_core::model::count(count as u64, "message")
                        ),
                        false,
                    );
                }
                Err(error) => {
                    popup.draft = Some(text);
                    self.set_status(
                        format!(
                            "edit not applied: {error} — press {} to fix it (your text is kept)",
                            self.keys.first_key_label(Action::ForwardEdit)
                        ),
                        true,
                    );
                }
            },
        }
        self.mode = Mode::Forward(popup);
        effect
    }

    /// An action of the forward popup: the popup answers it, the app does what it asks.
    pub(super) fn update_forward(&mut self, action: Action) -> Option<Effect> {
        let mut popup = self.take_forward()?;
        let mut effect = None;
        match popup.handle(action, self.destinations.list.len()) {
            None => {}
            Some(forward::Outcome::Close) => return None,
            Some(forward::Outcome::Remap) => effect = self.remap(&mut popup),
            Some(forward::Outcome::Edit(text)) => effect = Some(Effect::Edit { text }),
            Some(forward::Outcome::Status { text, is_error }) => self.set_status(text, is_error),
            Some(forward::Outcome::Send(prepared)) if prepared.requests.is_empty() => {
                // Nothing to send: the skipped messages still go to the Deliveries view, so
                // that "why did it never get there?" has its answer where deliveries are.
                self.record_skipped(&prepared, &CarriedNames::of(&popup.messages));
                self.set_status(
                    format!(
                        "nothing sent: {} skipped every message ({}) — the Deliveries view says why",
                        prepared.destination.name,
                        crate::tui::forward::skipped_counts(&prepared.skipped)
                    ),
                    true,
                );
                self.open_deliveries(None);
                return None;
            }
            Some(forward::Outcome::Send(prepared)) => {
                let names = CarriedNames::of(&popup.messages);
                self.record_skipped(&prepared, &names);
                let job = self.start_job(
                    &prepared.destination.name,
                    names,
                    prepared.destination.ignore_routing,
                );
                let count = prepared.requests.len();
                self.set_status(
                    format!(
                        "sending {} to {}…",
                        eventscope_core::model::count(count as u64, "request"),
                        prepared.destination.name
                    ),
                    false,
                );
                self.open_deliveries(None);
                return Some(Effect::Send(SendJob {
                    job,
                    destination: Arc::clone(&prepared.destination),
                    requests: prepared.requests.clone(),
                }));
            }
        }
        self.mode = Mode::Forward(popup);
        effect
    }

    /// The messages a forward's destination skipped, as delivery rows that say why (a
    /// `delivery` frame with `skipped`, and `dropped` when routing dropped it), published like
    /// the deliveries made here.
    fn record_skipped(&mut self, prepared: &Prepared, names: &CarriedNames) {
        if prepared.skipped.is_empty() {
            return;
        }
        let at = eventscope_core::model::format_timestamp(chrono::Utc::now());
        let mut frames = Vec::with_capacity(prepared.skipped.len());
        for skipped in &prepared.skipped {
            let mut frame = skipped.frame(&prepared.destination, at.clone());
            names.fill(&mut frame);
            let frame = frame.bounded();
            if let Some(publisher) = &self.publisher {
                match publisher.publish(frame.clone()) {
                    Ok(()) => self.deliveries.expect_echo(&frame),
                    Err(e) => self.set_status(format!("delivery not published: {e}"), true),
                }
            }
            frames.push(frame);
        }
        self.ingest_deliveries(frames, Origin::Here);
    }

    fn start_job(&mut self, label: &str, names: CarriedNames, ignored_routing: bool) -> u64 {
        let id = self.next_job;
        self.next_job += 1;
        self.jobs.push(Job {
            id,
            label: label.to_string(),
            done: 0,
            ok: 0,
            failed: 0,
            last_failure: None,
            names: Arc::new(names),
            ignored_routing,
        });
        id
    }

    /// One delivery of a forward or replay made here.
    /// It carries its messages' event names and users, and is published (see `tui::publish`)
    /// so that the recording, `tail` and other viewers get it too.
    pub fn delivered(&mut self, job: u64, mut frame: DeliveryFrame) {
        frame = frame.bounded();
        if let Some(progress) = self.jobs.iter_mut().find(|j| j.id == job) {
            progress.names.fill(&mut frame);
            frame.ignored_routing |= progress.ignored_routing;
            progress.done += 1;
            if frame.ok {
                progress.ok += 1;
            } else {
                progress.failed += 1;
                progress.last_failure = Some(match (frame.status, &frame.error) {
                    (Some(status), _) => status.to_string(),
                    (None, Some(error)) => error.clone(),
                    (None, None) => "failed".into(),
                });
            }
        }
        if let Some(publisher) = &self.publisher {
            match publisher.publish(frame.clone()) {
                Ok(()) => self.deliveries.expect_echo(&frame),
                Err(e) => self.set_status(format!("delivery not published: {e}"), true),
            }
        }
        self.ingest_deliveries(vec![frame], Origin::Here);
    }

    /// Every request of a forward or replay is done: say how it went.
    pub fn job_done(&mut self, job: u64) {
        let Some(at) = self.jobs.iter().position(|j| j.id == job) else {
            return;
        };
        let job = self.jobs.remove(at);
        let requests = eventscope_core::model::count(job.done as u64, "request");
        if job.failed == 0 {
            self.set_status(format!("{}: {requests}, all delivered", job.label), false);
        } else {
            let last = job.last_failure.unwrap_or_default();
            self.set_status(
                format!(
                    "{}: {requests}, {} failed (last: {last}) — {} shows them",
                    job.label,
                    job.failed,
                    self.keys.first_key_label(Action::Deliveries)
                ),
                true,
            );
        }
    }

    /// Where `R` posts: the embedded collector, or the one behind a remote stream.
    pub fn collector_target(&self) -> Result<CollectorTarget, String> {
        match &self.source {
            SourceKind::Embedded { addr, .. } => Ok(CollectorTarget {
                batch_url: format!("http://{addr}/v1/batch"),
                write_key: self.collector_write_key.clone(),
            }),
            SourceKind::Remote { url } => CollectorTarget::behind_stream(url)
                .ok_or_else(|| format!("replay: no collector is known behind {url}")),
            SourceKind::File { .. } => Err(
                "replay needs a collector: run `eventscope` (embedded) or `eventscope connect`; \
                 to send a recording to a destination, use f or `eventscope replay`"
                    .into(),
            ),
        }
    }

    /// `R`: the replay popup over the picked messages.
    pub(super) fn open_replay(&mut self) {
        let target = match self.collector_target() {
            Ok(target) => target,
            Err(error) => {
                self.set_status(error, true);
                return;
            }
        };
        let messages = self.picked();
        if messages.is_empty() {
            self.set_status("nothing to replay: select or mark a message", true);
            return;
        }
        self.mode = Mode::Replay(ReplayPopup::new(messages, target));
    }

    /// An action of the replay popup: the popup answers it, the app does what it asks.
    pub(super) fn update_replay(&mut self, action: Action) -> Option<Effect> {
        let Mode::Replay(popup) = &mut self.mode else {
            return None;
        };
        match popup.handle(action)? {
            replay::Outcome::Close => {
                self.mode = Mode::Normal;
                None
            }
            replay::Outcome::Replay => {
                let Mode::Replay(popup) = std::mem::replace(&mut self.mode, Mode::Normal) else {
                    return None;
                };
                // Replays into the collector are not routed (see `CollectorTarget::destination`).
                let job = self.start_job("collector", CarriedNames::of(&popup.messages), false);
                let count = popup.messages.len();
                self.set_status(
                    format!(
                        "replaying {} into {}…",
                        eventscope_core::model::count(count as u64, "message"),
                        popup.target.batch_url
                    ),
                    false,
                );
                Some(Effect::Replay(ReplayJob {
                    job,
                    target: popup.target,
                    messages: popup.messages,
                    new_ids: popup.new_ids,
                    to_now: popup.to_now,
                }))
            }
        }
    }
}
