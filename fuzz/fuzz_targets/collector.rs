//! The collector's body → frames path: the first byte picks the endpoint (`/v1/track`,
//! `/v1/batch`, the short paths, an unknown one), the rest is the body. Every frame published
//! must be one line of JSON that the recording reader reads back equal.
//!
//! With `--features known-collector-bugs`, frames that span lines or that the readers refuse
//! (issue 9, items 1 and 2) are stepped over instead of reported.
#![no_main]

use std::cell::RefCell;

use eventscope_fuzz::{CollectorHarness, split_collector_input};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static HARNESS: RefCell<CollectorHarness> = RefCell::new(CollectorHarness::new());
}

fuzz_target!(|data: &[u8]| {
    let Some((segment, body)) = split_collector_input(data) else {
        return;
    };
    HARNESS.with_borrow_mut(|harness| {
        if let Err(violation) = harness.post(segment, body.to_vec()) {
            if cfg!(feature = "known-collector-bugs") && violation.is_known_issue_9() {
                return;
            }
            panic!("POST /v1/{segment}: {violation}");
        }
    });
});
