//! Seeds: reference data (CSAs, neighborhoods, ZIP crosswalk, crib models, poverty
//! guidelines, the default policy) upserted by natural key in one transaction on every
//! boot, and demo data (sites, stock, accounts) only when demo is on and there are no users.

use crate::auth::password;
use crate::db::begin_write;
use crate::db::Db;
use crate::domain::policy::PolicyFile;
use crate::entity::{crib_model, csa, neighborhood, policy, poverty_guideline, site, user, user_site, zip_csa};
use crate::store::stock::{self, MovementKind, NewMovement};
use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;
use std::collections::HashMap;

const CSAS: &str = include_str!("../seeds/baltimore_csas.csv");
const NEIGHBORHOODS: &str = include_str!("../seeds/baltimore_neighborhoods.csv");
const ZIPS: &str = include_str!("../seeds/baltimore_zip_to_csa.csv");
const GUIDELINES: &str = include_str!("../seeds/hhs_poverty_guidelines.csv");
const CRIB_MODELS: &str = include_str!("../seeds/crib_models.toml");
const POLICIES: &[&str] = &[include_str!("../seeds/policies/baltimore-default-v1.toml")];
const DEMO: &str = include_str!("../seeds/demo.toml");

/// The e-mail domain of the demo accounts (`seeds/demo.toml`): a database holding them is a
/// demo, where the second factor is optional unless `CRIBS_SECOND_FACTOR` says otherwise.
pub const DEMO_EMAIL_DOMAIN: &str = "@demo.cribs";

/// What can go wrong while seeding.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("seed file {file}: {message}")]
    File { file: &'static str, message: String },
}

fn file_err(file: &'static str, e: impl std::fmt::Display) -> SeedError {
    SeedError::File { file, message: e.to_string() }
}

/// What a seed run did.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub demo_created: bool,
}

fn csv_rows<T: for<'de> Deserialize<'de>>(file: &'static str, text: &str) -> Result<Vec<T>, SeedError> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| file_err(file, e))
}

#[derive(Deserialize)]
struct CsaRow {
    csa_id: i32,
    csa_name: String,
    csa2020_name: String,
}
#[derive(Deserialize)]
struct NeighborhoodRow {
    neighborhood: String,
    csa_id: i32,
}
#[derive(Deserialize)]
struct ZipRow {
    zip: String,
    csa_id: i32,
}
#[derive(Deserialize)]
struct GuidelineRow {
    year: i32,
    region: String,
    first_person: i64,
    additional_person: i64,
    effective_from: NaiveDate,
    citation: Option<String>,
}
#[derive(Deserialize)]
struct CribModels {
    model: Vec<CribModelRow>,
}
#[derive(Deserialize)]
struct CribModelRow {
    code: String,
    name: String,
}
#[derive(Deserialize)]
struct Demo {
    password: String,
    site: Vec<DemoSite>,
    user: Vec<DemoUser>,
}
#[derive(Deserialize)]
struct DemoSite {
    code: String,
    name: String,
    kind: String,
    neighborhood: String,
    address: String,
    stock: Vec<(String, i32)>,
}
#[derive(Deserialize)]
struct DemoUser {
    email: String,
    name: String,
    role: String,
    #[serde(default)]
    sites: Vec<String>,
    hospital: Option<String>,
}

/// Run the seeds: reference data always, demo data when `demo` allows and the database is empty.
pub async fn run(db: &Db, demo: Option<bool>) -> Result<SeedReport, SeedError> {
    let txn = begin_write(db).await?;
    seed_reference(&txn).await?;
    let mut report = SeedReport::default();
    if demo != Some(false) && user::Entity::find().count(&txn).await? == 0 {
        seed_demo(&txn).await?;
        report.demo_created = true;
    }
    txn.commit().await?;
    Ok(report)
}

