//! Certificates for the servers the tests start with TLS.

use std::process::Command;

use ovs_config::store::TlsFiles;

/// A throwaway CA, a server certificate for 127.0.0.1 and a client one.
pub fn make_certificates(dir: &std::path::Path) -> TlsFiles {
    let script = r#"
set -e
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj /CN=ovs-test-ca
for who in server client; do
  key $who.key
  openssl req -new -key $who.key -out $who.csr -subj /CN=$who
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > $who.ext
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $who.pem -days 2 -extfile $who.ext 2>/dev/null
done
"#;
    let out = Command::new("sh").args(["-c", script]).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "making certificates failed: {out:?}");
    TlsFiles { ca: Some(dir.join("ca.pem")), cert: Some(dir.join("client.pem")), key: Some(dir.join("client.key")) }
}
