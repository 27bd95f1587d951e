//! The recording reader over any bytes (plain or gzip).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = eventscope_fuzz::check_reader(data) {
        panic!("{violation}");
    }
});
