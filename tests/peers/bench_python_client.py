"""smpplib as a load generator for scripts/compare: one transceiver bind
that keeps WINDOW submit_sm outstanding until COUNT have been answered.

Usage: python3 bench_python_client.py --connect HOST:PORT [--count N]
       [--window W] [--size BYTES]

smpplib is synchronous: Client.send_message writes one submit_sm and
returns without waiting for the answer, and Client.read_once blocks until
one whole PDU has arrived (two recv calls, header then body) and hands a
submit_sm_resp to the message-sent handler. Nothing in the library limits
how many submits may be outstanding, so this client sends WINDOW submits,
then reads one PDU at a time and sends one new submit for each answer,
keeping WINDOW outstanding (the same scheme as smpp-bench and the node-smpp
client). Answers are matched to their submits by sequence number.

Last line, as smpp-bench prints it:
  submitted=N acked=N failed=N seconds=T rate=R p50_us=X p99_us=Y
"""
import sys
import time

import smpplib.client
import smpplib.consts


def parse_args(argv):
    opts = {"connect": "127.0.0.1:2775", "count": 100000, "window": 64, "size": 20}
    i = 1
    while i < len(argv):
        key = argv[i][2:] if argv[i].startswith("--") else None
        if key not in opts or i + 1 >= len(argv):
            sys.stderr.write("bench_python_client: bad argument %s\n" % argv[i])
            sys.exit(2)
        opts[key] = argv[i + 1] if key == "connect" else int(argv[i + 1])
        i += 2
    return opts


def main():
    opts = parse_args(sys.argv)
    host, port = opts["connect"].rsplit(":", 1)
    count, window = opts["count"], opts["window"]
    text = bytes(97 + i % 26 for i in range(opts["size"]))

    client = smpplib.client.Client(host, int(port), timeout=30, allow_unknown_opt_params=True)
    sent_at = {}
    latencies = []
    state = {"submitted": 0, "acked": 0, "failed": 0}

    def submit_one():
        state["submitted"] += 1
        pdu = client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr="bench",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            destination_addr="447700900123",
            short_message=text,
        )
        sent_at[pdu.sequence] = time.perf_counter()

    def answered(pdu, **_kwargs):
        sent = sent_at.pop(pdu.sequence, None)
        if sent is not None:
            latencies.append((time.perf_counter() - sent) * 1e6)
        if int(pdu.status) == 0:
            state["acked"] += 1
        else:
            state["failed"] += 1

    def error_pdu(pdu):
        # read_once calls this for any PDU with an error status, then goes
        # on to the message-sent handler for a submit_sm_resp; a
        # generic_nack goes nowhere else, so it is counted here.
        if pdu.command == "generic_nack" and pdu.sequence in sent_at:
            answered(pdu)

    client.set_error_pdu_handler(error_pdu)
    client.set_message_sent_handler(answered)
    client.connect()
    resp = client.bind_transceiver(system_id="smppclient1", password="password")
    if int(resp.status) != 0:
        sys.stderr.write("bench_python_client: bind refused, status %d\n" % int(resp.status))
        sys.exit(1)

    start = time.perf_counter()
    error = None
    try:
        while state["submitted"] < min(window, count):
            submit_one()
        while state["acked"] + state["failed"] < count:
            before = state["acked"] + state["failed"]
            client.read_once(auto_send_enquire_link=False)
            if state["acked"] + state["failed"] > before and state["submitted"] < count:
                submit_one()
    except Exception as e:  # report what was answered before the failure
        error = "%s: %s" % (type(e).__name__, e)
    seconds = time.perf_counter() - start

    latencies.sort()

    def pct(q):
        if not latencies:
            return 0
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * q))])

    print("submitted=%d acked=%d failed=%d seconds=%.3f rate=%d p50_us=%d p99_us=%d" % (
        state["submitted"], state["acked"], state["failed"], seconds,
        round(state["acked"] / max(seconds, 1e-9)), pct(0.5), pct(0.99)))
    sys.stdout.flush()
    if error:
        sys.stderr.write("bench_python_client: %s\n" % error)
        client.disconnect()
        sys.exit(1)
    client.unbind()
    client.disconnect()


if __name__ == "__main__":
    main()
