//! The second factor: time-based one-time codes (RFC 6238: HMAC-SHA1, 6 digits, 30-second
//! steps, as every authenticator app reads them from an `otpauth://` QR code), and the
//! one-time recovery codes that stand in for the phone (only their SHA-256 is stored).

use crate::auth::token::{constant_time_eq, sha256_hex};
use rand::Rng;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per code.
pub const STEP_SECONDS: u64 = 30;
/// Codes accepted either side of the current one (a phone's clock a little off).
const SKEW_STEPS: i64 = 1;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A fresh shared secret: 20 random bytes (RFC 4226's recommended length), base32.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::thread_rng().gen();
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => String::new(),
    }
}

fn generator(secret: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().ok()?;
    Some(TOTP::new_unchecked(Algorithm::SHA1, 6, 1, STEP_SECONDS, bytes))
}

/// The code for a moment (seconds since 1970), as an app shows it.
pub fn code_at(secret: &str, unix: u64) -> Option<String> {
    generator(secret).map(|g| g.generate(unix))
}

/// The step of a code that is right for now (a step either side allowed), if any.
pub fn accepted_step(secret: &str, code: &str, unix: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let g = generator(secret)?;
    let now = i64::try_from(unix / STEP_SECONDS).ok()?;
    (now - SKEW_STEPS..=now + SKEW_STEPS).find(|step| {
        let at = u64::try_from(*step).unwrap_or(0) * STEP_SECONDS;
        constant_time_eq(&g.generate(at), &code)
    })
}

/// The address an authenticator app reads from the QR code.
pub fn otpauth_uri(secret: &str, email: &str) -> String {
    let label: String = email
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("otpauth://totp/cribs:{label}?secret={secret}&issuer=cribs&algorithm=SHA1&digits=6&period={STEP_SECONDS}")
}

/// The QR code of an address, as an SVG made on the server (no script, no outside service).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(220, 220).quiet_zone(true).build();
    // NOTE: the renderer starts with an XML declaration, which HTML does not allow: the SVG
    // is placed inline in a page, so only the `<svg>` element is kept.
    svg.find("<svg").map(|at| svg[at..].to_string())
}

/// Fresh recovery codes, as shown once: ten groups like `k7m2q-9xw4t` (50 random bits each).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut s = String::with_capacity(11);
            for i in 0..10 {
                if i == 5 {
                    s.push('-');
                }
                s.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
            }
            s
        })
        .collect()
}

/// What is stored of a recovery code (case, spaces and the dash do not matter when typed).
pub fn recovery_hash(code: &str) -> String {
    let norm: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    sha256_hex(&format!("cribs-recovery:{norm}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_6238_test_vector_gives_its_code() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s → 94287082 (8
        // digits); the 6-digit code is its last six digits.
        let secret = match Secret::Raw(b"12345678901234567890".to_vec()).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => String::new(),
        };
        assert_eq!(code_at(&secret, 59).as_deref(), Some("287082"));
        assert_eq!(accepted_step(&secret, "287082", 59), Some(1));
        assert_eq!(accepted_step(&secret, "287 082", 75), Some(1), "a step later, spaces ignored");
        assert_eq!(accepted_step(&secret, "287082", 59 + 3 * 30), None, "three steps later");
        assert_eq!(accepted_step(&secret, "28708", 59), None);
    }

    #[test]
    fn secrets_codes_and_pictures_are_well_formed() {
        let s = new_secret();
        assert_eq!(s.len(), 32, "20 bytes in base32");
        assert_ne!(s, new_secret());
        let uri = otpauth_uri(&s, "nia.w@jhmi.edu");
        assert!(uri.starts_with("otpauth://totp/cribs:nia.w%40jhmi.edu?secret="), "{uri}");
        assert!(qr_svg(&uri).is_some_and(|svg| svg.contains("<svg")));
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(recovery_hash(&codes[0]), recovery_hash(&codes[0].to_uppercase().replace('-', " ")));
    }
}
