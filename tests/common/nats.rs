//! A real `nats-server` with JetStream for the bus tests (and the bus bench): on 127.0.0.1, a
//! free port (and a free monitoring port), a temp store dir; killed when dropped. Without `nats-server` the test says `SKIPPED: …` and
//! returns — and fails when env `CI` is set (CI installs it: `.ci/run`).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::DEADLINE;
use super::binary::temp_dir;

/// Debian installs it in /usr/sbin, which a non-root PATH may lack.
const FALLBACK: &str = "/usr/sbin/nats-server";

pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    /// The HTTP monitoring port (`/healthz`, `/jsz`…).
    pub monitor_port: u16,
    dir: PathBuf,
    program: PathBuf,
}

impl NatsServer {
    /// A collector (`serve --bus`, in process) publishing to this server's default stream.
    pub async fn collector(&self) -> eventscope::server::RunningServer {
        let mut config = super::config();
        config.bus = Some(eventscope::bus::BusConfig {
            servers: vec![self.url()],
            stream: eventscope::bus::StreamSettings::default(),
        });
        super::start(config).await
    }

    /// A JetStream client of this server, to look into its streams.
    pub async fn jetstream(&self) -> async_nats::jetstream::Context {
        let client = async_nats::connect(self.url()).await.expect("connects");
        async_nats::jetstream::new(client)
    }

    /// Starts a server on a free port, or `None` (after saying `SKIPPED`) when `nats-server`
    /// is not installed; panics instead when `CI` is set.
    pub fn start(test: &str) -> Option<NatsServer> {
        let program = installed(test)?;
        let dir = temp_dir("nats");
        let mut server = NatsServer {
            child: None,
            port: 0,
            monitor_port: 0,
            dir,
            program,
        };
        server.spawn(None);
        Some(server)
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:MONITOR_PORT`.
    pub fn monitor_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.monitor_port)
    }

    /// The server process's id (0 when stopped).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Kills the server and waits for it to exit (its store stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same store.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn(Some(self.port));
    }

    fn spawn(&mut self, port: Option<u16>) {
        let ports_dir = self.dir.join("ports");
        let _ = std::fs::remove_dir_all(&ports_dir);
        std::fs::create_dir_all(&ports_dir).expect("a ports dir");
        let port_arg = port.map_or("-1".to_string(), |p| p.to_string());
        let log = std::fs::File::create(self.dir.join("server.log")).expect("a log file");
        let child = Command::new(&self.program)
            .args(["-js", "-a", "127.0.0.1", "-p", &port_arg, "-m", "-1", "-sd"])
            .arg(self.dir.join("store"))
            .arg("--ports_file_dir")
            .arg(&ports_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        (self.port, self.monitor_port) = wait_for_ports(&ports_dir, &self.dir.join("server.log"));
        // Accepting connections (JetStream is ready once the ports file is written).
        let deadline = Instant::now() + DEADLINE;
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server never accepted");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The client and monitoring ports from the ports file `nats-server` writes once it listens
/// (`{"nats":["nats://127.0.0.1:PORT"],"monitoring":["http://127.0.0.1:PORT"]}`).
fn wait_for_ports(ports_dir: &Path, log: &Path) -> (u16, u16) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let found = std::fs::read_dir(ports_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
            .filter_map(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .find_map(|ports| {
                let port = |kind: &str| {
                    let url = ports[kind][0].as_str()?;
                    url.rsplit(':').next()?.parse::<u16>().ok()
                };
                Some((port("nats")?, port("monitoring")?))
            });
        if let Some(ports) = found {
            return ports;
        }
        assert!(
            Instant::now() < deadline,
            "nats-server wrote no ports file; its log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `nats-server` on PATH, else Debian's place; `None` (after saying `SKIPPED`) when neither
/// runs; panics instead when `CI` is set.
pub fn installed(test: &str) -> Option<PathBuf> {
    let found = ["nats-server", FALLBACK]
        .into_iter()
        .map(PathBuf::from)
        .find(|program| {
            Command::new(program)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
    if found.is_none() {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!(
                "{test}: nats-server not found (PATH, {FALLBACK}) and CI is set: CI must \
                 install it (.ci/run does: apt-get install nats-server)"
            );
        }
        eprintln!("SKIPPED: {test}: nats-server not installed (set CI=1 to make this a failure)");
    }
    found
}
