//! The event loop's background work: each job the app asks for (a large message laid out, a
//! large pair compared, a view written, a copy written to `--copy-to`, a forward mapped or
//! sent, a replay) runs off the UI task and reports back on the loop's `Background` channel.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;

use super::{Background, Loop};
use crate::tui::app::{MapJob, ReplayJob, SendJob};
use crate::tui::forward::prepare;
use eventscope_core::forward::engine::Engine;
use eventscope_core::model::DeliveryFrame;

impl Loop {
    /// Compares a large pair for the diff pane on a thread of its own (as a large message's
    /// layout): a pane closed meanwhile ignores the result.
    pub(super) fn start_diff_job(&mut self) {
        let Some(job) = self.app.take_diff_job() else {
            return;
        };
        let tx = self.background.clone();
        let spawned = std::thread::Builder::new()
            .name("eventscope-diff".into())
            .spawn(move || {
                let result = Box::new(job.run());
                let _ = tx.blocking_send(Background::Diff {
                    generation: job.generation,
                    result,
                });
            });
        if let Err(e) = spawned {
            self.app
                .set_status(format!("cannot compare the messages: {e}"), true);
        }
    }

    /// Lays out and judges a large selected message on a thread of its own (not the blocking
    /// pool: quitting must not wait for it); a job overtaken by a newer one stops between steps.
    pub(super) fn start_detail_job(&mut self) {
        let Some(job) = self.app.take_detail_job() else {
            return;
        };
        self.detail_wanted.store(job.id, Ordering::Relaxed);
        let wanted = Arc::clone(&self.detail_wanted);
        let tx = self.background.clone();
        let spawned = std::thread::Builder::new()
            .name("eventscope-detail".into())
            .spawn(move || {
                let current = || wanted.load(Ordering::Relaxed) == job.id;
                if !current() {
                    return;
                }
                let doc = job.layout();
                if !current() {
                    return;
                }
                let findings = job.judge();
                let routes = job.route();
                let warehouse = job.warehouse().map(Box::new);
                let _ = tx.blocking_send(Background::Detail {
                    id: job.id,
                    doc: Box::new(doc),
                    findings,
                    routes,
                    warehouse,
                });
            });
        if let Err(e) = spawned {
            self.app
                .set_status(format!("cannot lay out the message: {e}"), true);
        }
    }

    /// Writes the lines as an NDJSON file on the blocking pool; the status line says how it went.
    pub(super) fn spawn_write(&self, path: String, lines: Vec<String>) {
        let tx = self.background.clone();
        tokio::spawn(async move {
            let messages = lines.len();
            let target = path.clone();
            let written = tokio::task::spawn_blocking(move || {
                let mut text = lines.join("\n");
                text.push('\n');
                std::fs::write(&target, text).map_err(|e| e.to_string())
            })
            .await;
            let result = written.unwrap_or_else(|e| Err(e.to_string()));
            let _ = tx
                .send(Background::Written {
                    path,
                    messages,
                    result,
                })
                .await;
        });
    }

    /// Writes a copy to the `--copy-to` file (replacing it), off the UI task.
    pub(super) fn spawn_copy_to(&self, text: String) {
        let Some(path) = self.app.copy_to.clone() else {
            return;
        };
        let tx = self.background.clone();
        tokio::spawn(async move {
            let result = tokio::fs::write(&path, text)
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(Background::CopiedTo { path, result }).await;
        });
    }

    pub(super) fn spawn_map(&self, job: MapJob) {
        let tx = self.background.clone();
        tokio::spawn(async move {
            let MapJob {
                generation,
                destination,
                messages,
                inspector,
            } = job;
            let mapped = tokio::task::spawn_blocking(move || {
                prepare(destination, &messages, Some(&inspector))
            })
            .await;
            let result = mapped.unwrap_or_else(|e| Err(format!("mapping failed: {e}")));
            let _ = tx.send(Background::Mapped { generation, result }).await;
        });
    }

    /// The engine, started at the first send; `None` (the job ended, the status says why)
    /// when it cannot start.
    fn engine_for(&mut self, job: u64) -> Option<Arc<Engine>> {
        if let Some(engine) = &self.engine {
            return Some(Arc::clone(engine));
        }
        match Engine::new() {
            Ok(engine) => {
                let engine = Arc::new(engine);
                self.engine = Some(Arc::clone(&engine));
                Some(engine)
            }
            Err(e) => {
                self.app.set_status(e.to_string(), true);
                self.app.job_done(job);
                None
            }
        }
    }

    pub(super) fn spawn_send(&mut self, job: SendJob) {
        let Some(engine) = self.engine_for(job.job) else {
            return;
        };
        let SendJob {
            job,
            destination,
            requests,
        } = job;
        self.report_deliveries(job, engine.send(destination, requests));
    }

    /// Hands each delivery of `job` to the UI loop as it comes, then says the job is done.
    fn report_deliveries(&self, job: u64, mut deliveries: mpsc::Receiver<DeliveryFrame>) {
        let tx = self.background.clone();
        tokio::spawn(async move {
            while let Some(frame) = deliveries.recv().await {
                if !Background::delivered(&tx, job, frame).await {
                    return;
                }
            }
            let _ = tx.send(Background::JobDone { job }).await;
        });
    }

    /// Rewrites, maps and sends through the engine like a forward (see `tui::replay`).
    pub(super) fn spawn_replay(&mut self, job: ReplayJob) {
        let Some(engine) = self.engine_for(job.job) else {
            return;
        };
        let id = job.job;
        self.report_deliveries(id, crate::tui::replay::send(&engine, job));
    }
}
