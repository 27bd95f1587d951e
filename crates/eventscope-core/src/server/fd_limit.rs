//! The process's open-file limit, which bounds how many connections the server may hold.

/// File descriptors kept for everything but client connections (the runtime, the recording,
/// connections to an upstream, logs), at least; a tenth of the limit when that is more.
const RESERVE_MIN: u64 = 32;

/// Raises the soft limit on open files to the hard limit, as Go's runtime does at start: the
/// soft default (often 1024) is a relic of `select(2)`, which nothing here uses. Best effort:
/// a refusal leaves the limit as it was.
pub fn raise_open_file_limit() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        if limit.current == limit.maximum {
            return;
        }
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::debug!("could not raise the open-file limit to the hard limit: {e}");
        }
    }
}

/// The soft limit on open files; `None` when unlimited or unknown.
pub fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The connections the server may hold: `requested`, but never so many that the open-file
/// limit leaves no room for the rest of the process.
pub fn connection_cap(requested: usize, open_files: Option<u64>) -> usize {
    let Some(limit) = open_files else {
        return requested.max(1);
    };
    let reserve = RESERVE_MIN.max(limit / 10);
    let room = usize::try_from(limit.saturating_sub(reserve)).unwrap_or(usize::MAX);
    requested.min(room).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_a_reserve_under_the_limit() {
        assert_eq!(connection_cap(1024, Some(256)), 224);
        assert_eq!(connection_cap(1024, Some(1024)), 922);
        assert_eq!(connection_cap(1024, Some(1_048_576)), 1024);
        assert_eq!(connection_cap(1024, None), 1024);
        assert_eq!(connection_cap(1024, Some(10)), 1);
    }
}
