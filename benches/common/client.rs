//! The load generator's lean HTTP/1.1 keep-alive client (one request in flight per connection)
//! and the request bodies it sends, every byte prepared before the clock starts.
#![allow(dead_code)]

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{BATCH_MESSAGES, fixture_messages};

pub fn now_iso() -> String {
    eventscope::model::format_timestamp(chrono::Utc::now())
}

pub fn batch_body<S: AsRef<str>>(messages: &[S], sent_at: &str) -> Vec<u8> {
    let mut body = String::from(r#"{"batch":["#);
    for (i, message) in messages.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(message.as_ref());
    }
    body.push_str(r#"],"sentAt":""#);
    body.push_str(sent_at);
    body.push_str("\"}");
    body.into_bytes()
}

/// The fixture as 6 bodies of 100 messages each; pretty-printed (as curl and Postman users
/// send them) with `EVENTSCOPE_BENCH_PRETTY=1`.
pub fn throughput_bodies() -> Vec<Vec<u8>> {
    let sent_at = now_iso();
    let pretty = std::env::var("EVENTSCOPE_BENCH_PRETTY").is_ok_and(|v| v == "1");
    let messages: Vec<String> = fixture_messages()
        .into_iter()
        .map(|m| match pretty {
            true => serde_json::from_str::<serde_json::Value>(m)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_else(|_| m.to_string()),
            false => m.to_string(),
        })
        .collect();
    messages
        .chunks(BATCH_MESSAGES)
        .filter(|chunk| chunk.len() == BATCH_MESSAGES)
        .map(|chunk| batch_body(chunk, &sent_at))
        .collect()
}

pub fn post_request(addr: SocketAddr, path: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nuser-agent: eventscope-bench\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

pub fn get_request(addr: SocketAddr, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nuser-agent: eventscope-bench\r\n\r\n")
        .into_bytes()
}

pub struct Conn {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
    pub body: std::ops::Range<usize>,
}

fn find_header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn invalid(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.to_string())
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
            body: 0..0,
        })
    }

    /// Sends one complete request and reads its response; the status code.
    pub async fn round_trip(&mut self, request: &[u8]) -> std::io::Result<u16> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        let header_end = loop {
            if let Some(end) = find_header_end(&self.buf) {
                break end;
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(invalid("connection closed before a response"));
            }
        };
        let head = std::str::from_utf8(&self.buf[..header_end])
            .map_err(|_| invalid("response head is not UTF-8"))?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("no status code"))?;
        let length: usize = head
            .split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse().ok())
            .ok_or_else(|| invalid("response without content-length"))?;
        let total = header_end + length;
        while self.buf.len() < total {
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(invalid("connection closed in a response body"));
            }
        }
        self.body = header_end..total;
        Ok(status)
    }

    pub fn body(&self) -> &[u8] {
        &self.buf[self.body.clone()]
    }
}
