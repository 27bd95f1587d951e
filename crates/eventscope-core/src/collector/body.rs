//! Reading a request body within a size cap, and undoing its content encoding.

use std::io::Read;

use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_ENCODING;
use bytes::{Bytes, BytesMut};
use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
use http_body_util::BodyExt;

use super::error::{IngestError, bytes_over};

/// A body that could not be read whole, with what was read for the rejected frame's preview.
pub struct BodyFailure {
    pub error: IngestError,
    pub partial: Bytes,
    pub size: usize,
}

/// Reads at most `limit` bytes; a larger body is refused without reading the rest.
pub async fn read_limited(body: Body, limit: usize) -> Result<Bytes, BodyFailure> {
    let mut body = body;
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyFailure {
            error: IngestError::bad_request(
                "body_read_failed",
                format!("the request body could not be read: {e}"),
            ),
            partial: buf.clone().freeze(),
            size: buf.len(),
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                let size = buf.len() + data.len();
                buf.extend_from_slice(&data[..data.len().min(4096)]);
                return Err(BodyFailure {
                    error: IngestError::too_large(
                        "body_too_large",
                        format!("the request body is over {}", bytes_over(size, limit)),
                    ),
                    partial: buf.freeze(),
                    size,
                });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Undoes `Content-Encoding` (gzip, deflate, identity), refusing to inflate past `cap` bytes.
pub fn decode(headers: &HeaderMap, raw: Bytes, cap: usize) -> Result<Bytes, BodyFailure> {
    let encoding = headers
        .get(CONTENT_ENCODING)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let fail = |error: IngestError, partial: Bytes, size: usize| BodyFailure {
        error,
        partial,
        size,
    };
    let size = raw.len();
    let mut out = Vec::with_capacity((raw.len() * 4).min(cap + 1));
    let result = match encoding.as_str() {
        "" | "identity" => return Ok(raw),
        "gzip" | "x-gzip" => MultiGzDecoder::new(&raw[..])
            .take(cap as u64 + 1)
            .read_to_end(&mut out),
        "deflate" => {
            // HTTP's "deflate" is zlib-wrapped, but some clients send raw deflate.
            let zlib = ZlibDecoder::new(&raw[..])
                .take(cap as u64 + 1)
                .read_to_end(&mut out);
            if zlib.is_err() {
                out.clear();
                DeflateDecoder::new(&raw[..])
                    .take(cap as u64 + 1)
                    .read_to_end(&mut out)
            } else {
                zlib
            }
        }
        other => {
            return Err(fail(
                IngestError::new(
                    axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_encoding",
                    format!(
                        "Content-Encoding {other:?} is not supported; send gzip, deflate or no encoding"
                    ),
                ),
                raw,
                size,
            ));
        }
    };
    if let Err(e) = result {
        return Err(fail(
            IngestError::bad_request(
                "bad_compression",
                format!("the body is not valid {encoding}: {e}"),
            ),
            raw,
            size,
        ));
    }
    if out.len() > cap {
        out.truncate(4096);
        return Err(fail(
            IngestError::too_large(
                "decompressed_too_large",
                format!(
                    "the {encoding} body inflates past {} bytes, the cap; stopped there",
                    super::error::thousands(cap as u64)
                ),
            ),
            Bytes::from(out),
            size,
        ));
    }
    Ok(Bytes::from(out))
}
