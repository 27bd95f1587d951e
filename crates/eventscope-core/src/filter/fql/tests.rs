//! FQL: the reference's examples, errors, and generated cases.

use super::*;
