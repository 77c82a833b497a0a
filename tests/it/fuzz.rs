//! The command-stream fuzz target's body on fixed seeds: arbitrary bytes become coordinator commands;
//! the engine must not panic, must keep its invariants after every tick, and must lose no task.

use ballast::fuzzing::run_command_stream;

/// SplitMix64, to turn a seed into bytes.
fn bytes_of(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

/// How many seeds to run: 96 by default, more with `BALLAST_FUZZ_SEEDS` for a longer search.
fn seed_count() -> u64 {
    std::env::var("BALLAST_FUZZ_SEEDS").ok().and_then(|count| count.parse().ok()).unwrap_or(96)
}

#[test]
fn command_streams_keep_the_invariants() {
    for seed in 0..seed_count() {
        let data = bytes_of(seed, 256 + (seed as usize % 5) * 512);
        let violations = run_command_stream(&data);
        assert!(violations.is_empty(), "seed {seed}: {violations:#?}");
    }
}

#[test]
fn an_empty_stream_is_fine() {
    assert!(run_command_stream(&[]).is_empty());
}
