//! The audit trail in words people read: what each recorded action means, and an event's
//! stored detail with the ids it names ("site 3 model 1 +20", "family 5", "infant 7")
//! replaced by names and its codes ("home_visit", a search's JSON) by words. Pure: the
//! names come in through `Names`; unknown ids stay as they were written.

/// Names of the things audit details refer to by id.
pub trait Names {
    fn site(&self, id: i64) -> Option<String>;
    fn model(&self, id: i64) -> Option<String>;
    fn family(&self, id: i64) -> Option<String>;
    fn infant(&self, id: i64) -> Option<String>;
}

/// What an action did, as a short phrase ("Opened the family's record").
pub fn action_words(action: &str) -> String {
    let words = match action {
        "education.record" => "Recorded safe-sleep education",
        "eligibility.check" => "Checked eligibility",
        "family.check_in_here" => "Checked the family in at another site",
        "family.correct" => "Corrected the family's details",
        "family.create" => "Registered the family",
        "family.erase" => "Erased the family's identifying data",
        "family.export" => "Exported the family's record",
        "family.list" => "Saw a list of families",
        "family.merge" => "Merged two family records",
        "family.search" => "Searched for a family",
        "family.view" => "Opened the family's record",
        "follow_up.call" => "Recorded a follow-up call",
        "fhir_client.register" => "Registered a hospital system",
        "fhir_client.revoke" => "Revoked a hospital system",
        "fhir_client.token" => "A hospital system signed in",
        "survey.answer" => "The family answered the follow-up survey on its link",
        "handout.create" => "Handed out a crib",
        "handout.void" => "Voided a hand-out",
        "infant.add" => "Added a baby",
        "infant.correct" => "Corrected a baby's details",
        "infant.not_same" => "Said two babies are different babies",
        "login.code_failed" => "Typed a wrong sign-in code",
        "login.failed" => "Failed to sign in",
        "login.recovery_code" => "Signed in with a recovery code",
        "login.second_factor" => "Confirmed sign-in with a code",
        "lot.lookup" => "Looked up who got a lot",
        "policy.publish" => "Published an eligibility policy version",
        "referral.accept" => "Accepted a hospital request (crib held)",
        "referral.cancel" => "Cancelled a hospital request",
        "referral.decline" => "Declined a hospital request",
        "referral.expire" => "A held crib's time ran out",
        "referral.match_different" => "Said a request is a different family",
        "referral.match_same" => "Said a request is the same family",
        "referral.submit" => "Sent a hospital request",
        "session.login" => "Signed in",
        "session.logout" => "Signed out",
        "stock.adjustment" => "Adjusted stock",
        "stock.count" => "Counted stock",
        "stock.receipt" => "Received stock",
        "stock.threshold" => "Set a low-stock threshold",
        "token.create" => "Created an API token",
        "token.revoke" => "Revoked an API token",
        "transfer.cancel" => "Cancelled a transfer",
        "transfer.receive" => "Received a transfer",
        "transfer.start" => "Sent a transfer",
        "user.activate" => "Reactivated an account",
        "user.create" => "Created an account",
        "user.deactivate" => "Deactivated an account",
        "user.password_change" => "Changed their password",
        "user.password_change_failed" => "Failed to change their password",
        "user.password_reset" => "Reset a password",
        "user.second_factor_off" => "Turned off two-step sign-in",
        "user.second_factor_on" => "Turned on two-step sign-in",
        "user.update" => "Changed an account",
        other => return humanize(other),
    };
    words.to_string()
}

/// A code as words: "stock.count_fixed" → "Stock count fixed".
fn humanize(code: &str) -> String {
    let spaced: String = code.chars().map(|c| if c == '.' || c == '_' { ' ' } else { c }).collect();
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Where a page showed families, in words (the `shown_by` of a `family.list` row).
fn shown_by_words(code: &str) -> String {
    match code {
        "triage" => "the triage queue".into(),
        "requests list" => "the hospital's requests".into(),
        "follow-ups due" => "the follow-up calls due".into(),
        other => format!("the {}", humanize(other).to_lowercase()),
    }
}

/// The education modes and stock reasons a detail may carry, in words.
fn code_words(code: &str) -> Option<&'static str> {
    Some(match code {
        "site" => "at the site",
        "home_visit" => "at a home visit",
        "hospital_discharge" => "at hospital discharge",
        "video" => "by video",
        "damaged" => "damaged",
        "lost" => "lost",
        "found" => "found",
        "recalled" => "recalled",
        "transfer_cancelled" => "transfer cancelled",
        _ => return None,
    })
}

