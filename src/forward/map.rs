//! Mappers: messages in, the requests a destination gets out. (Stub.)
