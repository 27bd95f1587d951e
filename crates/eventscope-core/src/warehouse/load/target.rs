//! `--to`: the database a load writes to (`sqlite:PATH` or `postgres://…`), and the schema
//! name it writes in.

use std::path::PathBuf;
use std::time::Duration;

use super::{LoadError, Sink, postgres, sqlite};

/// Where a load goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `sqlite:PATH` (`sqlite:///abs/path` too): a file, made if missing.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…` (libpq's URL form).
    Postgres(String),
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, LoadError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            // `sqlite:///tmp/x.db` is `/tmp/x.db`, `sqlite://x.db` is `x.db`.
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(LoadError::Usage(
                    "--to sqlite: needs a file: sqlite:PATH (e.g. sqlite:events.db)".to_string(),
                ));
            }
            return Ok(Target::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_string()));
        }
        Err(LoadError::Usage(format!(
            "--to {}: not a database; use sqlite:PATH or postgres://USER@HOST:PORT/DB",
            mask_password(url)
        )))
    }

    /// Connects (at most `timeout` to connect, and per statement) and makes `schema` ready.
    pub fn open(&self, schema: &str, timeout: Duration) -> Result<Box<dyn Sink>, LoadError> {
        check_schema(schema)?;
        Ok(match self {
            Target::Sqlite(path) => Box::new(sqlite::SqliteSink::open(path, schema, timeout)?),
            Target::Postgres(url) => {
                Box::new(postgres::PostgresSink::connect(url, schema, timeout)?)
            }
        })
    }

    /// The target as a person may see it: the password masked.
    pub fn describe(&self) -> String {
        match self {
            Target::Sqlite(path) => format!("sqlite:{}", path.display()),
            Target::Postgres(url) => mask_password(url),
        }
    }
}

/// A schema name both dialects take unquoted: `[a-z_][a-z0-9_]*`, at most 63 bytes, not one
/// SQLite or PostgreSQL keeps for itself.
fn check_schema(schema: &str) -> Result<(), LoadError> {
    let mut bytes = schema.bytes();
    let well_formed = matches!(bytes.next(), Some(b'a'..=b'z' | b'_'))
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && schema.len() <= super::MAX_NAME;
    let reserved =
        matches!(schema, "main" | "temp" | "information_schema") || schema.starts_with("pg_");
    if well_formed && !reserved {
        return Ok(());
    }
    Err(LoadError::Usage(format!(
        "--schema {schema:?}: use lower-case letters, digits and `_` (not first a digit), at most \
         63, and not main, temp, information_schema or pg_*"
    )))
}

/// `url` with its password replaced by `***`: in the user-info of a URL
/// (`postgres://user:secret@host`) and in a `password=` parameter.
pub fn mask_password(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..].find(['/', '?']).map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..authority_end].rfind('@').map(|i| rest + i)
            && let Some(colon) = out[rest..at].find(':').map(|i| rest + i)
        {
            out.replace_range(colon + 1..at, "***");
        }
    }
    let lower = out.to_ascii_lowercase();
    if let Some(start) = lower.find("password=").map(|i| i + "password=".len()) {
        let end = out[start..]
            .find(['&', ' '])
            .map_or(out.len(), |i| start + i);
        out.replace_range(start..end, "***");
    }
    out
}