/// Names for a comma-separated list of family ids.
fn family_list(ids: &str, names: &impl Names) -> String {
    let named: Vec<String> = ids
        .split(',')
        .filter_map(|s| s.trim().parse::<i64>().ok())
        .map(|id| names.family(id).unwrap_or_else(|| format!("record {id}")))
        .collect();
    named.join(", ")
}

/// A JSON detail (a search, families shown) in words; None when it is not one of those.
fn json_words(detail: &str, names: &impl Names) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(detail).ok()?;
    let o = v.as_object()?;
    let ids = o.get("ids").and_then(|i| i.as_str()).unwrap_or("");
    if let Some(q) = o.get("q").and_then(|q| q.as_str()) {
        let n = o.get("families").and_then(serde_json::Value::as_u64).unwrap_or(0);
        let found = match n {
            0 => "nothing found".to_string(),
            1 => format!("found {}", family_list(ids, names)),
            n => format!("{n} found: {}", family_list(ids, names)),
        };
        return Some(format!("“{q}”: {found}"));
    }
    if let Some(by) = o.get("shown_by").and_then(|s| s.as_str()) {
        return Some(format!("on {}: {}", shown_by_words(by), family_list(ids, names)));
    }
    let parts: Vec<String> = o
        .iter()
        .map(|(k, v)| {
            format!("{}: {}", humanize(k).to_lowercase(), v.as_str().map_or_else(|| v.to_string(), str::to_string))
        })
        .collect();
    Some(parts.join("; "))
}

/// The families and babies a detail names by id ("family 5", "infant 7", a JSON `ids` list).
#[derive(Debug, Default, PartialEq)]
pub struct Referenced {
    pub families: Vec<i64>,
    pub infants: Vec<i64>,
}

/// The ids of families and babies `detail` refers to, for reading their names.
pub fn referenced_ids(detail: &str) -> Referenced {
    let mut found = Referenced::default();
    if detail.trim_start().starts_with('{') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(detail) {
            if let Some(ids) = v.get("ids").and_then(|i| i.as_str()) {
                found.families.extend(ids.split(',').filter_map(|s| s.trim().parse::<i64>().ok()));
            }
        }
        return found;
    }
    let tokens: Vec<&str> = detail.split(' ').collect();
    for pair in tokens.windows(2) {
        let digits: String = pair[1].chars().take_while(char::is_ascii_digit).collect();
        if let Ok(id) = digits.parse::<i64>() {
            match pair[0] {
                "family" => found.families.push(id),
                "infant" => found.infants.push(id),
                _ => {}
            }
        }
    }
    found
}

/// An event's detail in words: ids named, codes spelled out.
pub fn detail_words(detail: &str, names: &impl Names) -> String {
    if detail.trim_start().starts_with('{') {
        if let Some(words) = json_words(detail, names) {
            return words;
        }
    }
    let tokens: Vec<&str> = detail.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let word = tokens[i];
        // "site 3 model 1 +20": the site and the model, then the number.
        if let (Some(site_id), Some(&"model"), Some(model_id)) =
            (tokens.get(i + 1).and_then(|t| t.parse::<i64>().ok()), tokens.get(i + 2), tokens.get(i + 3))
        {
            if let (true, Ok(model_id), Some(site)) = (word == "site", model_id.parse::<i64>(), names.site(site_id)) {
                let model = names.model(model_id).unwrap_or_else(|| format!("crib model {model_id}"));
                out.push(format!("{site}, {model}:"));
                i += 4;
                continue;
            }
        }
        if let Some(next) = tokens.get(i + 1) {
            let digits: String = next.chars().take_while(char::is_ascii_digit).collect();
            let rest = &next[digits.len()..];
            if let Ok(id) = digits.parse::<i64>() {
                let named = match word {
                    "site" => names.site(id),
                    "model" => names.model(id),
                    "family" => names.family(id),
                    "infant" => names.infant(id).map(|n| format!("baby {n}")),
                    "session" => Some(String::new()),
                    _ => None,
                };
                if let Some(name) = named {
                    if !name.is_empty() {
                        out.push(format!("{name}{rest}"));
                    } else if !rest.is_empty() {
                        out.push(rest.to_string());
                    }
                    i += 2;
                    continue;
                }
            }
        }
        out.push(code_in(word));
        i += 1;
    }
    out.join(" ").trim().to_string()
}

