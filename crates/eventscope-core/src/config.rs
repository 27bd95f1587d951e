//! `eventscope.toml`: theme, key overrides, the tracking plan and naming convention, extra PII
//! matchers (`[pii]`), destinations (`[[destination]]`), identity resolution (`[identity]`,
//! read in `identity`), the warehouse verdicts (`[warehouse]`, read in `warehouse`) and the bot
//! finding's severity (`[traffic]`, read in `traffic`). A user file overrides only what it names; a bad file is a clear error
//! naming the file, the key and the line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::identity::IdentitySettings;
use crate::inspect::plan::{Unplanned, UnplannedPolicy};
use crate::routing::{FieldPath, FilterAction};

mod identity;
mod late;
pub mod sources;
mod traffic;
mod view;
mod warehouse;

pub use view::{ViewConfig, ViewSort};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// `dark`, `light` or `high-contrast`.
    pub theme: Option<String>,
    /// Action name → keys, e.g. `quit = ["q", "ctrl-c"]`.
    pub keys: HashMap<String, Vec<String>>,
    /// The tracking plan to judge messages against: `plan = "plan.json"`, or a `[plan]` table
    /// with `file` and what unplanned events, properties and traits are.
    pub plan: PlanConfig,
    /// Event naming convention: `object-action` (default), `snake_case` or `off`.
    pub naming: Option<crate::inspect::spec::Naming>,
    /// Extra PII matchers and expected places.
    pub pii: crate::inspect::pii::PiiConfig,
    /// `[[destination]]` tables: where forward and replay send messages (resolved, with
    /// `env:VAR` credentials read, by `forward::destination::resolve_all`).
    pub destination: Vec<crate::forward::destination::DestinationConfig>,
    /// `[identity]`: how messages are stitched into people, over Segment's defaults (the
    /// defaults when the table is absent).
    #[serde(deserialize_with = "identity::settings")]
    pub identity: IdentitySettings,
    /// `[warehouse]`: the column limit and the `warehouse/…` verdicts' severities (the
    /// defaults when the table is absent).
    #[serde(deserialize_with = "warehouse::settings")]
    pub warehouse: crate::warehouse::WarehouseSettings,
    /// `[traffic]`: the `traffic/bot` finding's severity (`bot = "info"` by default).
    #[serde(deserialize_with = "traffic::settings")]
    pub traffic: crate::inspect::traffic::TrafficRules,
    /// `[[view]]` tables: named filters, columns and order (`--view NAME`, `v`).
    #[serde(deserialize_with = "view::views")]
    pub view: Vec<ViewConfig>,
    /// Keep the viewer's filter history in the user's data directory (default true; also off
    /// with `EVENTSCOPE_NO_HISTORY=1`).
    pub history: Option<bool>,
    /// Refused with a pointer to `[[view]]` (see `view::top_level_filter`).
    #[serde(deserialize_with = "view::top_level_filter")]
    filter: Option<std::convert::Infallible>,
    /// `[[source]]` tables: a short label per write key, for the list, the header and
    /// `source:`.
    #[serde(deserialize_with = "sources::sources")]
    pub source: Vec<sources::SourceConfig>,
    /// `[late]`: how late on arrival a message is `spec/late`, and at which severity.
    #[serde(deserialize_with = "late::rule")]
    pub late: crate::inspect::late::LateRule,
    /// `copy-to = "FILE"`: the viewer also writes what it copies there (`--copy-to`).
    #[serde(alias = "copy_to")]
    pub copy_to: Option<PathBuf>,
}

/// `plan = "FILE"` or `[plan]`: `file`, `unplanned-event`, `unplanned-property`,
/// `unplanned-trait` (each `"error"`, `"warning"` (default) or `"allow"`; `unplanned_event`
/// and the like are read too, as Protocols' settings are often written).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PlanTable {
    pub file: Option<PathBuf>,
    #[serde(alias = "unplanned_event")]
    pub unplanned_event: Option<Unplanned>,
    #[serde(alias = "unplanned_property")]
    pub unplanned_property: Option<Unplanned>,
    #[serde(alias = "unplanned_trait")]
    pub unplanned_trait: Option<Unplanned>,
}

/// The `plan` key: a file name alone, or the `[plan]` table.
#[derive(Debug, Clone, Default)]
pub struct PlanConfig(pub PlanTable);

impl PlanConfig {
    pub fn file(&self) -> Option<&Path> {
        self.0.file.as_deref()
    }

