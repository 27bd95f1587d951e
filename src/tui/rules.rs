//! The rules messages are judged by, reloaded when the tracking plan file changes: the feeds
//! judge new rows with the newest rules, and the UI re-judges the selected message. The
//! destinations messages are routed to (`[[destination]]` tables) travel with them: fixed for
//! the viewer's life, as do the identity graph and the warehouse schema the feeds build.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use eventscope_core::entry::EntryBuilder;
use eventscope_core::identity::{IdentityGraph, SharedGraph};
use eventscope_core::inspect::Inspector;
use eventscope_core::model::SourceLabels;
use eventscope_core::routing::Named;
use eventscope_core::warehouse::SharedSchema;

/// How often the plan file's modification time is checked.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The current rules, and the last reload's error if it failed (the rules before it stay).
#[derive(Clone)]
pub struct Rules {
    pub inspector: Arc<Inspector>,
    pub error: Option<String>,
    /// Counts reloads, so that the UI can say "reloaded".
    pub generation: u64,
    /// The configured destinations each message is routed to, in the config's order.
    pub routing: Arc<[Named]>,
    /// The people the viewer's messages make, fed by the feeds, read by the person view and
    /// `person:` (one graph for the viewer's life, built with `[identity]`'s settings).
    pub identity: SharedGraph,
    /// The warehouse schema the viewer's messages build, fed by the feeds (in seq order), read
    /// by the Warehouse tab and the schema view (one for the viewer's life).
    pub schema: SharedSchema,
    /// Labels for the rows' sources by write key (`[[source]]`), fixed for the viewer's life.
    pub sources: Arc<SourceLabels>,
}

impl Rules {
    fn new(inspector: Arc<Inspector>, routing: Arc<[Named]>, sources: Arc<SourceLabels>) -> Rules {
        // The person view's timeline reads the retained rows, not the graph's seqs.
        let graph = IdentityGraph::new(inspector.identity.settings.clone()).with_recent_messages(1);
        Rules {
            inspector,
            error: None,
            generation: 0,
            routing,
            identity: Arc::new(Mutex::new(graph)),
            schema: SharedSchema::default(),
            sources,
        }
    }

    /// A row builder judging and routing by these rules.
    pub fn builder(&self) -> EntryBuilder {
        let mut builder = EntryBuilder::judging(Arc::clone(&self.inspector));
        builder.set_routing(Arc::clone(&self.routing));
        builder.set_identity(Arc::clone(&self.identity));
        builder.set_schema(Arc::clone(&self.schema));
        builder.set_sources(Arc::clone(&self.sources));
        builder
    }

    /// Brings `builder` up to these rules (after a reload).
    pub fn update(&self, builder: &mut EntryBuilder) {
        builder.set_inspector(Arc::clone(&self.inspector));
    }
}

/// Fixed rules, never reloaded (a closed channel still serves its value).
pub fn fixed(inspector: Arc<Inspector>) -> watch::Receiver<Rules> {
    fixed_routing(inspector, Arc::from([]))
}

/// Fixed rules that also route each message to `routing`.
pub fn fixed_routing(inspector: Arc<Inspector>, routing: Arc<[Named]>) -> watch::Receiver<Rules> {
    fixed_labelled(inspector, routing, Arc::default())
}

/// Fixed rules that route each message to `routing` and label its source with `sources`.
pub fn fixed_labelled(
    inspector: Arc<Inspector>,
    routing: Arc<[Named]>,
    sources: Arc<SourceLabels>,
) -> watch::Receiver<Rules> {
    let (_, rx) = watch::channel(Rules::new(inspector, routing, sources));
    rx
}

/// Rules rebuilt with `build` whenever `plan` changes on disk, routing to `routing` and
/// labelling sources with `sources`.
pub fn watch_plan<F>(
    plan: PathBuf,
    inspector: Arc<Inspector>,
    routing: Arc<[Named]>,
    sources: Arc<SourceLabels>,
    build: F,
) -> watch::Receiver<Rules>
where
    F: Fn(&Path) -> Result<Inspector, String> + Send + Sync + 'static,
{
    let build = Arc::new(build);
    let (tx, rx) = watch::channel(Rules::new(inspector, routing, sources));
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    // The time of the file the given rules were built from, read before anything can change.
    let mut last: Option<SystemTime> = modified(&plan);
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(POLL_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            if tx.is_closed() {
                return;
            }
            let now = modified(&plan);
            if now == last {
                continue;
            }
            last = now;
            let (path, build) = (plan.clone(), Arc::clone(&build));
            let Ok(result) = tokio::task::spawn_blocking(move || build(&path)).await else {
                continue;
            };
            tx.send_modify(|rules| {
                rules.generation += 1;
                match result {
                    Ok(inspector) => {
                        rules.inspector = Arc::new(inspector);
                        rules.error = None;
                    }
                    Err(e) => rules.error = Some(e),
                }
            });
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_changed_plan_is_reloaded_and_a_broken_one_keeps_the_old_rules() {
        let dir = std::env::temp_dir().join(format!("eventscope-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plan = dir.join("plan.json");
        std::fs::write(&plan, "good").unwrap();
        let build = |path: &Path| match std::fs::read_to_string(path) {
            Ok(text) if text.starts_with("good") => Ok(Inspector::default()),
            Ok(text) => Err(format!("{}: bad plan {text}", path.display())),
            Err(e) => Err(e.to_string()),
        };
        let first = Arc::new(Inspector::default());
        let mut rules = watch_plan(
            plan.clone(),
            Arc::clone(&first),
            Arc::from([]),
            Arc::default(),
            build,
        );
        // Modification times can be coarse: make sure the next write looks newer.
        let later = SystemTime::now() + Duration::from_secs(2);
        std::fs::write(&plan, "good again").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&plan)
            .unwrap()
            .set_modified(later)
            .unwrap();
        tokio::time::timeout(Duration::from_secs(20), rules.changed())
            .await
            .unwrap()
            .unwrap();
        let reloaded = rules.borrow_and_update().clone();
        assert_eq!(reloaded.generation, 1);
        assert!(reloaded.error.is_none());
        assert!(!Arc::ptr_eq(&reloaded.inspector, &first));

        std::fs::write(&plan, "broken").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&plan)
            .unwrap()
            .set_modified(later + Duration::from_secs(2))
            .unwrap();
        tokio::time::timeout(Duration::from_secs(20), rules.changed())
            .await
            .unwrap()
            .unwrap();
        let broken = rules.borrow().clone();
        assert!(broken.error.unwrap().contains("bad plan"));
        assert!(
            Arc::ptr_eq(&broken.inspector, &reloaded.inspector),
            "old rules stay"
        );
    }
}
