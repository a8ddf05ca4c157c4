//! KIP-507 request signing between workers: the leader's session key signs the internal
//! requests (`POST /connectors/{c}/tasks`, `PUT /connectors/{c}/fence`) with a MAC over the raw
//! body, sent as Base64 in `X-Connect-Authorization` with the algorithm's Java name in
//! `X-Connect-Request-Signature-Algorithm` (Java's `InternalRequestSignature`).

use base64::Engine as _;
use hmac::{Hmac, Mac};

/// Header carrying Base64(MAC(session key, body)).
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
/// Header carrying the MAC algorithm's Java name.
pub const SIGNATURE_ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";

/// The `javax.crypto.Mac` algorithms Strait computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlgorithm {
    HmacSha1,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl MacAlgorithm {
    /// Java names, in the order the docs list them.
    pub const NAMES: &'static [&'static str] =
        &["HmacSHA1", "HmacSHA256", "HmacSHA384", "HmacSHA512"];

    /// The algorithm named as `javax.crypto` names it (case-insensitive, as JCA lookups are).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "HMACSHA1" => Some(MacAlgorithm::HmacSha1),
            "HMACSHA256" => Some(MacAlgorithm::HmacSha256),
            "HMACSHA384" => Some(MacAlgorithm::HmacSha384),
            "HMACSHA512" => Some(MacAlgorithm::HmacSha512),
            _ => None,
        }
    }

    pub fn java_name(self) -> &'static str {
        match self {
            MacAlgorithm::HmacSha1 => "HmacSHA1",
            MacAlgorithm::HmacSha256 => "HmacSHA256",
            MacAlgorithm::HmacSha384 => "HmacSHA384",
            MacAlgorithm::HmacSha512 => "HmacSHA512",
        }
    }

    /// The key size Java's `KeyGenerator.getInstance(alg)` uses by default, in bytes.
    pub fn default_key_len(self) -> usize {
        match self {
            MacAlgorithm::HmacSha1 => 64,
            MacAlgorithm::HmacSha256 => 32,
            MacAlgorithm::HmacSha384 => 48,
            MacAlgorithm::HmacSha512 => 64,
        }
    }

    /// MAC of `body` under `key`.
    pub fn sign(self, key: &[u8], body: &[u8]) -> Vec<u8> {
        fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], body: &[u8]) -> Vec<u8> {
            // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
            match <M as Mac>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(body);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        }
        match self {
            MacAlgorithm::HmacSha1 => mac::<Hmac<sha1::Sha1>>(key, body),
            MacAlgorithm::HmacSha256 => mac::<Hmac<sha2::Sha256>>(key, body),
            MacAlgorithm::HmacSha384 => mac::<Hmac<sha2::Sha384>>(key, body),
            MacAlgorithm::HmacSha512 => mac::<Hmac<sha2::Sha512>>(key, body),
        }
    }

    /// The `X-Connect-Authorization` value for `body`.
    pub fn signature_header(self, key: &[u8], body: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.sign(key, body))
    }

    /// A fresh random key of `bits` (or the algorithm's default size).
    pub fn generate_key(self, bits: Option<i32>) -> Vec<u8> {
        use rand::RngCore;
        let len = bits
            .map(|b| (b.max(8) / 8) as usize)
            .unwrap_or(self.default_key_len());
        let mut key = vec![0u8; len];
        rand::rng().fill_bytes(&mut key);
        key
    }
}

/// Why an internal request was refused (Java's messages and status codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// 400: headers absent.
    Missing,
    /// 400: an algorithm this worker does not accept (the algorithm, the permitted ones).
    UnsupportedAlgorithm(String, Vec<String>),
    /// 503: no session key read from the config topic yet.
    NoSessionKey,
    /// 403: the MAC does not match.
    Invalid,
}

impl SignatureError {
    pub fn status(&self) -> u16 {
        match self {
            SignatureError::Missing | SignatureError::UnsupportedAlgorithm(..) => 400,
            SignatureError::NoSessionKey => 503,
            SignatureError::Invalid => 403,
        }
    }

    pub fn message(&self) -> String {
        match self {
            SignatureError::Missing => "Internal request missing required signature".into(),
            SignatureError::UnsupportedAlgorithm(alg, permitted) => format!(
                "This worker does not support the '{alg}' key signing algorithm used by other workers. This worker is currently configured to use: [{}]. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it.",
                permitted.join(", ")
            ),
            SignatureError::NoSessionKey => "This worker is still starting up and has not been able to read a session key from the config topic yet".into(),
            SignatureError::Invalid => "Internal request contained invalid signature.".into(),
        }
    }
}

/// Check an internal request's signature headers against the session key, as Java's
/// `DistributedHerder.requestNotSignedProperly` does: headers present, algorithm permitted,
/// a session key known, MAC equal (compared in constant time).
pub fn verify(
    signature: Option<&str>,
    algorithm: Option<&str>,
    body: &[u8],
    permitted: &[String],
    session_key: Option<&[u8]>,
) -> Result<(), SignatureError> {
    let (Some(signature), Some(algorithm)) = (signature, algorithm) else {
        return Err(SignatureError::Missing);
    };
    let alg = MacAlgorithm::parse(algorithm)
        .filter(|_| permitted.iter().any(|p| p.eq_ignore_ascii_case(algorithm)))
        .ok_or_else(|| {
            SignatureError::UnsupportedAlgorithm(algorithm.to_string(), permitted.to_vec())
        })?;
    let key = session_key.ok_or(SignatureError::NoSessionKey)?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|_| SignatureError::Invalid)?;
    let expected = alg.sign(key, body);
    let equal = given.len() == expected.len()
        && given
            .iter()
            .zip(&expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if equal {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        let mac = MacAlgorithm::HmacSha256.sign(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_gives_javas_outcomes() {
        let key = MacAlgorithm::HmacSha256.generate_key(None);
        assert_eq!(key.len(), 32);
        let body = br#"[{"k":"v"}]"#;
        let sig = MacAlgorithm::HmacSha256.signature_header(&key, body);
        let permitted = vec!["HmacSHA256".to_string()];
        let ok = verify(Some(&sig), Some("HmacSHA256"), body, &permitted, Some(&key));
        assert_eq!(ok, Ok(()));
        let e = verify(None, None, body, &permitted, Some(&key)).unwrap_err();
        assert_eq!(e.status(), 400);
        let e = verify(Some(&sig), Some("HmacSHA1"), body, &permitted, Some(&key)).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e
            .message()
            .contains("currently configured to use: [HmacSHA256]."));
        let e = verify(Some(&sig), Some("HmacSHA256"), body, &permitted, None).unwrap_err();
        assert_eq!(e.status(), 503);
        let e = verify(
            Some(&sig),
            Some("HmacSHA256"),
            b"[]",
            &permitted,
            Some(&key),
        )
        .unwrap_err();
        assert_eq!(
            (e.status(), e.message()),
            (403, "Internal request contained invalid signature.".into())
        );
    }
}
