// node-smpp as an SMSC for one ESME session (the library's ESME in the
// interop tests).
//
// Usage: node node_server.js [CERT.pem KEY.pem]
//
// With a certificate and key it serves SMPP over TLS (node-smpp's
// createServer({key, cert}), on node's tls module).
//
// Listens on 127.0.0.1 on a free port and prints {"listening":PORT} as the
// first line. Accepts one session: answers bind_transceiver, answers each
// submit_sm with message id "node-N" and then sends a delivery receipt
// deliver_sm for it and one MO deliver_sm; sends one enquire_link after the
// bind; answers enquire_link and unbind.
// When the session closes it prints one JSON object with what it saw and
// exits (1 on failure or after 15 s).
'use strict';
const smpp = require('smpp');
const fs = require('fs');

const tlsOptions = process.argv[3]
  ? { cert: fs.readFileSync(process.argv[2]), key: fs.readFileSync(process.argv[3]) }
  : {};

const out = { events: [], submits: [], deliver_sm_resp: [] };
let done = false;
function finish(code, why) {
  if (done) return;
  done = true;
  if (why) out.error = why;
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(code));
}
setTimeout(() => finish(1, 'timed out'), 15000).unref();

function pad(n) { return String(n).padStart(2, '0'); }
function smppDate(d) {
  return pad(d.getUTCFullYear() % 100) + pad(d.getUTCMonth() + 1) + pad(d.getUTCDate()) +
    pad(d.getUTCHours()) + pad(d.getUTCMinutes());
}

let nextId = 1;
const server = smpp.createServer(tlsOptions, (session) => {
  session.on('error', (e) => finish(1, 'socket error: ' + e.message));
  session.on('pdu', (pdu) => out.events.push(pdu.command));
  session.on('close', () => {
    out.events.push('close');
    server.close();
    finish(out.unbind ? 0 : 1, out.unbind ? undefined : 'closed without unbind');
  });
  session.on('bind_transceiver', (pdu) => {
    out.bind = { system_id: pdu.system_id, password: pdu.password,
                 interface_version: pdu.interface_version };
    const ok = pdu.system_id === 'smppclient1' && pdu.password === 'password';
    session.send(pdu.response({
      command_status: ok ? 0 : smpp.ESME_RBINDFAIL,
      system_id: 'node-smsc',
    }));
    // The ESME must answer the SMSC's enquire_link too.
    if (ok) session.enquire_link((resp) => { out.enquire_link_resp = resp.command_status; });
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('submit_sm', (pdu) => {
    const id = 'node-' + nextId++;
    const text = pdu.short_message && pdu.short_message.message;
    out.submits.push({
      message_id: id,
      source_addr: pdu.source_addr,
      destination_addr: pdu.destination_addr,
      registered_delivery: pdu.registered_delivery,
      data_coding: pdu.data_coding,
      text: typeof text === 'string' ? text : String(text),
    });
    session.send(pdu.response({ message_id: id }));
    const now = smppDate(new Date());
    const receipt = `id:${id} sub:001 dlvrd:001 submit date:${now} done date:${now} ` +
      `stat:DELIVRD err:000 text:${String(text).slice(0, 20)}`;
    const onResp = (resp) => out.deliver_sm_resp.push(resp.command_status);
    session.deliver_sm({
      source_addr_ton: 1, source_addr_npi: 1, source_addr: pdu.destination_addr,
      dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: pdu.source_addr,
      esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
      short_message: receipt,
      receipted_message_id: id,
      message_state: smpp.MESSAGE_STATE.DELIVERED,
    }, onResp);
    session.deliver_sm({
      source_addr_ton: 1, source_addr_npi: 1, source_addr: '447700900999',
      dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '12345',
      short_message: 'MO from node-smpp',
    }, onResp);
  });
  session.on('unbind', (pdu) => {
    out.unbind = true;
    session.send(pdu.response());
    session.close();
  });
});
server.on('error', (e) => finish(1, 'listen error: ' + e.message));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n');
});
