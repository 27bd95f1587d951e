//! Unit tests of identity resolution.
