complete -c smsc-sim -l listen -d 'Address to listen on' -r
complete -c smsc-sim -l account -d 'An account that may bind; repeatable [default: smppclient1:password]' -r
complete -c smsc-sim -l dlr-delay-ms -d 'Send a delivery receipt N ms after each submit_sm that asks for one' -r
complete -c smsc-sim -l dlr-stat -d 'The receipts\' stat, or a weighted mix of them (DELIVRD:80,UNDELIV:15,EXPIRED:5): DELIVRD, UNDELIV, EXPIRED, REJECTD, ...' -r
complete -c smsc-sim -l dlr-route -d 'Send receipts on the session that submitted (same) or on another receiving session of the same account (other)' -r
complete -c smsc-sim -l store-max -d 'Messages the store keeps for query_sm, cancel_sm and replace_sm; the oldest final ones go first' -r
complete -c smsc-sim -l response-delay-ms -d 'Answer each submit N ms late' -r
complete -c smsc-sim -l no-response-every -d 'Never answer every Nth submit (it is forgotten), 0 = never' -r
complete -c smsc-sim -l close-every -d 'Drop a session\'s connection, without unbind, right after its every Nth submit, 0 = never' -r
complete -c smsc-sim -l reject-dest -d 'Answer ESME_RINVDSTADR for destinations starting with PREFIX (an unsuccess_sme in submit_multi); repeatable' -r
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
complete -c smsc-sim -l workers -d 'Worker threads [default: one less than the number of CPUs, at least 1]' -r
complete -c smsc-sim -l loopback -d 'A submit to one of the simulator\'s own numbers (447700900000 to 447700900999) comes back to the account\'s receiver as an MO message'
complete -c smsc-sim -s v -l verbose -d 'Log info, debug, trace with -v, -vv, -vvv (RUST_LOG overrides)'
complete -c smsc-sim -s h -l help -d 'Print help'
complete -c smsc-sim -s V -l version -d 'Print version'
