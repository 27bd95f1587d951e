//! `R`: post messages again into a collector — the embedded one, or the one behind a remote
//! stream — as new messages (fresh `messageId`s) or the same ones, at their own times or moved
//! to now.
//!
//! The rewrite is the core's [`Rewrite`], the one `eventscope replay` uses (`sentAt` and
//! `receivedAt` are left to the collector; moving to now shifts every message by the same
//! amount, so the newest lands on now and the spacing stays). The collector is a segment
//! destination ([`CollectorTarget::destination`]) and the requests go through the forward
//! engine like a forward's: retries, backoff, and one delivery each in the Deliveries view.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::app::ReplayJob;
use eventscope_core::forward::engine::Engine;

use eventscope_core::forward::replay::{
    COLLECTOR_NAME, CollectorTarget, Rewrite, message_time, shift_to_now,
};
use eventscope_core::forward::{Destination, Outgoing, Request};
use eventscope_core::model::{DeliveryFrame, format_timestamp};

/// How the Deliveries view labels a replay's deliveries (a forward shows its destination's kind).
pub const DELIVERY_KIND: &str = "replay";

/// The collector as a destination and the requests that post the rewritten `messages` into
/// it. Pure but proportional to the messages: run it off the UI task. `Err` is a delivery
/// saying why nothing was sent.
pub fn prepare(
    target: &CollectorTarget,
    messages: &[Outgoing],
    new_ids: bool,
    to_now: bool,
    now: DateTime<Utc>,
) -> Result<(Arc<Destination>, Vec<Request>), Box<DeliveryFrame>> {
    let failed = |error: String| failed(error, messages);
    let shift = if to_now {
        shift_to_now(
            messages.iter().filter_map(|m| message_time(&m.message)),
            now,
        )
    } else {
        None
    };
    let rewrite = Rewrite::new(new_ids, shift);
    let rewritten: Vec<Outgoing> = messages
        .iter()
        .map(|m| Outgoing {
            seq: m.seq,
            message: rewrite.apply(m.message.clone()),
        })
        .collect();
    let destination = target.destination().map_err(|e| failed(e.to_string()))?;
    let requests = target
        .requests(&destination, &rewritten)
        .map_err(|e| failed(e.to_string()))?;
    Ok((Arc::new(destination), requests))
}

/// Starts a replay: rewrites and maps off the UI task, then sends through `engine`. Its
/// deliveries, labelled [`DELIVERY_KIND`], come on the channel, which closes after the last.
/// Must be called within a tokio runtime.
pub fn send(engine: &Arc<Engine>, job: ReplayJob) -> mpsc::Receiver<DeliveryFrame> {
    let (tx, rx) = mpsc::channel(16);
    let engine = Arc::clone(engine);
    tokio::spawn(async move {
        let ReplayJob {
            target,
            messages,
            new_ids,
            to_now,
            ..
        } = job;
        let prepared = tokio::task::spawn_blocking(move || {
            prepare(&target, &messages, new_ids, to_now, Utc::now())
        })
        .await
        .unwrap_or_else(|e| Err(failed(format!("replay failed: {e}"), &[])));
        match prepared {
            Ok((destination, requests)) => {
                let mut deliveries = engine.send(destination, requests);
                while let Some(mut frame) = deliveries.recv().await {
                    frame.kind = DELIVERY_KIND.into();
                    if tx.send(frame).await.is_err() {
                        return;
                    }
                }
            }
            Err(frame) => {
                let _ = tx.send(*frame).await;
            }
        }
    });
    rx
}

