fn main() -> std::process::ExitCode {
    eventscope::cli::main()
}
