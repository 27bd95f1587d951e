//! The tracking-plan loader over any text, and checking fixture messages against what loads.
#![no_main]

use std::sync::LazyLock;

use eventscope_fuzz::{check_plan, plan_samples};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

static SAMPLES: LazyLock<Vec<Value>> = LazyLock::new(plan_samples);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(violation) = check_plan(text, &SAMPLES) {
        panic!("{violation}");
    }
});
