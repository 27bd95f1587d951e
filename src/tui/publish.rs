//! Where the viewer publishes its own deliveries (forwards and replays), so that `--record`,
//! `tail` and other viewers see them: the embedded collector's hub, or the remote collector
//! behind `connect`, as `delivery` frames on the stream's websocket (see `stream::server`).
//! A recording opened with `open` has nowhere to publish: its deliveries stay on screen.

use std::sync::Arc;

use tokio::sync::mpsc;

use eventscope_core::hub::Hub;
use eventscope_core::model::DeliveryFrame;

/// Deliveries waiting for a remote collector while the stream reconnects.
pub const WAITING: usize = 1024;

#[derive(Clone)]
pub enum Publisher {
    /// The embedded collector: the hub numbers, records and fans the frame out.
    Hub(Arc<Hub>),
    /// A remote collector: the stream client sends the frame on its socket.
    Stream(mpsc::Sender<DeliveryFrame>),
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Publisher::Hub(_) => "Publisher::Hub",
            Publisher::Stream(_) => "Publisher::Stream",
        })
    }
}

impl Publisher {
    /// A publisher for a remote stream, and the receiving end its client sends from.
    pub fn stream() -> (Publisher, mpsc::Receiver<DeliveryFrame>) {
        let (tx, rx) = mpsc::channel(WAITING);
        (Publisher::Stream(tx), rx)
    }

    /// Hands `frame` on without waiting (the recording is written off the UI task); an error
    /// says why it will not be published.
    pub fn publish(&self, frame: DeliveryFrame) -> Result<(), String> {
        match self {
            Publisher::Hub(hub) => {
                let hub = Arc::clone(hub);
                tokio::task::spawn_blocking(move || hub.publish_delivery(frame));
                Ok(())
            }
            Publisher::Stream(tx) => tx.try_send(frame).map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => {
                    format!("{WAITING} deliveries are waiting for the collector already")
                }
                mpsc::error::TrySendError::Closed(_) => "the stream is closed".to_string(),
            }),
        }
    }
}