async fn seed_reference(db: &impl ConnectionTrait) -> Result<(), SeedError> {
    let csas: Vec<CsaRow> = csv_rows("baltimore_csas.csv", CSAS)?;
    let models = csas.into_iter().map(|r| csa::ActiveModel {
        id: Set(r.csa_id),
        name: Set(r.csa_name),
        name_2020: Set(r.csa2020_name),
    });
    csa::Entity::insert_many(models)
        .on_conflict(
            OnConflict::column(csa::Column::Id).update_columns([csa::Column::Name, csa::Column::Name2020]).to_owned(),
        )
        .exec_without_returning(db)
        .await?;

    let rows: Vec<NeighborhoodRow> = csv_rows("baltimore_neighborhoods.csv", NEIGHBORHOODS)?;
    let models = rows.into_iter().map(|r| neighborhood::ActiveModel {
        name: Set(r.neighborhood),
        csa_id: Set(r.csa_id),
        ..Default::default()
    });
    neighborhood::Entity::insert_many(models)
        .on_conflict(
            OnConflict::column(neighborhood::Column::Name).update_column(neighborhood::Column::CsaId).to_owned(),
        )
        .exec_without_returning(db)
        .await?;

    let rows: Vec<ZipRow> = csv_rows("baltimore_zip_to_csa.csv", ZIPS)?;
    let models = rows.into_iter().map(|r| zip_csa::ActiveModel { zip: Set(r.zip), csa_id: Set(r.csa_id) });
    zip_csa::Entity::insert_many(models)
        .on_conflict(OnConflict::columns([zip_csa::Column::Zip, zip_csa::Column::CsaId]).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;

    let rows: Vec<GuidelineRow> = csv_rows("hhs_poverty_guidelines.csv", GUIDELINES)?;
    let models = rows.into_iter().map(|r| poverty_guideline::ActiveModel {
        year: Set(r.year),
        region: Set(r.region),
        first_person_cents: Set(r.first_person * 100),
        additional_person_cents: Set(r.additional_person * 100),
        effective_from: Set(r.effective_from),
        citation: Set(r.citation),
        ..Default::default()
    });
    poverty_guideline::Entity::insert_many(models)
        .on_conflict(
            OnConflict::columns([poverty_guideline::Column::Year, poverty_guideline::Column::Region])
                .update_columns([
                    poverty_guideline::Column::FirstPersonCents,
                    poverty_guideline::Column::AdditionalPersonCents,
                    poverty_guideline::Column::EffectiveFrom,
                    poverty_guideline::Column::Citation,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;

    let models: CribModels = toml::from_str(CRIB_MODELS).map_err(|e| file_err("crib_models.toml", e))?;
    let models = models.model.into_iter().map(|m| crib_model::ActiveModel {
        code: Set(m.code),
        name: Set(m.name),
        active: Set(true),
        ..Default::default()
    });
    crib_model::Entity::insert_many(models)
        .on_conflict(OnConflict::column(crib_model::Column::Code).update_column(crib_model::Column::Name).to_owned())
        .exec_without_returning(db)
        .await?;

    for text in POLICIES {
        let file: PolicyFile = toml::from_str(text).map_err(|e| file_err("policies/*.toml", e))?;
        if let Some((field, problem)) = file.params.validate().into_iter().next() {
            return Err(file_err("policies/*.toml", format!("{field} {problem}")));
        }
        let params = serde_json::to_string(&file.params).map_err(|e| file_err("policies/*.toml", e))?;
        // NOTE: a published version is never edited, so a seeded version is inserted once and left alone.
        policy::Entity::insert(policy::ActiveModel {
            name: Set(file.name),
            version: Set(file.version),
            effective_from: Set(file.effective_from),
            params_json: Set(params),
            notes: Set(file.notes),
            published_at: Set(crate::clock::now()),
            published_by: Set(None),
            ..Default::default()
        })
        .on_conflict(OnConflict::columns([policy::Column::Name, policy::Column::Version]).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

async fn seed_demo(db: &impl ConnectionTrait) -> Result<(), SeedError> {
    let demo: Demo = toml::from_str(DEMO).map_err(|e| file_err("demo.toml", e))?;
    let models: HashMap<String, i64> =
        crib_model::Entity::find().all(db).await?.into_iter().map(|m| (m.code, m.id)).collect();
    let mut site_ids = HashMap::new();
    for s in &demo.site {
        let hood = neighborhood::Entity::find()
            .filter(neighborhood::Column::Name.eq(s.neighborhood.as_str()))
            .one(db)
            .await?
            .ok_or_else(|| file_err("demo.toml", format!("unknown neighborhood {}", s.neighborhood)))?;
        let inserted = site::Entity::insert(site::ActiveModel {
            code: Set(s.code.clone()),
            name: Set(s.name.clone()),
            kind: Set(s.kind.clone()),
            neighborhood_id: Set(Some(hood.id)),
            address: Set(Some(s.address.clone())),
            active: Set(true),
            ..Default::default()
        })
        .on_conflict(OnConflict::column(site::Column::Code).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
        let site = site::Entity::find()
            .filter(site::Column::Code.eq(s.code.as_str()))
            .one(db)
            .await?
            .ok_or_else(|| file_err("demo.toml", format!("site {} was not stored", s.code)))?;
        site_ids.insert(s.code.clone(), site.id);
        if inserted == 0 {
            continue; // the site already existed: its stock is whatever the ledger says
        }
        for (code, qty) in &s.stock {
            let model_id =
                *models.get(code).ok_or_else(|| file_err("demo.toml", format!("unknown crib model {code}")))?;
            stock::apply_movement(
                db,
                NewMovement {
                    site_id: site.id,
                    crib_model_id: model_id,
                    kind: MovementKind::Receipt,
                    quantity: *qty,
                    lot: Some("DEMO-2026-01".into()),
                    reason: None,
                    note: Some("Opening stock (demo)".into()),
                    transfer_id: None,
                    handout_id: None,
                    user_id: None,
                },
            )
            .await
            .map_err(|e| file_err("demo.toml", e))?;
        }
    }
    // NOTE: one hash for every demo account (they share the published demo password).
    let hash = password::hash(&demo.password).map_err(|e| file_err("demo.toml", e))?;
    for u in &demo.user {
        let hospital = match &u.hospital {
            Some(code) => {
                Some(*site_ids.get(code).ok_or_else(|| file_err("demo.toml", format!("unknown hospital {code}")))?)
            }
            None => None,
        };
        let created = user::Entity::insert(user::ActiveModel {
            email: Set(u.email.clone()),
            display_name: Set(u.name.clone()),
            password_hash: Set(hash.clone()),
            role: Set(u.role.clone()),
            hospital_site_id: Set(hospital),
            active: Set(true),
            created_at: Set(crate::clock::now()),
            ..Default::default()
        })
        .exec(db)
        .await?;
        for code in &u.sites {
            let site_id = *site_ids.get(code).ok_or_else(|| file_err("demo.toml", format!("unknown site {code}")))?;
            user_site::Entity::insert(user_site::ActiveModel {
                user_id: Set(created.last_insert_id),
                site_id: Set(site_id),
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}

/// The demo accounts, printed at start-up when demo data was created.
pub fn demo_logins() -> Vec<(String, String, String)> {
    let Ok(demo) = toml::from_str::<Demo>(DEMO) else {
        return Vec::new();
    };
    demo.user
        .into_iter()
        .map(|u| {
            let scope = match (&u.hospital, u.sites.is_empty()) {
                (Some(h), _) => format!("hospital {h}"),
                (None, false) => format!("site {}", u.sites.join(", ")),
                (None, true) => "all sites".into(),
            };
            (u.email, u.role, scope)
        })
        .collect()
}

/// Print the demo logins to stdout.
pub fn print_demo_logins() {
    println!("Demo accounts (password: cribs-demo):");
    for (email, role, scope) in demo_logins() {
        println!("  {email:<22} {role:<16} {scope}");
    }
}

/// The demo password, for tests and the start-up banner.
pub fn demo_password() -> String {
    toml::from_str::<Demo>(DEMO).map(|d| d.password).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_files_parse() {
        assert_eq!(csv_rows::<CsaRow>("c", CSAS).map(|r| r.len()).ok(), Some(55));
        assert_eq!(csv_rows::<NeighborhoodRow>("n", NEIGHBORHOODS).map(|r| r.len()).ok(), Some(278));
        assert!(toml::from_str::<Demo>(DEMO).is_ok());
        assert_eq!(demo_logins().len(), 6);
    }
}
