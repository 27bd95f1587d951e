//! `eventscope.toml`: theme, key overrides, the tracking plan and naming convention, extra PII
//! matchers (`[pii]`) and destinations (`[[destination]]`). A user file overrides only what it
//! names; a bad file is a clear error naming the file, the key and the line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::inspect::plan::{Unplanned, UnplannedPolicy};

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
        toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_string(),
            message: e.to_string().trim().replace('\n', " "),
        })
    }

    /// `explicit` (must exist), else `./eventscope.toml`, else the user config dir's
    /// `eventscope/eventscope.toml`, else the defaults.
    pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let candidates: Vec<PathBuf> = match explicit {
            Some(path) => vec![path.to_path_buf()],
            None => [Some(PathBuf::from("eventscope.toml")), user_config_path()]
                .into_iter()
                .flatten()
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
    fn unknown_keys_are_errors_naming_file_key_and_line() {
        let err = Config::parse("theme = \"dark\"\ncolour = 3\n", "my.toml").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("my.toml:"), "{text}");
        assert!(text.contains("colour") && text.contains("line 2"), "{text}");
    }
}
