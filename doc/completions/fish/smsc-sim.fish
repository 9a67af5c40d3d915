complete -c smsc-sim -l listen -d 'Address to listen on' -r
complete -c smsc-sim -l account -d 'An account that may bind; repeatable [default: smppclient1:password]' -r
complete -c smsc-sim -l dlr-delay-ms -d 'Send a delivery receipt N ms after each submit_sm that asks for one' -r
complete -c smsc-sim -l dlr-stat -d 'The receipts\' stat: DELIVRD, UNDELIV, EXPIRED, REJECTD, ...' -r
complete -c smsc-sim -l throttle-per-sec -d 'Answer ESME_RTHROTTLED to submits above N per second per session, 0 = never' -r
complete -c smsc-sim -l reject-every -d 'Answer every Nth submit_sm with ESME_RSUBMITFAIL, 0 = never' -r
complete -c smsc-sim -l mo-every-ms -d 'Send an MO deliver_sm to each receiver or transceiver every N ms, 0 = never' -r
complete -c smsc-sim -l outbind -d 'Connect to an ESME, send outbind (system_id smsc-sim, the first account\'s password), then serve the bind_receiver it sends' -r
complete -c smsc-sim -l enquire-link-secs -d 'Send enquire_link after N idle seconds, 0 = never' -r
complete -c smsc-sim -l inactivity-secs -d 'Close sessions silent for N seconds, 0 = never' -r
complete -c smsc-sim -l max-sessions -d 'Most sessions at once' -r
complete -c smsc-sim -l max-pdu-len -d 'Largest PDU accepted, in bytes' -r
complete -c smsc-sim -l tls-cert -d 'Serve SMPP over TLS with this certificate chain (PEM, the server\'s certificate first)' -r -F
complete -c smsc-sim -l tls-key -d 'The TLS certificate\'s private key (PEM)' -r -F
complete -c smsc-sim -l workers -d 'Worker threads [default: the number of CPUs]' -r
complete -c smsc-sim -s v -l verbose -d 'Log info, debug, trace with -v, -vv, -vvv (RUST_LOG overrides)'
complete -c smsc-sim -s h -l help -d 'Print help'
complete -c smsc-sim -s V -l version -d 'Print version'
