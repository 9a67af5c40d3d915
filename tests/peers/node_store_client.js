// node-smpp as an ESME using an SMSC's message store (smsc-sim in the
// interop tests): query_sm, replace_sm, cancel_sm.
//
// Usage: node node_store_client.js HOST:PORT
//
// Binds as a transceiver, submits a message asking for a receipt, then:
// query_sm, replace_sm, query_sm, cancel_sm, query_sm, cancel_sm again,
// replace_sm again, query_sm of an unknown id; unbinds. Prints one JSON
// object with each answer's command, status and fields; exits 1 (still
// printing what it had) on any failure or after 10 s.
'use strict';
const smpp = require('smpp');

const [host, port] = process.argv[2].split(':');
const out = { steps: [] };
let done = false;

function finish(code, why) {
  if (done) return;
  done = true;
  if (why) out.error = why;
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(code));
}
setTimeout(() => finish(1, 'timed out'), 10000).unref();

const SOURCE = { source_addr_ton: 1, source_addr_npi: 1, source_addr: '447700900002' };
const DEST = { dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '447700900123' };

const session = smpp.connect({ host, port: Number(port) });
session.on('error', (e) => finish(1, 'socket error: ' + e.message));
session.on('close', () => {
  if (out.unbind_status === 0) finish(0);
  else finish(1, 'closed before unbind_resp');
});
session.on('deliver_sm', (pdu) => session.send(pdu.response()));

function ask(command, fields) {
  return new Promise((resolve) => {
    session[command](fields, (pdu) => {
      const step = { request: command, command: pdu.command, status: pdu.command_status };
      if (pdu.command === 'query_sm_resp' && pdu.command_status === 0) {
        step.message_id = pdu.message_id;
        step.message_state = pdu.message_state;
        step.final_date = pdu.final_date ? String(pdu.final_date) : '';
        step.error_code = pdu.error_code;
      }
      out.steps.push(step);
      resolve(pdu);
    });
  });
}

session.bind_transceiver({ system_id: 'smppclient1', password: 'password' }, async (pdu) => {
  out.bind_status = pdu.command_status;
  if (pdu.command_status !== 0) return finish(1, 'bind refused');
  try {
    const resp = await ask('submit_sm', {
      ...SOURCE, ...DEST, short_message: 'first words', registered_delivery: 1,
    });
    const id = resp.message_id;
    out.message_id = id;
    await ask('query_sm', { ...SOURCE, message_id: id });
    await ask('replace_sm', {
      ...SOURCE, message_id: id, short_message: 'second words', registered_delivery: 1,
    });
    await ask('query_sm', { ...SOURCE, message_id: id });
    await ask('cancel_sm', { ...SOURCE, ...DEST, message_id: id });
    await ask('query_sm', { ...SOURCE, message_id: id });
    await ask('cancel_sm', { ...SOURCE, ...DEST, message_id: id });
    await ask('replace_sm', { ...SOURCE, message_id: id, short_message: 'too late' });
    await ask('query_sm', { ...SOURCE, message_id: 'ffffff00' });
  } catch (e) {
    return finish(1, String(e));
  }
  session.unbind((pdu) => {
    out.unbind_status = pdu.command_status;
    session.close();
  });
});
