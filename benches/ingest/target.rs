//! The two servers under test: ours (`eventscope::server`) and the bare axum handler that
//! only parses each body, on the same runtime, behind one `Target`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use eventscope::server::{RunningServer, ServeConfig, Server};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub enum Target {
    Ours(RunningServer),
    Bare {
        addr: SocketAddr,
        stop: oneshot::Sender<()>,
        task: JoinHandle<()>,
    },
}

impl Target {
    pub fn addr(&self) -> SocketAddr {
        match self {
            Target::Ours(running) => running.addr,
            Target::Bare { addr, .. } => *addr,
        }
    }

    pub async fn stop(self) {
        let wait = match self {
            Target::Ours(running) => tokio::spawn(async move {
                let _ = running.stop().await;
            }),
            Target::Bare { stop, task, .. } => {
                let _ = stop.send(());
                task
            }
        };
        if tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .is_err()
        {
            eprintln!("warning: a server did not stop within 5 s");
        }
    }
}

pub async fn start_ours() -> Target {
    let server = Server::bind(ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServeConfig::default()
    })
    .await
    .expect("bind eventscope");
    Target::Ours(server.spawn())
}

/// The reference: parse the body into a `serde_json::Value` and answer like the collector.
async fn bare_batch(body: Bytes) -> Response {
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(_) => (
            StatusCode::OK,
            [(CONTENT_TYPE, "application/json")],
            r#"{"success":true}"#,
        )
            .into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, r#"{"success":false}"#).into_response(),
    }
}

pub async fn start_bare() -> Target {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind bare");
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/v1/batch", post(bare_batch));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Target::Bare { addr, stop, task }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ours,
    Bare,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Ours => "eventscope",
            Kind::Bare => "bare axum",
        }
    }
}
