//! Why a crib could not be handed out, printable for the family to take home: the baby's
//! latest check rule by rule (what stands in the way first), or that there is no check yet,
//! or that it is too old, or that the baby already has a crib — every word in the family's
//! language from the message catalog (`refusal-*`, `reason-*`), never a rule id or code.

use crate::auth::guards::{ClientAddr, PageUser};
use crate::catalog::{catalog, Catalog};
use crate::db::Db;
use crate::domain::eligibility::Reason;
use crate::domain::money::format_dollars;
use crate::store::audit::Caller;
use crate::store::eligibility;
use crate::web::error_page::PageResult;
use fluent_bundle::FluentValue;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// The explanation page (staff and managers who may see the family; audited).
#[get("/families/<id>/infants/<infant_id>/explanation?<lang>")]
pub async fn explanation_page(
    user: PageUser,
    db: &State<Db>,
    contact: &State<crate::config::FamilyContact>,
    addr: ClientAddr,
    id: i64,
    infant_id: i64,
    lang: Option<&str>,
) -> PageResult<Template> {
    let e = eligibility::explanation(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id, infant_id).await?;
    let c = catalog();
    let lang = c.supported(lang.unwrap_or(&e.family.preferred_language));
    let baby = super::receipt::baby_words(c, lang, &e.infant);
    let arg = |v: String| FluentValue::from(v);
    let mut failed: Vec<String> = Vec::new();
    let mut passed: Vec<String> = Vec::new();
    let mut intro = None;
    match &e.check {
        None => failed.push(c.format(lang, "refusal-no-check", &[("baby", arg(baby.clone()))])),
        Some((row, reasons)) => {
            let date = c.date(lang, row.checked_on);
            intro = Some(c.format(lang, "refusal-intro", &[("baby", arg(baby.clone())), ("date", arg(date.clone()))]));
            if e.check_too_old {
                failed.push(c.format(lang, "refusal-old-check", &[("date", arg(date))]));
            }
            for r in reasons {
                let words = reason_words(c, lang, r);
                if r.passed() {
                    passed.push(words);
                } else {
                    failed.push(words);
                }
            }
        }
    }
    let said_already = e.check.as_ref().is_some_and(|(_, rs)| rs.contains(&Reason::AlreadyReceived));
    if e.already_received && !said_already {
        failed.insert(0, reason_words(c, lang, &Reason::AlreadyReceived));
        passed.retain(|p| *p != reason_words(c, lang, &Reason::NotYetReceived));
    }
    Ok(Template::render(
        "handouts/refusal",
        json!({
            "lang": lang,
            "languages": c.languages(),
            "family_id": e.family.id,
            "infant_id": e.infant.id,
            "caregiver": format!("{} {}", e.family.first_name, e.family.last_name),
            "intro": intro,
            "failed": failed,
            "passed": passed,
            "printed": c.date(lang, crate::clock::today()),
            "phone": contact.phone,
        }),
    ))
}