    /// The policy the file sets, over the defaults (warnings).
    pub fn unplanned(&self) -> UnplannedPolicy {
        let d = UnplannedPolicy::default();
        UnplannedPolicy {
            event: self.0.unplanned_event.unwrap_or(d.event),
            property: self.0.unplanned_property.unwrap_or(d.property),
            traits: self.0.unplanned_trait.unwrap_or(d.traits),
        }
    }
}

impl<'de> Deserialize<'de> for PlanConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PlanConfig;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a plan file name or a [plan] table")
            }
            fn visit_str<E: serde::de::Error>(self, file: &str) -> Result<PlanConfig, E> {
                Ok(PlanConfig(PlanTable {
                    file: Some(PathBuf::from(file)),
                    ..PlanTable::default()
                }))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<PlanConfig, A::Error> {
                PlanTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(PlanConfig)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One `[[destination.filter]]` table, validated: `if` (an FQL condition, kept as written;
/// none: every message), `action` (`drop`, `sample`, `allow_fields`, `block_fields`; Segment's
/// `drop_event`, `sample_event`, `whitelist_fields`, `blocklist_fields` are read too),
/// `percent` (sample only, 0–100) and `fields` (allow/block only, dotted paths).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "FilterTable")]
pub struct FilterConfig {
    pub condition: Option<String>,
    pub action: FilterAction,
}

/// The table as written, before [`FilterConfig`] checks it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilterTable {
    #[serde(rename = "if")]
    condition: Option<String>,
    action: String,
    percent: Option<f64>,
    fields: Option<Vec<String>>,
}

impl TryFrom<FilterTable> for FilterConfig {
    type Error = String;

    fn try_from(table: FilterTable) -> Result<FilterConfig, String> {
        if table
            .condition
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return Err(
                "a filter's `if` is empty: write a condition or leave `if` out \
                        to act on every message"
                    .into(),
            );
        }
        let needs_fields = matches!(
            table.action.as_str(),
            "allow_fields" | "whitelist_fields" | "block_fields" | "blocklist_fields"
        );
        if table.percent.is_some() && !matches!(table.action.as_str(), "sample" | "sample_event") {
            return Err(format!(
                "`percent` is for `action = \"sample\"`, not `{}`",
                table.action
            ));
        }
        if table.fields.is_some() && !needs_fields {
            return Err(format!(
                "`fields` is for `allow_fields` and `block_fields`, not `{}`",
                table.action
            ));
        }
        let fields = || -> Result<Vec<FieldPath>, String> {
            let fields = table.fields.as_deref().unwrap_or_default();
            if fields.is_empty() {
                return Err(format!(
                    "`action = \"{}\"` needs `fields`, e.g. fields = [\"properties.email\"]",
                    table.action
                ));
            }
            fields.iter().map(|f| FieldPath::parse(f)).collect()
        };
        let action = match table.action.as_str() {
            "drop" | "drop_event" => FilterAction::Drop,
            "sample" | "sample_event" => match table.percent {
                Some(percent) if (0.0..=100.0).contains(&percent) => {
                    FilterAction::Sample { percent }
                }
                Some(percent) => {
                    return Err(format!("`percent = {percent}` is not between 0 and 100"));
                }
                None => return Err("`action = \"sample\"` needs `percent` (0–100)".into()),
            },
            "allow_fields" | "whitelist_fields" => FilterAction::AllowFields(fields()?),
            "block_fields" | "blocklist_fields" => FilterAction::BlockFields(fields()?),
            other => {
                return Err(format!(
                    "unknown filter action `{other}`: expected drop, sample, allow_fields or \
                     block_fields"
                ));
            }
        };
        // Checked here so a bad statement is refused at start, at its table's line.
        if let Some(condition) = &table.condition {
            crate::filter::fql::Query::parse(condition)
                .map_err(|e| format!("`if` is not valid FQL: {e}"))?;
        }
        Ok(FilterConfig {
            condition: table.condition,
            action,
        })
    }
}

/// A finding's severity as a setting: `"error"`, `"warning"`, `"info"`, or `"off"` (`None`: no
/// finding); anything else is an error naming `key` and the value.
pub(crate) fn severity_setting(
    key: &str,
    value: &toml::Value,
) -> Result<Option<crate::inspect::Severity>, String> {
    use crate::inspect::Severity;
    match value.as_str() {
        Some("error") => Ok(Some(Severity::Error)),
        Some("warning") => Ok(Some(Severity::Warning)),
        Some("info") => Ok(Some(Severity::Info)),
        Some("off") => Ok(None),
        _ => Err(format!(
            "{key}: {value}: use \"error\", \"warning\", \"info\" or \"off\""
        )),
    }
}

/// `segment_name`: a non-empty catalog name.
pub(crate) fn non_empty_name<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(d)?;
    if name.trim().is_empty() {
        return Err(serde::de::Error::custom(
            "`segment_name` is empty: write the catalog name the integrations object uses, \
             e.g. \"Amplitude\"",
        ));
    }
    Ok(Some(name))
}

