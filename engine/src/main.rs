//! The `ballast` binary: parses the command line and runs the subcommand (`ballast::cli`).

#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    ballast::cli::main()
}
