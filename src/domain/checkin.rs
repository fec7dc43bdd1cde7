//! Check-in rules for the family page and the search results: which one step comes next
//! for an infant (check eligibility → record safe-sleep education → hand out a crib →
//! print the receipt), and the one-line status of a family. Pure: the caller gathers the
//! facts and the policy's validity windows. Also the search keys of names (`search_key`)
//! and the end of a prefix range (`prefix_end`) that the check-in search reads an index by.

use chrono::NaiveDate;
use serde::Serialize;

/// The one next thing staff do for an infant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NextStep {
    /// No check yet, the latest was not eligible, or it is too old to hand out on.
    CheckEligibility,
    /// A recent passing check, but no safe-sleep education that still counts.
    RecordEducation,
    /// A recent passing check and education: the crib can be handed out.
    HandOut,
    /// The infant has a crib (a handout that was not voided): print its receipt.
    PrintReceipt { handout_id: i64 },
}

/// The latest eligibility check of an infant, as far as the next step cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestCheck {
    pub eligible: bool,
    pub checked_on: NaiveDate,
}

/// What is known about an infant and its family when choosing the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfantFacts {
    /// The infant's handout that was not voided, if any.
    pub crib_handout_id: Option<i64>,
    pub latest_check: Option<LatestCheck>,
    /// The date of the family's most recent safe-sleep education, if any.
    pub latest_education_on: Option<NaiveDate>,
}

/// A name as check-in searches it and the duplicate check compares it, whoever typed it:
/// accents folded ("María Hernández" and "Maria Hernandez" are one key), lower-cased,
/// apostrophes dropped ("O'Brien", "OBrien"), runs of spaces made one, trimmed. Hyphens
/// stay: a double-barrelled name is found by its first part, and by any part through the
/// search's fallback. NOTE: migration m0014 refills the existing rows with the same
/// function (its own copy); change both together.
pub fn search_key(name: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    let folded: String = name
        .nfkd()
        .filter(|c| !is_combining_mark(*c) && !matches!(c, '\'' | '\u{2019}' | '\u{02BC}' | '`'))
        .collect::<String>()
        .to_lowercase();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A baby's name as the check-in search finds it: `search_key`, or None when there is no
/// name (most babies are registered before they are named).
pub fn name_key(name: Option<&str>) -> Option<String> {
    name.map(search_key).filter(|k| !k.is_empty())
}

/// A caregiver as the look-alike check compares two search results.
#[derive(Debug, Clone)]
pub struct Caregiver<'a> {
    pub id: i64,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub date_of_birth: Option<NaiveDate>,
    /// Digits only; None when not shown (a minimal match) or not given.
    pub phone_digits: Option<String>,
}

/// Two records that look like one family registered twice, the older first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookAlike {
    pub older: i64,
    pub newer: i64,
    pub older_name: String,
    pub newer_name: String,
    /// Why, in words: "the same birth date and last name".
    pub why: &'static str,
}

/// The pairs among search results that look like one family (at most `max`): the same
/// caregiver birth date and the same last name (folded: accents, case, apostrophes), or a
/// last name that sounds the same with the same first name, or the same phone. Shown on
/// the check-in page so staff ask a manager to merge them; nothing is decided here.
pub fn look_alike(rows: &[Caregiver<'_>], max: usize) -> Vec<LookAlike> {
    let mut out = Vec::new();
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            if out.len() >= max {
                return out;
            }
            if a.date_of_birth.is_none() || a.date_of_birth != b.date_of_birth {
                continue;
            }
            let why = if search_key(a.last_name) == search_key(b.last_name) {
                "the same birth date and last name"
            } else if sound_key(a.last_name).is_some()
                && sound_key(a.last_name) == sound_key(b.last_name)
                && search_key(a.first_name) == search_key(b.first_name)
            {
                "the same birth date and first name, and last names that sound the same"
            } else if a.phone_digits.is_some() && a.phone_digits == b.phone_digits {
                "the same birth date and phone"
            } else {
                continue;
            };
            let (older, newer) = if a.id < b.id { (a, b) } else { (b, a) };
            out.push(LookAlike {
                older: older.id,
                newer: newer.id,
                older_name: format!("{} {}", older.first_name, older.last_name),
                newer_name: format!("{} {}", newer.first_name, newer.last_name),
                why,
            });
        }
    }
    out
}

