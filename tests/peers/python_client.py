"""smpplib as an ESME against an SMSC (smsc-sim in the interop tests).

Usage: python3 python_client.py HOST:PORT [CA.pem SERVER_NAME]

With a CA file it speaks TLS: Python's ssl module wraps smpplib's socket,
trusting that CA and checking the certificate against SERVER_NAME.

Binds as a transceiver, splits a long text into concatenated parts with
smpplib.gsm.make_parts (8-bit reference UDH), submits each part asking for a
receipt, reads until every submit_sm_resp and every receipt has arrived
(answering the receipts), sends enquire_link, unbinds. Prints one JSON object
on stdout with what it saw; exits 1 on failure (still printing).
"""
import json
import signal
import ssl
import sys

import smpplib.client
import smpplib.consts
import smpplib.gsm

TEXT = ("smpplib interop: " + "the quick brown fox jumps over the lazy dog. " * 8).strip()

out = {"events": [], "message_ids": [], "receipts": [], "submit_status": []}


def finish(code, error=None):
    if error:
        out["error"] = error
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def on_alarm(_signum, _frame):
    finish(1, "timed out")


def text(value):
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


class TlsContext:
    """smpplib calls wrap_socket(sock); this adds the name to check."""

    def __init__(self, ca, server_name):
        self.context = ssl.create_default_context(cafile=ca)
        self.server_name = server_name

    def wrap_socket(self, sock):
        return self.context.wrap_socket(sock, server_hostname=self.server_name)


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(10)
    host, port = sys.argv[1].rsplit(":", 1)
    context = None
    if len(sys.argv) > 3:
        context = TlsContext(sys.argv[2], sys.argv[3])
    client = smpplib.client.Client(
        host, int(port), timeout=5, ssl_context=context, allow_unknown_opt_params=True
    )

    def sent(pdu, **_kwargs):
        out["events"].append(pdu.command)
        out["submit_status"].append(int(pdu.status))
        out["message_ids"].append(text(pdu.message_id))

    def received(pdu, **_kwargs):
        out["events"].append(pdu.command)
        out["receipts"].append({
            "esm_class": pdu.esm_class,
            "receipted_message_id": text(getattr(pdu, "receipted_message_id", None)),
            "message_state": getattr(pdu, "message_state", None),
            "short_message": text(pdu.short_message),
        })
        return smpplib.consts.SMPP_ESME_ROK

    client.set_message_sent_handler(sent)
    client.set_message_received_handler(received)
    client.connect()
    resp = client.bind_transceiver(system_id="smppclient1", password="password")
    out["bind_status"] = int(resp.status)
    out["bind_system_id"] = text(resp.system_id)

    parts, encoding, esm_class = smpplib.gsm.make_parts(TEXT)
    out["text_len"] = len(TEXT)
    out["parts"] = len(parts)
    out["data_coding"] = encoding
    out["esm_class"] = esm_class
    for part in parts:
        client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_INTL,
            source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            source_addr="447700900002",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            destination_addr="447700900123",
            short_message=part,
            data_coding=encoding,
            esm_class=esm_class,
            registered_delivery=True,
        )
    while len(out["message_ids"]) < len(parts) or len(out["receipts"]) < len(parts):
        client.read_once(auto_send_enquire_link=False)

    seq = client.next_sequence()
    enquire = smpplib.smpp.make_pdu("enquire_link", client=client, sequence=seq)
    client.send_pdu(enquire)
    resp = client.read_pdu()
    out["enquire_link_resp"] = {"command": resp.command, "status": int(resp.status),
                                "sequence_matches": resp.sequence == seq}

    resp = client.unbind()
    out["unbind_resp"] = {"command": resp.command, "status": int(resp.status)}
    client.disconnect()
    finish(0)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # report whatever went wrong in the JSON
        finish(1, "%s: %s" % (type(e).__name__, e))
