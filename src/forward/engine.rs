//! The engine: sends requests with timeouts, retries and backoff. (Stub.)
