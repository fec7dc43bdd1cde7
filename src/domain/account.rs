//! Account value types: an email address, a person's display name and a new password,
//! each parsed once with its rule, so an invalid one cannot be built. The error of each
//! `parse` is a sentence for the person who typed it.

use std::fmt;

/// The most characters an email address may have.
pub const MAX_EMAIL: usize = 200;
/// The most characters a display name may have.
pub const MAX_NAME: usize = 100;
/// The fewest characters a new password may have.
pub const MIN_PASSWORD: usize = 10;
/// The most characters a password may have (the sign-in form accepts no more).
pub const MAX_PASSWORD: usize = 200;

/// An email address, trimmed and lower-cased (the form accounts are looked up by).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parse an email address: one `@` with something on both sides, no spaces, at most 200 characters.
    pub fn parse(raw: &str) -> Result<Email, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter the person's email address.".into());
        }
        if email.chars().count() > MAX_EMAIL {
            return Err(format!("An email address has at most {MAX_EMAIL} characters."));
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if valid {
            Ok(Email(email))
        } else {
            Err("This does not look like an email address (name@example.org).".into())
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name shown for a person: 1 to 100 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parse a display name.
    pub fn parse(raw: &str) -> Result<DisplayName, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Enter the person's name.".into());
        }
        if name.chars().count() > MAX_NAME {
            return Err(format!("A name has at most {MAX_NAME} characters."));
        }
        if name.chars().any(char::is_control) {
            return Err("A name cannot contain control characters.".into());
        }
        Ok(DisplayName(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password a person chose: 10 to 200 characters, kept exactly as typed, and hard to
/// guess by `zxcvbn` (a maintained estimator with its own dictionaries of common
/// passwords, names, words and keyboard patterns) also knowing the person's name and
/// e-mail: at least score 3 of 4 (about 10^10 guesses). Its `Debug` never shows it, so it
/// cannot end up in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

/// The least `zxcvbn` score (0–4) a chosen password needs.
pub const MIN_PASSWORD_SCORE: u8 = 3;

impl NewPassword {
    /// Parse a new password for a person with these names and e-mail (`user_inputs`).
    pub fn choose(raw: &str, user_inputs: &[&str]) -> Result<NewPassword, String> {
        let p = Self::parse(raw)?;
        // Each part of the name and e-mail too ("nia.nurse@x" → "nia", "nurse", "x").
        let mut inputs: Vec<String> = Vec::new();
        for i in user_inputs {
            inputs.push(i.to_lowercase());
            inputs.extend(
                i.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2).map(str::to_string),
            );
        }
        inputs.extend(["cribs", "crib", "baltimore", "demo"].map(str::to_string));
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let estimate = zxcvbn::zxcvbn(raw, &refs);
        if (estimate.score() as u8) < MIN_PASSWORD_SCORE {
            let why = estimate.feedback().and_then(|f| f.warning()).map(|w| format!(" ({w})")).unwrap_or_default();
            return Err(format!(
                "This password would be easy to guess{why}. Use a longer phrase of several unrelated words, \
                 not your name, e-mail or the program's name."
            ));
        }
        // zxcvbn rates three of the person's own words run together ("staffdemocribs") near
        // 10^8 guesses, as if an attacker did not know them: refuse a password that is only
        // those words with digits or signs around them.
        let mut rest = raw.to_lowercase();
        let mut words: Vec<&String> = inputs.iter().filter(|w| w.chars().count() >= 3).collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        for w in words {
            rest = rest.replace(w.as_str(), "");
        }
        let letters = |t: &str| t.chars().filter(|c| c.is_alphabetic()).count();
        if letters(&rest) < 4 && letters(&rest) < letters(raw) {
            return Err(
                "This password is made of your name, your e-mail or the program's name: add words of your own.".into(),
            );
        }
        Ok(p)
    }

    /// Check only the length (the strength needs the person: `choose`).
    fn parse(raw: &str) -> Result<NewPassword, String> {
        let n = raw.chars().count();
        if n < MIN_PASSWORD {
            return Err(format!("A password needs at least {MIN_PASSWORD} characters."));
        }
        if n > MAX_PASSWORD {
            return Err(format!("A password has at most {MAX_PASSWORD} characters."));
        }
        if raw.trim().is_empty() {
            return Err("A password cannot be only spaces.".into());
        }
        Ok(NewPassword(raw.to_string()))
    }

    /// The password, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ana@Example.ORG ").map(|e| e.as_str().to_string()), Ok("ana@example.org".into()));
        assert!(Email::parse("admin@demo.cribs").is_ok());
    }

    #[test]
    fn bad_emails_are_refused() {
        for bad in ["", "   ", "ana", "@example.org", "ana@", "ana@@example.org", "a na@example.org", "ana@.org"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.org", "a".repeat(200));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn names_are_bounded() {
        assert_eq!(DisplayName::parse("  Nia Nurse ").map(|n| n.as_str().to_string()), Ok("Nia Nurse".into()));
        assert!(DisplayName::parse(" ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse(&"x".repeat(100)).is_ok());
        assert!(DisplayName::parse("a\u{0007}b").is_err());
    }

    #[test]
    fn passwords_are_bounded_and_never_printed() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("          ").is_err());
        assert!(NewPassword::parse(&"x".repeat(201)).is_err());
        let p = NewPassword::choose("correct horse battery", &[]).map_err(|e| e.to_string());
        let Ok(p) = p else { panic!("a strong password was refused: {p:?}") };
        assert_eq!(p.expose(), "correct horse battery");
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn easy_passwords_are_refused_with_a_reason() {
        // The three the audit found accepted, and passwords made of the person's own name.
        for easy in ["1234567890", "password12", "cribs-demo", "qwertyuiop"] {
            let said = NewPassword::choose(easy, &[]).err();
            assert!(said.as_deref().is_some_and(|s| s.contains("easy to guess")), "{easy}: {said:?}");
        }
        let me = ["Nia Washington", "nia.washington@jhmi.edu"];
        assert!(NewPassword::choose("niawashington1", &me).is_err());
        assert!(NewPassword::choose("washington2026", &me).is_err());
        assert!(NewPassword::choose("amber kettle orbit lantern", &me).is_ok());
        let staff = ["staff@demo.cribs", "Sam Staff"];
        assert!(NewPassword::choose("staffdemocribs", &staff).is_err());
        assert!(NewPassword::choose("Staff-Demo-2026!", &staff).is_err());
    }
}

/// Sign-in failures for one e-mail from one source (address) before that pair must wait.
pub const FAILURES_BEFORE_WAIT: usize = 5;
/// The first wait, in minutes; each further failure after it doubles the wait.
pub const FIRST_WAIT_MINUTES: i64 = 15;
/// The longest wait, and how far back failures count.
pub const LONGEST_WAIT_HOURS: i64 = 24;

/// How long one e-mail must wait at one source after `failures` failed sign-ins there (since
/// its last success): nothing before the fifth, then 15 minutes, 30, 60 … up to 24 hours.
/// Only that source waits: the same account from a source that has not failed signs in, so
/// guessing from one place cannot lock its owner out.
pub fn sign_in_wait(failures: usize) -> Option<chrono::Duration> {
    let beyond = failures.checked_sub(FAILURES_BEFORE_WAIT)?;
    let minutes = FIRST_WAIT_MINUTES.saturating_mul(1_i64 << beyond.min(16));
    Some(chrono::Duration::minutes(minutes.min(LONGEST_WAIT_HOURS * 60)))
}

#[cfg(test)]
mod wait_tests {
    use super::*;

    #[test]
    fn the_wait_starts_at_the_fifth_failure_doubles_and_stops_at_a_day() {
        assert_eq!(sign_in_wait(4), None);
        assert_eq!(sign_in_wait(5), Some(chrono::Duration::minutes(15)));
        assert_eq!(sign_in_wait(6), Some(chrono::Duration::minutes(30)));
        assert_eq!(sign_in_wait(7), Some(chrono::Duration::minutes(60)));
        assert_eq!(sign_in_wait(12), Some(chrono::Duration::hours(24)));
        assert_eq!(sign_in_wait(500), Some(chrono::Duration::hours(24)));
    }
}