/// One reason as the family reads it in `lang`: the numbers and dates of the check, in
/// the catalog's sentence (`reason-*`).
pub fn reason_words(c: &Catalog, lang: &str, reason: &Reason) -> String {
    use Reason::*;
    let date = |d: &chrono::NaiveDate| FluentValue::from(c.date(lang, *d));
    let text = |v: String| FluentValue::from(v);
    let num = |n: i64| FluentValue::from(n);
    let programs = |p: &[String], conj: &str| FluentValue::from(c.list(lang, p, conj));
    let (key, args): (&str, Vec<(&str, FluentValue<'_>)>) = match reason {
        LivesInCity => ("reason-lives-in-city", vec![]),
        OutsideCityAllowed => ("reason-outside-city-allowed", vec![]),
        OutsideCity => ("reason-outside-city", vec![]),
        BornInFuture { dob, on } => ("reason-born-in-future", vec![("dob", date(dob)), ("on", date(on))]),
        UnderAge { months, turns, .. } => {
            ("reason-under-age", vec![("months", num(i64::from(*months))), ("turns", date(turns))])
        }
        PastAge { months, turns, .. } => {
            ("reason-past-age", vec![("months", num(i64::from(*months))), ("turns", date(turns))])
        }
        DueTooEarly { due, weeks, starts, .. } => (
            "reason-due-too-early",
            vec![("due", date(due)), ("weeks", num(i64::from(*weeks))), ("starts", date(starts))],
        ),
        DueSoon { due, weeks, .. } | DueToday { due, weeks, .. } => {
            ("reason-due-soon", vec![("due", date(due)), ("weeks", num(i64::from(*weeks)))])
        }
        Overdue { due, .. } => ("reason-overdue", vec![("due", date(due))]),
        OverdueTooLong { due, overdue, .. } => {
            ("reason-overdue-too-long", vec![("due", date(due)), ("days", num(*overdue))])
        }
        NoBirthOrDueDate => ("reason-no-birth-or-due-date", vec![]),
        NoWeight { max } => ("reason-no-weight", vec![("max", text(max.to_string()))]),
        UnderWeight { weight, max } => {
            ("reason-under-weight", vec![("weight", text(weight.to_string())), ("max", text(max.to_string()))])
        }
        OverWeight { weight, max } => {
            ("reason-over-weight", vec![("weight", text(weight.to_string())), ("max", text(max.to_string()))])
        }
        Enrolled { programs: p } => ("reason-enrolled", vec![("programs", programs(p, "and"))]),
        IncomeUnknown { qualifying } if qualifying.is_empty() => ("reason-income-unknown-alone", vec![]),
        IncomeUnknown { qualifying } => ("reason-income-unknown", vec![("programs", programs(qualifying, "or"))]),
        NoGuideline { on, .. } => ("reason-no-guideline", vec![("on", date(on))]),
        LimitUncomputable { size, .. } => ("reason-limit-uncomputable", vec![("size", num(i64::from(*size)))]),
        IncomeWithin { income, limit, size, .. } => (
            "reason-income-within",
            vec![
                ("income", text(format_dollars(*income))),
                ("limit", text(format_dollars(*limit))),
                ("size", num(i64::from(*size))),
            ],
        ),
        IncomeAbove { income, limit, size, qualifying, .. } => (
            "reason-income-above",
            vec![
                ("income", text(format_dollars(*income))),
                ("limit", text(format_dollars(*limit))),
                ("size", num(i64::from(*size))),
                ("programs", programs(qualifying, "or")),
            ],
        ),
        SafeSleepNotRequired => ("reason-safe-sleep-not-required", vec![]),
        NoSafeSleepSpace => ("reason-no-safe-sleep-space", vec![]),
        HasSafeSleepSpace => ("reason-has-safe-sleep-space", vec![]),
        SafeSleepNotAsked => ("reason-safe-sleep-not-asked", vec![]),
        AlreadyReceived => ("reason-already-received", vec![]),
        NotYetReceived => ("reason-not-yet-received", vec![]),
    };
    c.format(lang, key, &args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::eligibility::{evaluate, reasons, FamilySnapshot, InfantSnapshot};
    use crate::domain::policy::PolicyParams;
    use chrono::NaiveDate;

    fn policy() -> PolicyParams {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/policies/baltimore-default-v1.toml"))
                .expect("policy seed");
        let v: toml::Value = toml::from_str(&text).expect("toml");
        let params = v.get("params").cloned().unwrap_or(v);
        params.try_into().expect("policy params")
    }

    #[test]
    fn a_refused_family_reads_every_reason_in_spanish_with_no_code() {
        let on = NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
        let family = FamilySnapshot {
            lives_in_city: false,
            household_size: 3,
            annual_income: Some(rust_decimal::Decimal::from(90_000)),
            enrollments: vec![],
            has_safe_sleep_space: Some(true),
        };
        let infant = InfantSnapshot {
            date_of_birth: NaiveDate::from_ymd_opt(2025, 1, 2),
            expected_due_date: None,
            weight_lb: Some(rust_decimal::Decimal::from(25)),
            already_received: true,
        };
        let p = policy();
        let rs = reasons(&family, &infant, on, &p, &[]);
        let ev = evaluate(&family, &infant, on, &p, &[]);
        assert_eq!(
            rs.iter().map(Reason::passed).collect::<Vec<_>>(),
            ev.rules.iter().map(|r| r.passed).collect::<Vec<_>>()
        );
        let c = catalog();
        for r in &rs {
            let es = reason_words(c, "es", r);
            let en = reason_words(c, "en", r);
            assert!(!es.is_empty() && es != en, "{r:?}: {es}");
            for code in ["_", "residency", "age_window", "income_or_enrollment", "{", "$"] {
                assert!(!es.contains(code), "{r:?} shows {code}: {es}");
            }
        }
        assert_eq!(
            reason_words(c, "es", &rs[1]),
            "El bebé cumplió 8 meses el 2 de septiembre de 2025; el programa atiende a bebés menores de 8 meses."
        );
    }
}