/// How a name sounds (American Soundex of its folded letters: the first letter and three
/// digits, `Hernandez` and `Hernandes` both `H655`), for a search that finds names typed as
/// they sound. None for a name without a letter. NOTE: migration m0017 fills the existing
/// rows with its own copy; change both together.
pub fn sound_key(name: &str) -> Option<String> {
    let letters: Vec<char> = search_key(name).chars().filter(char::is_ascii_alphabetic).collect();
    let first = *letters.first()?;
    let code = |c: char| match c {
        'b' | 'f' | 'p' | 'v' => '1',
        'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => '2',
        'd' | 't' => '3',
        'l' => '4',
        'm' | 'n' => '5',
        'r' => '6',
        'h' | 'w' => '-',
        _ => '0',
    };
    let mut out = String::from(first.to_ascii_uppercase());
    let mut last = code(first);
    for &c in &letters[1..] {
        let d = code(c);
        if d == '-' {
            continue; // h and w do not separate two letters of one code
        }
        if d != '0' && d != last {
            out.push(d);
            if out.len() == 4 {
                break;
            }
        }
        last = d;
    }
    while out.len() < 4 {
        out.push('0');
    }
    Some(out)
}

/// The smallest text greater than every text that starts with `prefix` (byte order), so
/// `key >= prefix AND key < prefix_end(prefix)` is "starts with"; `None` when there is no
/// such bound (an empty prefix, or one made only of the last code point).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Whether a passing check made on `checked_on` is still good for a handout on `today`:
/// fewer than `valid_days` days old.
pub fn check_is_current(checked_on: NaiveDate, today: NaiveDate, valid_days: u32) -> bool {
    let age = (today - checked_on).num_days();
    (0..i64::from(valid_days)).contains(&age)
}

/// Whether education delivered on `delivered_on` still counts on `today`.
pub fn education_is_current(delivered_on: NaiveDate, today: NaiveDate, valid_days: u32) -> bool {
    let age = (today - delivered_on).num_days();
    (0..i64::from(valid_days)).contains(&age)
}

/// The next step for one infant on `today` under the policy's validity windows.
pub fn next_step(
    facts: &InfantFacts,
    today: NaiveDate,
    eligibility_valid_days: u32,
    education_valid_days: u32,
) -> NextStep {
    if let Some(handout_id) = facts.crib_handout_id {
        return NextStep::PrintReceipt { handout_id };
    }
    let passing =
        facts.latest_check.is_some_and(|c| c.eligible && check_is_current(c.checked_on, today, eligibility_valid_days));
    if !passing {
        return NextStep::CheckEligibility;
    }
    match facts.latest_education_on {
        Some(on) if education_is_current(on, today, education_valid_days) => NextStep::HandOut,
        _ => NextStep::RecordEducation,
    }
}

/// A family's status in the search results and the day's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FamilyStatus {
    /// Registered, never checked.
    NotChecked,
    /// The latest check of any infant was eligible.
    Eligible,
    /// The latest check of any infant was not eligible.
    NotEligible,
    /// Every infant has a crib.
    CribReceived,
}

impl FamilyStatus {
    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            FamilyStatus::NotChecked => "Not checked yet",
            FamilyStatus::Eligible => "Eligible",
            FamilyStatus::NotEligible => "Not eligible",
            FamilyStatus::CribReceived => "Crib received",
        }
    }
}

/// The status of a family: every infant has a crib → received; otherwise the result of the
/// latest check (any infant); otherwise not checked.
pub fn family_status(infants: usize, infants_with_crib: usize, latest_check_eligible: Option<bool>) -> FamilyStatus {
    if infants > 0 && infants_with_crib >= infants {
        return FamilyStatus::CribReceived;
    }
    match latest_check_eligible {
        Some(true) => FamilyStatus::Eligible,
        Some(false) => FamilyStatus::NotEligible,
        None => FamilyStatus::NotChecked,
    }
}

