//! Traffic quality: whether a message was sent by a bot — a crawler, a monitor, a headless
//! browser or an HTTP library — told from its `context.userAgent` (and `userAgentData`'s
//! brands), and the `traffic/bot` finding that says so.
//!
//! The user agents are an embedded, updatable table (`user_agents.tsv`, its upstream named at
//! its top), compiled once per process into one [`RegexSet`]: a message costs one pass of a
//! lazy DFA over its user agent; only a bot's pays for finding which text matched.
//!
//! Why a table of our own rather than the `isbot` or `voight_kampff` crates: both answer
//! yes or no only (no category, no matched token), `isbot` lowercases a copy of every user
//! agent it sees, and neither says which of its lists is how recent; the npm `isbot` list they
//! follow uses look-behind, which Rust's linear-time regexes do not have.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use super::{Finding, Kind, Severity};
use crate::model::json::Json;

/// The rule of the finding.
pub const RULE: &str = "traffic/bot";

/// User agents longer than this are read to here only (a peer chooses the length).
const MAX_USER_AGENT: usize = 2048;

/// The table, `category<TAB>pattern` a line (see the file's header).
const TABLE: &str = include_str!("user_agents.tsv");

/// What kind of bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BotCategory {
    /// Search, SEO, AI and link-preview crawlers (Googlebot, AhrefsBot, GPTBot…).
    Crawler,
    /// Uptime, synthetic and speed monitors (UptimeRobot, Pingdom, Lighthouse…).
    Monitor,
    /// Headless or automated browsers (HeadlessChrome, PhantomJS, jsdom…).
    Headless,
    /// HTTP client libraries and tools (curl, python-requests, Go-http-client…).
    Library,
    /// Says it is a bot, crawler or spider, and no more.
    Bot,
}

impl BotCategory {
    pub const ALL: [BotCategory; 5] = [
        BotCategory::Crawler,
        BotCategory::Monitor,
        BotCategory::Headless,
        BotCategory::Library,
        BotCategory::Bot,
    ];

    /// The table's name for it.
    pub fn name(self) -> &'static str {
        match self {
            BotCategory::Crawler => "crawler",
            BotCategory::Monitor => "monitor",
            BotCategory::Headless => "headless",
            BotCategory::Library => "library",
            BotCategory::Bot => "bot",
        }
    }

    /// For a sentence: "a crawler", "an HTTP library".
    pub fn described(self) -> &'static str {
        match self {
            BotCategory::Crawler => "a crawler",
            BotCategory::Monitor => "a monitor",
            BotCategory::Headless => "a headless browser",
            BotCategory::Library => "an HTTP library",
            BotCategory::Bot => "a bot",
        }
    }

    fn from_name(name: &str) -> Option<BotCategory> {
        BotCategory::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A user agent the table knows as a bot: its category and the text that told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bot {
    pub category: BotCategory,
    /// What matched, as written in the user agent (`Googlebot`, `curl/`).
    pub token: String,
}

/// One line of the table: `None` is a `human` line (a real device that looks like a bot).
struct Line {
    category: Option<BotCategory>,
    pattern: Regex,
}

/// The table, compiled.
pub struct Classifier {
    set: RegexSet,
    lines: Vec<Line>,
}

/// A line of the table that does not read; the embedded table is tested to have none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("user_agents.tsv line {line}: {message}")]
pub struct TableError {
    pub line: usize,
    pub message: String,
}

impl Classifier {
    /// The embedded table, compiled on first use.
    pub fn embedded() -> &'static Classifier {
        static EMBEDDED: LazyLock<Classifier> = LazyLock::new(|| {
            // Tested to compile (`the_embedded_table_compiles`); an empty classifier otherwise
            // rather than a panic.
            Classifier::parse(TABLE).unwrap_or_else(|_| Classifier::empty())
        });
        &EMBEDDED
    }

    fn empty() -> Classifier {
        Classifier {
            set: RegexSet::empty(),
            lines: Vec::new(),
        }
    }

    /// A table in `user_agents.tsv`'s format.
    pub fn parse(table: &str) -> Result<Classifier, TableError> {
        let mut patterns = Vec::new();
        let mut lines = Vec::new();
        for (number, text) in table.lines().enumerate() {
            let text = text.trim_end();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let error = |message: String| TableError {
                line: number + 1,
                message,
            };
            let Some((category, pattern)) = text.split_once('\t') else {
                return Err(error("expected `category<TAB>pattern`".into()));
            };
            let category = match category {
                "human" => None,
                name => Some(BotCategory::from_name(name).ok_or_else(|| {
                    error(format!(
                        "unknown category `{name}`; use human, crawler, monitor, headless, \
                         library or bot"
                    ))
                })?),
            };
            let compiled = RegexBuilder::new(pattern)
                .case_insensitive(true)
                .build()
                .map_err(|e| error(e.to_string()))?;
            patterns.push(pattern);
            lines.push(Line {
                category,
                pattern: compiled,
            });
        }
        let set = RegexSetBuilder::new(&patterns)
            .case_insensitive(true)
            .build()
            .map_err(|e| TableError {
                line: 0,
                message: e.to_string(),
            })?;
        Ok(Classifier { set, lines })
    }

    /// What `user_agent` is, if the table knows it as a bot; the first line that matches
    /// decides.
    pub fn classify(&self, user_agent: &str) -> Option<Bot> {
        let user_agent = crate::model::cut_to(user_agent, MAX_USER_AGENT);
        if !self.set.is_match(user_agent) {
            return None;
        }
        let first = self.set.matches(user_agent).into_iter().next()?;
        let line = self.lines.get(first)?;
        let category = line.category?;
        let token = line
            .pattern
            .find(user_agent)
            .map_or_else(String::new, |m| m.as_str().trim().to_string());
        Some(Bot { category, token })
    }

    /// What the message's user agent is: `context.userAgent`, else a `HeadlessChrome` brand in
    /// `context.userAgentData` (Client Hints carry it when the string is frozen). With the
    /// path that told.
    pub fn classify_message(&self, message: &Json<'_>) -> Option<(Bot, &'static str)> {
        let context = message.get("context")?;
        if let Some(user_agent) = context.get("userAgent").and_then(Json::as_str)
            && let Some(bot) = self.classify(user_agent)
        {
            return Some((bot, "context.userAgent"));
        }
        let brands = context.get("userAgentData")?.get("brands")?;
        let Json::Array(brands) = brands else {
            return None;
        };
        brands.iter().find_map(|brand| {
            let name = brand.get("brand")?.as_str()?;
            let bot = self.classify(name)?;
            Some((bot, "context.userAgentData.brands"))
        })
    }
}

/// `[traffic]`: the `traffic/bot` finding's severity (`None`: off, and `has:bot` finds none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrafficRules {
    pub bot: Option<Severity>,
}

impl Default for TrafficRules {
    fn default() -> Self {
        TrafficRules {
            bot: Some(Severity::Info),
        }
    }
}

impl TrafficRules {
    /// Adds the `traffic/bot` finding when the message's user agent is a bot's.
    pub fn check(&self, message: &Json<'_>, out: &mut Vec<Finding>) {
        let Some(severity) = self.bot else {
            return;
        };
        let Some((bot, path)) = Classifier::embedded().classify_message(message) else {
            return;
        };
        out.push(
            Finding::new(
                Kind::Traffic,
                RULE,
                path,
                severity,
                format!(
                    "sent by {} (the user agent names `{}`)",
                    bot.category.described(),
                    bot.token
                ),
            )
            .actual(format!("{} `{}`", bot.category.name(), bot.token)),
        );
    }
}

#[cfg(test)]
mod tests;