/// `consent`: distinct, non-empty category names.
pub(crate) fn consent_categories<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<String>, D::Error> {
    let categories = Vec::<String>::deserialize(d)?;
    for (index, category) in categories.iter().enumerate() {
        if category.trim().is_empty() {
            return Err(serde::de::Error::custom(
                "`consent` has an empty category name",
            ));
        }
        if categories[..index].contains(category) {
            return Err(serde::de::Error::custom(format!(
                "`consent` names `{category}` twice"
            )));
        }
    }
    Ok(categories)
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_string(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        // A view's filter may name destinations (`routed:amp`): checked once all are read.
        let destinations: Vec<&str> = config.destination.iter().map(|d| d.name.as_str()).collect();
        view::check(&mut config.view, text, &destinations).map_err(|message| {
            ConfigError::Invalid {
                path: path.to_string(),
                message,
            }
        })?;
        Ok(config)
    }

    /// `explicit` (must exist), else `./eventscope.toml`, else the user config dir's
    /// `eventscope/eventscope.toml`, else the defaults.
    pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let candidates: Vec<PathBuf> = match explicit {
            Some(path) => vec![path.to_path_buf()],
            None => Config::search_paths()
                .into_iter()
                .filter(|p| p.exists())
                .collect(),
        };
        let Some(path) = candidates.into_iter().next() else {
            return Ok((Config::default(), None));
        };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        Ok((Config::parse(&text, &shown)?, Some(path)))
    }

    /// Where [`Config::load`] looks without an explicit file, in order: `./eventscope.toml`,
    /// then the user config dir's `eventscope/eventscope.toml` (for errors that say where).
    pub fn search_paths() -> Vec<PathBuf> {
        [Some(PathBuf::from("eventscope.toml")), user_config_path()]
            .into_iter()
            .flatten()
            .collect()
    }
}