/// A replay that sent nothing: one failed delivery saying why.
pub fn failed(error: String, messages: &[Outgoing]) -> Box<DeliveryFrame> {
    Box::new(DeliveryFrame {
        at: format_timestamp(Utc::now()),
        destination: COLLECTOR_NAME.into(),
        kind: DELIVERY_KIND.into(),
        error: Some(error),
        for_seqs: messages.iter().filter_map(|m| m.seq).collect(),
        ..DeliveryFrame::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(text: &str) -> Outgoing {
        Outgoing::from_text(Some(1), text).unwrap()
    }

    #[test]
    fn the_popup_choices_reach_the_requests() {
        let target = CollectorTarget {
            batch_url: "http://127.0.0.1:8707/v1/batch".into(),
            write_key: None,
        };
        let a = outgoing(
            r#"{"event":"A","messageId":"m1","timestamp":"2026-11-22T10:00:00.000Z","sentAt":"2026-11-22T10:00:01.000Z"}"#,
        );
        let b = outgoing(r#"{"event":"B","timestamp":"2026-11-22T10:00:05.000Z"}"#);
        let now = eventscope_core::model::parse_timestamp("2027-01-01T00:00:00.000Z").unwrap();
        let (destination, requests) = prepare(&target, &[a, b], true, true, now).unwrap();
        assert_eq!(destination.name, "collector");
        assert_eq!(requests.len(), 1);
        let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert!(body.get("sentAt").is_none(), "no batch sentAt: {body}");
        let batch = &body["batch"];
        assert_eq!(batch[0]["timestamp"], "2026-12-31T23:59:55.000Z");
        assert_eq!(batch[1]["timestamp"], "2027-01-01T00:00:00.000Z");
        assert!(batch[0].get("sentAt").is_none());
        assert!(
            batch[0]["messageId"]
                .as_str()
                .unwrap()
                .starts_with("es-replay-")
        );
        assert!(
            batch[1]["messageId"]
                .as_str()
                .unwrap()
                .starts_with("es-replay-")
        );
        let (_, kept) = prepare(
            &target,
            &[outgoing(
                r#"{"messageId":"m1","timestamp":"2026-11-22T10:00:00.000Z"}"#,
            )],
            false,
            false,
            now,
        )
        .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&kept[0].body).unwrap();
        assert_eq!(body["batch"][0]["messageId"], "m1");
        assert_eq!(body["batch"][0]["timestamp"], "2026-11-22T10:00:00.000Z");
    }

    #[test]
    fn a_collector_that_is_not_a_url_is_a_failed_delivery() {
        let target = CollectorTarget {
            batch_url: "not a url".into(),
            write_key: None,
        };
        let failed = prepare(&target, &[outgoing("{}")], true, false, Utc::now()).unwrap_err();
        assert_eq!(failed.destination, "collector");
        assert_eq!(failed.kind, "replay");
        assert!(failed.error.unwrap().contains("endpoint"));
        assert_eq!(failed.for_seqs, [1]);
    }

    /// A collector on 127.0.0.1:0 that answers 503 to the first request and 200 after; the
    /// bodies it got.
    async fn flaky_collector() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
        use axum::http::StatusCode;
        let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = Arc::clone(&bodies);
        let router = axum::Router::new().route(
            "/v1/batch",
            axum::routing::post(move |body: String| {
                let seen = Arc::clone(&seen);
                async move {
                    let mut seen = seen.lock().unwrap();
                    seen.push(body);
                    if seen.len() == 1 {
                        (StatusCode::SERVICE_UNAVAILABLE, "busy")
                    } else {
                        (StatusCode::OK, r#"{"success":true}"#)
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move { axum::serve(listener, router).await });
        (addr, bodies)
    }

    #[tokio::test]
    async fn r_is_retried_by_the_engine_and_shows_in_the_deliveries() {
        use crate::tui::action::Action;
        use crate::tui::app::{App, Effect, Mode, SourceKind, View};
        use crate::tui::keys::KeyMap;
        use crate::tui::theme::{ColorMode, load_theme};
        use crossterm::event::{KeyCode, KeyEvent};
        use eventscope_core::forward::engine::RetryPolicy;
        use eventscope_core::model::{EventFrame, Frame};

        let (addr, bodies) = flaky_collector().await;
        let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
        let source = SourceKind::Embedded {
            addr: addr.clone(),
            note: None,
        };
        let mut app = App::new(source, 100, theme, KeyMap::default());
        let message = r#"{"type":"track","event":"Replay Me","messageId":"orig-1","timestamp":"2026-01-02T03:04:05.000Z","sentAt":"2026-01-02T03:04:06.000Z"}"#;
        let frame = EventFrame::from_plain(
            7,
            serde_json::value::RawValue::from_string(message.into()).unwrap(),
            "t",
        );
        app.ingest(vec![Frame::Event(frame)], std::time::Instant::now());
        app.update(Action::Replay);
        assert!(matches!(app.mode, Mode::Replay(_)));
        let Some(Effect::Replay(job)) = app.handle_key(KeyEvent::from(KeyCode::Enter)) else {
            panic!("Enter starts the replay");
        };
        let id = job.job;
        let engine = Arc::new(
            Engine::with_policy(RetryPolicy {
                base: std::time::Duration::from_millis(1),
                cap: std::time::Duration::from_millis(10),
                ..RetryPolicy::default()
            })
            .unwrap(),
        );
        let mut deliveries = send(&engine, job);
        while let Some(frame) = deliveries.recv().await {
            app.delivered(id, frame);
        }
        app.job_done(id);

        let bodies = bodies.lock().unwrap().clone();
        assert_eq!(bodies.len(), 2, "503, then the same request again");
        assert_eq!(bodies[0], bodies[1]);
        let body: serde_json::Value = serde_json::from_str(&bodies[1]).unwrap();
        let replayed = &body["batch"][0];
        assert!(
            replayed["messageId"]
                .as_str()
                .unwrap()
                .starts_with("es-replay-")
        );
        assert_eq!(replayed["timestamp"], "2026-01-02T03:04:05.000Z");
        assert!(replayed.get("sentAt").is_none(), "{replayed}");

        assert_eq!(app.deliveries.len(), 1);
        let delivery = &app.deliveries.for_message(Some(7), None)[0];
        assert!(delivery.frame.ok);
        assert_eq!(delivery.frame.attempts, 2);
        assert_eq!(delivery.frame.status, Some(200));
        assert_eq!(delivery.frame.destination, "collector");
        assert_eq!(delivery.frame.kind, "replay");
        assert_eq!(
            delivery.frame.request.url,
            format!("http://{addr}/v1/batch")
        );
        let status = app.status.as_ref().unwrap();
        assert_eq!(status.text, "collector: 1 request, all delivered");

        app.view = View::Deliveries;
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 20)).unwrap();
        terminal
            .draw(|f| {
                crate::tui::views::draw(f, &app, None);
            })
            .unwrap();
        let screen: Vec<String> = {
            let buffer = terminal.backend().buffer();
            (0..buffer.area.height)
                .map(|y| {
                    (0..buffer.area.width)
                        .map(|x| buffer[(x, y)].symbol().to_string())
                        .collect()
                })
                .collect()
        };
        assert!(
            screen.iter().any(|line| line.contains("collector")
                && line.contains(" 200 ")
                && line.contains("replay")),
            "{}",
            screen.join("\n")
        );
    }
}
