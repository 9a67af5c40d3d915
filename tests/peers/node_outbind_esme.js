// node-smpp as an ESME that waits for an SMSC's outbind (SMPP 3.4 2.2.1)
// and then binds as a receiver on that connection.
//
// Usage: node node_outbind_esme.js
//
// Listens on 127.0.0.1 on a free port and prints {"listening":PORT} first.
// On outbind: sends bind_receiver (smppclient1/password), answers the
// deliver_sm it receives, and after the first one unbinds. Prints one JSON
// object with what it saw; exits 1 on failure (still printing) or after
// 15 s.
'use strict';
const smpp = require('smpp');

const out = { events: [], deliveries: [] };
let done = false;
function finish(code, why) {
  if (done) return;
  done = true;
  if (why) out.error = why;
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(code));
}
setTimeout(() => finish(1, 'timed out'), 15000).unref();

const server = smpp.createServer((session) => {
  session.on('error', (e) => finish(1, 'socket error: ' + e.message));
  session.on('pdu', (pdu) => out.events.push(pdu.command));
  session.on('outbind', (pdu) => {
    out.outbind = { system_id: pdu.system_id, password: pdu.password };
    session.bind_receiver({ system_id: 'smppclient1', password: 'password' }, (resp) => {
      out.bind_status = resp.command_status;
      out.bind_system_id = resp.system_id;
      if (resp.command_status !== 0) finish(1, 'bind_receiver refused');
    });
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('deliver_sm', (pdu) => {
    const sm = pdu.short_message || {};
    out.deliveries.push({
      esm_class: pdu.esm_class,
      text: typeof sm.message === 'string' ? sm.message : String(sm.message || ''),
    });
    session.send(pdu.response());
    if (out.deliveries.length === 1) {
      session.unbind((resp) => {
        out.unbind_status = resp.command_status;
        session.close();
      });
    }
  });
  session.on('close', () => {
    server.close();
    finish(out.unbind_status === 0 ? 0 : 1,
      out.unbind_status === 0 ? undefined : 'closed before unbind_resp');
  });
});
server.on('error', (e) => finish(1, 'listen error: ' + e.message));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n');
});
