//! TLS files, checked before any connection: a CA or certificate file that
//! holds no certificate, or a key file with no private key, is a usage error
//! naming the flag and the file, not a failed handshake later.

use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// PEM files for TLS: a CA to trust, and a client certificate and key.
#[derive(Clone, Debug, Default)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl TlsFiles {
    pub fn any(&self) -> bool {
        self.ca.is_some() || self.cert.is_some()
    }

    /// Every given file is readable PEM holding what its flag needs.
    pub fn check(&self) -> Result<(), String> {
        self.check_as(["--cacert", "--cert", "--key"])
    }

    /// [`Self::check`], naming the files by where they came from (a flag,
    /// or an environment variable such as `CONSUL_CACERT`): CA, cert, key.
    pub fn check_as(&self, names: [&str; 3]) -> Result<(), String> {
        let [ca, cert, key] = names;
        for (name, path) in [(ca, &self.ca), (cert, &self.cert)] {
            if let Some(path) = path {
                check_certificates(name, path)?;
            }
        }
        if let Some(path) = &self.key {
            let bytes = read(path).map_err(|e| format!("{key} {}: {e}", path.display()))?;
            PrivateKeyDer::from_pem_slice(&bytes)
                .map_err(|e| format!("{key} {}: no PEM private key in it ({e})", path.display()))?;
        }
        Ok(())
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| e.to_string())
}

fn check_certificates(flag: &str, path: &Path) -> Result<(), String> {
    let bytes = read(path).map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    let mut found = 0;
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        cert.map_err(|e| format!("{flag} {}: bad PEM ({e})", path.display()))?;
        found += 1;
    }
    if found == 0 {
        return Err(format!("{flag} {}: no PEM certificate in it", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_files_without_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("passwd");
        std::fs::write(&not_pem, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
        let key_only = dir.path().join("key.pem");
        std::fs::write(&key_only, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB8Yq0x6u0u5Yxq0zq0x6u0u5Yxq0zq0x6u0u5Yxq0zq\n-----END PRIVATE KEY-----\n").unwrap();
        for path in [&not_pem, &key_only] {
            let files = TlsFiles { ca: Some(path.clone()), ..TlsFiles::default() };
            let e = files.check().unwrap_err();
            assert!(e.starts_with("--cacert ") && e.contains("no PEM certificate"), "{e}");
        }
        let files = TlsFiles { key: Some(not_pem.clone()), ..TlsFiles::default() };
        assert!(files.check().unwrap_err().contains("no PEM private key"));
        let missing = TlsFiles { cert: Some(dir.path().join("nope")), ..TlsFiles::default() };
        assert!(missing.check().unwrap_err().starts_with("--cert "));
    }
}
