//! The filter language's parser, and matching of what it accepts on fixture messages.
#![no_main]

use std::sync::LazyLock;

use eventscope_fuzz::{Sample, check_filter, filter_samples};
use libfuzzer_sys::fuzz_target;

static SAMPLES: LazyLock<Vec<Sample>> = LazyLock::new(filter_samples);

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(violation) = check_filter(input, &SAMPLES) {
        panic!("{violation}");
    }
});
