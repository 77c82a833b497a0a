//! Arbitrary bytes as a coordinator's command stream against the engine; the body is
//! `ballast::fuzzing::run_command_stream`, which `cargo test` also runs on fixed seeds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let violations = ballast::fuzzing::run_command_stream(data);
    assert!(violations.is_empty(), "{violations:#?}");
});
