//! The PII scanner (built-in matchers) over any message.
#![no_main]

use std::sync::LazyLock;

use eventscope_core::inspect::pii::PiiMatchers;
use libfuzzer_sys::fuzz_target;

static MATCHERS: LazyLock<PiiMatchers> = LazyLock::new(PiiMatchers::default);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(violation) = eventscope_fuzz::check_pii(text, &MATCHERS) {
        panic!("{violation}");
    }
});
