//! Managing accounts, as administrators (the Users pages) and the `create-user` command do:
//! create, change name, role and memberships, deactivate and activate, and the lists the
//! pages show. Every change writes its audit row in the caller's transaction.
//!
//! Memberships follow the role: site staff belong to one or more distribution sites or
//! warehouses, a nurse to one hospital, managers and admins to nothing (they see everything).

use crate::auth::password;
use crate::db::Db;
use crate::domain::account::{DisplayName, Email, NewPassword};
use crate::domain::actor::Actor;
use crate::domain::role::Role;
use crate::domain::states::SiteKind;
use crate::entity::{site, user, user_site};
use crate::error::{AppError, FieldErrors};
use crate::store::accounts::revoke_tokens;
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, Ran};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// An account as a change left it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub active: bool,
}

impl From<user::Model> for Account {
    fn from(u: user::Model) -> Self {
        Account { id: u.id, email: u.email, display_name: u.display_name, active: u.active }
    }
}

/// Create an account (administrators), audited by `create`.
pub async fn create_once(db: &Db, by: Caller<'_>, mode: Mode<'_>, new: NewUser) -> Result<Ran<Account>, AppError> {
    crate::error::forbidden_unless(by.who.is_admin())?;
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = create(&txn, ChangedBy { who: Some(by.who), ip: Some(by.ip) }, new).await.map(Account::from);
        (txn, r)
    })
    .await
}

/// Change an account's name, role and memberships (administrators).
pub async fn update_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    user_id: i64,
    change: UserChange,
) -> Result<Ran<Account>, AppError> {
    crate::error::forbidden_unless(by.who.is_admin())?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r =
            update(&txn, ChangedBy { who: Some(by.who), ip: Some(by.ip) }, user_id, change).await.map(Account::from);
        (txn, r)
    })
    .await
}

/// Deactivate or activate an account (administrators; never one's own deactivation).
pub async fn set_active_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    user_id: i64,
    active: bool,
) -> Result<Ran<Account>, AppError> {
    crate::error::forbidden_unless(by.who.is_admin())?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = set_active(&txn, ChangedBy { who: Some(by.who), ip: Some(by.ip) }, user_id, active)
            .await
            .map(Account::from);
        (txn, r)
    })
    .await
}

/// Who is changing an account, for the audit trail: an administrator from an address, or
/// the system (the `create-user` command).
#[derive(Clone, Copy)]
pub struct ChangedBy<'a> {
    pub who: Option<&'a Actor>,
    pub ip: Option<&'a str>,
}

impl ChangedBy<'_> {
    /// The command line: no person, no address.
    pub fn system() -> ChangedBy<'static> {
        ChangedBy { who: None, ip: None }
    }

    fn is(&self, user_id: i64) -> bool {
        self.who.is_some_and(|w| w.id == user_id)
    }
}

/// A new account, its values already parsed.
#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub display_name: DisplayName,
    pub password: NewPassword,
    pub role: Role,
    /// Sites (site staff only; ignored for other roles).
    pub site_ids: Vec<i64>,
    /// Hospital (nurses only; ignored for other roles).
    pub hospital_site_id: Option<i64>,
}

/// A change to an existing account: name, role and memberships.
#[derive(Debug)]
pub struct UserChange {
    pub display_name: DisplayName,
    pub role: Role,
    pub site_ids: Vec<i64>,
    pub hospital_site_id: Option<i64>,
}

/// Memberships checked against the role and the sites that exist.
struct Membership {
    sites: Vec<site::Model>,
    hospital: Option<site::Model>,
}

impl Membership {
    fn describe(&self, role: &str) -> String {
        let mut s = format!("role {role}");
        if !self.sites.is_empty() {
            let names: Vec<&str> = self.sites.iter().map(|s| s.name.as_str()).collect();
            s.push_str(&format!("; sites: {}", names.join(", ")));
        }
        if let Some(h) = &self.hospital {
            s.push_str(&format!("; hospital: {}", h.name));
        }
        s
    }
}

