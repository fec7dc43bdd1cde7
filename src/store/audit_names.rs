//! The audit page's rows in words: for one page of `audit::AuditRow`s, the names behind
//! every id they carry (people, families and babies, receipts, requests, sites, crib
//! models, transfers, policy versions), read in one query per kind, and each row described
//! as who (a name), what (`domain::audit_text::action_words`), the record (names, linked
//! where the reader may open them: a family only when `scope::visible_among` says so) and
//! the detail with its ids named.

use crate::domain::actor::Actor;
use crate::domain::audit_text::{self, Names};
use crate::domain::role::Role;
use crate::entity::{
    crib_model, family, follow_up, handout, infant, policy, referral, site, stock_balance, stock_movement, transfer,
    user,
};
use crate::error::AppError;
use crate::store::audit::AuditRow;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A piece of a row's record: words, and where they link (if the reader may go there).
#[derive(Debug, Clone, Serialize)]
pub struct Piece {
    pub text: String,
    pub href: Option<String>,
}

fn words(text: impl Into<String>) -> Piece {
    Piece { text: text.into(), href: None }
}

/// One audit row as people read it.
#[derive(Debug, Clone, Serialize)]
pub struct Described {
    #[serde(flatten)]
    pub row: AuditRow,
    /// The instant for `<time datetime>`, to the second (HTML allows at most milliseconds).
    pub at_iso: String,
    /// Who: their name, or None (the system, or an unknown person).
    pub who: Option<String>,
    pub who_href: Option<String>,
    /// Their role in words.
    pub role_label: Option<String>,
    /// What they did, in words.
    pub what: String,
    /// The record it was done to, in words and links.
    pub record: Vec<Piece>,
    /// The detail with ids named and codes in words.
    pub detail_words: Option<String>,
}

/// The names behind the ids of a page of audit rows.
#[derive(Default)]
struct Found {
    sites: HashMap<i64, String>,
    models: HashMap<i64, String>,
    families: HashMap<i64, String>,
    infants: HashMap<i64, (String, i64)>,
    handouts: HashMap<i64, (String, i64)>,
    referrals: HashMap<i64, (i64, i64)>,
    follow_ups: HashMap<i64, i64>,
    movements: HashMap<i64, (i64, i64)>,
    balances: HashMap<i64, (i64, i64)>,
    transfers: HashMap<i64, transfer::Model>,
    policies: HashMap<i64, (i32, chrono::NaiveDate)>,
    users: HashMap<i64, (String, String)>,
    visible: HashSet<i64>,
    reader_is_admin: bool,
}

impl Names for Found {
    fn site(&self, id: i64) -> Option<String> {
        self.sites.get(&id).cloned()
    }
    fn model(&self, id: i64) -> Option<String> {
        self.models.get(&id).cloned()
    }
    fn family(&self, id: i64) -> Option<String> {
        self.families.get(&id).cloned()
    }
    fn infant(&self, id: i64) -> Option<String> {
        self.infants.get(&id).map(|(label, _)| label.clone())
    }
}

fn ids_of(rows: &[AuditRow], entity: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = rows.iter().filter(|r| r.entity == entity).filter_map(|r| r.entity_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn infant_label(i: &infant::Model) -> String {
    match (&i.name, i.date_of_birth, i.expected_due_date) {
        (Some(name), _, _) if !name.trim().is_empty() => name.clone(),
        (_, Some(dob), _) => format!("born {dob}"),
        (_, None, Some(due)) => format!("due {due}"),
        _ => format!("#{}", i.id),
    }
}

/// Describe a page of audit rows for `reader`.
pub async fn describe(
    db: &impl ConnectionTrait,
    reader: &Actor,
    rows: Vec<AuditRow>,
) -> Result<Vec<Described>, AppError> {
    let mut f = Found { reader_is_admin: reader.role == Role::Admin, ..Default::default() };
    f.sites = site::Entity::find().all(db).await?.into_iter().map(|s| (s.id, s.name)).collect();
    f.models = crib_model::Entity::find().all(db).await?.into_iter().map(|m| (m.id, m.name)).collect();

    let mut family_ids: Vec<i64> = ids_of(&rows, "family");
    let mut infant_ids: Vec<i64> = ids_of(&rows, "infant");
    for r in &rows {
        if let Some(d) = &r.detail {
            let refs = audit_text::referenced_ids(d);
            family_ids.extend(refs.families);
            infant_ids.extend(refs.infants);
        }
    }
    for h in handout::Entity::find().filter(handout::Column::Id.is_in(ids_of(&rows, "handout"))).all(db).await? {
        family_ids.push(h.family_id);
        f.handouts.insert(h.id, (h.receipt_number, h.family_id));
    }
    for r in referral::Entity::find().filter(referral::Column::Id.is_in(ids_of(&rows, "referral"))).all(db).await? {
        family_ids.push(r.family_id);
        f.referrals.insert(r.id, (r.family_id, r.hospital_site_id));
    }
    let calls =
        follow_up::Entity::find().filter(follow_up::Column::Id.is_in(ids_of(&rows, "follow_up"))).all(db).await?;
    let call_handouts: Vec<i64> = calls.iter().map(|c| c.handout_id).collect();
    let call_families: HashMap<i64, i64> = handout::Entity::find()
        .filter(handout::Column::Id.is_in(call_handouts))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.family_id))
        .collect();
    for c in calls {
        if let Some(fid) = call_families.get(&c.handout_id) {
            family_ids.push(*fid);
            f.follow_ups.insert(c.id, *fid);
        }
    }
    for i in infant::Entity::find().filter(infant::Column::Id.is_in(infant_ids)).all(db).await? {
        family_ids.push(i.family_id);
        f.infants.insert(i.id, (infant_label(&i), i.family_id));
    }
    family_ids.sort_unstable();
    family_ids.dedup();
    for fam in family::Entity::find().filter(family::Column::Id.is_in(family_ids.clone())).all(db).await? {
        let name = if fam.erased_at.is_some() {
            format!("record {} (identifying data erased)", fam.id)
        } else {
            format!("{} {}", fam.first_name, fam.last_name)
        };
        f.families.insert(fam.id, name);
    }
    f.visible = crate::store::scope::visible_among(db, reader, &family_ids).await?;
    f.movements = stock_movement::Entity::find()
        .filter(stock_movement::Column::Id.is_in(ids_of(&rows, "stock_movement")))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, (m.site_id, m.crib_model_id)))
        .collect();
    f.balances = stock_balance::Entity::find()
        .filter(stock_balance::Column::Id.is_in(ids_of(&rows, "stock_balance")))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, (b.site_id, b.crib_model_id)))
        .collect();
    f.transfers = transfer::Entity::find()
        .filter(transfer::Column::Id.is_in(ids_of(&rows, "transfer")))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    f.policies = policy::Entity::find()
        .filter(policy::Column::Id.is_in(ids_of(&rows, "policy")))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, (p.version, p.effective_from)))
        .collect();
    let mut user_ids: Vec<i64> = rows.iter().filter_map(|r| r.user_id).chain(ids_of(&rows, "user")).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    f.users = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.display_name, u.email)))
        .collect();
    Ok(rows.into_iter().map(|r| f.row(r)).collect())
}

