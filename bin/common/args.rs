//! What the binaries share past their command lines (which are in
//! `bin/cli/`): logging.

/// Sets up logging: `RUST_LOG` if set, else `-v` (info), `-vv` (debug),
/// `-vvv` (trace); otherwise warnings, and the operator's lines (target
/// `smppd`: binds, link losses, summaries) at info. Under journald
/// (`JOURNAL_STREAM` names stderr) lines carry no timestamp and start with
/// their syslog priority (`<3>` error to `<7>` debug), which journald reads
/// as the entry's priority.
pub(crate) fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn,smppd=info",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level));
    if smpp::notify::stderr_is_journal() {
        builder.format(|buf, record| {
            use std::io::Write as _;
            let priority = match record.level() {
                log::Level::Error => 3,
                log::Level::Warn => 4,
                log::Level::Info => 6,
                log::Level::Debug | log::Level::Trace => 7,
            };
            if record.target() == "smppd" {
                writeln!(buf, "<{priority}>{}", record.args())
            } else {
                writeln!(buf, "<{priority}>{}: {}", record.target(), record.args())
            }
        });
    }
    builder.init();
}