fn field_error(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors.entry(field.to_string()).or_default().push(message.into());
}

/// Check memberships for a role: site staff need at least one active distribution site or
/// warehouse, a nurse one active hospital; other roles get none. Problems name the form
/// fields `sites` and `hospital_site_id`.
async fn check_membership(
    db: &impl ConnectionTrait,
    role: Role,
    site_ids: &[i64],
    hospital_site_id: Option<i64>,
) -> Result<(Membership, FieldErrors), DbErr> {
    let mut errors = FieldErrors::new();
    let mut membership = Membership { sites: Vec::new(), hospital: None };
    match role {
        Role::SiteStaff => {
            let mut ids = site_ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            if ids.is_empty() {
                field_error(&mut errors, "sites", "Choose at least one site for site staff.");
            }
            let found: HashMap<i64, site::Model> = site::Entity::find()
                .filter(site::Column::Id.is_in(ids.clone()))
                .filter(site::Column::Active.eq(true))
                .all(db)
                .await?
                .into_iter()
                .map(|s| (s.id, s))
                .collect();
            for id in ids {
                match found.get(&id) {
                    Some(s) if s.kind == SiteKind::Distribution.as_str() || s.kind == SiteKind::Warehouse.as_str() => {
                        membership.sites.push(s.clone())
                    }
                    Some(s) => field_error(
                        &mut errors,
                        "sites",
                        format!("{} is a {}: site staff work at distribution sites and warehouses.", s.name, s.kind),
                    ),
                    None => field_error(&mut errors, "sites", format!("There is no active site with id {id}.")),
                }
            }
        }
        Role::Nurse => match hospital_site_id {
            None => field_error(&mut errors, "hospital_site_id", "Choose the nurse's hospital."),
            Some(id) => match site::Entity::find_by_id(id).filter(site::Column::Active.eq(true)).one(db).await? {
                Some(s) if s.kind == SiteKind::Hospital.as_str() => membership.hospital = Some(s),
                _ => field_error(&mut errors, "hospital_site_id", format!("There is no hospital with id {id}.")),
            },
        },
        Role::Admin | Role::ProgramManager => {}
    }
    Ok((membership, errors))
}

/// The problems with memberships for a role, by form field (empty when they are fine); for
/// forms that want to show every problem at once. `create` and `update` check again.
pub async fn membership_problems(
    db: &impl ConnectionTrait,
    role: Role,
    site_ids: &[i64],
    hospital_site_id: Option<i64>,
) -> Result<FieldErrors, DbErr> {
    Ok(check_membership(db, role, site_ids, hospital_site_id).await?.1)
}

