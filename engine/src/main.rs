//! The `ballast` binary: parses the command line and runs the subcommand (`ballast::cli`).

#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // mimalloc's `purge_delay` (option 15 of its v2 `mi_option_e`; default 10 ms): freed memory goes back
    // to the OS after a second, not 10 ms, so the journal's and the parser's large buffers are not
    // faulted in and zeroed again on every commit (measured: `bench service` 72–96k → 110k tasks/s).
    #[cfg(not(feature = "system-allocator"))]
    // SAFETY: sets a plain integer option of the allocator before any thread but this one exists.
    unsafe {
        libmimalloc_sys::mi_option_set(15, 1_000)
    };
    ballast::cli::main()
}
