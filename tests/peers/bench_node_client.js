// node-smpp as the reference load generator for scripts/bench: one
// transceiver bind that keeps WINDOW submit_sm outstanding until COUNT have
// been answered.
//
// Usage: node bench_node_client.js --connect HOST:PORT [--count N]
//        [--window W] [--size BYTES]
//
// Last line, as smpp-bench prints it:
//   submitted=N acked=N failed=N seconds=T rate=R p50_us=X p99_us=Y
'use strict';
const smpp = require('smpp');

const opts = { connect: '127.0.0.1:2775', count: 100000, window: 64, size: 20 };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in opts) || process.argv[i + 1] === undefined) {
    console.error(`bench_node_client: bad argument ${process.argv[i]}`);
    process.exit(2);
  }
  opts[key] = key === 'connect' ? process.argv[i + 1] : Number(process.argv[i + 1]);
}
const [host, port] = opts.connect.split(':');
let text = '';
for (let i = 0; i < opts.size; i++) text += String.fromCharCode(97 + (i % 26));

const latencies = new Float64Array(opts.count);
let submitted = 0;
let acked = 0;
let failed = 0;
let answered = 0;
let start = 0n;

function report() {
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const lat = latencies.subarray(0, answered).sort();
  const pct = (q) => (lat.length ? Math.round(lat[Math.min(lat.length - 1, Math.floor(lat.length * q))]) : 0);
  console.log(`submitted=${submitted} acked=${acked} failed=${failed} seconds=${seconds.toFixed(3)} ` +
    `rate=${Math.round(acked / Math.max(seconds, 1e-9))} p50_us=${pct(0.5)} p99_us=${pct(0.99)}`);
}

const session = smpp.connect({ host, port: Number(port) });
session.on('error', (e) => {
  console.error('bench_node_client: ' + e.message);
  report();
  process.exit(1);
});

function submitOne() {
  submitted++;
  const sentAt = process.hrtime.bigint();
  session.submit_sm({
    source_addr_ton: 5,
    source_addr: 'bench',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '447700900123',
    short_message: text,
  }, (pdu) => {
    latencies[answered++] = Number(process.hrtime.bigint() - sentAt) / 1000;
    if (pdu.command_status === 0) acked++; else failed++;
    if (answered === opts.count) {
      report();
      session.unbind(() => session.close());
      setTimeout(() => process.exit(0), 1000).unref();
    } else if (submitted < opts.count) {
      submitOne();
    }
  });
}

session.on('connect', () => {
  session.bind_transceiver({ system_id: 'smppclient1', password: 'password' }, (pdu) => {
    if (pdu.command_status !== 0) {
      console.error('bench_node_client: bind refused, status ' + pdu.command_status);
      process.exit(1);
    }
    start = process.hrtime.bigint();
    while (submitted < Math.min(opts.window, opts.count)) submitOne();
  });
});
