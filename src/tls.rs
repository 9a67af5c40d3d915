//! SMPP over TLS (cargo feature `tls`, on by default): the settings for
//! each side, read from PEM files, and the errors a user can act on.
//!
//! TLS is a transport: the session core never sees it. The reactor drives
//! rustls's sans-IO connection objects next to the sockets, with the same
//! batching as plaintext (one read, one write per batch of PDUs) and no
//! extra thread. The worker hears of a TLS connection only once its
//! handshake has finished; a failed handshake is one log line naming the
//! peer and the cause (as an ESME, the link's connect error, retried with
//! backoff like any other).
//!
//! ```no_run
//! use smpp::runtime::{Esme, EsmeConfig, Runtime};
//! use smpp::tls::TlsClientOptions;
//!
//! let rt = Runtime::new()?;
//! let mut config = EsmeConfig::new("smsc.example.net:3550", "acme", "secret");
//! config.tls = Some(TlsClientOptions::default().connector()?); // the system's roots
//! let esme = Esme::connect(&rt, config)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The SMSC side serves a certificate and key
//! ([`TlsServerOptions::acceptor`], set as `SmscConfig::tls`), optionally
//! requiring client certificates signed by a given CA. Programs that need
//! other settings build their own [`rustls`] configuration and wrap it with
//! [`TlsConnector::new`] or [`TlsAcceptor::new`].

pub use rustls;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a TLS setting could not be made. Each names the file concerned.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read, or holds nothing of the kind needed.
    Pem {
        /// The file.
        path: PathBuf,
        /// What it should hold: `certificate`, `private key`, `CA certificate`.
        what: &'static str,
        /// Why it is not usable.
        reason: String,
    },
    /// The private key does not belong to the certificate.
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// A certificate without its key, or a key without its certificate.
    Incomplete(&'static str),
    /// The system's root certificates could not be loaded.
    NoRoots(String),
    /// Not a valid TLS server name (a DNS name or an IP address).
    ServerName(String),
    /// rustls refused the settings.
    Rustls(rustls::Error),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Pem { path, what, reason } => {
                write!(f, "{}: no usable PEM {what}: {reason}", path.display())
            }
            TlsError::KeyMismatch { cert, key } => write!(
                f,
                "the private key in {} does not match the certificate in {}",
                key.display(),
                cert.display()
            ),
            TlsError::Incomplete(what) => f.write_str(what),
            TlsError::NoRoots(why) => write!(f, "no trusted root certificates: {why}"),
            TlsError::ServerName(name) => {
                write!(
                    f,
                    "{name:?} is not a valid TLS server name (a DNS name or an IP address)"
                )
            }
            TlsError::Rustls(e) => write!(f, "TLS settings refused: {e}"),
        }
    }
}

impl std::error::Error for TlsError {}

impl From<TlsError> for std::io::Error {
    fn from(e: TlsError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
    }
}

/// rustls with *ring*. rustls 0.23.48 marks this provider deprecated for
/// its lack of post-quantum key exchange; the aws-lc-rs provider has it,
/// but seeds its random generator from CPU jitter entropy, which cost 50-80
/// ms of CPU per handshake on the reactor thread (stalling every other
/// connection meanwhile).
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads every certificate in a PEM file (at least one).
fn read_certs(path: &Path, what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = |reason: String| TlsError::Pem {
        path: path.to_owned(),
        what,
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem(pem_reason(&e)))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem(pem_reason(&e)))?;
    if certs.is_empty() {
        return Err(pem("no CERTIFICATE section in the file".into()));
    }
    Ok(certs)
}

/// Reads the first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Pem {
        path: path.to_owned(),
        what: "private key",
        reason: match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "no PRIVATE KEY section in the file".into()
            }
            e => pem_reason(&e),
        },
    })
}

fn pem_reason(e: &rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(io) => io.to_string(),
        other => format!("not PEM ({other})"),
    }
}

fn roots_from(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in read_certs(path, "CA certificate")? {
        roots.add(cert).map_err(|e| TlsError::Pem {
            path: path.to_owned(),
            what: "CA certificate",
            reason: e.to_string(),
        })?;
    }
    Ok(roots)
}

fn system_roots() -> Result<RootCertStore, TlsError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = if found.errors.is_empty() {
            "the system's certificate store is empty (install ca-certificates, or give a CA file)"
                .to_string()
        } else {
            found
                .errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        };
        return Err(TlsError::NoRoots(why));
    }
    Ok(roots)
}

fn key_error(e: rustls::Error, cert: &Path, key: &Path) -> TlsError {
    match e {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            TlsError::KeyMismatch {
                cert: cert.to_owned(),
                key: key.to_owned(),
            }
        }
        other => TlsError::Pem {
            path: key.to_owned(),
            what: "private key",
            reason: other.to_string(),
        },
    }
}

/// An ESME's (or an outbinding SMSC's) TLS settings, as file names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsClientOptions {
    /// PEM file of the CA certificates to trust; `None`: the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate (a self-signed test SMSC). The
    /// connection is encrypted but the server is not authenticated.
    pub insecure: bool,
    /// The name the server's certificate must carry; `None`: the host part
    /// of the address dialed.
    pub server_name: Option<String>,
    /// A client certificate (PEM), for SMSCs that require one.
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub key_file: Option<PathBuf>,
}