impl Found {
    fn family_piece(&self, id: i64) -> Piece {
        let text = self.families.get(&id).cloned().unwrap_or_else(|| format!("family record {id}"));
        let href = self.visible.contains(&id).then(|| format!("/families/{id}"));
        Piece { text, href }
    }

    fn site_piece(&self, id: i64) -> Piece {
        match self.sites.get(&id) {
            Some(name) => Piece { text: name.clone(), href: Some(format!("/stock/sites/{id}")) },
            None => words(format!("site {id}")),
        }
    }

    fn model_name(&self, id: i64) -> String {
        self.models.get(&id).cloned().unwrap_or_else(|| format!("crib model {id}"))
    }

    fn user_piece(&self, id: i64) -> Piece {
        match self.users.get(&id) {
            Some((name, email)) => Piece {
                text: format!("{name} ({email})"),
                href: self.reader_is_admin.then(|| format!("/admin/users/{id}")),
            },
            None => words(format!("account {id}")),
        }
    }

    fn record(&self, r: &AuditRow) -> Vec<Piece> {
        let Some(id) = r.entity_id else {
            return match r.entity.as_str() {
                "family" => vec![words("families")],
                other => vec![words(other.replace('_', " "))],
            };
        };
        match r.entity.as_str() {
            "family" => vec![self.family_piece(id)],
            "infant" => match self.infants.get(&id) {
                Some((label, fid)) => vec![words(format!("baby {label} of ")), self.family_piece(*fid)],
                None => vec![words(format!("baby record {id}"))],
            },
            "handout" => match self.handouts.get(&id) {
                Some((receipt, fid)) => {
                    let href = self.visible.contains(fid).then(|| format!("/handouts/{id}/receipt"));
                    vec![Piece { text: format!("receipt {receipt}"), href }, words(" for "), self.family_piece(*fid)]
                }
                None => vec![words(format!("hand-out {id}"))],
            },
            "referral" => match self.referrals.get(&id) {
                Some((fid, hospital)) => {
                    let from = self.sites.get(hospital).cloned().unwrap_or_else(|| "a hospital".into());
                    vec![words(format!("request from {from} for ")), self.family_piece(*fid)]
                }
                None => vec![words(format!("hospital request {id}"))],
            },
            "follow_up" => match self.follow_ups.get(&id) {
                Some(fid) => vec![words("follow-up call to "), self.family_piece(*fid)],
                None => vec![words(format!("follow-up call {id}"))],
            },
            "stock_movement" | "stock_balance" => {
                let found = if r.entity == "stock_movement" { self.movements.get(&id) } else { self.balances.get(&id) };
                match found {
                    Some((site, model)) => {
                        vec![self.site_piece(*site), words(format!(", {}", self.model_name(*model)))]
                    }
                    None => vec![words(format!("stock record {id}"))],
                }
            }
            "transfer" => match self.transfers.get(&id) {
                Some(t) => vec![
                    words(format!("{} × {} from ", t.quantity, self.model_name(t.crib_model_id))),
                    self.site_piece(t.from_site_id),
                    words(" to "),
                    self.site_piece(t.to_site_id),
                ],
                None => vec![words(format!("transfer {id}"))],
            },
            "policy" => match self.policies.get(&id) {
                Some((version, from)) => vec![Piece {
                    text: format!("eligibility policy version {version}, from {from}"),
                    href: Some("/policy".into()),
                }],
                None => vec![words(format!("policy version {id}"))],
            },
            "user" => vec![self.user_piece(id)],
            other => vec![words(format!("{} {id}", other.replace('_', " ")))],
        }
    }

    fn row(&self, r: AuditRow) -> Described {
        let who = r.user_id.and_then(|id| self.users.get(&id)).map(|(name, _)| name.clone());
        let who_href = r.user_id.filter(|_| self.reader_is_admin).map(|id| format!("/admin/users/{id}"));
        let role_label = r.role.as_deref().and_then(Role::parse).map(|role| role.label().to_string());
        let detail_words = r.detail.as_deref().map(|d| audit_text::detail_words(d, self)).filter(|d| !d.is_empty());
        Described {
            at_iso: r.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            who,
            who_href,
            role_label,
            what: audit_text::action_words(&r.action),
            record: self.record(&r),
            detail_words,
            row: r,
        }
    }
}
