//! Safe-sleep education: the ABCD topics that must be covered, the optional ones, the
//! modes, and the checks on a submitted session.

use chrono::{DateTime, Duration, Utc};

/// Topics every session must cover: Alone, on the Back, in a Crib, no smoking.
pub const REQUIRED_TOPICS: [&str; 4] = ["alone", "back", "crib", "no_smoking"];

/// Optional topics.
pub const OPTIONAL_TOPICS: [&str; 7] = [
    "room_sharing_without_bed_sharing",
    "no_soft_bedding",
    "no_overheating",
    "pacifier",
    "breastfeeding",
    "tummy_time",
    "assembly_demo",
];

/// Where and how the education was given.
pub const MODES: [&str; 4] = ["site", "home_visit", "hospital_discharge", "video"];

/// A mode in words, for the pages ("home_visit" → "Home visit"); an unknown one as written.
pub fn mode_words(mode: &str) -> String {
    match mode {
        "site" => "At the site".into(),
        "home_visit" => "Home visit".into(),
        "hospital_discharge" => "At hospital discharge".into(),
        "video" => "By video".into(),
        other => other.replace('_', " "),
    }
}

/// A topic's title in English, for staff pages ("room_sharing_without_bed_sharing" →
/// "Share the room, not the bed"); an unknown one with its underscores as spaces.
pub fn topic_words(code: &str) -> String {
    crate::domain::safe_sleep_text::topics("en")
        .into_iter()
        .find(|t| t.code == code)
        .map_or_else(|| code.replace('_', " "), |t| t.title)
}

/// The curriculum version recorded with each session.
pub const CURRICULUM_VERSION: &str = "ABCD-2026.1";

/// The longest name a caregiver may type to attest.
pub const ATTESTATION_MAX_CHARS: usize = 200;

/// The ABCD topics not among `topics`, in their order.
pub fn missing_required(topics: &[String]) -> Vec<&'static str> {
    REQUIRED_TOPICS.iter().copied().filter(|r| !topics.iter().any(|c| c.trim() == *r)).collect()
}

/// A checked education session.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEducation {
    pub delivered_at: DateTime<Utc>,
    pub mode: String,
    pub language: String,
    pub topics: Vec<String>,
    pub caregiver_attestation: String,
}

/// Check a submitted session; problems are (field, sentence).
pub fn parse_education(
    delivered_at: Option<DateTime<Utc>>,
    mode: &str,
    language: &str,
    topics: &[String],
    attestation: &str,
    now: DateTime<Utc>,
) -> Result<NewEducation, Vec<(String, String)>> {
    let mut p = Vec::new();
    let delivered_at = delivered_at.unwrap_or(now);
    if delivered_at > now + Duration::minutes(5) {
        p.push(("delivered_at".into(), "The education cannot have been given in the future.".into()));
    } else if delivered_at < now - Duration::days(366) {
        p.push(("delivered_at".into(), "Record education given within the last year.".into()));
    }
    if !MODES.contains(&mode) {
        p.push(("mode".into(), "The mode must be site, home_visit, hospital_discharge or video.".into()));
    }
    let language = language.trim();
    if language.is_empty()
        || language.chars().count() > 20
        || !language.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        p.push(("language".into(), "Give the language as a code such as en or es.".into()));
    }
    let mut clean: Vec<String> = Vec::new();
    for t in topics {
        let t = t.trim();
        if !REQUIRED_TOPICS.contains(&t) && !OPTIONAL_TOPICS.contains(&t) {
            p.push(("topics".into(), format!("\"{t}\" is not a safe-sleep topic this program records.")));
        } else if !clean.iter().any(|c| c == t) {
            clean.push(t.to_string());
        }
    }
    let missing = missing_required(&clean);
    if !missing.is_empty() {
        p.push((
            "topics".into(),
            format!("Cover every ABCD topic (alone, back, crib, no_smoking); missing: {}.", missing.join(", ")),
        ));
    }
    let attestation = attestation.trim();
    if attestation.chars().count() < 2 {
        p.push(("caregiver_attestation".into(), "The caregiver types their full name to confirm.".into()));
    } else if attestation.chars().count() > ATTESTATION_MAX_CHARS {
        p.push(("caregiver_attestation".into(), "The typed name can be at most 200 characters.".into()));
    }
    if !p.is_empty() {
        return Err(p);
    }
    Ok(NewEducation {
        delivered_at,
        mode: mode.to_string(),
        language: language.to_string(),
        topics: clean,
        caregiver_attestation: attestation.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn all_abcd_topics_are_required() {
        let now = Utc::now();
        let ok = parse_education(
            None,
            "site",
            "en",
            &topics(&["alone", "back", "crib", "no_smoking", "pacifier"]),
            "Ana Ruiz",
            now,
        );
        assert!(ok.is_ok());
        let missing = parse_education(None, "site", "en", &topics(&["alone", "back", "crib"]), "Ana Ruiz", now);
        let err = missing.expect_err("missing no_smoking");
        assert!(err[0].1.contains("no_smoking"));
    }

    #[test]
    fn bad_values_are_named() {
        let now = Utc::now();
        let all = topics(&REQUIRED_TOPICS);
        let field = |r: Result<NewEducation, Vec<(String, String)>>| r.err().map(|e| e[0].0.clone());
        assert_eq!(field(parse_education(None, "phone", "en", &all, "Ana", now)).as_deref(), Some("mode"));
        assert_eq!(field(parse_education(None, "site", "", &all, "Ana", now)).as_deref(), Some("language"));
        assert_eq!(
            field(parse_education(None, "site", "en", &all, " ", now)).as_deref(),
            Some("caregiver_attestation")
        );
        assert_eq!(
            field(parse_education(Some(now + Duration::days(1)), "site", "en", &all, "Ana", now)).as_deref(),
            Some("delivered_at")
        );
        assert_eq!(
            field(parse_education(
                None,
                "site",
                "en",
                &topics(&["alone", "back", "crib", "no_smoking", "vaping"]),
                "Ana",
                now
            ))
            .as_deref(),
            Some("topics")
        );
    }
}
