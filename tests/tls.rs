//! SMPP over TLS: the library's two sides, smsc-sim and smpp-bench, smppd,
//! and interop with node-smpp's and Python's TLS (software nobody here
//! wrote). Certificates are made at test time. Every refusal a user can
//! act on is shown here with its log line, while another session keeps
//! working.
//!
//! The interop tests need `scripts/install-peers`; they fail (never skip)
//! without it.
// The binaries and the daemon's test helpers need the `daemon` feature.
#![cfg(all(feature = "tls", feature = "daemon"))]

mod daemon_util;
mod support;
mod tls_support;

use support::Member;

use smpp::pdu::{Address, Body, ShortMessage, SubmitSm, Tlv, TlvTag};
use smpp::runtime::{
    Esme, EsmeConfig, EsmeError, EsmeEvent, Runtime, RuntimeConfig, Smsc, SmscConfig, SubmitMode,
};
use smpp::smsc_sim::{SimConfig, SimHandler};
use smpp::tls::{TlsClientOptions, TlsError, TlsServerOptions};
use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};
use tls_support::{capture_log, count_log, s, wait_log, Pki};

const WAIT: Duration = Duration::from_secs(15);

fn runtime() -> Runtime {
    Runtime::start(RuntimeConfig {
        workers: 2,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// A simulator SMSC serving TLS with `cert`/`key` (receipts at once).
fn tls_smsc(rt: &Runtime, pki: &Pki, cert: &str, key: &str) -> Smsc {
    tls_smsc_with(rt, TlsServerOptions::new(pki.path(cert), pki.path(key)))
}

fn tls_smsc_with(rt: &Runtime, options: TlsServerOptions) -> Smsc {
    let config = SmscConfig {
        tls: Some(options.acceptor().expect("server TLS settings")),
        ..SmscConfig::default()
    };
    Smsc::listen(
        rt,
        "127.0.0.1:0",
        config,
        SimHandler::new(SimConfig::default()),
    )
    .expect("listen")
}

fn client(ca: Option<&std::path::Path>) -> TlsClientOptions {
    TlsClientOptions {
        ca_file: ca.map(Into::into),
        ..TlsClientOptions::default()
    }
}

fn esme_config(addr: std::net::SocketAddr, tls: &TlsClientOptions) -> EsmeConfig {
    let mut config = EsmeConfig::new(&addr.to_string(), "smppclient1", "password");
    config.tls = Some(tls.connector().expect("client TLS settings"));
    config.connect_timeout = Duration::from_secs(3);
    config.session.response_timeout = Duration::from_secs(10);
    config.auto_ack = true;
    config
}

fn submit(text: &[u8]) -> SubmitSm {
    let mut sm = SubmitSm {
        source: Address::new(1, 1, "447700900001").unwrap(),
        dest: Address::new(1, 1, "447700900123").unwrap(),
        registered_delivery: 1,
        ..SubmitSm::default()
    };
    if text.len() <= ShortMessage::MAX {
        sm.short_message = ShortMessage::new(text).unwrap();
    } else {
        sm.tlvs
            .push(Tlv::octets(TlvTag::MessagePayload, text.to_vec()));
    }
    sm
}

/// Submits `n` messages and waits for every response and receipt.
fn exchange(esme: &Esme, n: usize) {
    for i in 0..n {
        let text = format!("message {i} over TLS");
        esme.submit_async(
            Body::SubmitSm(submit(text.as_bytes())),
            SubmitMode::Wait(WAIT),
        )
        .expect("submit");
    }
    for _ in 0..n {
        let c = esme.completions().recv_timeout(WAIT).expect("a response");
        c.outcome.expect("accepted");
    }
    let mut receipts = 0;
    let deadline = Instant::now() + WAIT;
    while receipts < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match esme.events().recv_timeout(left) {
            Ok(EsmeEvent::Delivery(d)) => {
                assert!(d.receipt.is_some(), "{:?}", d.pdu);
                receipts += 1;
            }
            Ok(_) => {}
            Err(_) => panic!("{receipts} of {n} receipts"),
        }
    }
}

/// The error text of a connect that must fail.
fn connect_error(rt: &Runtime, config: EsmeConfig) -> String {
    match Esme::connect(rt, config) {
        Ok(_) => panic!("the connect should have failed"),
        Err(e @ EsmeError::Timeout(_)) => e.to_string(),
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

// ----- the library, both sides -----

/// Two TLS binds submit, with receipts flowing back; a message of 30 000
/// bytes spans several TLS records both ways.
#[test]
fn library_esme_and_smsc_over_tls() {
    capture_log();
    let pki = Pki::new();
    let rt = runtime();
    let smsc = tls_smsc(&rt, &pki, "server.pem", "server.key");
    let mut config = esme_config(smsc.local_addr(), &client(Some(&pki.path("ca.pem"))));
    config.sessions = 2;
    let esme = Esme::connect(&rt, config).expect("bind over TLS");
    exchange(&esme, 400);
    let big: Vec<u8> = (0..30_000).map(|i| b'a' + (i % 26) as u8).collect();
    let resp = esme.submit(submit(&big)).expect("a long message");
    assert!(matches!(resp.body, Body::SubmitSmResp(_)));
    esme.unbind();
    let stats = smsc.stats().to_string();
    assert!(stats.starts_with("sessions=2 submit_sm=401 "), "{stats}");
    assert!(
        stats.split_whitespace().any(|kv| kv == "errors=0"),
        "{stats}"
    );
}

/// The server name checked is the override, not the host dialed; IP
/// addresses are checked against the certificate's IP names.
#[test]
fn server_name_override() {
    let bed = Bed::new();
    let mut options = Bed::trusting(&bed.pki);
    options.server_name = Some("localhost".into());
    let config = esme_config(bed.smsc.local_addr(), &options);
    let esme = Esme::connect(&bed.rt, config).expect("bind");
    exchange(&esme, 3);
    esme.unbind();
    bed.still_works();
}

/// An SMSC that requires client certificates: an ESME with one binds; an
/// ESME without is refused with a log line naming it; the first keeps
/// working.
#[test]
fn client_certificates_required() {
    capture_log();
    let pki = Pki::new();
    let rt = runtime();
    let mut options = TlsServerOptions::new(pki.path("server.pem"), pki.path("server.key"));
    options.client_ca_file = Some(pki.path("ca.pem"));
    let smsc = tls_smsc_with(&rt, options);
    let mut with_cert = client(Some(&pki.path("ca.pem")));
    with_cert.cert_file = Some(pki.path("client.pem"));
    with_cert.key_file = Some(pki.path("client.key"));
    let good = Esme::connect(&rt, esme_config(smsc.local_addr(), &with_cert)).expect("bind");

    let mut config = esme_config(smsc.local_addr(), &client(Some(&pki.path("ca.pem"))));
    config.reconnect = None;
    assert!(Esme::connect(&rt, config).is_err());
    wait_log(
        &[
            "TLS handshake with 127.0.0.1:",
            "the client sent no certificate",
        ],
        WAIT,
    );
    exchange(&good, 20);
    good.unbind();
}

/// The SMSC sends outbind over TLS; the ESME's outbind listener serves TLS.
#[test]
fn outbind_over_tls() {
    capture_log();
    let pki = Pki::new();
    let rt = runtime();
    let smsc_config = SmscConfig {
        outbind_tls: Some(
            client(Some(&pki.path("ca.pem")))
                .connector()
                .expect("client TLS"),
        ),
        ..SmscConfig::default()
    };
    let smsc = Smsc::listen(
        &rt,
        "127.0.0.1:0",
        smsc_config,
        SimHandler::new(SimConfig::default()),
    )
    .expect("listen");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = EsmeConfig::new("127.0.0.1:0", "smppclient1", "password");
    config.outbind_password = Some("password".into());
    config.reconnect = None;
    config.auto_ack = true;
    config.connect_timeout = WAIT;
    config.outbind_tls = Some(
        TlsServerOptions::new(pki.path("server.pem"), pki.path("server.key"))
            .acceptor()
            .unwrap(),
    );
    let sender = std::thread::spawn(move || {
        smsc.outbind_as(&addr.to_string(), "smppclient1", "password")
            .expect("outbind");
        smsc
    });
    let esme = Esme::listen_outbind_on(&rt, listener, config).expect("bound after outbind");
    let smsc = sender.join().unwrap();
    let session = smsc.sessions()[0].id;
    smsc.deliver(
        session,
        smpp::pdu::DeliverSm {
            source: Address::new(1, 1, "447700900999").unwrap(),
            dest: Address::new(1, 1, "12345").unwrap(),
            short_message: ShortMessage::new(b"MO over TLS").unwrap(),
            ..Default::default()
        },
    )
    .unwrap();
    loop {
        match esme.events().recv_timeout(WAIT) {
            Ok(EsmeEvent::Delivery(d)) => {
                let Body::DeliverSm(sm) = &d.pdu.body else {
                    panic!("{:?}", d.pdu)
                };
                assert_eq!(sm.payload(), b"MO over TLS");
                break;
            }
            Ok(_) => {}
            Err(_) => panic!("no MO after a TLS outbind"),
        }
    }
    esme.unbind();
}

// ----- errors a user can act on -----

/// A TLS SMSC (the simulator, with the CA's certificate for localhost and
/// 127.0.0.1) and an ESME bound to it: the session that must keep working
/// while a test makes another one fail.
struct Bed {
    pki: Pki,
    rt: Runtime,
    smsc: Smsc,
    good: Esme,
}

impl Bed {
    fn new() -> Bed {
        capture_log();
        let pki = Pki::new();
        let rt = runtime();
        let smsc = tls_smsc(&rt, &pki, "server.pem", "server.key");
        let config = esme_config(smsc.local_addr(), &Bed::trusting(&pki));
        let good = Esme::connect(&rt, config).expect("bind over TLS");
        Bed {
            pki,
            rt,
            smsc,
            good,
        }
    }

    /// Client settings that trust the test CA.
    fn trusting(pki: &Pki) -> TlsClientOptions {
        client(Some(&pki.path("ca.pem")))
    }

    /// The good session still submits and gets its receipts.
    fn still_works(self) {
        exchange(&self.good, 20);
        self.good.unbind();
    }
}

/// A plaintext SMPP client on a TLS port: one log line with its address
/// and the cause, the connection closes, a TLS session keeps working.
#[test]
fn plaintext_client_on_a_tls_port() {
    let bed = Bed::new();
    let mut plain = std::net::TcpStream::connect(bed.smsc.local_addr()).unwrap();
    plain.set_read_timeout(Some(WAIT)).unwrap();
    let me = plain.local_addr().unwrap();
    // bind_transceiver, as any plaintext ESME would send it.
    let mut pdu = vec![0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1];
    pdu.extend_from_slice(b"smppclient1\0password\0\0\x34\0\0\0");
    let len = pdu.len() as u32;
    pdu[..4].copy_from_slice(&len.to_be_bytes());
    plain.write_all(&pdu).unwrap();
    let mut buf = [0u8; 256];
    let mut got = Vec::new();
    loop {
        match plain.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
    // No SMPP answer: at most a TLS alert record (21).
    assert!(got.is_empty() || got[0] == 21, "{got:?}");
    let line = wait_log(
        &[
            &format!("TLS handshake with {me} failed"),
            "does not speak TLS (a plaintext SMPP client on a TLS port?)",
        ],
        WAIT,
    );
    assert!(line.starts_with("WARN"), "{line}");
    bed.still_works();
}

/// A client that connects to a TLS port and says nothing is dropped after
/// the handshake timeout (10 s), with a log line; other sessions go on.
#[test]
fn silent_client_times_out() {
    let bed = Bed::new();
    let mut silent = std::net::TcpStream::connect(bed.smsc.local_addr()).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let me = silent.local_addr().unwrap();
    exchange(&bed.good, 20);
    let mut buf = [0u8; 64];
    match silent.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the silent connection was not closed: {other:?}"),
    }
    wait_log(
        &[&format!(
            "TLS handshake with {me} failed: no TLS handshake within 10s"
        )],
        WAIT,
    );
    bed.still_works();
}

/// A certificate the ESME does not trust: the connect fails with the
/// cause, one log line per attempt names the SMSC's address, it retries
/// with backoff; a session that trusts the CA keeps working.
#[test]
fn untrusted_certificate() {
    let bed = Bed::new();
    let addr = bed.smsc.local_addr();
    let mut config = esme_config(addr, &client(Some(&bed.pki.path("other-ca.pem"))));
    config.reconnect = Some(smpp::runtime::Reconnect {
        min: Duration::from_millis(100),
        max: Duration::from_millis(400),
    });
    let error = connect_error(&bed.rt, config);
    assert!(error.contains("certificate not trusted"), "{error}");
    let wanted = [
        &format!("TLS handshake with {addr} failed: certificate not trusted")[..],
        "give the issuing CA",
    ];
    wait_log(&wanted, WAIT);
    assert!(count_log(&wanted) >= 2, "no retry after the failure");
    // The SMSC's side of it: the ESME's alert.
    wait_log(&["TLS handshake with 127.0.0.1:", "alert UnknownCA"], WAIT);
    bed.still_works();
}

/// An expired server certificate.
#[test]
fn expired_certificate() {
    let bed = Bed::new();
    let expired = tls_smsc(&bed.rt, &bed.pki, "expired.pem", "expired.key");
    let ca = Bed::trusting(&bed.pki);
    let error = connect_error(&bed.rt, esme_config(expired.local_addr(), &ca));
    assert!(error.contains("certificate expired"), "{error}");
    wait_log(
        &[&format!(
            "TLS handshake with {} failed: certificate expired",
            expired.local_addr()
        )],
        WAIT,
    );
    bed.still_works();
}

/// A certificate for another host name.
#[test]
fn wrong_host_name() {
    let bed = Bed::new();
    let addr = bed.smsc.local_addr();
    let mut wrong = Bed::trusting(&bed.pki);
    wrong.server_name = Some("smsc.example.net".into());
    let error = connect_error(&bed.rt, esme_config(addr, &wrong));
    assert!(error.contains("wrong host name"), "{error}");
    let line = wait_log(
        &[&format!(
            "TLS handshake with {} failed: wrong host name",
            addr
        )],
        WAIT,
    );
    assert!(line.contains("smsc.example.net"), "{line}");
    bed.still_works();
}

/// A TLS ESME against a plaintext SMSC says so.
#[test]
fn tls_esme_against_a_plaintext_smsc() {
    capture_log();
    let pki = Pki::new();
    let rt = runtime();
    let smsc = Smsc::listen(
        &rt,
        "127.0.0.1:0",
        SmscConfig::default(),
        SimHandler::new(SimConfig::default()),
    )
    .unwrap();
    let error = connect_error(
        &rt,
        esme_config(smsc.local_addr(), &client(Some(&pki.path("ca.pem")))),
    );
    assert!(
        error.contains("does not answer in TLS") || error.contains("during the TLS handshake"),
        "{error}"
    );
}

/// A key that does not match its certificate, and PEM files that cannot
/// be used, are typed errors naming the files; an SMSC already serving
/// keeps serving.
#[test]
fn bad_local_files() {
    let bed = Bed::new();
    let pki = &bed.pki;

    let e = TlsServerOptions::new(pki.path("server.pem"), pki.path("other.key"))
        .acceptor()
        .unwrap_err();
    assert!(matches!(e, TlsError::KeyMismatch { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("other.key") && text.contains("does not match the certificate in"),
        "{text}"
    );

    let mut client_key = client(Some(&pki.path("ca.pem")));
    client_key.cert_file = Some(pki.path("client.pem"));
    client_key.key_file = Some(pki.path("other.key"));
    let e = client_key.connector().unwrap_err();
    assert!(matches!(e, TlsError::KeyMismatch { .. }), "{e:?}");

    let e = TlsServerOptions::new(pki.path("missing.pem"), pki.path("server.key"))
        .acceptor()
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("missing.pem") && text.contains("No such file"),
        "{text}"
    );
    let e = TlsServerOptions::new(pki.path("garbage.pem"), pki.path("server.key"))
        .acceptor()
        .unwrap_err();
    assert!(e.to_string().contains("no CERTIFICATE section"), "{e}");
    let e = TlsServerOptions::new(pki.path("server.pem"), pki.path("ca.pem"))
        .acceptor()
        .unwrap_err();
    assert!(e.to_string().contains("no PRIVATE KEY section"), "{e}");
    let e = client(Some(&pki.path("garbage.pem")))
        .connector()
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("garbage.pem: no usable PEM CA certificate"),
        "{e}"
    );

    bed.still_works();
}

// ----- smsc-sim and smpp-bench -----

/// smsc-sim serving TLS with the CA's certificate.
fn tls_sim(pki: &Pki) -> support::SmscSim {
    support::SmscSim::start(&[
        "--tls-cert",
        &pki.arg("server.pem"),
        "--tls-key",
        &pki.arg("server.key"),
    ])
}

fn bench(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smpp-bench"))
        .args(args)
        .output()
        .expect("run smpp-bench");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// smpp-bench --tls against smsc-sim --tls-cert: with the CA, with
/// --tls-insecure, and refused with the system's roots (which do not hold
/// the test CA) while another bench run goes through.
#[test]
fn smpp_bench_against_smsc_sim_over_tls() {
    let pki = Pki::new();
    let sim = tls_sim(&pki);
    let base = ["--connect", &sim.addr, "--count", "2000", "--sessions", "2"];
    let ca = pki.arg("ca.pem");
    let (ok, out, err) = bench(&[&base[..], &["--tls", "--tls-ca", &ca]].concat());
    assert!(ok, "{out}{err}");
    assert!(out.contains("acked=2000 failed=0"), "{out}");
    let (ok, out, err) = bench(&[&base[..], &["--tls", "--tls-insecure"]].concat());
    assert!(ok, "{out}{err}");
    assert!(out.contains("acked=2000 failed=0"), "{out}");
    let (ok, out, err) = bench(&[&base[..], &["--tls"]].concat());
    assert!(!ok, "{out}");
    assert!(
        err.contains("certificate not trusted") || err.contains("no trusted root certificates"),
        "{err}"
    );
    let (ok, _, err) = bench(&[&base[..], &["--tls-insecure"]].concat());
    assert!(!ok && err.contains("--tls"), "{err}");
    let totals = sim.stop();
    assert_eq!(totals["submit_sm"], 4000, "{totals:?}");
}

/// smsc-sim refuses, with exit status 2 and the file named, a key that
/// does not match, a missing file, a lone --tls-cert.
#[test]
fn smsc_sim_bad_tls_files() {
    let pki = Pki::new();
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "--tls-cert",
                &pki.arg("server.pem"),
                "--tls-key",
                &pki.arg("other.key"),
            ],
            "does not match the certificate",
        ),
        (
            &[
                "--tls-cert",
                &pki.arg("nothing.pem"),
                "--tls-key",
                &pki.arg("server.key"),
            ],
            "nothing.pem: no usable PEM certificate",
        ),
        (&["--tls-cert", &pki.arg("server.pem")], "--tls-key"),
    ];
    for (args, wanted) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_smsc-sim"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(wanted), "{args:?}: {err}");
    }
}

// ----- interop: node-smpp, Python ssl + smpplib -----

/// The library's ESME against node-smpp's TLS server (node's tls module):
/// bind, submit, receipt and MO back, enquire_link both ways, unbind.
#[test]
fn our_esme_against_node_tls_server() {
    capture_log();
    let pki = Pki::new();
    let mut cmd = support::node("node_server.js");
    cmd.arg(pki.path("server.pem")).arg(pki.path("server.key"));
    let (server, addr) = support::start_server("node_server.js", cmd);
    let rt = runtime();
    let mut config = EsmeConfig::new(&addr, "smppclient1", "password");
    config.tls = Some(client(Some(&pki.path("ca.pem"))).connector().unwrap());
    config.reconnect = None;
    config.connect_timeout = Duration::from_secs(10);
    config.auto_ack = true;
    let esme = Esme::connect(&rt, config).expect("bind to node-smpp over TLS");
    let resp = esme
        .submit(submit(b"hello over TLS"))
        .expect("submit_sm_resp");
    let Body::SubmitSmResp(r) = &resp.body else {
        panic!("{resp:?}")
    };
    assert_eq!(r.message_id.as_bytes(), b"node-1");
    let (mut receipt, mut mo) = (false, false);
    while !(receipt && mo) {
        match esme.events().recv_timeout(WAIT) {
            Ok(EsmeEvent::Delivery(d)) => match d.receipt {
                Some(r) => {
                    assert_eq!(r.id, "node-1");
                    receipt = true;
                }
                None => mo = true,
            },
            Ok(_) => {}
            Err(_) => panic!("receipt {receipt}, MO {mo}\n{}", server.output()),
        }
    }
    esme.unbind();
    let out = support::server_result("node_server.js", server);
    assert_eq!(out["submits"][0].str("text"), "hello over TLS");
    assert_eq!(out["unbind"].as_bool(), Some(true), "{out}");
    assert_eq!(out["enquire_link_resp"].as_u64(), Some(0), "{out}");
}

/// smpp-bench --tls against node-smpp's TLS server.
#[test]
fn smpp_bench_against_node_tls_server() {
    let pki = Pki::new();
    let mut cmd = support::node("bench_node_server.js");
    cmd.arg("0")
        .arg(pki.path("server.pem"))
        .arg(pki.path("server.key"));
    let (server, addr) = support::start_server("bench_node_server.js", cmd);
    let ca = pki.arg("ca.pem");
    let (ok, out, err) = bench(&[
        "--connect",
        &addr,
        "--count",
        "3000",
        "--sessions",
        "2",
        "--tls",
        "--tls-ca",
        &ca,
    ]);
    assert!(ok, "{out}{err}\n{}", server.output());
    assert!(out.contains("acked=3000 failed=0"), "{out}");
    server.terminate();
}

/// node-smpp's client over TLS (ssmpp://, checking the certificate against
/// 127.0.0.1) against smsc-sim --tls-cert.
#[test]
fn node_client_against_smsc_sim_tls() {
    let pki = Pki::new();
    let sim = tls_sim(&pki);
    let mut cmd = support::node("node_client.js");
    cmd.arg(&sim.addr).arg(pki.path("ca.pem"));
    let out = support::run_client("node_client.js", cmd);
    assert_eq!(out.u64("bind_status"), 0, "{out}");
    assert_eq!(out.u64("submit_status"), 0, "{out}");
    assert_eq!(out["receipt"].u64("esm_class"), 0x04, "{out}");
    assert_eq!(out.u64("unbind_status"), 0, "{out}");
    let totals = sim.stop();
    support::assert_totals(
        &totals,
        &[
            ("sessions", 1),
            ("submit_sm", 1),
            ("receipts", 1),
            ("errors", 0),
        ],
    );
}

/// smpplib with its socket wrapped by Python's ssl module (checking the
/// name `localhost`) against smsc-sim --tls-cert.
#[test]
fn python_ssl_smpplib_against_smsc_sim_tls() {
    let pki = Pki::new();
    let sim = tls_sim(&pki);
    let mut cmd = support::python("python_client.py");
    cmd.arg(&sim.addr).arg(pki.path("ca.pem")).arg("localhost");
    let out = support::run_client("python_client.py", cmd);
    assert_eq!(out.u64("bind_status"), 0, "{out}");
    let parts = out.u64("parts");
    assert!(parts >= 2, "{out}");
    assert_eq!(
        out["receipts"].as_array().unwrap().len() as u64,
        parts,
        "{out}"
    );
    let totals = sim.stop();
    support::assert_totals(&totals, &[("submit_sm", parts), ("errors", 0)]);
}

// ----- smppd -----

/// smppd with `tls = true` relays a spool file to node-smpp's TLS server,
/// files its receipt and the MO message in report/ and incoming/.
#[test]
fn smppd_over_tls_to_node_server() {
    use daemon_util::{count, drop_file, secs, wait_until, Conf, Daemon, SpoolFile, TestDir};
    let pki = Pki::new();
    let mut cmd = support::node("node_server.js");
    cmd.arg(pki.path("server.pem")).arg(pki.path("server.key"));
    let (server, addr) = support::start_server("node_server.js", cmd);
    let dir = TestDir::new("tls-node");
    let mut conf = Conf::new(&dir.spool(), addr.parse().unwrap());
    conf.smsc = format!(
        "tls = true\ntls_ca_file = \"{}\"\ntls_server_name = \"localhost\"\n",
        s(&pki.path("ca.pem"))
    );
    let config = conf.write(&dir.join("smppd.toml"));
    let daemon = Daemon::start(&config, &dir.join("smppd.log"));
    drop_file(
        &dir.spool(),
        "hello",
        b"To: 447700900123\nReport: yes\n\nhello from smppd over TLS\n",
    );
    let spool = dir.spool();
    wait_until(secs(20), "the file in sent/", || count(&spool, "sent") == 1);
    wait_until(secs(20), "the receipt in report/", || {
        count(&spool, "report") == 1
    });
    wait_until(secs(20), "the MO in incoming/", || {
        count(&spool, "incoming") == 1
    });
    let sent = SpoolFile::load(&spool, "sent", "hello");
    assert_eq!(sent.get("Message_id"), "node-1");
    let log = std::fs::read_to_string(dir.join("smppd.log")).unwrap();
    assert!(!log.contains("TLS handshake"), "{log}");
    daemon.stop_clean();
    let out = support::server_result("node_server.js", server);
    assert_eq!(out["submits"][0].str("text"), "hello from smppd over TLS");
}

/// smppd with `tls = true` and `[outbind]`: its link binds over TLS, and
/// its outbind listener serves TLS with `tls_cert_file` (here a certificate
/// good for a server, as the listener is one) to an SMSC that sends outbind
/// over TLS; an MO on that session lands in incoming/.
#[test]
fn smppd_outbind_over_tls() {
    use daemon_util::{count, secs, wait_until, Conf, Daemon, TestDir};
    let pki = Pki::new();
    let rt = runtime();
    let smsc = Smsc::listen(
        &rt,
        "127.0.0.1:0",
        SmscConfig {
            tls: Some(
                TlsServerOptions::new(pki.path("server.pem"), pki.path("server.key"))
                    .acceptor()
                    .unwrap(),
            ),
            outbind_tls: Some(client(Some(&pki.path("ca.pem"))).connector().unwrap()),
            ..SmscConfig::default()
        },
        SimHandler::new(SimConfig::default()),
    )
    .unwrap();
    let outbind_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap();
    let dir = TestDir::new("tls-outbind");
    let mut conf = Conf::new(&dir.spool(), smsc.local_addr());
    conf.smsc = format!(
        "tls = true\ntls_ca_file = \"{}\"\ntls_cert_file = \"{}\"\ntls_key_file = \"{}\"\n\n[outbind]\nlisten = \"{outbind_addr}\"\n",
        s(&pki.path("ca.pem")),
        s(&pki.path("server.pem")),
        s(&pki.path("server.key")),
    );
    let config = conf.write(&dir.join("smppd.toml"));
    let daemon = Daemon::start(&config, &dir.join("smppd.log"));
    wait_until(secs(20), "smppd's link bound over TLS", || {
        !smsc.sessions().is_empty()
    });
    let receiver = || {
        smsc.sessions()
            .into_iter()
            .find(|i| i.mode == Some(smpp::session::BindMode::Receiver))
    };
    // The listener may open a moment after the link binds: outbind again
    // until a receiver session is there.
    wait_until(secs(60), "a receiver bound after the TLS outbind", || {
        if receiver().is_none() {
            let _ = smsc.outbind_as(&outbind_addr.to_string(), "smppclient1", "password");
        }
        wait_for_receiver(&receiver)
    });
    let session = receiver().unwrap().id;
    smsc.deliver(
        session,
        smpp::pdu::DeliverSm {
            source: Address::new(1, 1, "447700900999").unwrap(),
            dest: Address::new(1, 1, "12345").unwrap(),
            short_message: ShortMessage::new(b"MO after a TLS outbind").unwrap(),
            ..Default::default()
        },
    )
    .unwrap();
    let spool = dir.spool();
    wait_until(secs(20), "the MO in incoming/", || {
        count(&spool, "incoming") == 1
    });
    daemon.stop_clean();
}

/// Waits up to 2 s for `receiver` to find a session.
fn wait_for_receiver(receiver: &dyn Fn() -> Option<smpp::runtime::SessionInfo>) -> bool {
    daemon_util::wait_for(Duration::from_secs(2), || receiver().is_some())
}

/// smppd against a TLS SMSC it cannot trust: one log line per attempt with
/// the address and the cause, reconnecting with backoff; then the same
/// daemon, restarted with the right CA, relays.
#[test]
fn smppd_untrusted_smsc_retries_with_backoff() {
    use daemon_util::{count, drop_file, secs, wait_until, Conf, Daemon, TestDir};
    let pki = Pki::new();
    let sim = tls_sim(&pki);
    let dir = TestDir::new("tls-untrusted");
    let mut conf = Conf::new(&dir.spool(), sim.addr.parse().unwrap());
    conf.smsc = format!(
        "tls = true\ntls_ca_file = \"{}\"\n",
        s(&pki.path("other-ca.pem"))
    );
    let config = conf.write(&dir.join("smppd.toml"));
    let log = dir.join("smppd.log");
    let daemon = Daemon::start(&config, &log);
    let wanted = format!(
        "TLS handshake with {} failed: certificate not trusted",
        sim.addr
    );
    wait_until(secs(20), "two failed attempts in the log", || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.matches(&wanted).count() >= 2)
    });
    daemon.stop_clean();

    conf.smsc = format!("tls = true\ntls_ca_file = \"{}\"\n", s(&pki.path("ca.pem")));
    let config = conf.write(&dir.join("smppd.toml"));
    let daemon = Daemon::start(&config, &log);
    drop_file(&dir.spool(), "m1", b"To: 447700900123\n\nafter the fix\n");
    let spool = dir.spool();
    wait_until(secs(20), "the file in sent/", || count(&spool, "sent") == 1);
    daemon.stop_clean();
    let totals = sim.stop();
    assert_eq!(totals["submit_sm"], 1, "{totals:?}");
}

