//! A real PostgreSQL cluster for the warehouse tests and bench: `initdb` and `pg_ctl` in a
//! temp dir, on 127.0.0.1 and a free port, its unix socket in the temp dir, trust auth for a
//! superuser `eventscope`; stopped and removed when dropped. As root (CI), the server runs as
//! the `postgres` user Debian's package makes (`runuser`), since PostgreSQL refuses root.
//! Without PostgreSQL the caller says `SKIPPED` — and fails when env `CI` is set (CI installs
//! it: `.ci/run`). Binaries: `$EVENTSCOPE_PG_BIN`, else Debian's /usr/lib/postgresql/*/bin
//! (newest), else `pg_ctl` on the PATH. Self-contained (std only), for the bench to include.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
    /// The user the server runs as when we are root.
    run_as: Option<String>,
}

impl Postgres {
    /// Starts a cluster, or `None` after saying `SKIPPED: …` when PostgreSQL is not here;
    /// panics instead when `CI` is set.
    pub fn start(test: &str) -> Option<Postgres> {
        let Some(bin) = binaries() else {
            return skip(test, "no PostgreSQL (initdb, pg_ctl) found");
        };
        let run_as = if is_root() {
            if Command::new("id")
                .arg("-u")
                .arg("postgres")
                .output()
                .map_or(true, |o| !o.status.success())
            {
                return skip(
                    test,
                    "running as root and there is no `postgres` user to run the server",
                );
            }
            Some("postgres".to_string())
        } else {
            None
        };
        let dir = std::env::temp_dir().join(format!(
            "eventscope-pg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        if let Some(user) = &run_as {
            let status = Command::new("chown")
                .arg(format!("{user}:"))
                .arg(&dir)
                .status()
                .expect("chown");
            assert!(status.success(), "chown {user} {}", dir.display());
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let pg = Postgres {
            dir,
            bin,
            port,
            run_as,
        };
        let data = pg.dir.join("data");
        pg.run(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "eventscope",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off",
            pg.dir.display()
        );
        pg.run(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-l",
                &pg.dir.join("log").display().to_string(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        Some(pg)
    }

    /// `postgres://eventscope@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://eventscope@127.0.0.1:{}/postgres", self.port)
    }

    /// `psql` of the same installation.
    pub fn psql(&self) -> PathBuf {
        self.bin.join("psql")
    }

    /// Runs `psql -At -c SQL` and returns its output, trimmed.
    pub fn query(&self, sql: &str) -> String {
        let out = Command::new(self.psql())
            .args([
                "-X",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.url(),
                "-c",
                sql,
            ])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql -c {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs one of the installation's programs (as the server's user when root).
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let path = self.bin.join(program);
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let out = command.args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
        );
        out
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data").display().to_string();
        let path = self.bin.join("pg_ctl");
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn skip(test: &str, why: &str) -> Option<Postgres> {
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {why}, and CI is set (.ci/run installs Debian's postgresql)");
    }
    println!("SKIPPED: {test}: {why}");
    None
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The directory holding `initdb`, `pg_ctl` and `psql`.
fn binaries() -> Option<PathBuf> {
    let has = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|p| dir.join(p).is_file())
    };
    if let Some(dir) = std::env::var_os("EVENTSCOPE_PG_BIN").map(PathBuf::from) {
        return has(&dir).then_some(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let dir = e.path().join("bin");
            has(&dir).then_some((version, dir))
        })
        .collect();
    debian.sort();
    if let Some((_, dir)) = debian.pop() {
        return Some(dir);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .find(|dir| has(dir))
        .map(|dir| {
            std::fs::canonicalize(dir.join("pg_ctl"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .unwrap_or(dir)
        })
}
