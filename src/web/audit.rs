//! The audit page, `GET /audit` (managers and admins): who did or viewed what, newest
//! first, filtered by person, record, action and New York date range, 50 to a page.
//! Read-only: no route anywhere edits or deletes an audit row. Each row is shown in words
//! (`store::audit_names`): names instead of ids, families linked where the reader may open them.

use crate::auth::guards::PageManager;
use crate::db::Db;
use crate::error::FieldErrors;
use crate::store::audit::{self, AuditFilter};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use chrono::{Duration, NaiveDate};
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use serde::Serialize;
use serde_json::json;

/// Rows on one page.
pub const PER_PAGE: u64 = 50;

/// The filter form, as typed (every field optional).
#[derive(FromForm, Default)]
pub struct AuditQuery {
    pub person: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<String>,
}

/// The filter fields as typed, to show them again (empty strings for absent ones).
#[derive(Serialize)]
struct Typed<'a> {
    person: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    action: &'a str,
    from: &'a str,
    to: &'a str,
}

impl AuditQuery {
    fn typed(&self) -> Typed<'_> {
        fn s(v: &Option<String>) -> &str {
            v.as_deref().unwrap_or("")
        }
        Typed {
            person: s(&self.person),
            entity: s(&self.entity),
            entity_id: s(&self.entity_id),
            action: s(&self.action),
            from: s(&self.from),
            to: s(&self.to),
        }
    }
}

fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn add(errors: &mut FieldErrors, field: &str, message: &str) {
    errors.entry(field.to_string()).or_default().push(message.to_string());
}

fn date(errors: &mut FieldErrors, field: &str, v: &Option<String>) -> Option<NaiveDate> {
    let raw = text(v)?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            add(errors, field, "Use a date like 2026-03-31.");
            None
        }
    }
}

/// The filter the query means (person already resolved to user ids), the page, and the
/// problems with what was typed.
async fn parse(db: &Db, q: &AuditQuery) -> Result<(AuditFilter, u64, FieldErrors), sea_orm::DbErr> {
    let mut errors = FieldErrors::new();
    let mut filter = AuditFilter::default();
    if let Some(person) = text(&q.person) {
        if person.chars().count() > 200 {
            add(&mut errors, "person", "At most 200 characters, please.");
        } else {
            filter.user_ids = Some(audit::users_matching(db, person).await?);
        }
    }
    for (field, value, slot) in
        [("entity", text(&q.entity), &mut filter.entity), ("action", text(&q.action), &mut filter.action_prefix)]
    {
        match value {
            Some(v) if v.chars().count() > 60 => add(&mut errors, field, "At most 60 characters, please."),
            Some(v) => *slot = Some(v.to_lowercase()),
            None => {}
        }
    }
    if let Some(raw) = text(&q.entity_id) {
        match raw.parse::<i64>() {
            Ok(id) => filter.entity_id = Some(id),
            Err(_) => add(&mut errors, "entity_id", "The record's id is a whole number."),
        }
    }
    let from = date(&mut errors, "from", &q.from);
    let to = date(&mut errors, "to", &q.to);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            add(&mut errors, "to", "The end date is before the start date.");
        }
    }
    filter.from = from.map(crate::clock::start_of_new_york_day);
    filter.before = to.map(|t| crate::clock::start_of_new_york_day(t + Duration::days(1)));
    let page = match text(&q.page).map(str::parse::<u64>) {
        None => 1,
        Some(Ok(p)) if (1..=1_000_000).contains(&p) => p,
        Some(_) => {
            add(&mut errors, "page", "The page is a whole number from 1.");
            1
        }
    };
    Ok((filter, page, errors))
}

/// Percent-encode a query value (everything but unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The address of another page of the same search.
fn page_href(q: &AuditQuery, page: u64) -> String {
    let mut parts: Vec<String> = [
        ("person", &q.person),
        ("entity", &q.entity),
        ("entity_id", &q.entity_id),
        ("action", &q.action),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .into_iter()
    .filter_map(|(k, v)| text(v).map(|v| format!("{k}={}", encode(v))))
    .collect();
    parts.push(format!("page={page}"));
    format!("/audit?{}", parts.join("&"))
}

/// The audit trail, filtered and paginated.
#[get("/audit?<q..>")]
pub async fn audit_page(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
    q: AuditQuery,
) -> PageResult<(Status, Template)> {
    let db = db.inner();
    let (filter, page_no, errors) = parse(db, &q).await?;
    let (status, rows, total) = if errors.is_empty() {
        let (rows, total) = audit::search(db, &filter, page_no, PER_PAGE).await?;
        (Status::Ok, crate::store::audit_names::describe(db, &user.0, rows).await?, total)
    } else {
        (Status::UnprocessableEntity, Vec::new(), 0)
    };
    let pages = total.div_ceil(PER_PAGE).max(1);
    let extra = json!({
        "q": q.typed(),
        "errors": errors,
        "rows": rows,
        "total": total,
        "page": page_no,
        "pages": pages,
        "prev_href": (page_no > 1 && errors.is_empty()).then(|| page_href(&q, page_no - 1)),
        "next_href": (page_no < pages && errors.is_empty()).then(|| page_href(&q, page_no + 1)),
    });
    Ok((status, Template::render("audit", page("Audit", Some(&user.0), cookies, flash, extra))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filters_and_encode_them() {
        let q = AuditQuery {
            person: Some("ana+1@x.org".into()),
            action: Some("stock.".into()),
            entity: Some(" ".into()),
            ..Default::default()
        };
        assert_eq!(page_href(&q, 3), "/audit?person=ana%2B1%40x.org&action=stock.&page=3");
    }
}
