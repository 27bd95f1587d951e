//! `eventscope` (embedded collector + viewer), `eventscope connect URL`, `eventscope open FILE`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use super::{ServeArgs, ViewArgs};
use crate::tui::app::{App, Destinations, SourceKind};
use crate::tui::jq::JqSettings;
use crate::tui::keys::KeyMap;
use crate::tui::publish::Publisher;
use crate::tui::theme::{ColorMode, load_theme};
use crate::tui::{feed, rules};
use eventscope_core::config::Config;
use eventscope_core::filter::jq_worker::JqLimits;
use eventscope_core::inspect::redact::{RedactMode, Redactor};
use eventscope_core::routing::Named;
use eventscope_core::server::{ServeConfig, ServeError, Server};
use eventscope_core::stream::client::ClientOptions;

/// What the viewer looks at.
pub enum Target {
    Embedded(Box<ServeArgs>),
    Remote {
        url: String,
        token: Option<String>,
    },
    File {
        path: std::path::PathBuf,
        /// Lines longer than this are skipped unread (`--max-line`).
        max_line: u64,
    },
}

/// How much the viewer retains: `--buffer` rows and `--buffer-bytes`.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    rows: usize,
    bytes: u64,
}

impl Retention {
    pub fn new(rows: u64, bytes: u64) -> Retention {
        Retention {
            rows: usize::try_from(rows).unwrap_or(usize::MAX),
            bytes,
        }
    }
}

pub async fn run(target: Target, view: ViewArgs, retention: Retention) -> ExitCode {
    // The config (and `--view`) first: a usage error is said before anything else.
    let (config, config_path) = match Config::load(view.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e, 2),
    };
    let shown_path = config_path.as_deref().map_or_else(
        || "eventscope.toml".to_string(),
        |p| p.display().to_string(),
    );
    let start_view = match saved_view(&config, &shown_path, view.view.as_deref()) {
        Ok(index) => index,
        Err(e) => return fail(e, 2),
    };
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "eventscope: the viewer needs a terminal; in scripts use `eventscope serve`, `tail` or `check`"
        );
        return ExitCode::from(2);
    }
    init_file_logging();
    let theme_name = view
        .theme
        .or(config.theme.clone())
        .unwrap_or_else(|| "dark".into());
    let theme = match load_theme(&theme_name, ColorMode::detect()) {
        Ok(theme) => Arc::new(theme),
        Err(e) => return fail(e, 2),
    };
    let keys = match KeyMap::with_overrides(&config.keys) {
        Ok(keys) => keys,
        Err(e) => return fail(e, 2),
    };
    let buffer = retention.rows;
    // With an embedded collector the budget is shared: half for its log, half for the rows.
    let rows_bytes = match target {
        Target::Embedded(_) => (retention.bytes / 2).max(1),
        _ => retention.bytes,
    };
    let inspector = match super::check::inspector(&config, view.plan.as_deref()) {
        Ok(inspector) => Arc::new(inspector),
        Err(e) => return fail(e, 2),
    };
    // Every `[[destination]]` table is routed to, usable for forwarding or not (routing needs no
    // credentials). Loading the config checked their filters already.
    let routing: Arc<[Named]> = match Named::all(&config.destination) {
        (named, problems) if problems.is_empty() => named.into(),
        (_, problems) => return fail(problems.join("; "), 2),
    };
    let plan_path = view.plan.clone().or(config.plan.file().map(Into::into));
    let sources = Arc::new(eventscope_core::config::sources::labels(&config.source));
    let rules = match plan_path {
        Some(path) => {
            let config = config.clone();
            rules::watch_plan(
                path.clone(),
                Arc::clone(&inspector),
                routing,
                sources,
                move |changed| super::check::inspector(&config, Some(changed)),
            )
        }
        None => rules::fixed_labelled(Arc::clone(&inspector), routing, sources),
    };
    let mut server = None;
    let mut sdk_metrics = None;
    // Replays into the embedded collector authenticate like an SDK when it checks keys.
    let replay_key = match &target {
        Target::Embedded(args) => args.write_keys.first().cloned(),
        _ => None,
    };
    // The viewer's own `[pii]` matchers decide what the embedded collector masks.
    let redact = match &target {
        Target::Embedded(args) => args.redact,
        _ => RedactMode::None,
    };
    let redactor = match Redactor::new(redact, &config.pii) {
        Ok(redactor) => redactor.map(Arc::new),
        Err(e) => return fail(format!("[pii]: {e}"), 2),
    };
    let mut publisher = None;
    let (source, feed) = match target {
        Target::Embedded(args) => match bind_embedded(*args, buffer, rows_bytes, redactor).await {
            Ok((running, note)) => {
                let source = SourceKind::Embedded {
                    addr: running.addr.to_string(),
                    note,
                };
                let feed = feed::embedded(Arc::clone(&running.hub), rules.clone());
                sdk_metrics = Some(running.hub.metrics());
                publisher = Some(Publisher::Hub(Arc::clone(&running.hub)));
                server = Some(running);
                (source, feed)
            }
            Err(e) => {
                let code = if e.is_usage() { 2 } else { 1 };
                return fail(e, code);
            }
        },
        Target::Remote { url, token } => {
            let (to_stream, deliveries) = Publisher::stream();
            publisher = Some(to_stream);
            (
                SourceKind::Remote { url: url.clone() },
                feed::remote(
                    ClientOptions {
                        url,
                        token,
                        since: Some(0),
                    },
                    rules.clone(),
                    Some(deliveries),
                ),
            )
        }
        Target::File { path, max_line } => {
            if let Err(e) = std::fs::metadata(&path) {
                return fail(format!("cannot open {}: {e}", path.display()), 2);
            }
            (
                SourceKind::File {
                    path: path.display().to_string(),
                },
                feed::file(path, max_line, rules.clone()),
            )
        }
    };
    let mut app = App::new(source, buffer, theme, keys);
    app.store.set_max_bytes(rows_bytes);
    app.inspector = inspector;
    app.destinations = Destinations::from_config(&config.destination, config_path.as_deref());
    app.destinations.set_ignore_routing(view.ignore_routing);
    app.collector_write_key = replay_key;
    app.sdk_metrics = sdk_metrics;
    app.redact = redact;
    app.publisher = publisher;
    if let Some(path) = crate::tui::history::path(config.history) {
        app.keep_history(path);
    }
    app.views = config.view.clone();
    if let Some(index) = start_view {
        app.apply_view(index);
    }
    app.copy_to = view.copy_to.clone().or(config.copy_to.clone());
    let jq = JqSettings::current_exe(JqLimits {
        budget: view.jq_budget,
        ..JqLimits::default()
    });
    let result = crate::tui::run::run(app, feed, rules, jq).await;
    if let Some(server) = server {
        let _ = server.stop().await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, 1),
    }
}