/// A code in parentheses ("(home_visit)", "(damaged),") in words; any other word as it is.
fn code_in(word: &str) -> String {
    if !word.starts_with('(') {
        return word.to_string();
    }
    let start = word.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(word.len());
    let end = word.rfind(|c: char| c.is_ascii_alphabetic() || c == '_').map_or(start, |e| e + 1);
    if start >= end {
        return word.to_string();
    }
    match code_words(&word[start..end]) {
        Some(w) => format!("{}{w}{}", &word[..start], &word[end..]),
        None => word.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Demo;
    impl Names for Demo {
        fn site(&self, id: i64) -> Option<String> {
            (id == 3).then(|| "Belair-Edison Family Site".into())
        }
        fn model(&self, id: i64) -> Option<String> {
            (id == 1).then(|| "Pack 'n Play".into())
        }
        fn family(&self, id: i64) -> Option<String> {
            (id == 5).then(|| "Ana Lopez".into())
        }
        fn infant(&self, id: i64) -> Option<String> {
            (id == 7).then(|| "Luz".into())
        }
    }

    #[test]
    fn ids_become_names() {
        assert_eq!(detail_words("site 3 model 1 +20", &Demo), "Belair-Edison Family Site, Pack 'n Play: +20");
        assert_eq!(detail_words("6 from site 3 to site 9", &Demo), "6 from Belair-Edison Family Site to site 9");
        assert_eq!(
            detail_words("family 5, source web, 0 possible matches", &Demo),
            "Ana Lopez, source web, 0 possible matches"
        );
        assert_eq!(detail_words("infant 7: eligible", &Demo), "baby Luz: eligible");
        assert_eq!(detail_words("merged family 5 into 6: same mother", &Demo), "merged Ana Lopez into 6: same mother");
    }

    #[test]
    fn codes_become_words() {
        assert_eq!(detail_words("session 12 (home_visit)", &Demo), "(at a home visit)");
        assert_eq!(
            detail_words("site 3 model 1 -2 (damaged)", &Demo),
            "Belair-Edison Family Site, Pack 'n Play: -2 (damaged)"
        );
        assert_eq!(
            detail_words(r#"{"shown_by":"triage","ids":"5,8"}"#, &Demo),
            "on the triage queue: Ana Lopez, record 8"
        );
        assert_eq!(detail_words(r#"{"q":"lopez","families":1,"ids":"5"}"#, &Demo), "“lopez”: found Ana Lopez");
        assert_eq!(detail_words(r#"{"q":"zz","families":0,"ids":""}"#, &Demo), "“zz”: nothing found");
    }

    #[test]
    fn the_ids_a_detail_names_are_found() {
        assert_eq!(referenced_ids("merged family 5 into 6: x"), Referenced { families: vec![5], infants: vec![] });
        assert_eq!(referenced_ids("infant 7: eligible"), Referenced { families: vec![], infants: vec![7] });
        assert_eq!(referenced_ids(r#"{"shown_by":"triage","ids":"5,8"}"#).families, vec![5, 8]);
    }

    #[test]
    fn every_action_reads_as_words() {
        assert_eq!(action_words("family.view"), "Opened the family's record");
        assert_eq!(action_words("stock.count_fixed"), "Stock count fixed");
        assert!(!action_words("referral.match_same").contains('_'));
    }
}
