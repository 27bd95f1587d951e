/// mimalloc: the verdicts and the viewer allocate many small, short-lived values per message;
/// it is measurably faster than the system allocator for that (`cargo bench --bench verdicts`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    eventscope::cli::main()
}
