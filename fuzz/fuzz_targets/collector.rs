//! The collector's body → frames path: the first byte picks the endpoint (`/v1/track`,
//! `/v1/batch`, the short paths, an unknown one), the rest is the body. Every frame published
//! must be one line of JSON that the recording reader reads back equal.
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
            panic!("POST /v1/{segment}: {violation}");
        }
    });
});
