// node-smpp as an SMSC that dials an ESME and sends outbind (SMPP 3.4
// 2.2.1): the ESME answers with bind_receiver on the same connection.
//
// Usage: node node_outbind_smsc.js HOST:PORT [SYSTEM_ID]
//
// Connects (retrying for up to 5 s while the ESME starts listening), sends
// outbind (SYSTEM_ID, default node-smsc; password password), answers the
// bind_receiver, sends one MO deliver_sm, answers unbind. Prints one JSON
// object with what it saw; exits 1 on failure (still printing) or after
// 15 s.
'use strict';
const smpp = require('smpp');

const [host, port] = process.argv[2].split(':');
const outbindId = process.argv[3] || 'node-smsc';
const out = { events: [], connect_attempts: 0 };
let done = false;
function finish(code, why) {
  if (done) return;
  done = true;
  if (why) out.error = why;
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(code));
}
setTimeout(() => finish(1, 'timed out'), 15000).unref();

const started = Date.now();
function attempt() {
  out.connect_attempts++;
  const session = smpp.connect({ host, port: Number(port) });
  let connected = false;
  session.on('error', (e) => {
    if (!connected && Date.now() - started < 5000) {
      setTimeout(attempt, 50);
    } else {
      finish(1, 'socket error: ' + e.message);
    }
  });
  session.on('connect', () => {
    connected = true;
    session.outbind({ system_id: outbindId, password: 'password' });
  });
  session.on('pdu', (pdu) => out.events.push(pdu.command));
  session.on('bind_receiver', (pdu) => {
    out.bind = { system_id: pdu.system_id, password: pdu.password };
    session.send(pdu.response({ system_id: 'node-smsc' }));
    session.deliver_sm({
      source_addr_ton: 1, source_addr_npi: 1, source_addr: '447700900999',
      dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '12345',
      short_message: 'MO after outbind',
    }, (resp) => { out.deliver_sm_resp = resp.command_status; });
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => {
    out.unbind = true;
    session.send(pdu.response());
    session.close();
  });
  session.on('close', () => {
    if (connected) finish(out.unbind ? 0 : 1, out.unbind ? undefined : 'closed without unbind');
  });
}
attempt();
