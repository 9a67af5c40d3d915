complete -c smpp-bench -l connect -d 'SMSC address' -r
complete -c smpp-bench -l system-id -d 'Bind system_id (at most 15 characters)' -r
complete -c smpp-bench -l password -d 'Bind password (at most 8 characters)' -r
complete -c smpp-bench -l bind -d 'Bind as transmitter or transceiver' -r -f -a "tx\t'bind_transmitter'
trx\t'bind_transceiver'"
complete -c smpp-bench -l sessions -d 'Parallel binds' -r
complete -c smpp-bench -l window -d 'Outstanding submits per bind' -r
complete -c smpp-bench -l count -d 'Submits in total' -r
complete -c smpp-bench -l rate -d 'Submits per second, 0 = as fast as possible' -r
complete -c smpp-bench -l size -d 'Short message size in bytes, 1..=254 (larger goes in message_payload, up to 65535)' -r
complete -c smpp-bench -l timeout-secs -d 'Response timeout, in seconds' -r
complete -c smpp-bench -l hold-secs -d 'Stay bound N seconds after the last response, with enquire_link running, before unbinding' -r
complete -c smpp-bench -l enquire-link-secs -d 'enquire_link interval in seconds, 0 = never' -r
complete -c smpp-bench -l tls-ca -d 'With --tls: trust the CA certificates in FILE (PEM) instead' -r -F
complete -c smpp-bench -l workers -d 'Worker threads [default: one less than the number of CPUs, at least 1, at most one per session]' -r
complete -c smpp-bench -l tls -d 'Speak SMPP over TLS, trusting the system\'s root certificates'
complete -c smpp-bench -l tls-insecure -d 'With --tls: accept any certificate (a self-signed test SMSC); encrypted, but not authenticated'
complete -c smpp-bench -s v -l verbose -d 'Log info, debug, trace with -v, -vv, -vvv (RUST_LOG overrides)'
complete -c smpp-bench -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smpp-bench -s V -l version -d 'Print version'
