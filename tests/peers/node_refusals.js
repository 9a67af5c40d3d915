// node-smpp as an ESME doing what an SMSC must refuse, against smsc-sim.
//
// Usage: node node_refusals.js HOST:PORT
//
// 1. bind_transceiver with a wrong password;
// 2. bind_receiver, then submit_sm (not allowed to a receiver), then an
//    unknown command_id (0x00000099), then unbind;
// 3. submit_sm on a fresh connection before any bind.
// Prints one JSON object with the command and status of each answer;
// exits 1 on failure (still printing) or after 10 s.
'use strict';
const smpp = require('smpp');

const [host, port] = process.argv[2].split(':');
const out = {};
let done = false;
function finish(code, why) {
  if (done) return;
  done = true;
  if (why) out.error = why;
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(code));
}
setTimeout(() => finish(1, 'timed out'), 10000).unref();

const answer = (pdu) => ({ command: pdu.command, status: pdu.command_status });
smpp.addCommand('unknown_0x99', { id: 0x00000099, params: {} });

function session(then) {
  const s = smpp.connect({ host, port: Number(port) });
  s.on('error', (e) => finish(1, 'socket error: ' + e.message));
  s.on('connect', () => then(s));
  return s;
}

session((a) => {
  a.bind_transceiver({ system_id: 'smppclient1', password: 'wrong' }, (pdu) => {
    out.wrong_password = answer(pdu);
    a.destroy();
    session((b) => {
      b.bind_receiver({ system_id: 'smppclient1', password: 'password' }, (pdu) => {
        out.bind_receiver = answer(pdu);
        b.submit_sm({ destination_addr: '447700900123', short_message: 'x' }, (pdu) => {
          out.submit_as_receiver = answer(pdu);
          b.on('generic_nack', (pdu) => {
            out.unknown_command = answer(pdu);
            b.unbind((pdu) => {
              out.unbind = answer(pdu);
              b.close();
              session((c) => {
                c.on('submit_sm_resp', (pdu) => {
                  out.submit_before_bind = answer(pdu);
                  c.destroy();
                  finish(0);
                });
                c.submit_sm({ destination_addr: '447700900123', short_message: 'x' });
              });
            });
          });
          b.unknown_0x99({});
        });
      });
    });
  });
});
