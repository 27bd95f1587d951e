//! The detail pane's pretty re-indenter over any text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(violation) = eventscope_fuzz::check_pretty(text) {
        panic!("{violation}");
    }
});
