complete -c smppd -l config -d 'The configuration file' -r -F
complete -c smppd -l spool -d 'The spool for --demo' -r -F
complete -c smppd -l check-config -d 'Check the configuration (every error, and that the spool and the metrics file\'s directory are writable), print what is wrong, exit 0 or 2'
complete -c smppd -l status -d 'Print what the running daemon of the configured spool publishes (each link\'s state, backlog, oldest waiting file, counts, last error); exit 0 if one runs, 1 if none does'
complete -c smppd -l demo -d 'The zero-configuration first run: the daemon against an SMSC simulator started in this process, on loopback'
complete -c smppd -s v -l verbose -d 'Log info, debug, trace with -v, -vv, -vvv (RUST_LOG overrides)'
complete -c smppd -s h -l help -d 'Print help'
complete -c smppd -s V -l version -d 'Print version'
