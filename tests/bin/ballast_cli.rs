//! The `ballast` command line, built in the test profile (with overflow checks) so that the
//! integration tests run it as users do: `env!("CARGO_BIN_EXE_ballast-cli")`.

fn main() -> std::process::ExitCode {
    ballast::cli::main()
}
