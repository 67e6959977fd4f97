//! The broker connection's options from `[mqtt]`: credentials and TLS (rustls with ring),
//! read from the files the section names. Errors point at the key that names the file.

use std::sync::Arc;

use rumqttc::{LastWill, MqttOptions, QoS, TlsConfiguration, Transport};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls_pki_types::pem::PemObject;

use super::super::config::{ConfigError, FileRef, MqttConfig, Scheme};
use super::topics::{Topics, OFFLINE};

pub(crate) fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        2 => QoS::ExactlyOnce,
        _ => QoS::AtLeastOnce,
    }
}

/// The password: the file's first line (a trailing newline is not part of it).
fn password(cfg: &MqttConfig, f: &FileRef) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(&f.path)
        .map_err(|e| cfg.file_error(f, format!("cannot read `{}`: {e}", f.path)))?;
    let first = text.lines().next().unwrap_or("");
    if first.is_empty() {
        return Err(cfg.file_error(f, format!("`{}` is empty", f.path)));
    }
    Ok(first.to_owned())
}

fn certificates(
    cfg: &MqttConfig,
    f: &FileRef,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&f.path)
        .map_err(|e| cfg.file_error(f, format!("cannot read `{}`: {e}", f.path)))?
        .collect::<Result<_, _>>()
        .map_err(|e| cfg.file_error(f, format!("`{}`: {e}", f.path)))?;
    if certs.is_empty() {
        return Err(cfg.file_error(f, format!("`{}` has no PEM certificate", f.path)));
    }
    Ok(certs)
}

/// rustls client configuration: the CA's roots, the client certificate if any.
fn tls(cfg: &MqttConfig) -> Result<rustls::ClientConfig, ConfigError> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca) = &cfg.ca {
        for cert in certificates(cfg, ca)? {
            roots
                .add(cert)
                .map_err(|e| cfg.file_error(ca, format!("`{}`: {e}", ca.path)))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::whole(&cfg.source.name, "mqtt", format!("TLS: {e}")))?
        .with_root_certificates(roots);
    match &cfg.client_auth {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let chain = certificates(cfg, cert)?;
            let k = PrivateKeyDer::from_pem_file(&key.path)
                .map_err(|e| cfg.file_error(key, format!("`{}`: {e}", key.path)))?;
            builder
                .with_client_auth_cert(chain, k)
                .map_err(|e| cfg.file_error(key, format!("`{}`: {e}", key.path)))
        }
    }
}

/// The connection options for a board; the last will marks it offline.
pub(crate) fn options(
    cfg: &MqttConfig,
    board: &str,
    topics: &Topics,
) -> Result<MqttOptions, ConfigError> {
    let id = cfg.client_id.clone().unwrap_or_else(|| board.to_owned());
    let mut o = MqttOptions::new(id, cfg.host.clone(), cfg.port);
    o.set_keep_alive(cfg.keep_alive)
        .set_clean_session(true)
        .set_request_channel_capacity(cfg.queue)
        .set_last_will(LastWill::new(
            topics.availability(),
            OFFLINE,
            qos(cfg.qos),
            true,
        ));
    if let Some(user) = &cfg.username {
        let pass = match &cfg.password_file {
            Some(f) => password(cfg, f)?,
            None => String::new(),
        };
        o.set_credentials(user.clone(), pass);
    }
    if cfg.scheme == Scheme::Tls {
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(tls(cfg)?),
        )));
    }
    Ok(o)
}

/// Reads every file the section names, so `--check` and a reload find a bad one early.
pub(crate) fn check_files(cfg: &MqttConfig) -> Result<(), ConfigError> {
    options(cfg, "check", &Topics::new(&cfg.prefix, "check", None)).map(drop)
}
