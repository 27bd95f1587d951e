//! Load-rate figures (issue 15): `eventscope warehouse --to sqlite:` against the `sqlite3`
//! command-line tool importing the same rows as CSV (`.import`), and `--to postgres://`
//! against `psql \copy` of the same rows, end to end from a recording, side by side.
//!
//! `cargo bench --bench warehouse_load`; `EVENTSCOPE_BENCH_N=20000` messages for a quicker run
//! (default 100,000: the fixture events repeated with fresh messageIds), `EVENTSCOPE_BENCH_RUNS`
//! runs of each side (default 3; the best is kept). Each run loads into a fresh database.
//!
//! The bulk tools get the rows the loader writes (`warehouse::rows` of every message), one CSV
//! file per table with a header, written before their clock starts; they load them into
//! untyped (sqlite3) or `text` (psql) tables without keys, which is the most they can be
//! asked: eventscope's side also reads and maps the recording, types the columns, and keeps
//! `id` unique (insert or upsert). A side whose tool is missing (`sqlite3`, `psql`,
//! PostgreSQL's `initdb`/`pg_ctl`) is skipped with a message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

#[path = "../tests/common/postgres.rs"]
mod postgres;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use eventscope::model::json::Json;
use eventscope::warehouse::{Value, rows};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events.ndjson");

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("warehouse load bench: run with `cargo bench --bench warehouse_load`");
        return;
    }
    let n: usize = env_number("EVENTSCOPE_BENCH_N").unwrap_or(100_000);
    let runs: usize = env_number("EVENTSCOPE_BENCH_RUNS").unwrap_or(3).max(1);
    let dir = std::env::temp_dir().join(format!("eventscope-bench-wh-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let recording = dir.join("recording.ndjson");
    let tables = write_recording(&recording, n);
    let csv_dir = dir.join("csv");
    std::fs::create_dir_all(&csv_dir).unwrap();
    let csvs = write_csvs(&csv_dir, &tables);
    let rows: usize = tables.values().map(|t| t.rows.len()).sum();
    let size = std::fs::metadata(&recording).map_or(0, |m| m.len());
    println!(
        "warehouse load: {n} messages ({:.1} MiB), {rows} rows in {} tables; best of {runs} \
         (EVENTSCOPE_BENCH_N, EVENTSCOPE_BENCH_RUNS); load average {}",
        size as f64 / (1 << 20) as f64,
        tables.len(),
        load_average()
    );

    // SQLite.
    let ours = best(runs, |run| {
        let db = dir.join(format!("ours-{run}.db"));
        load(&recording, &format!("sqlite:{}", db.display()), "bench")
    });
    report("sqlite", "eventscope warehouse --to sqlite:", rows, ours);
    if tool("sqlite3") {
        let theirs = best(runs, |run| {
            let db = dir.join(format!("import-{run}.db"));
            let mut script = String::from(".mode csv\n");
            for (table, file) in &csvs {
                script.push_str(&format!(".import '{}' \"{table}\"\n", file.display()));
            }
            let start = Instant::now();
            run_with_stdin(Command::new("sqlite3").arg(&db), &script);
            start.elapsed()
        });
        report("sqlite", "sqlite3 .import (CSV)", rows, theirs);
        println!(
            "  ratio: {:.2} of sqlite3's rate",
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    } else {
        println!("  sqlite3 .import: skipped (no `sqlite3` on the PATH; apt-get install sqlite3)");
    }

    // PostgreSQL.
    let Some(pg) = postgres::Postgres::start("warehouse_load bench") else {
        println!("postgres: skipped (no PostgreSQL: initdb, pg_ctl)");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    };
    let ours = best(runs, |run| {
        load(&recording, &pg.url(), &format!("ours_{run}"))
    });
    report(
        "postgres",
        "eventscope warehouse --to postgres://",
        rows,
        ours,
    );
    if pg.psql().is_file() {
        let theirs = best(runs, |run| {
            let schema = format!("copy_{run}");
            let mut script = format!("\\set ON_ERROR_STOP 1\nCREATE SCHEMA {schema};\n");
            for (table, file) in &csvs {
                let columns: Vec<String> = tables[table]
                    .columns
                    .iter()
                    .map(|c| format!("\"{c}\" text"))
                    .collect();
                script.push_str(&format!(
                    "CREATE TABLE {schema}.\"{table}\" ({});\n\\copy {schema}.\"{table}\" FROM '{}' CSV HEADER\n",
                    columns.join(", "),
                    file.display()
                ));
            }
            let start = Instant::now();
            run_with_stdin(
                Command::new(pg.psql()).args(["-X", "-q", "-d", &pg.url()]),
                &script,
            );
            start.elapsed()
        });
        report("postgres", "psql \\copy (CSV)", rows, theirs);
        println!(
            "  ratio: {:.2} of psql \\copy's rate",
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    } else {
        println!("  psql \\copy: skipped (no psql beside pg_ctl)");
    }
    drop(pg);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The rows of one table, as the loader maps them: its columns in order of appearance.
#[derive(Default)]
struct Table {
    columns: Vec<String>,
    index: BTreeMap<String, usize>,
    rows: Vec<Vec<Option<String>>>,
}

/// Writes `n` messages (the fixture's, repeated with fresh messageIds) and maps them.
fn write_recording(path: &Path, n: usize) -> BTreeMap<String, Table> {
    let fixture: Vec<serde_json::Value> = std::fs::read_to_string(FIXTURE)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for i in 0..n {
        let mut message = fixture[i % fixture.len()].clone();
        message["messageId"] = serde_json::json!(format!("bench-{i}"));
        let text = serde_json::to_string(&message).unwrap();
        writeln!(out, "{text}").unwrap();
        for row in rows(&Json::parse(&text).unwrap()) {
            let table = tables.entry(row.table.to_string()).or_default();
            let mut cells = vec![None; table.columns.len()];
            for column in &row.columns {
                let name = column.name.to_string();
                let at = match table.index.get(&name) {
                    Some(&at) => at,
                    None => {
                        table.index.insert(name.clone(), table.columns.len());
                        table.columns.push(name);
                        cells.push(None);
                        table.columns.len() - 1
                    }
                };
                cells[at] = Some(text_of(&column.value));
            }
            table.rows.push(cells);
        }
    }
    out.flush().unwrap();
    tables
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Timestamp(s) | Value::Varchar(s) => s.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
    }
}

/// One CSV file per table, with a header; NULL is an empty field.
fn write_csvs(dir: &Path, tables: &BTreeMap<String, Table>) -> Vec<(String, PathBuf)> {
    tables
        .iter()
        .map(|(name, table)| {
            let path = dir.join(format!("{name}.csv"));
            let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
            let header: Vec<String> = table.columns.iter().map(|c| csv_field(c)).collect();
            writeln!(out, "{}", header.join(",")).unwrap();
            for row in &table.rows {
                let fields: Vec<String> = (0..table.columns.len())
                    .map(|i| {
                        row.get(i)
                            .cloned()
                            .flatten()
                            .map_or(String::new(), |v| csv_field(&v))
                    })
                    .collect();
                writeln!(out, "{}", fields.join(",")).unwrap();
            }
            out.flush().unwrap();
            (name.clone(), path)
        })
        .collect()
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Runs `eventscope warehouse` end to end; its wall time.
fn load(recording: &Path, to: &str, schema: &str) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .arg("warehouse")
        .arg(recording)
        .args(["--to", to, "--schema", schema])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

fn run_with_stdin(command: &mut Command, input: &str) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn best(runs: usize, mut run: impl FnMut(usize) -> Duration) -> Duration {
    (0..runs).map(&mut run).min().unwrap()
}

fn report(side: &str, what: &str, rows: usize, took: Duration) {
    println!(
        "{side:<9} {what:<40} {:>10.0} rows/s  ({:.3} s)",
        rows as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    );
}

fn tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.replace('_', "").parse().ok()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_string())
}