impl TlsClientOptions {
    /// Reads the files and makes the connector.
    pub fn connector(&self) -> Result<TlsConnector, TlsError> {
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Rustls)?;
        let builder = if self.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
        } else {
            let roots = match &self.ca_file {
                Some(path) => roots_from(path)?,
                None => system_roots()?,
            };
            builder.with_root_certificates(roots)
        };
        let config = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(read_certs(cert, "certificate")?, read_key(key)?)
                .map_err(|e| key_error(e, cert, key))?,
            (None, None) => builder.with_no_client_auth(),
            (Some(_), None) => {
                return Err(TlsError::Incomplete(
                    "a client certificate needs its private key file too",
                ))
            }
            (None, Some(_)) => {
                return Err(TlsError::Incomplete(
                    "a client private key needs its certificate file too",
                ))
            }
        };
        let mut connector = TlsConnector::new(Arc::new(config));
        if let Some(name) = &self.server_name {
            connector = connector.with_server_name(name)?;
        }
        Ok(connector)
    }
}

/// The client side of TLS: a rustls configuration and, optionally, the
/// server name to check (else the host dialed). Cheap to clone.
#[derive(Clone)]
pub struct TlsConnector {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: Option<ServerName<'static>>,
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl TlsConnector {
    /// Wraps a rustls client configuration.
    pub fn new(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector {
            config,
            server_name: None,
        }
    }

    /// Checks the server's certificate against `name` instead of the host
    /// dialed (and sends it as SNI).
    pub fn with_server_name(mut self, name: &str) -> Result<TlsConnector, TlsError> {
        self.server_name = Some(server_name(name)?);
        Ok(self)
    }

    /// The server name for a connection to `addr` (`host:port`).
    pub(crate) fn name_for(&self, addr: &str) -> Result<ServerName<'static>, TlsError> {
        match &self.server_name {
            Some(n) => Ok(n.clone()),
            None => {
                let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
                let host = host.trim_start_matches('[').trim_end_matches(']');
                server_name(host)
            }
        }
    }
}

fn server_name(name: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(name.to_owned()).map_err(|_| TlsError::ServerName(name.to_owned()))
}

/// An SMSC's (or an outbind-accepting ESME's) TLS settings, as file names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsServerOptions {
    /// The certificate chain (PEM), the server's own first.
    pub cert_file: PathBuf,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// Require a client certificate signed by one of the CA certificates
    /// in this PEM file; `None`: ask for none.
    pub client_ca_file: Option<PathBuf>,
}

impl TlsServerOptions {
    /// A certificate and key; no client certificates.
    pub fn new(cert_file: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> TlsServerOptions {
        TlsServerOptions {
            cert_file: cert_file.into(),
            key_file: key_file.into(),
            client_ca_file: None,
        }
    }

    /// Reads the files and makes the acceptor; a key that does not match
    /// the certificate is [`TlsError::KeyMismatch`].
    pub fn acceptor(&self) -> Result<TlsAcceptor, TlsError> {
        let provider = provider();
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Rustls)?;
        let builder = match &self.client_ca_file {
            Some(path) => {
                let verifier = WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots_from(path)?),
                    provider,
                )
                .build()
                .map_err(|e| TlsError::Pem {
                    path: path.clone(),
                    what: "CA certificate",
                    reason: e.to_string(),
                })?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let certs = read_certs(&self.cert_file, "certificate")?;
        let key = read_key(&self.key_file)?;
        let config = builder
            .with_single_cert(certs, key)
            .map_err(|e| key_error(e, &self.cert_file, &self.key_file))?;
        Ok(TlsAcceptor::new(Arc::new(config)))
    }
}

/// The server side of TLS: a rustls configuration. Cheap to clone.
#[derive(Clone)]
pub struct TlsAcceptor {
    pub(crate) config: Arc<ServerConfig>,
}

impl fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsAcceptor").finish_non_exhaustive()
    }
}

impl TlsAcceptor {
    /// Wraps a rustls server configuration.
    pub fn new(config: Arc<ServerConfig>) -> TlsAcceptor {
        TlsAcceptor { config }
    }
}

/// Accepts any certificate, still checking the handshake's signatures
/// ([`TlsClientOptions::insecure`]).
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A handshake or record-layer failure as a user can act on it.
pub(crate) fn describe(e: &rustls::Error, server: bool) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match e {
        E::InvalidCertificate(c) => match c {
            C::UnknownIssuer => format!(
                "certificate not trusted ({e}): give the issuing CA (tls_ca_file, --tls-ca){}",
                if server { " for client certificates" } else { "" }
            ),
            C::Expired | C::ExpiredContext { .. } => format!("certificate expired ({e})"),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                format!("certificate not valid yet ({e})")
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => format!(
                "wrong host name: {e} (set tls_server_name / the server name to the name the certificate carries)"
            ),
            C::BadSignature => format!(
                "certificate not trusted: its signature does not verify against the trusted CA \
                 certificates: give the issuing CA (tls_ca_file, --tls-ca){}",
                if server { " for client certificates" } else { "" }
            ),
            c if format!("{c:?}").starts_with("UnsupportedSignatureAlgorithm") => format!(
                "certificate not trusted: no trusted CA certificate of its signature's kind: \
                 give the issuing CA (tls_ca_file, --tls-ca){}",
                if server { " for client certificates" } else { "" }
            ),
            C::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => format!(
                "bad certificate: a CA certificate is used as the server's own ({e}); a self-signed \
                 certificate must say basicConstraints CA:FALSE (openssl req -x509 -addext \
                 basicConstraints=critical,CA:FALSE)"
            ),
            _ => format!("bad certificate: {e}"),
        },
        E::NoCertificatesPresented => {
            "the client sent no certificate, and this server requires one".into()
        }
        E::AlertReceived(a @ (A::BadCertificate | A::UnknownCA | A::CertificateUnknown
        | A::CertificateExpired | A::CertificateRequired | A::AccessDenied
        | A::UnsupportedCertificate)) => format!(
            "the peer refused the handshake (alert {a:?}): it does not accept our certificate"
        ),
        E::AlertReceived(a) => format!("the peer ended the handshake (alert {a:?})"),
        other => other.to_string(),
    }
}
