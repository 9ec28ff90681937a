//! The `cr` binary: parse arguments, run the command, print errors with hints, exit with the
//! documented code.

fn main() -> std::process::ExitCode {
    cr::cli::main()
}
