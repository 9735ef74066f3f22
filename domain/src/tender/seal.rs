//! Sealed bids. Each tender has its own bid key (AES-256-GCM); the database holds it only
//! wrapped by the server's sealing key, which lives in a file or the environment and never in
//! the database. A bid's price is sealed under the tender's key, bound to its tender, generic
//! and enterprise, so the database alone reveals no price and a sealed value cannot be moved to
//! another row. The opening unwraps the key, opens every bid and stores the key in the clear,
//! so that anyone can check a sealed bid against its receipt afterwards.
//!
//! The receipt is the SHA-256 of the canonical bid, which includes a random salt: prices are
//! few, and a hash of the price alone could be reversed by trying them all.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

use crate::error::{DomainError, DomainResult};

/// The server's sealing key. Debug never prints it.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    /// A key from 64 hex digits.
    pub fn from_hex(text: &str) -> Result<SealingKey, String> {
        let bytes = hex::decode(text.trim()).map_err(|_| "the sealing key is 64 hex digits".to_string())?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| "the sealing key is 64 hex digits (32 bytes)".to_string())?;
        Ok(SealingKey(key))
    }

    /// Reads the key file, or creates it (readable by its owner only) with a new random key.
    pub fn load_or_create(path: &Path) -> Result<SealingKey, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => SealingKey::from_hex(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                }
                let mut key = [0u8; 32];
                OsRng.fill_bytes(&mut key);
                write_private(path, &hex::encode(key)).map_err(|e| format!("{}: {e}", path.display()))?;
                // Another process may have created it first: read back whichever won.
                SealingKey::load_or_create(path)
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// A new tender's bid key, wrapped by this key for storage.
    pub fn new_wrapped_key(&self) -> String {
        let key = Aes256Gcm::generate_key(OsRng);
        seal_with(&self.0, &key, b"tender bid key")
    }

    /// The tender's bid key, unwrapped: only the opening calls this.
    pub fn unwrap_key(&self, wrapped: &str) -> DomainResult<[u8; 32]> {
        let bytes = open_with(&self.0, wrapped, b"tender bid key").map_err(|_| {
            DomainError::Internal(
                "a tender's bid key does not open with this server's sealing key (JICAI_SEALING_KEY_FILE)".into(),
            )
        })?;
        bytes.try_into().map_err(|_| DomainError::Internal("a tender's bid key has the wrong length".into()))
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut f) => f.write_all(text.as_bytes()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn seal_with(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> String {
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let sealed = cipher.encrypt(&nonce, Payload { msg: plaintext, aad }).expect("AES-GCM encrypts any length we use");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    hex::encode(out)
}

fn open_with(key: &[u8; 32], sealed: &str, aad: &[u8]) -> Result<Vec<u8>, ()> {
    let bytes = hex::decode(sealed).map_err(|_| ())?;
    if bytes.len() < 12 {
        return Err(());
    }
    let (nonce, body) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().map_err(|_| ())?;
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    cipher.decrypt(&Nonce::from(nonce), Payload { msg: body, aad }).map_err(|_| ())
}

/// What binds a sealed bid to its row.
pub fn bid_binding(tender_id: &str, generic_id: &str, enterprise_id: &str) -> Vec<u8> {
    format!("{tender_id}/{generic_id}/{enterprise_id}").into_bytes()
}

/// Seals a bid's canonical text under the tender's (unwrapped) key.
pub fn seal_bid(tender_key: &[u8; 32], canonical: &str, binding: &[u8]) -> String {
    seal_with(tender_key, canonical.as_bytes(), binding)
}

/// Opens a sealed bid; a sealed value moved from another row, or altered, does not open.
pub fn open_bid(tender_key: &[u8; 32], sealed: &str, binding: &[u8]) -> DomainResult<String> {
    let bytes = open_with(tender_key, sealed, binding)
        .map_err(|_| DomainError::Internal("a sealed bid does not open: it was altered or moved".into()))?;
    String::from_utf8(bytes).map_err(|_| DomainError::Internal("a sealed bid is not text".into()))
}

/// A random salt for a bid's receipt, as hex.
pub fn new_salt() -> String {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    hex::encode(salt)
}

/// The receipt of a canonical bid: its SHA-256, as hex.
pub fn receipt_of(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Hex of a key released at the opening.
pub fn key_hex(key: &[u8; 32]) -> String {
    hex::encode(key)
}

/// A released key from its hex.
pub fn key_from_hex(text: &str) -> DomainResult<[u8; 32]> {
    let bytes = hex::decode(text).map_err(|_| DomainError::Internal("a released bid key is not hex".into()))?;
    bytes.try_into().map_err(|_| DomainError::Internal("a released bid key has the wrong length".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bid_opens_only_with_its_key_and_its_binding() {
        let server = SealingKey::from_hex(&"11".repeat(32)).unwrap();
        let wrapped = server.new_wrapped_key();
        let key = server.unwrap_key(&wrapped).unwrap();
        let canonical = r#"{"pack_price":"4.20","salt":"ab"}"#;
        let sealed = seal_bid(&key, canonical, &bid_binding("t", "g", "e"));
        assert!(!sealed.contains("4.20") && !sealed.contains(&hex::encode("4.20")));
        assert_eq!(open_bid(&key, &sealed, &bid_binding("t", "g", "e")).unwrap(), canonical);
        assert!(open_bid(&key, &sealed, &bid_binding("t", "g", "other")).is_err(), "moved to another row");
        let other = SealingKey::from_hex(&"22".repeat(32)).unwrap();
        assert!(other.unwrap_key(&wrapped).is_err(), "another server's key does not open the tender key");
        assert_eq!(format!("{server:?}"), "SealingKey(..)");
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("jicai-seal-{}", std::process::id()));
        let path = dir.join("sealing.key");
        let _ = std::fs::remove_file(&path);
        let a = SealingKey::load_or_create(&path).unwrap();
        let b = SealingKey::load_or_create(&path).unwrap();
        assert_eq!(a.0, b.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
