//! Password hashing with argon2id. Passwords are never logged.
//!
//! NOTE: the parameters are OWASP's argon2id choice of 7 MiB of memory and 5 passes (its
//! Password Storage Cheat Sheet lists it beside 19 MiB × 2 passes as giving the same
//! defence), so one hash holds 7 MiB, not 19. And at most `HASHING_AT_ONCE` hashes run at
//! once, the others wait their turn: the load run found every sign-in raising the server's
//! peak memory by 20 MiB (two at once by 40), a flood of sign-ins could have taken the
//! memory of the whole machine, and more hashes than cores only take longer each. A hash
//! stored with other parameters (the 19 MiB default before) still verifies: the stored
//! string carries its own.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// Memory of one hash, KiB.
pub const MEMORY_KIB: u32 = 7 * 1024;
/// Passes over the memory.
pub const PASSES: u32 = 5;
/// Hashes computed at once; more wait.
pub const HASHING_AT_ONCE: usize = 2;

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn gate() -> &'static Semaphore {
    static GATE: OnceLock<Semaphore> = OnceLock::new();
    GATE.get_or_init(|| Semaphore::new(HASHING_AT_ONCE))
}

/// Hash a password (argon2id, random salt, PHC string).
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash password: {e}"))
}

/// Check a password against a stored hash (with the parameters stored in it); any
/// malformed hash is a mismatch.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// `hash` off the async threads, waiting its turn behind at most `HASHING_AT_ONCE` others.
pub async fn hash_in_turn(password: String) -> Result<String, String> {
    let _turn = gate().acquire().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || hash(&password)).await.map_err(|e| e.to_string())?
}

/// `verify` off the async threads, waiting its turn behind at most `HASHING_AT_ONCE` others.
pub async fn verify_in_turn(password: String, stored: String) -> bool {
    let Ok(_turn) = gate().acquire().await else { return false };
    tokio::task::spawn_blocking(move || verify(&password, &stored)).await.unwrap_or(false)
}

/// A hash to compare against when the email is unknown, so both answers take as long.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash("not-a-real-password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_and_verifies() {
        let h = super::hash("cribs-demo").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{h}");
        assert!(super::verify("cribs-demo", &h));
        assert!(!super::verify("cribs-demo2", &h));
        assert!(!super::verify("x", "not a hash"));
    }

    #[test]
    fn a_hash_made_with_the_old_default_parameters_still_verifies() {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"sixteen byte salt").expect("salt");
        let old = argon2::Argon2::default().hash_password(b"cribs-demo", &salt).expect("hash").to_string();
        assert!(old.contains("m=19456,t=2,p=1"), "{old}");
        assert!(super::verify("cribs-demo", &old));
        assert!(!super::verify("cribs-demo!", &old));
    }
}