/// What a check-in search says about a family not found yet, to start its registration
/// with: a phone number, or names (one word: the last name; more: the first word is the
/// first name, the rest the last name). A date or anything else pre-fills nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPrefill {
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
}

/// The registration fields a search term fills in (`SearchPrefill`).
pub fn prefill_from_search(q: &str) -> SearchPrefill {
    let q = q.trim();
    let digits = q.chars().filter(|c| c.is_ascii_digit()).count();
    let phone_like = q.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '.' | '(' | ')' | '+'));
    // 7 digits (a local number), 10 or 11 (with the area code): not a date's 8.
    if phone_like && matches!(digits, 7 | 10 | 11) {
        return SearchPrefill { phone: q.to_string(), ..Default::default() };
    }
    let namey = !q.is_empty() && q.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'));
    if !namey {
        return SearchPrefill::default();
    }
    let words: Vec<&str> = q.split_whitespace().collect();
    match words.as_slice() {
        [] => SearchPrefill::default(),
        [one] => SearchPrefill { last_name: (*one).to_string(), ..Default::default() },
        [first, rest @ ..] => {
            SearchPrefill { first_name: (*first).to_string(), last_name: rest.join(" "), ..Default::default() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caregiver<'a>(id: i64, first: &'a str, last: &'a str, dob: &str, phone: Option<&str>) -> Caregiver<'a> {
        Caregiver {
            id,
            first_name: first,
            last_name: last,
            date_of_birth: NaiveDate::parse_from_str(dob, "%Y-%m-%d").ok(),
            phone_digits: phone.map(str::to_string),
        }
    }

    #[test]
    fn records_that_look_like_one_family_are_paired_older_first_with_the_reason() {
        let rows = [
            caregiver(9, "Maria", "Hernandez", "1996-04-12", None),
            caregiver(4, "María", "Hernández", "1996-04-12", Some("4105550100")),
            caregiver(7, "Maria", "Hernandes", "1996-04-12", None),
            caregiver(8, "Tanya", "Brooks", "1996-04-12", Some("4105550100")),
            caregiver(5, "Tanya", "Brooks", "1990-01-01", None),
        ];
        let pairs = look_alike(&rows, 10);
        let got: Vec<(i64, i64, &str)> = pairs.iter().map(|p| (p.older, p.newer, p.why)).collect();
        assert_eq!(
            got,
            vec![
                (4, 9, "the same birth date and last name"),
                (7, 9, "the same birth date and first name, and last names that sound the same"),
                (4, 7, "the same birth date and first name, and last names that sound the same"),
                (4, 8, "the same birth date and phone"),
            ]
        );
        assert_eq!(pairs[0].older_name, "María Hernández");
        // Tanya Brooks twice with different birth dates: two people, no pair.
        assert!(!got.iter().any(|(a, b, _)| (*a, *b) == (5, 8)));
        assert_eq!(look_alike(&rows, 2).len(), 2, "at most max pairs");
    }

    #[test]
    fn names_that_sound_alike_share_a_key() {
        assert_eq!(sound_key("Hernández").as_deref(), Some("H655"));
        assert_eq!(sound_key("Hernandes"), sound_key("Hernandez"));
        assert_eq!(sound_key("Robert").as_deref(), Some("R163"));
        assert_eq!(sound_key("Rupert").as_deref(), Some("R163"));
        assert_eq!(sound_key("Ashcraft").as_deref(), Some("A261"), "h does not separate s and c");
        assert_eq!(sound_key("Tymczak").as_deref(), Some("T522"));
        assert_eq!(sound_key("Smith"), sound_key("Smyth"));
        assert_ne!(sound_key("Brooks"), sound_key("Hernandez"));
        assert_eq!(sound_key("123"), None);
    }

    #[test]
    fn a_prefix_range_holds_exactly_the_names_that_start_with_it() {
        assert_eq!(search_key("  O'Brien-NÚÑEZ "), "obrien-nunez");
        assert_eq!(search_key("María  Hernández"), search_key("maria hernandez"));
        assert_eq!(search_key("Ｔａｎｙａ"), "tanya", "full-width letters fold too");
        assert_eq!(prefix_end("bro").as_deref(), Some("brp"));
        assert_eq!(prefix_end("o'brien-núñ").as_deref(), Some("o'brien-núò"), "any text, not only keys");
        assert_eq!(prefix_end(""), None);
        let end = prefix_end("bro").expect("end");
        for name in ["bro", "brooks", "bro\u{10FFFF}x"] {
            assert!(name >= "bro" && name < end.as_str(), "{name}");
        }
        for name in ["brn", "brp", "br", "c"] {
            assert!(!(name >= "bro" && name < end.as_str()), "{name}");
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn facts(check: Option<(bool, &str)>, education: Option<&str>, crib: Option<i64>) -> InfantFacts {
        InfantFacts {
            crib_handout_id: crib,
            latest_check: check.map(|(eligible, on)| LatestCheck { eligible, checked_on: d(on) }),
            latest_education_on: education.map(d),
        }
    }

    #[test]
    fn the_steps_follow_one_another() {
        let today = d("2026-11-23");
        let cases = [
            (facts(None, None, None), NextStep::CheckEligibility, "never checked"),
            (facts(Some((false, "2026-11-23")), None, None), NextStep::CheckEligibility, "not eligible"),
            (facts(Some((true, "2026-11-23")), None, None), NextStep::RecordEducation, "eligible today"),
            (facts(Some((true, "2026-10-25")), None, None), NextStep::RecordEducation, "29 days old"),
            (facts(Some((true, "2026-10-24")), None, None), NextStep::CheckEligibility, "30 days old is stale"),
            (facts(Some((true, "2026-11-20")), Some("2026-11-23"), None), NextStep::HandOut, "educated"),
            (facts(Some((true, "2026-11-20")), Some("2026-05-28"), None), NextStep::HandOut, "179 days"),
            (facts(Some((true, "2026-11-20")), Some("2026-05-27"), None), NextStep::RecordEducation, "180 days"),
            (
                facts(Some((true, "2026-11-20")), Some("2026-11-23"), Some(7)),
                NextStep::PrintReceipt { handout_id: 7 },
                "has a crib",
            ),
            (facts(None, None, Some(9)), NextStep::PrintReceipt { handout_id: 9 }, "crib wins"),
        ];
        for (f, want, why) in cases {
            assert_eq!(next_step(&f, today, 30, 180), want, "{why}");
        }
    }

    #[test]
    fn a_check_from_the_future_is_not_current() {
        assert!(!check_is_current(d("2026-11-24"), d("2026-11-23"), 30));
    }

    #[test]
    fn family_status_table() {
        assert_eq!(family_status(1, 0, None), FamilyStatus::NotChecked);
        assert_eq!(family_status(1, 0, Some(true)), FamilyStatus::Eligible);
        assert_eq!(family_status(2, 1, Some(false)), FamilyStatus::NotEligible);
        assert_eq!(family_status(2, 2, Some(true)), FamilyStatus::CribReceived);
        assert_eq!(family_status(0, 0, None), FamilyStatus::NotChecked);
    }

    #[test]
    fn a_search_term_starts_the_registration() {
        let p = prefill_from_search("Tanya  Brooks-Núñez Smith");
        assert_eq!((p.first_name.as_str(), p.last_name.as_str()), ("Tanya", "Brooks-Núñez Smith"));
        assert_eq!(prefill_from_search("O'Brien").last_name, "O'Brien");
        assert_eq!(prefill_from_search("(410) 555-0199").phone, "(410) 555-0199");
        assert_eq!(prefill_from_search("0199"), SearchPrefill::default(), "the end of a number is not a phone");
        assert_eq!(prefill_from_search("1996-04-12"), SearchPrefill::default());
        assert_eq!(prefill_from_search("  "), SearchPrefill::default());
    }
}
