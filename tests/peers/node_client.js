// node-smpp as an ESME against an SMSC (smsc-sim in the interop tests).
//
// Usage: node node_client.js HOST:PORT [CA.pem]
//
// With a CA file it connects with TLS (ssmpp://), trusting that CA and
// checking the certificate against HOST.
//
// Binds as a transceiver, submits one message asking for a receipt, waits
// for the submit_sm_resp and the receipt deliver_sm (answering it), sends
// enquire_link, unbinds. Prints one JSON object on stdout with what it saw;
// exits 1 (still printing what it had) on any failure or after 10 s.
'use strict';
const smpp = require('smpp');

const [host, port] = process.argv[2].split(':');
const ca = process.argv[3] ? require('fs').readFileSync(process.argv[3]) : null;
const out = { events: [] };
let done = false;

function finish(code, why) {
  if (done) return;
  done = true;
  if (why) out.error = why;
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(code));
}
setTimeout(() => finish(1, 'timed out'), 10000).unref();

const session = ca
  ? smpp.connect({ url: `ssmpp://${host}:${port}`, ca: [ca] })
  : smpp.connect({ host, port: Number(port) });
session.on('error', (e) => finish(1, 'socket error: ' + e.message));
session.on('close', () => {
  out.events.push('close');
  if (out.unbind_status === 0) finish(0);
  else finish(1, 'closed before unbind_resp');
});
session.on('pdu', (pdu) => out.events.push(pdu.command));

let gotResp = false;
let gotReceipt = false;

function afterSubmit() {
  if (!gotResp || !gotReceipt) return;
  session.enquire_link((pdu) => {
    out.enquire_link_status = pdu.command_status;
    session.unbind((pdu) => {
      out.unbind_status = pdu.command_status;
      session.close();
    });
  });
}

session.on('deliver_sm', (pdu) => {
  const sm = pdu.short_message || {};
  out.receipt = {
    esm_class: pdu.esm_class,
    text: typeof sm.message === 'string' ? sm.message : String(sm.message || ''),
    receipted_message_id: pdu.receipted_message_id,
    message_state: pdu.message_state,
    source_addr: pdu.source_addr,
    destination_addr: pdu.destination_addr,
  };
  session.send(pdu.response());
  gotReceipt = true;
  afterSubmit();
});

session.on(ca ? 'secureConnect' : 'connect', () => {
  session.bind_transceiver({ system_id: 'smppclient1', password: 'password' }, (pdu) => {
    out.bind_status = pdu.command_status;
    out.bind_system_id = pdu.system_id;
    if (pdu.command_status !== 0) return finish(1, 'bind refused');
    session.submit_sm({
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '447700900001',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: '447700900123',
      registered_delivery: 1,
      short_message: 'hello from node-smpp',
    }, (pdu) => {
      out.submit_status = pdu.command_status;
      out.message_id = pdu.message_id;
      gotResp = true;
      afterSubmit();
    });
  });
});
