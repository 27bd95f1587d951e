//! The filter's `jq:` term, answered off the UI task: the store hands out batches of rows
//! ([`JqBatch`]), a background task evaluates them in a worker process
//! ([`eventscope_core::filter::jq_worker`]) under a per-message budget and a memory cap, and the answers
//! (or why the worker was stopped) come back to the event loop as [`JqOutcome`]s. A new filter
//! cancels the work for the old one and kills its worker; the UI never waits for either.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use eventscope_core::entry::EntryId;
use eventscope_core::filter::jq_worker::{JqEvaluator, JqLimits, JqMessage, JqStop, WorkerCommand};

/// Batches waiting for the task (at most one per filter is out; stale ones are skipped).
const QUEUE: usize = 16;

/// Rows whose jq answers a filter needs, in id order.
#[derive(Debug)]
pub struct JqBatch {
    /// The store's filter generation they belong to.
    pub generation: u64,
    pub code: Arc<str>,
    pub ids: Vec<EntryId>,
    pub messages: Vec<JqMessage>,
}

/// What the task reports back.
#[derive(Debug)]
pub enum JqOutcome {
    Answers {
        generation: u64,
        answers: Vec<(EntryId, bool)>,
    },
    Stopped {
        generation: u64,
        error: String,
    },
}

/// How the viewer runs jq: the worker to start and its limits.
#[derive(Debug, Clone)]
pub struct JqSettings {
    /// The worker command, or why there is none (the executable could not be found).
    pub command: Result<WorkerCommand, String>,
    pub limits: JqLimits,
}

impl JqSettings {
    /// Workers started from the running executable.
    pub fn current_exe(limits: JqLimits) -> JqSettings {
        JqSettings {
            command: WorkerCommand::current_exe()
                .map_err(|e| format!("cannot find the eventscope executable: {e}")),
            limits,
        }
    }
}

/// The UI's handle on the task.
pub struct JqRunner {
    batches: mpsc::Sender<JqBatch>,
    current: watch::Sender<u64>,
}

impl JqRunner {
    pub fn spawn(settings: JqSettings, outcomes: mpsc::Sender<JqOutcome>) -> JqRunner {
        let (batches, received) = mpsc::channel(QUEUE);
        let (current, watched) = watch::channel(0);
        tokio::spawn(evaluate(settings, received, watched, outcomes));
        JqRunner { batches, current }
    }

    /// The filter generation now shown: work for any other is cancelled (its worker killed).
    pub fn follow(&self, generation: u64) {
        self.current.send_if_modified(|current| {
            let changed = *current != generation;
            *current = generation;
            changed
        });
    }

    /// Hands a batch over; gives it back when the queue is full (or the task is gone).
    pub fn send(&self, batch: JqBatch) -> Result<(), JqBatch> {
        self.batches.try_send(batch).map_err(|e| match e {
            mpsc::error::TrySendError::Full(batch) | mpsc::error::TrySendError::Closed(batch) => {
                batch
            }
        })
    }
}

/// The task: one worker at a time, for the generation being followed.
async fn evaluate(
    settings: JqSettings,
    mut batches: mpsc::Receiver<JqBatch>,
    mut current: watch::Receiver<u64>,
    outcomes: mpsc::Sender<JqOutcome>,
) {
    let mut worker: Option<(u64, JqEvaluator)> = None;
    loop {
        let batch = tokio::select! {
            batch = batches.recv() => match batch {
                Some(batch) => batch,
                None => break,
            },
            changed = current.changed() => {
                if changed.is_err() {
                    break;
                }
                let generation = *current.borrow_and_update();
                if worker.as_ref().is_some_and(|(g, _)| *g != generation) {
                    stop(&mut worker).await;
                }
                continue;
            }
        };
        let generation = batch.generation;
        if generation != *current.borrow() {
            continue;
        }
        if worker.as_ref().is_none_or(|(g, _)| *g != generation) {
            stop(&mut worker).await;
            let started = tokio::select! {
                started = start(&settings, &batch.code) => started,
                () = superseded(&mut current, generation) => continue,
            };
            match started {
                Ok(evaluator) => worker = Some((generation, evaluator)),
                Err(stopped) => {
                    let error = stopped.to_string();
                    if !report(&outcomes, JqOutcome::Stopped { generation, error }).await {
                        break;
                    }
                    continue;
                }
            }
        }
        let Some((_, evaluator)) = worker.as_mut() else {
            continue;
        };
        let result = tokio::select! {
            result = evaluator.eval(&batch.messages) => result,
            () = superseded(&mut current, generation) => {
                // Cut off mid-exchange: the worker cannot be reused.
                stop(&mut worker).await;
                continue;
            }
        };
        let outcome = match result {
            Ok(answers) => JqOutcome::Answers {
                generation,
                answers: batch.ids.into_iter().zip(answers).collect(),
            },
            Err(stopped) => {
                // The evaluator killed and reaped its worker already.
                worker = None;
                JqOutcome::Stopped {
                    generation,
                    error: stopped.to_string(),
                }
            }
        };
        if !report(&outcomes, outcome).await {
            break;
        }
    }
    stop(&mut worker).await;
}

async fn start(settings: &JqSettings, code: &str) -> Result<JqEvaluator, JqStop> {
    match &settings.command {
        Ok(command) => JqEvaluator::start(command, code, settings.limits).await,
        Err(why) => Err(JqStop::Start(why.clone())),
    }
}

async fn stop(worker: &mut Option<(u64, JqEvaluator)>) {
    if let Some((_, mut evaluator)) = worker.take() {
        evaluator.stop().await;
    }
}

/// Completes once the followed generation is no longer `generation` (or the UI is gone).
async fn superseded(current: &mut watch::Receiver<u64>, generation: u64) {
    loop {
        if *current.borrow_and_update() != generation {
            return;
        }
        if current.changed().await.is_err() {
            return;
        }
    }
}

/// False once the loop is gone.
async fn report(outcomes: &mpsc::Sender<JqOutcome>, outcome: JqOutcome) -> bool {
    outcomes.send(outcome).await.is_ok()
}
