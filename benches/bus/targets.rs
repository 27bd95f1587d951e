//! What the parts run in process: our collector (`serve`, with or without `--bus`) on the
//! `server` runtime, and a relay (`eventscope_core::relay::Relay`) with one viewer on the
//! `relay` runtime.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use eventscope::bus::{Bus, BusConfig, StreamSettings};
use eventscope::server::{RunningServer, ServeConfig, Server};
use eventscope::stream::StreamAccess;
use eventscope_core::relay::{Relay, RelayConfig};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::subscriber::{Subscribed, subscribe};

/// The stream the collectors publish to (the default of `--bus-stream`).
pub fn stream_name() -> String {
    StreamSettings::default().name
}

pub struct Collector {
    pub running: RunningServer,
    /// With `--bus`: the bus it publishes to (for its last acknowledged sequence).
    pub bus: Option<Arc<dyn Bus>>,
}

impl Collector {
    /// `serve` on 127.0.0.1, port 0; with `--bus URL` when `bus` is given.
    pub fn start(rt: &Runtime, bus: Option<&str>) -> Collector {
        rt.block_on(async {
            let server = Server::bind(ServeConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                bus: bus.map(|url| BusConfig {
                    servers: vec![url.to_string()],
                    stream: StreamSettings::default(),
                }),
                ..ServeConfig::default()
            })
            .await
            .expect("bind the collector");
            let bus = server.bus.clone();
            Collector {
                running: server.spawn(),
                bus,
            }
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    /// The seq of the last frame: the bus's last acknowledged one, else the hub's.
    pub fn last_seq(&self) -> u64 {
        match &self.bus {
            Some(bus) => bus.status().last_ack_seq,
            None => self.running.hub.status().last_seq,
        }
    }

    pub fn stop(self, rt: &Runtime) {
        rt.block_on(async {
            if tokio::time::timeout(Duration::from_secs(5), self.running.stop())
                .await
                .is_err()
            {
                eprintln!("warning: a collector did not stop within 5 s");
            }
        });
    }
}

/// A relay serving `/v1/stream` from the bus, in process.
pub struct InProcessRelay {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl InProcessRelay {
    pub fn start(rt: &Runtime, bus: &str) -> InProcessRelay {
        rt.block_on(async {
            let relay = Relay::bind(RelayConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                servers: vec![bus.to_string()],
                stream: stream_name(),
                access: StreamAccess::default(),
                connections: eventscope::server::ConnectionLimits::default(),
            })
            .await
            .expect("bind the relay");
            let addr = relay.local_addr().expect("the relay's address");
            let (stop, stopped) = oneshot::channel::<()>();
            let task = tokio::spawn(relay.run(async move {
                let _ = stopped.await;
            }));
            InProcessRelay { addr, stop, task }
        })
    }

    pub fn stream_url(&self) -> String {
        format!("ws://{}/v1/stream", self.addr)
    }

    /// Stops serving (its viewers are closed).
    pub fn stop(self, rt: &Runtime) {
        let _ = self.stop.send(());
        rt.block_on(async {
            if tokio::time::timeout(Duration::from_secs(5), self.task)
                .await
                .is_err()
            {
                eprintln!("warning: a relay did not stop within 5 s");
            }
        });
    }
}

/// A viewer of `url` on `rt`, connected (its hello read).
pub fn viewer(rt: &Runtime, url: String, record: bool) -> Subscribed {
    rt.block_on(subscribe(url, record))
}

/// The viewer's task result once its stream closed (the arrivals it recorded).
pub fn finish(rt: &Runtime, viewer: Subscribed) -> Vec<(u32, std::time::Instant)> {
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), viewer.task).await })
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default()
}
