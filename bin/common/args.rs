//! What the binaries share past their command lines (which are in
//! `bin/cli/`): logging.

/// Sets up logging: `RUST_LOG` if set, else `-v` (info), `-vv` (debug),
/// `-vvv` (trace); otherwise warnings, and the operator's lines (target
/// `smppd`: binds, link losses, summaries) at info, or smppd's `log_level`.
/// Under journald lines start with their syslog priority. See
/// [`smpp::daemon::logging`].
pub(crate) fn init_logging(verbose: u8) {
    smpp::daemon::logging::init(verbose);
}
