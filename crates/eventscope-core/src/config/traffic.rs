//! The `[traffic]` table of `eventscope.toml`, read into [`TrafficRules`]: the `traffic/bot`
//! finding's severity (`bot = "info"`, the default; `"warning"`, `"error"`, or `"off"`: no
//! finding, and `has:bot` finds nothing).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::inspect::Severity;
use crate::inspect::traffic::TrafficRules;

/// The table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrafficTable {
    #[serde(default, deserialize_with = "severity")]
    bot: Option<Option<Severity>>,
}

/// `Config::traffic`: the `[traffic]` table over the defaults.
pub(crate) fn settings<'de, D: Deserializer<'de>>(d: D) -> Result<TrafficRules, D::Error> {
    let table = TrafficTable::deserialize(d)?;
    let mut rules = TrafficRules::default();
    if let Some(bot) = table.bot {
        rules.bot = bot;
    }
    Ok(rules)
}

/// `bot`: `"error"`, `"warning"`, `"info"` (the default) or `"off"`.
fn severity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Severity>>, D::Error> {
    let value = toml::Value::deserialize(d)?;
    super::severity_setting("[traffic] bot", &value)
        .map(Some)
        .map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::inspect::Severity;

    #[test]
    fn the_bot_severity_is_read_and_a_bad_one_names_the_key_and_line() {
        let config = Config::parse("", "t.toml").unwrap();
        assert_eq!(config.traffic.bot, Some(Severity::Info));
        let config = Config::parse("[traffic]\nbot = \"warning\"\n", "t.toml").unwrap();
        assert_eq!(config.traffic.bot, Some(Severity::Warning));
        let config = Config::parse("[traffic]\nbot = \"off\"\n", "t.toml").unwrap();
        assert_eq!(config.traffic.bot, None);
        let err = Config::parse("[traffic]\nbot = \"loud\"\n", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.toml"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("[traffic] bot"), "{err}");
        let err = Config::parse("[traffic]\nbots = \"info\"\n", "t.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bots"), "{err}");
    }
}