/// smppd --check-config: a bad TLS file is a configuration error (exit 2)
/// naming the key and the file; tls_* keys without tls = true are errors.
#[test]
fn smppd_config_tls_errors() {
    use daemon_util::{Conf, TestDir, SMPPD};
    let pki = Pki::new();
    let dir = TestDir::new("tls-config");
    let addr = "127.0.0.1:3550".parse().unwrap();
    let cases = [
        (
            format!(
                "tls = true\ntls_ca_file = \"{}\"\n",
                s(&pki.path("missing.pem"))
            ),
            "smsc.tls_ca_file: ",
        ),
        (
            format!(
                "tls = true\ntls_ca_file = \"{}\"\ntls_cert_file = \"{}\"\ntls_key_file = \"{}\"\n",
                s(&pki.path("ca.pem")),
                s(&pki.path("client.pem")),
                s(&pki.path("other.key"))
            ),
            "smsc.tls_key_file: the private key in",
        ),
        (
            format!("tls_ca_file = \"{}\"\n", s(&pki.path("ca.pem"))),
            "smsc.tls_ca_file has no effect without smsc.tls = true",
        ),
    ];
    for (extra, wanted) in cases {
        let mut conf = Conf::new(&dir.spool(), addr);
        conf.smsc = extra;
        let config = conf.write(&dir.join("smppd.toml"));
        for args in [&["--check-config", "--config"][..], &["--config"][..]] {
            let out = Command::new(SMPPD)
                .args(args)
                .arg(&config)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains(wanted), "{args:?}: {err}");
        }
    }
}
