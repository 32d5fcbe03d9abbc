//! The cryptography of the encrypted protocols (Fluffer, VibCrafter, Vibio): AES-128 in ECB
//! mode with PKCS#7 padding under a key fixed per protocol, SHA-256 for the answers to their
//! challenges, and random challenge bytes from a source a test can fix.
//!
//! Every packet these devices take is short (under 16 bytes of plaintext, so one block); their
//! notifications may be longer. A notification that does not decrypt (a length that is not a
//! whole number of blocks, bad padding) is an error the caller reports, never a panic.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit};
use sha2::{Digest, Sha256};

type Encryptor = ecb::Encryptor<aes::Aes128>;
type Decryptor = ecb::Decryptor<aes::Aes128>;

/// An AES-128-ECB key with PKCS#7 padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cipher {
    key: [u8; 16],
}

/// Bytes that are not a PKCS#7-padded AES-128-ECB ciphertext under the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{length} bytes that do not decrypt (not whole blocks, or bad padding)")]
pub struct Undecryptable {
    pub length: usize,
}

impl Cipher {
    pub const fn new(key: &[u8; 16]) -> Cipher {
        Cipher { key: *key }
    }

    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        Encryptor::new(&self.key.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext)
    }

    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, Undecryptable> {
        Decryptor::new(&self.key.into())
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .map_err(|_| Undecryptable { length: ciphertext.len() })
    }
}

/// SHA-256 of `parts` one after the other.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

/// Fills a buffer with random bytes. Protocols hold one so tests can fix the challenge and
/// compare every byte.
pub type RandomSource = fn(&mut [u8]);

/// The operating system's random numbers. Should the system have none (it always has on the
/// platforms Plugboard runs on), the clock stands in: a challenge nonce needs to differ between
/// connections, not to be secret, since the device only checks that the answer matches it.
pub fn os_random(buffer: &mut [u8]) {
    if let Err(error) = getrandom::fill(buffer) {
        tracing::warn!(%error, "no random numbers from the operating system; using the clock for a challenge");
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let digest = sha256(&[&nanos.to_le_bytes()]);
        for (byte, random) in buffer.iter_mut().zip(digest.iter().cycle()) {
            *byte = *random;
        }
    }
}

/// `count` random ASCII letters and digits.
pub fn alphanumeric(random: RandomSource, count: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; count];
    random(&mut bytes);
    bytes.iter().map(|&byte| ALPHABET[usize::from(byte) % ALPHABET.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::test_support::hex;

    const FLUFFER: Cipher = Cipher::new(b"jdk#Flu%y6fer32f");

    #[test]
    fn one_block_each_way() {
        let block = FLUFFER.encrypt(&hex("82 0f 05 00 00 00 00 00"));
        assert_eq!(block, hex("d3 af 8c b6 b5 05 3c 01 7e c0 d3 7f 5b 06 44 21"));
        assert_eq!(FLUFFER.decrypt(&block), Ok(hex("82 0f 05 00 00 00 00 00")));
        assert_eq!(FLUFFER.encrypt(&[]).len(), 16, "an empty plaintext is one block of padding");
        assert_eq!(FLUFFER.encrypt(&[0; 16]).len(), 32, "a full block gets a block of padding");
    }

    #[test]
    fn what_does_not_decrypt_is_an_error() {
        assert_eq!(FLUFFER.decrypt(&[1, 2, 3]), Err(Undecryptable { length: 3 }), "not whole blocks");
        assert!(FLUFFER.decrypt(&[]).is_err(), "nothing");
        // A block whose last byte decrypts to a padding length over 16.
        let bad = Cipher::new(b"jdk#Flu%y6fer32f").encrypt(&[0x11; 15]);
        assert!(Cipher::new(b"another key 16 b").decrypt(&bad).is_err());
        assert_eq!(
            Undecryptable { length: 5 }.to_string(),
            "5 bytes that do not decrypt (not whole blocks, or bad padding)"
        );
    }

    #[test]
    fn sha256_of_parts_and_random_text() {
        assert_eq!(sha256(&[b"Hello", b"World1"])[..2], [0x90, 0xb4]);
        assert_eq!(sha256(&[b"HelloWorld1"]), sha256(&[b"Hello", b"World1"]));
        fn counting(buffer: &mut [u8]) {
            for (i, byte) in buffer.iter_mut().enumerate() {
                *byte = i as u8 * 61;
            }
        }
        assert_eq!(alphanumeric(counting, 4), "A987");
        let text = alphanumeric(os_random, 64);
        assert!(text.len() == 64 && text.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