/// Binds the embedded collector; when the default port is taken, any free port will do.
async fn bind_embedded(
    args: ServeArgs,
    buffer: usize,
    buffer_bytes: u64,
    redactor: Option<Arc<Redactor>>,
) -> Result<(eventscope_core::server::RunningServer, Option<String>), ServeError> {
    let explicit = args.listen.is_some();
    let config = args.serve_config(buffer, buffer_bytes, redactor);
    let listen = config.listen;
    match Server::bind(config.clone()).await {
        Ok(server) => Ok((server.spawn(), None)),
        Err(ServeError::Bind { .. }) if !explicit => {
            let fallback = ServeConfig {
                listen: SocketAddr::new(listen.ip(), 0),
                ..config
            };
            let server = Server::bind(fallback).await?;
            let note = format!("{listen} was taken, so the collector took a free port.");
            Ok((server.spawn(), Some(note)))
        }
        Err(e) => Err(e),
    }
}

/// Checks every `[[view]]`'s columns (the config knows no column names) and finds the view
/// `--view` names: its index, or an error naming the views there are.
fn saved_view(config: &Config, path: &str, wanted: Option<&str>) -> Result<Option<usize>, String> {
    for view in &config.view {
        if let Err(e) = crate::tui::columns::ColumnSet::parse(&view.columns) {
            return Err(format!(
                "{path}: line {}: [[view]] \"{}\": {e}",
                view.line, view.name
            ));
        }
    }
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    match config.view.iter().position(|v| v.name == wanted) {
        Some(index) => Ok(Some(index)),
        None if config.view.is_empty() => Err(format!(
            "--view {wanted}: {path} has no [[view]] tables; add one with name = \"{wanted}\" \
             and a filter"
        )),
        None => {
            let names: Vec<&str> = config.view.iter().map(|v| v.name.as_str()).collect();
            Err(format!(
                "--view {wanted}: no such view in {path}; views: {}",
                names.join(", ")
            ))
        }
    }
}

fn fail(error: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("eventscope: {}", super::one_line(&error.to_string()));
    ExitCode::from(code)
}

/// The viewer owns the screen: logs go to a file, and only when `EVENTSCOPE_LOG` asks.
fn init_file_logging() {
    let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("EVENTSCOPE_LOG") else {
        return;
    };
    let path = std::env::temp_dir().join("eventscope.log");
    if let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    }
}
