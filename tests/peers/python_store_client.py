"""smpplib as an ESME using an SMSC's message store (smsc-sim in the interop
tests): query_sm, replace_sm, cancel_sm.

Usage: python3 python_store_client.py HOST:PORT

smpplib 2.2.4 has query_sm but no classes for cancel_sm and replace_sm;
this script declares them the way smpplib declares its own (Command
subclasses with params and params_order, SMPP 3.4 sections 4.9 and 4.10)
and adds them to smpplib's command factory, so every PDU still goes through
smpplib's encoder and parser.

smpplib's state table (consts.COMMAND_STATES) allows query_sm and cancel_sm
in BOUND_RX and BOUND_TRX and replace_sm in BOUND_TX only (one of the 3.4
transcriptions' readings), so no one session may send all three: this
script binds twice, a transceiver for submit_sm, query_sm and cancel_sm and
a transmitter for replace_sm, both as the same account (the SMSC's store is
per SMSC, not per session).

Submits a message asking for a receipt, then: query_sm, replace_sm,
query_sm, cancel_sm, query_sm, cancel_sm again, replace_sm again, query_sm
of an unknown id. Prints one JSON object with
each answer's command, status and fields; exits 1 on failure (still
printing).
"""
import json
import signal
import sys

import smpplib.client
import smpplib.command
import smpplib.consts
from smpplib.command import Command, Param
from smpplib.ptypes import ostr

out = {"steps": []}


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


class CancelSM(Command):
    """cancel_sm (3.4 4.9)"""
    params = {
        'service_type': Param(type=str, max=6),
        'message_id': Param(type=str, max=65),
        'source_addr_ton': Param(type=int, size=1),
        'source_addr_npi': Param(type=int, size=1),
        'source_addr': Param(type=str, max=21),
        'dest_addr_ton': Param(type=int, size=1),
        'dest_addr_npi': Param(type=int, size=1),
        'destination_addr': Param(type=str, max=21),
    }
    params_order = (
        'service_type', 'message_id', 'source_addr_ton', 'source_addr_npi', 'source_addr',
        'dest_addr_ton', 'dest_addr_npi', 'destination_addr',
    )

    def __init__(self, command, **kwargs):
        super(CancelSM, self).__init__(command, **kwargs)
        self._set_vars(**(dict.fromkeys(self.params)))


class ReplaceSM(Command):
    """replace_sm (3.4 4.10)"""
    params = {
        'message_id': Param(type=str, max=65),
        'source_addr_ton': Param(type=int, size=1),
        'source_addr_npi': Param(type=int, size=1),
        'source_addr': Param(type=str, max=21),
        'schedule_delivery_time': Param(type=str, max=17),
        'validity_period': Param(type=str, max=17),
        'registered_delivery': Param(type=int, size=1),
        'sm_default_msg_id': Param(type=int, size=1),
        'sm_length': Param(type=int, size=1),
        'short_message': Param(type=ostr, max=254, len_field='sm_length'),
    }
    params_order = (
        'message_id', 'source_addr_ton', 'source_addr_npi', 'source_addr',
        'schedule_delivery_time', 'validity_period', 'registered_delivery',
        'sm_default_msg_id', 'sm_length', 'short_message',
    )

    def __init__(self, command, **kwargs):
        super(ReplaceSM, self).__init__(command, **kwargs)
        self._set_vars(**(dict.fromkeys(self.params)))

    def prep(self):
        """As smpplib's SubmitSM: sm_length follows short_message."""
        self.sm_length = len(self.short_message) if self.short_message else 0


class EmptyResp(Command):
    """cancel_sm_resp, replace_sm_resp: a header and no body."""
    params = {}
    params_order = ()

    def __init__(self, command, **kwargs):
        super(EmptyResp, self).__init__(command, need_sequence=False, **kwargs)


EXTRA = {
    'cancel_sm': CancelSM,
    'cancel_sm_resp': EmptyResp,
    'replace_sm': ReplaceSM,
    'replace_sm_resp': EmptyResp,
}
_factory = smpplib.command.factory


def factory(command_name, **kwargs):
    if command_name in EXTRA:
        return EXTRA[command_name](command_name, **kwargs)
    return _factory(command_name, **kwargs)


smpplib.command.factory = factory

SOURCE = dict(source_addr_ton=smpplib.consts.SMPP_TON_INTL,
              source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
              source_addr="447700900002")


def ask(client, name, **kwargs):
    """Sends one request through smpplib and reads its answer."""
    pdu = smpplib.smpp.make_pdu(name, client=client, **kwargs)
    client.send_pdu(pdu)
    while True:
        resp = client.read_pdu()
        if resp.command == name + "_resp" or resp.command == "generic_nack":
            break
    step = {"request": name, "command": resp.command, "status": int(resp.status),
            "sequence_matches": resp.sequence == pdu.sequence}
    if resp.command == "query_sm_resp" and not resp.is_error():
        step["message_id"] = text(resp.message_id)
        step["message_state"] = resp.message_state
        step["final_date"] = text(resp.final_date) or ""
        step["error_code"] = resp.error_code
    out["steps"].append(step)
    return resp


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(10)
    host, port = sys.argv[1].rsplit(":", 1)
    trx = smpplib.client.Client(host, int(port), timeout=5, allow_unknown_opt_params=True)
    trx.connect()
    out["bind_status"] = int(trx.bind_transceiver(system_id="smppclient1",
                                                  password="password").status)
    tx = smpplib.client.Client(host, int(port), timeout=5, allow_unknown_opt_params=True)
    tx.connect()
    out["bind_tx_status"] = int(tx.bind_transmitter(system_id="smppclient1",
                                                    password="password").status)

    resp = ask(trx, "submit_sm", dest_addr_ton=1, dest_addr_npi=1,
               destination_addr="447700900123", short_message=b"first words",
               registered_delivery=1, **SOURCE)
    message_id = text(resp.message_id)
    out["message_id"] = message_id
    ask(trx, "query_sm", message_id=message_id, **SOURCE)
    ask(tx, "replace_sm", message_id=message_id, short_message=b"second words",
        registered_delivery=1, **SOURCE)
    ask(trx, "query_sm", message_id=message_id, **SOURCE)
    ask(trx, "cancel_sm", message_id=message_id, dest_addr_ton=1, dest_addr_npi=1,
        destination_addr="447700900123", **SOURCE)
    ask(trx, "query_sm", message_id=message_id, **SOURCE)
    ask(trx, "cancel_sm", message_id=message_id, dest_addr_ton=1, dest_addr_npi=1,
        destination_addr="447700900123", **SOURCE)
    ask(tx, "replace_sm", message_id=message_id, short_message=b"too late", **SOURCE)
    ask(trx, "query_sm", message_id="ffffff00", **SOURCE)

    out["unbind_status"] = int(trx.unbind().status)
    out["unbind_tx_status"] = int(tx.unbind().status)
    trx.disconnect()
    tx.disconnect()
    finish(0)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # report whatever went wrong in the JSON
        finish(1, "%s: %s" % (type(e).__name__, e))
