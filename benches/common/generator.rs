//! The load generator's workers: each keeps one connection and posts the next prepared
//! request as soon as the previous one is answered, until told to stop.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::client::Conn;
use crate::common::BATCH_MESSAGES;

/// The requests a worker sends, in turn; each holds [`BATCH_MESSAGES`] messages.
pub trait Requests: Send + 'static {
    fn next(&mut self) -> &[u8];
}

/// The same prepared requests over and over, starting at `first`.
pub struct Cycle {
    pub requests: Arc<Vec<Vec<u8>>>,
    pub first: usize,
}

impl Requests for Cycle {
    fn next(&mut self) -> &[u8] {
        let i = self.first % self.requests.len();
        self.first += 1;
        &self.requests[i]
    }
}

#[derive(Default)]
pub struct LoadCounters {
    pub stop: AtomicBool,
    pub accepted: AtomicU64,
    pub ok_requests: AtomicU64,
    pub bad_status: AtomicU64,
    pub io_errors: AtomicU64,
}

impl LoadCounters {
    pub fn errors(&self) -> u64 {
        self.bad_status.load(Ordering::Relaxed) + self.io_errors.load(Ordering::Relaxed)
    }
}

pub async fn load_worker(
    addr: SocketAddr,
    mut requests: impl Requests,
    counters: Arc<LoadCounters>,
) {
    let mut conn = match Conn::connect(addr).await {
        Ok(conn) => conn,
        Err(_) => {
            counters.io_errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    while !counters.stop.load(Ordering::Relaxed) {
        match conn.round_trip(requests.next()).await {
            Ok(200) => {
                counters.ok_requests.fetch_add(1, Ordering::Relaxed);
                counters
                    .accepted
                    .fetch_add(BATCH_MESSAGES as u64, Ordering::Relaxed);
            }
            Ok(_) => {
                counters.bad_status.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                counters.io_errors.fetch_add(1, Ordering::Relaxed);
                match Conn::connect(addr).await {
                    Ok(fresh) => conn = fresh,
                    Err(_) => return,
                }
            }
        }
    }
}
