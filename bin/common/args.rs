//! What the binaries share past their command lines (which are in
//! `bin/cli/`): logging.

/// Sets up logging: `RUST_LOG` if set, else `-v` (info), `-vv` (debug),
/// `-vvv` (trace); warnings otherwise. Under journald (`JOURNAL_STREAM`
/// set) lines carry no timestamp.
pub(crate) fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level));
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.format_timestamp(None);
    }
    builder.init();
}
