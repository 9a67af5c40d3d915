// node-smpp as the reference SMSC for scripts/bench: accepts any bind and
// answers every submit_sm at once with a fresh message id.
//
// Usage: node bench_node_server.js [PORT [CERT.pem KEY.pem]]
//        (PORT 0, the default: a free port; with a certificate and key it
//        serves SMPP over TLS)
//
// Prints {"listening":PORT} once listening; on SIGTERM prints
// "sessions=N submit_sm=N" and exits 0.
//
// Sockets keep node-smpp's defaults (Nagle on): here that is faster for this
// pair than TCP_NODELAY (one write per PDU either way; Nagle merges them into
// fewer segments), so the reference gets its best setting.
'use strict';
const smpp = require('smpp');
const fs = require('fs');

const tlsOptions = process.argv[4]
  ? { cert: fs.readFileSync(process.argv[3]), key: fs.readFileSync(process.argv[4]) }
  : {};

let sessions = 0;
let submits = 0;
const server = smpp.createServer(tlsOptions, (session) => {
  sessions++;
  session.on('error', () => {});
  const bind = (pdu) => session.send(pdu.response({ system_id: 'node-bench' }));
  session.on('bind_transceiver', bind);
  session.on('bind_transmitter', bind);
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('submit_sm', (pdu) => {
    submits++;
    session.send(pdu.response({ message_id: submits.toString(16) }));
  });
  session.on('unbind', (pdu) => {
    session.send(pdu.response());
    session.close();
  });
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n');
});
process.on('SIGTERM', () => {
  process.stdout.write(`sessions=${sessions} submit_sm=${submits}\n`, () => process.exit(0));
});
