//! The HTTPS certificate of the Lovense API. Lovense Remote serves a certificate for
//! `*.lovense.club` that Plugboard cannot have, so Plugboard makes its own, self-signed, on
//! first start, for the names games use (`127.0.0.1`, `localhost`, `127-0-0-1.lovense.club`),
//! and keeps it in the config directory so that a user who told a game or browser to trust it
//! does not have to do so again. Apps that verify certificates refuse it (the README says so).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;

/// The names the certificate is made for.
pub const NAMES: [&str; 3] = ["127.0.0.1", "localhost", "127-0-0-1.lovense.club"];

const CERTIFICATE_FILE: &str = "lovense-api-certificate.pem";
const KEY_FILE: &str = "lovense-api-key.pem";

/// Where the certificate (PEM) is kept in `dir`: what a client is told to trust.
pub fn certificate_path(dir: &Path) -> PathBuf {
    dir.join(CERTIFICATE_FILE)
}

/// The TLS configuration for the certificate kept in `dir`: the one there, or a new one when
/// there is none. One that cannot be read is moved aside (`*.corrupt`), reported, and remade.
pub fn server_config(dir: &Path) -> Result<Arc<ServerConfig>, String> {
    let certificate = certificate_path(dir);
    let key = dir.join(KEY_FILE);
    if certificate.exists() || key.exists() {
        match load(&certificate, &key) {
            Ok(config) => return Ok(config),
            Err(error) => {
                tracing::warn!(
                    path = %certificate.display(),
                    %error,
                    "the Lovense API's HTTPS certificate cannot be used; it is moved aside and a new one is made \
                     (apps told to trust the old one must be told to trust the new one)"
                );
                move_aside(&certificate);
                move_aside(&key);
            }
        }
    }
    make(dir, &certificate, &key)?;
    tracing::info!(path = %certificate.display(), "made a self-signed HTTPS certificate for the Lovense API");
    load(&certificate, &key)
}

fn load(certificate: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
        .and_then(|certificates| certificates.collect::<Result<_, _>>())
        .map_err(|error| format!("{}: {error}", certificate.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate", certificate.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|error| format!("{}: {error}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| format!("the certificate and its key do not go together: {error}"))?;
    Ok(Arc::new(config))
}

fn make(dir: &Path, certificate: &Path, key: &Path) -> Result<(), String> {
    let names: Vec<String> = NAMES.iter().map(|name| (*name).to_owned()).collect();
    let mut params = rcgen::CertificateParams::new(names).map_err(|error| error.to_string())?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "Plugboard (Lovense API on this computer)");
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let key_pair = rcgen::KeyPair::generate().map_err(|error| error.to_string())?;
    let made = params.self_signed(&key_pair).map_err(|error| error.to_string())?;
    let cannot_write = |path: &Path, error: std::io::Error| {
        format!("cannot write {}: {error}. Check that the folder can be written to.", path.display())
    };
    std::fs::create_dir_all(dir).map_err(|error| cannot_write(dir, error))?;
    write_private(key, key_pair.serialize_pem().as_bytes()).map_err(|error| cannot_write(key, error))?;
    std::fs::write(certificate, made.pem()).map_err(|error| cannot_write(certificate, error))
}

/// Writes the key readable by its owner only (on Unix).
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

fn move_aside(path: &Path) {
    if path.exists() {
        let mut aside = path.as_os_str().to_owned();
        aside.push(".corrupt");
        if let Err(error) = std::fs::rename(path, &aside) {
            tracing::warn!(path = %path.display(), %error, "cannot move the unusable file aside; it is replaced");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_made_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        server_config(dir.path()).unwrap();
        let first = std::fs::read(certificate_path(dir.path())).unwrap();
        server_config(dir.path()).unwrap();
        assert_eq!(std::fs::read(certificate_path(dir.path())).unwrap(), first, "reused, not remade");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is private");
        }
    }

    #[test]
    fn a_corrupt_certificate_is_moved_aside_and_remade() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(certificate_path(dir.path()), "not a certificate").unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        server_config(dir.path()).unwrap();
        let remade = std::fs::read_to_string(certificate_path(dir.path())).unwrap();
        assert!(remade.contains("BEGIN CERTIFICATE"), "{remade}");
        let aside = dir.path().join(format!("{CERTIFICATE_FILE}.corrupt"));
        assert_eq!(std::fs::read_to_string(aside).unwrap(), "not a certificate");
    }
}