async fn replace_sites(db: &impl ConnectionTrait, user_id: i64, site_ids: &[i64]) -> Result<(), DbErr> {
    user_site::Entity::delete_many().filter(user_site::Column::UserId.eq(user_id)).exec(db).await?;
    for site_id in site_ids {
        user_site::Entity::insert(user_site::ActiveModel { user_id: Set(user_id), site_id: Set(*site_id) })
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

const TAKEN_EMAIL: &str = "An account with this email already exists.";

/// Create an account with its memberships; writes a `user.create` audit row.
pub async fn create(db: &impl ConnectionTrait, by: ChangedBy<'_>, new: NewUser) -> Result<user::Model, AppError> {
    let (membership, mut errors) = check_membership(db, new.role, &new.site_ids, new.hospital_site_id).await?;
    let email = new.email.as_str();
    if user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?.is_some() {
        field_error(&mut errors, "email", TAKEN_EMAIL);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let hash = password::hash_in_turn(new.password.expose().to_string()).await.map_err(AppError::Internal)?;
    let inserted = user::ActiveModel {
        email: Set(email.to_string()),
        display_name: Set(new.display_name.as_str().to_string()),
        password_hash: Set(hash),
        role: Set(new.role.as_str().to_string()),
        hospital_site_id: Set(membership.hospital.as_ref().map(|h| h.id)),
        active: Set(true),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(db)
    .await;
    let created = match inserted {
        Ok(u) => u,
        // NOTE: two administrators creating the same email at once: the unique index decides.
        Err(e)
            if crate::store::constraints::unique_violation(&e)
                == Some(crate::store::constraints::Unique::UserEmail) =>
        {
            return Err(AppError::validation("email", TAKEN_EMAIL))
        }
        Err(e) => return Err(e.into()),
    };
    let site_ids: Vec<i64> = membership.sites.iter().map(|s| s.id).collect();
    replace_sites(db, created.id, &site_ids).await?;
    let mut detail =
        format!("{} <{}>; {}", created.display_name, created.email, membership.describe(new.role.as_str()));
    if by.who.is_none() {
        detail.push_str("; by the create-user command");
    }
    record(db, by, "user.create", created.id, detail).await?;
    Ok(created)
}

/// Change an account's name, role and memberships; writes a `user.update` audit row that
/// says what changed. Administrators cannot change their own role (so one always remains).
pub async fn update(
    db: &impl ConnectionTrait,
    by: ChangedBy<'_>,
    user_id: i64,
    change: UserChange,
) -> Result<user::Model, AppError> {
    let current = user::Entity::find_by_id(user_id).one(db).await?.ok_or(AppError::NotFound)?;
    if by.is(user_id) && change.role.as_str() != current.role {
        return Err(AppError::validation(
            "role",
            "You cannot change your own role; another administrator can do it for you.",
        ));
    }
    let (membership, errors) = check_membership(db, change.role, &change.site_ids, change.hospital_site_id).await?;
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let before = describe_current(db, &current).await?;
    let mut am: user::ActiveModel = current.into();
    am.display_name = Set(change.display_name.as_str().to_string());
    am.role = Set(change.role.as_str().to_string());
    am.hospital_site_id = Set(membership.hospital.as_ref().map(|h| h.id));
    let updated = am.update(db).await?;
    let site_ids: Vec<i64> = membership.sites.iter().map(|s| s.id).collect();
    replace_sites(db, user_id, &site_ids).await?;
    let after = format!("{}; {}", updated.display_name, membership.describe(change.role.as_str()));
    let detail = if before == after { format!("no change: {after}") } else { format!("{before} → {after}") };
    record(db, by, "user.update", user_id, detail).await?;
    Ok(updated)
}

/// Activate or deactivate an account; writes a `user.activate` / `user.deactivate` audit
/// row. Deactivation deletes the account's API tokens and ends its sessions at once (a
/// later re-activation does not revive them). Nobody can deactivate themself.
pub async fn set_active(
    db: &impl ConnectionTrait,
    by: ChangedBy<'_>,
    user_id: i64,
    active: bool,
) -> Result<user::Model, AppError> {
    let found = user::Entity::find_by_id(user_id).one(db).await?.ok_or(AppError::NotFound)?;
    if !active && by.is(user_id) {
        return Err(AppError::Conflict(
            "You cannot deactivate your own account; another administrator can do it.".into(),
        ));
    }
    let was = found.active;
    let mut am: user::ActiveModel = found.into();
    am.active = Set(active);
    let updated = am.update(db).await?;
    let mut detail = match (was, active) {
        (true, true) => "already active".to_string(),
        (false, false) => "already deactivated".to_string(),
        _ => updated.email.clone(),
    };
    if !active {
        let revoked = revoke_tokens(db, user_id).await?;
        let ended = crate::store::sessions::end_all(db, user_id).await?;
        detail.push_str(&format!("; {revoked} API token(s) revoked; {ended} session(s) ended"));
    }
    record(db, by, if active { "user.activate" } else { "user.deactivate" }, user_id, detail).await?;
    Ok(updated)
}

async fn record(
    db: &impl ConnectionTrait,
    by: ChangedBy<'_>,
    action: &str,
    user_id: i64,
    detail: String,
) -> Result<(), DbErr> {
    audit::record(
        db,
        by.who,
        by.ip,
        AuditEntry { action, entity: "user", entity_id: Some(user_id), detail: Some(detail) },
    )
    .await
}

async fn describe_current(db: &impl ConnectionTrait, u: &user::Model) -> Result<String, DbErr> {
    let ids = site_ids_of(db, u.id).await?;
    let sites = site::Entity::find().filter(site::Column::Id.is_in(ids)).order_by_asc(site::Column::Id).all(db).await?;
    let hospital = match u.hospital_site_id {
        Some(id) => site::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok(format!("{}; {}", u.display_name, Membership { sites, hospital }.describe(&u.role)))
}

/// The sites a user belongs to.
pub async fn site_ids_of(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<i64>, DbErr> {
    let mut ids: Vec<i64> = user_site::Entity::find()
        .filter(user_site::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.site_id)
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// One account as the Users list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    /// Site names (site staff).
    pub sites: Vec<String>,
    /// Hospital name (nurses).
    pub hospital: Option<String>,
    pub active: bool,
}

/// Every account, active ones first, then by email.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<UserRow>, DbErr> {
    let names: HashMap<i64, String> = site::Entity::find().all(db).await?.into_iter().map(|s| (s.id, s.name)).collect();
    let mut memberships: HashMap<i64, Vec<String>> = HashMap::new();
    for m in user_site::Entity::find().order_by_asc(user_site::Column::SiteId).all(db).await? {
        memberships.entry(m.user_id).or_default().push(names.get(&m.site_id).cloned().unwrap_or_default());
    }
    let users =
        user::Entity::find().order_by_desc(user::Column::Active).order_by_asc(user::Column::Email).all(db).await?;
    Ok(users
        .into_iter()
        .map(|u| UserRow {
            role_label: Role::parse(&u.role).map(|r| r.label().to_string()).unwrap_or_else(|| u.role.clone()),
            sites: memberships.remove(&u.id).unwrap_or_default(),
            hospital: u.hospital_site_id.and_then(|id| names.get(&id).cloned()),
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            active: u.active,
        })
        .collect())
}

/// One account and the sites it belongs to.
pub async fn get(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<(user::Model, Vec<i64>)>, DbErr> {
    match user::Entity::find_by_id(user_id).one(db).await? {
        Some(u) => {
            let ids = site_ids_of(db, u.id).await?;
            Ok(Some((u, ids)))
        }
        None => Ok(None),
    }
}

/// Active sites staff can belong to (distribution sites and warehouses), by name.
pub async fn assignable_sites(db: &impl ConnectionTrait) -> Result<Vec<site::Model>, DbErr> {
    site::Entity::find()
        .filter(site::Column::Active.eq(true))
        .filter(site::Column::Kind.is_in([SiteKind::Distribution.as_str(), SiteKind::Warehouse.as_str()]))
        .order_by_asc(site::Column::Name)
        .all(db)
        .await
}

/// Active hospitals, by name.
pub async fn hospitals(db: &impl ConnectionTrait) -> Result<Vec<site::Model>, DbErr> {
    site::Entity::find()
        .filter(site::Column::Active.eq(true))
        .filter(site::Column::Kind.eq(SiteKind::Hospital.as_str()))
        .order_by_asc(site::Column::Name)
        .all(db)
        .await
}

/// The names of the active program managers (at most `limit`, by name): whom site staff
/// ask for what only a manager may do (a void, a merge).
pub async fn manager_names(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<String>, DbErr> {
    use sea_orm::QuerySelect;
    Ok(user::Entity::find()
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Role.eq(Role::ProgramManager.as_str()))
        .order_by_asc(user::Column::DisplayName)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.display_name)
        .collect())
}