fn user_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("eventscope").join("eventscope.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_copy_to() {
        let config = Config::parse("copy-to = \"/tmp/clip.txt\"\n", "t.toml").unwrap();
        assert_eq!(config.copy_to, Some(PathBuf::from("/tmp/clip.txt")));
        let config = Config::parse("copy_to = \"c.txt\"\n", "t.toml").unwrap();
        assert_eq!(config.copy_to, Some(PathBuf::from("c.txt")));
    }

    #[test]
    fn reads_theme_and_keys() {
        let config = Config::parse(
            "theme = \"light\"\n[keys]\nquit = [\"x\"]\n",
            "eventscope.toml",
        )
        .unwrap();
        assert_eq!(config.theme.as_deref(), Some("light"));
        assert_eq!(config.keys["quit"], ["x"]);
    }

    #[test]
    fn reads_destination_tables() {
        let config = Config::parse(
            r#"
[[destination]]
name = "hook"
kind = "webhook"
endpoint = "http://127.0.0.1:9000/in"
shared_secret = "env:HOOK_SECRET"
timeout = "500ms"
headers = { X-Team = "data" }

[[destination]]
name = "ga"
kind = "ga4"
measurement_id = "G-TEST"
api_secret = "s3cr3t"
debug = true
timeout = 2
"#,
            "eventscope.toml",
        )
        .unwrap();
        assert_eq!(config.destination.len(), 2);
        let hook = &config.destination[0];
        assert_eq!(hook.name, "hook");
        assert_eq!(hook.shared_secret.as_deref(), Some("env:HOOK_SECRET"));
        assert_eq!(hook.timeout, Some(std::time::Duration::from_millis(500)));
        assert_eq!(hook.headers["X-Team"], "data");
        assert!(config.destination[1].debug);
        assert_eq!(
            config.destination[1].timeout,
            Some(std::time::Duration::from_secs(2))
        );
    }

    #[test]
    fn destination_typos_and_bad_values_name_the_key_and_line() {
        let err = Config::parse(
            "[[destination]]\nname = \"a\"\nkind = \"webhook\"\nendpoitn = \"http://x\"\n",
            "my.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("endpoitn") && err.contains("line 4"), "{err}");
        let err = Config::parse(
            "[[destination]]\nname = \"a\"\nkind = \"kafka\"\n",
            "my.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("kafka") && err.contains("line 3"), "{err}");
        let err = Config::parse(
            "[[destination]]\nname = \"a\"\nkind = \"webhook\"\ntimeout = \"soon\"\n",
            "my.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("invalid timeout") && err.contains("line 4"),
            "{err}"
        );
    }

    #[test]
    fn destinations_read_segment_name_consent_and_filters() {
        let config = Config::parse(
            r#"
[[destination]]
name = "amp"
kind = "amplitude"
api_key = "k"
consent = ["Analytics", "Advertising"]

[[destination.filter]]
if = "event = 'Test Event'"
action = "drop"

[[destination.filter]]
if = "type = 'track'"
action = "sample"
percent = 10

[[destination.filter]]
action = "block_fields"
fields = ["properties.email", "properties.products.sku"]

[[destination]]
name = "fn"
kind = "webhook"
endpoint = "http://127.0.0.1:9/"
segment_name = "My Function (My Workspace)"

[[destination]]
name = "ga"
kind = "ga4"
measurement_id = "G-1"
api_secret = "s"

[[destination]]
name = "disk"
kind = "file"
path = "out.ndjson"
"#,
            "eventscope.toml",
        )
        .unwrap();
        let [amp, function, ga, disk] = &config.destination[..] else {
            panic!("four destinations");
        };
        assert_eq!(amp.segment_name(), Some("Amplitude"));
        assert_eq!(amp.consent, ["Analytics", "Advertising"]);
        assert_eq!(amp.filter.len(), 3);
        assert_eq!(
            amp.filter[0].condition.as_deref(),
            Some("event = 'Test Event'")
        );
        assert_eq!(amp.filter[0].action, FilterAction::Drop);
        assert_eq!(amp.filter[1].action, FilterAction::Sample { percent: 10.0 });
        assert_eq!(amp.filter[2].condition, None);
        let FilterAction::BlockFields(fields) = &amp.filter[2].action else {
            panic!("block_fields");
        };
        assert_eq!(fields[1].keys(), ["properties", "products", "sku"]);
        assert_eq!(function.segment_name(), Some("My Function (My Workspace)"));
        assert!(function.consent.is_empty() && function.filter.is_empty());
        assert_eq!(ga.segment_name(), Some("Google Analytics 4"));
        assert_eq!(disk.segment_name(), None);
    }

    #[test]
    fn bad_filters_consent_and_segment_names_name_the_line() {
        let head = "[[destination]]\nname = \"a\"\nkind = \"webhook\"\n";
        let cases = [
            (
                "[[destination.filter]]\naction = \"explode\"\n",
                "unknown filter action `explode`",
                4,
            ),
            (
                "[[destination.filter]]\nif = \"event = = 'x'\"\naction = \"drop\"\n",
                "`if` is not valid FQL: FQL column",
                4,
            ),
            (
                "[[destination.filter]]\naction = \"sample\"\n",
                "needs `percent`",
                4,
            ),
            (
                "[[destination.filter]]\naction = \"sample\"\npercent = 120\n",
                "not between 0 and 100",
                4,
            ),
            (
                "[[destination.filter]]\naction = \"drop\"\npercent = 5\n",
                "`percent` is for",
                4,
            ),
            (
                "[[destination.filter]]\naction = \"block_fields\"\n",
                "needs `fields`",
                4,
            ),
            (
                "[[destination.filter]]\naction = \"allow_fields\"\nfields = [\"properties..x\"]\n",
                "empty key",
                4,
            ),
            (
                "[[destination.filter]]\naction = \"drop\"\nfields = [\"properties.x\"]\n",
                "`fields` is for",
                4,
            ),
            (
                "[[destination.filter]]\nif = \" \"\naction = \"drop\"\n",
                "`if` is empty",
                4,
            ),
            (
                "[[destination.filter]]\nwhen = \"x\"\naction = \"drop\"\n",
                "when",
                5,
            ),
            (
                "consent = [\"Analytics\", \"Analytics\"]\n",
                "names `Analytics` twice",
                4,
            ),
            ("consent = [\"\"]\n", "empty category", 4),
            ("segment_name = \"\"\n", "`segment_name` is empty", 4),
        ];
        for (tail, message, line) in cases {
            let err = Config::parse(&format!("{head}{tail}"), "my.toml")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(message) && err.contains(&format!("line {line}")),
                "{tail}: {err}"
            );
        }
    }

    #[test]
    fn the_plan_is_a_file_name_or_a_table_with_the_unplanned_policy() {
        let config = Config::parse("plan = \"p.json\"\n", "eventscope.toml").unwrap();
        assert_eq!(config.plan.file(), Some(Path::new("p.json")));
        assert_eq!(config.plan.unplanned(), UnplannedPolicy::default());
        let config = Config::parse(
            "[plan]\nfile = \"p.json\"\nunplanned_event = \"error\"\nunplanned-trait = \"allow\"\n",
            "eventscope.toml",
        )
        .unwrap();
        assert_eq!(config.plan.file(), Some(Path::new("p.json")));
        let policy = config.plan.unplanned();
        assert_eq!(policy.event, Unplanned::Error);
        assert_eq!(policy.property, Unplanned::Warning);
        assert_eq!(policy.traits, Unplanned::Allow);
        let err = Config::parse("[plan]\nunplanned_event = \"block\"\n", "my.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("block") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn sources_read_labels_and_refuse_bad_tables_naming_the_line() {
        let config = Config::parse(
            "[[source]]\nkey = \"wk_live_web_0123456789\"\nlabel = \"web\"\n\n\
             [[source]]\nkey = \"ios0…9999\"\nlabel = \"ios\"\n",
            "eventscope.toml",
        )
        .unwrap();
        assert_eq!(config.source.len(), 2);
        let labels = sources::labels(&config.source);
        let web = crate::model::mask_secret("wk_live_web_0123456789");
        assert_eq!(labels.label(Some(&web)).as_deref(), Some("web"));
        let cases = [
            ("key = \"\"\nlabel = \"web\"\n", "`key` is empty"),
            ("key = \"k1\"\nlabel = \" \"\n", "`label` is empty"),
            (
                "key = \"k1\"\nlabel = \"a-label-far-too-long\"\n",
                "longer than 16",
            ),
            ("key = \"k1\"\nlabel = \"web\"\ncolour = 1\n", "colour"),
        ];
        for (table, message) in cases {
            let err = Config::parse(&format!("[[source]]\n{table}"), "my.toml")
                .unwrap_err()
                .to_string();
            assert!(err.contains(message) && err.contains("line"), "{err}");
        }
        let twice = "[[source]]\nkey = \"k1\"\nlabel = \"web\"\n[[source]]\nkey = \"k1\"\nlabel = \"ios\"\n";
        let err = Config::parse(twice, "my.toml").unwrap_err().to_string();
        assert!(err.contains("the same key as [[source]] #1"), "{err}");
        let twice = "[[source]]\nkey = \"k1\"\nlabel = \"web\"\n[[source]]\nkey = \"k2\"\nlabel = \"web\"\n";
        let err = Config::parse(twice, "my.toml").unwrap_err().to_string();
        assert!(err.contains("label \"web\" is also"), "{err}");
    }

    #[test]
    fn late_reads_the_threshold_and_severity() {
        use crate::inspect::Severity;
        let config =
            Config::parse("[late]\nafter = \"5m\"\nseverity = \"warning\"\n", "x.toml").unwrap();
        assert_eq!(config.late.after_ms, 300_000);
        assert_eq!(config.late.severity, Some(Severity::Warning));
        let config = Config::parse("[late]\nseverity = \"off\"\n", "x.toml").unwrap();
        assert_eq!(config.late.severity, None);
        assert_eq!(config.late.after_ms, crate::inspect::late::DEFAULT_LATE_MS);
        assert_eq!(Config::default().late.severity, Some(Severity::Info));
        for (text, message) in [
            ("[late]\nafter = \"soon\"\n", "\"soon\""),
            ("[late]\nseverity = \"loud\"\n", "\"loud\""),
            ("[late]\nafter = \"0s\"\n", "\"0s\""),
        ] {
            let err = Config::parse(text, "x.toml").unwrap_err().to_string();
            assert!(err.contains(message) && err.contains("[late]"), "{err}");
        }
    }

    #[test]
    fn unknown_keys_are_errors_naming_file_key_and_line() {
        let err = Config::parse("theme = \"dark\"\ncolour = 3\n", "my.toml").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("my.toml:"), "{text}");
        assert!(text.contains("colour") && text.contains("line 2"), "{text}");
    }
}
