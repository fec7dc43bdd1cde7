//! Eligibility policy for program managers: `GET /policy` (the version in force in plain
//! words, and every version with its state), `GET /policy/new` and `POST /policy/new`
//! (publish a new version: a copy of the latest version, scheduled ones included, edited,
//! with an effective date; preview it on a sample family; review what changes in plain
//! words; then publish), and `GET/POST /policy/<id>/withdraw` (withdraw a version that has
//! not started, with a reason). A published version is never edited (`store::policy`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::eligibility::{evaluate, Evaluation};
use crate::domain::family::ENROLLMENTS;
use crate::domain::outcomes::rule_label;
use crate::domain::policy::{
    region_label, same_date_refusal, state_of, NewVersion, PolicyDraft, PolicyParams, VersionFacts, VersionState,
};
use crate::domain::policy_sample::SampleInput;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::policy::{self, PolicyVersion};
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::fields::{field, Problems};
use crate::web::input::Checked;
use chrono::{Datelike, Months, NaiveDate};
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

const ROUTE: &str = "POST /policy/new";

/// The version in force, its parameters in plain words, and the history.
#[get("/policy")]
pub async fn index(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    let who = user.0;
    let db = db.inner();
    let today = crate::clock::today();
    let current = policy::in_force(db, today).await?;
    let history = policy::history(db).await?;
    let names = policy::publisher_names(db, &history).await?;
    let facts = |v: &PolicyVersion| VersionFacts {
        version: v.row.version,
        effective_from: v.row.effective_from,
        withdrawn: v.row.withdrawn_at.is_some(),
    };
    let rows: Vec<Value> = history
        .iter()
        .map(|v| {
            let same_policy: Vec<VersionFacts> =
                history.iter().filter(|o| o.row.name == v.row.name).map(facts).collect();
            let state = state_of(&facts(v), &same_policy, today);
            let (label, class) = state_words(state, v.row.effective_from > today);
            json!({
                "id": v.row.id, "name": v.row.name, "version": v.row.version, "effective_from": v.row.effective_from,
                "published_on": crate::clock::date_in_new_york(v.row.published_at),
                "published_by": v.row.published_by.and_then(|u| names.get(&u)).map_or("the seed file", String::as_str),
                "notes": v.row.notes, "state": label, "state_class": class, "in_force": v.row.id == current.row.id,
                "words": v.params.describe(),
                "withdrawn": v.row.withdrawn_at.map(|at| json!({
                    "on": crate::clock::date_in_new_york(at),
                    "by": v.row.withdrawn_by.and_then(|u| names.get(&u)),
                    "reason": v.row.withdrawn_reason,
                })),
                "may_withdraw": v.row.withdrawn_at.is_none() && v.row.effective_from > today,
            })
        })
        .collect();
    let ctx = page(
        "Eligibility policy",
        Some(&who),
        cookies,
        flash,
        json!({"current": version_view(&current), "history": rows, "today": today}),
    );
    Ok(Template::render("policy/index", ctx))
}

/// A version's state for people, and its CSS class.
fn state_words(state: VersionState, ahead: bool) -> (String, &'static str) {
    match state {
        VersionState::InForce => ("In force".into(), "in-force"),
        VersionState::Scheduled => ("Scheduled".into(), "scheduled"),
        VersionState::Replaced => ("Replaced".into(), "replaced"),
        VersionState::Withdrawn => ("Withdrawn: never applies".into(), "withdrawn"),
        VersionState::Overtaken { by } if ahead => {
            (format!("Will not apply: version {by} starts the same day"), "withdrawn")
        }
        VersionState::Overtaken { by } => (format!("Replaced the same day by version {by}"), "replaced"),
    }
}

fn version_view(v: &PolicyVersion) -> Value {
    json!({
        "id": v.row.id, "name": v.row.name, "version": v.row.version, "effective_from": v.row.effective_from,
        "notes": v.row.notes, "words": v.params.describe(),
    })
}

/// The publish form as typed (the domain's `PolicyDraft`, plus the sample and the buttons).
#[derive(Debug, Clone, Default, FromForm)]
pub struct PolicyForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    /// "review" (the form's main button: the confirmation), "publish" (the confirmation's
    /// button), "preview" (the sample family) or "edit" (back from the confirmation).
    #[field(default = String::new())]
    pub action: String,
    /// The id of the version the form copied (`store::policy::publish_once` refuses a stale copy).
    #[field(default = String::new())]
    pub copied_from: String,
    #[field(default = String::new())]
    pub require_city_residency: String,
    #[field(default = String::new())]
    pub max_infant_age_months: String,
    #[field(default = String::new())]
    pub min_weeks_pregnant: String,
    #[field(default = String::new())]
    pub full_term_weeks: String,
    #[field(default = String::new())]
    pub overdue_due_date_days: String,
    #[field(default = String::new())]
    pub max_infant_weight_lb: String,
    #[field(default = String::new())]
    pub income_limit_percent: String,
    #[field(default = String::new())]
    pub poverty_region: String,
    pub qualifying_enrollments: Vec<String>,
    #[field(default = String::new())]
    pub require_no_safe_sleep_space: String,
    #[field(default = String::new())]
    pub eligibility_valid_days: String,
    #[field(default = String::new())]
    pub education_valid_days: String,
    #[field(default = String::new())]
    pub reservation_days_after_discharge: String,
    #[field(default = String::new())]
    pub effective_from: String,
    #[field(default = String::new())]
    pub notes: String,
    #[field(default = String::new())]
    pub sample_household_size: String,
    #[field(default = String::new())]
    pub sample_annual_income: String,
    #[field(default = String::new())]
    pub sample_days_old: String,
}

impl PolicyForm {
    fn from_draft(d: PolicyDraft, sample: SampleInput, form_token: FormToken) -> PolicyForm {
        PolicyForm {
            form_token,
            require_city_residency: d.require_city_residency,
            max_infant_age_months: d.max_infant_age_months,
            min_weeks_pregnant: d.min_weeks_pregnant,
            full_term_weeks: d.full_term_weeks,
            overdue_due_date_days: d.overdue_due_date_days,
            max_infant_weight_lb: d.max_infant_weight_lb,
            income_limit_percent: d.income_limit_percent,
            poverty_region: d.poverty_region,
            qualifying_enrollments: d.qualifying_enrollments,
            require_no_safe_sleep_space: d.require_no_safe_sleep_space,
            eligibility_valid_days: d.eligibility_valid_days,
            education_valid_days: d.education_valid_days,
            reservation_days_after_discharge: d.reservation_days_after_discharge,
            effective_from: d.effective_from,
            notes: d.notes,
            sample_household_size: sample.household_size,
            sample_annual_income: sample.annual_income,
            sample_days_old: sample.days_old,
            ..Default::default()
        }
    }

    fn copied_from(&self) -> Option<i64> {
        self.copied_from.trim().parse().ok()
    }

    /// Every value as hidden fields, for the confirmation page to send on.
    fn hidden(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("copied_from", self.copied_from.clone()),
            ("require_city_residency", self.require_city_residency.clone()),
            ("max_infant_age_months", self.max_infant_age_months.clone()),
            ("min_weeks_pregnant", self.min_weeks_pregnant.clone()),
            ("full_term_weeks", self.full_term_weeks.clone()),
            ("overdue_due_date_days", self.overdue_due_date_days.clone()),
            ("max_infant_weight_lb", self.max_infant_weight_lb.clone()),
            ("income_limit_percent", self.income_limit_percent.clone()),
            ("poverty_region", self.poverty_region.clone()),
            ("require_no_safe_sleep_space", self.require_no_safe_sleep_space.clone()),
            ("eligibility_valid_days", self.eligibility_valid_days.clone()),
            ("education_valid_days", self.education_valid_days.clone()),
            ("reservation_days_after_discharge", self.reservation_days_after_discharge.clone()),
            ("effective_from", self.effective_from.clone()),
            ("notes", self.notes.clone()),
            ("sample_household_size", self.sample_household_size.clone()),
            ("sample_annual_income", self.sample_annual_income.clone()),
            ("sample_days_old", self.sample_days_old.clone()),
        ];
        out.extend(self.qualifying_enrollments.iter().map(|e| ("qualifying_enrollments", e.clone())));
        out
    }

    fn draft(&self) -> PolicyDraft {
        PolicyDraft {
            require_city_residency: self.require_city_residency.clone(),
            max_infant_age_months: self.max_infant_age_months.clone(),
            min_weeks_pregnant: self.min_weeks_pregnant.clone(),
            full_term_weeks: self.full_term_weeks.clone(),
            overdue_due_date_days: self.overdue_due_date_days.clone(),
            max_infant_weight_lb: self.max_infant_weight_lb.clone(),
            income_limit_percent: self.income_limit_percent.clone(),
            poverty_region: self.poverty_region.clone(),
            qualifying_enrollments: self.qualifying_enrollments.clone(),
            require_no_safe_sleep_space: self.require_no_safe_sleep_space.clone(),
            eligibility_valid_days: self.eligibility_valid_days.clone(),
            education_valid_days: self.education_valid_days.clone(),
            reservation_days_after_discharge: self.reservation_days_after_discharge.clone(),
            effective_from: self.effective_from.clone(),
            notes: self.notes.clone(),
        }
    }

    fn sample(&self) -> SampleInput {
        SampleInput {
            household_size: self.sample_household_size.clone(),
            annual_income: self.sample_annual_income.clone(),
            days_old: self.sample_days_old.clone(),
        }
    }

    fn view(&self, problems: &Problems, regions: &[String]) -> Value {
        let f = |path: &str, value: &str| field(path, value, problems);
        let mut regions: Vec<&String> = regions.iter().collect();
        if !self.poverty_region.is_empty() && !regions.contains(&&self.poverty_region) {
            regions.push(&self.poverty_region);
        }
        json!({
            "form_token": self.form_token,
            "copied_from": self.copied_from,
            "require_city_residency": f("require_city_residency", &self.require_city_residency),
            "max_infant_age_months": f("max_infant_age_months", &self.max_infant_age_months),
            "min_weeks_pregnant": f("min_weeks_pregnant", &self.min_weeks_pregnant),
            "full_term_weeks": f("full_term_weeks", &self.full_term_weeks),
            "overdue_due_date_days": f("overdue_due_date_days", &self.overdue_due_date_days),
            "max_infant_weight_lb": f("max_infant_weight_lb", &self.max_infant_weight_lb),
            "income_limit_percent": f("income_limit_percent", &self.income_limit_percent),
            "poverty_region": f("poverty_region", &self.poverty_region),
            "region_choices": regions.iter().map(|r| json!({
                "value": r, "label": region_label(r), "selected": **r == self.poverty_region,
            })).collect::<Vec<_>>(),
            "qualifying_enrollments": f("qualifying_enrollments", ""),
            "enrollment_choices": ENROLLMENTS.iter().map(|e| json!({
                "value": e, "id": format!("qualifying-{e}"),
                "checked": self.qualifying_enrollments.iter().any(|x| x == e),
            })).collect::<Vec<_>>(),
            "require_no_safe_sleep_space": f("require_no_safe_sleep_space", &self.require_no_safe_sleep_space),
            "eligibility_valid_days": f("eligibility_valid_days", &self.eligibility_valid_days),
            "education_valid_days": f("education_valid_days", &self.education_valid_days),
            "reservation_days_after_discharge": f("reservation_days_after_discharge", &self.reservation_days_after_discharge),
            "effective_from": f("effective_from", &self.effective_from),
            "notes": f("notes", &self.notes),
            "sample_household_size": f("sample_household_size", &self.sample_household_size),
            "sample_annual_income": f("sample_annual_income", &self.sample_annual_income),
            "sample_days_old": f("sample_days_old", &self.sample_days_old),
        })
    }
}

/// The sample's answers under the new and the current parameters, rule by rule.
fn preview_view(on: NaiveDate, born: Option<NaiveDate>, new: &Evaluation, current: &Evaluation) -> Value {
    let rules: Vec<Value> = new
        .rules
        .iter()
        .map(|r| {
            let before = current.rule(&r.rule);
            json!({
                "rule": r.rule, "label": rule_label(&r.rule),
                "new_passed": r.passed, "new_explanation": r.explanation,
                "current_passed": before.map(|b| b.passed), "current_explanation": before.map(|b| b.explanation.clone()),
            })
        })
        .collect();
    json!({"on": on, "born": born, "new_result": new.result, "current_result": current.result, "rules": rules})
}

/// The first day of next month: the default date a new version takes effect.
fn first_of_next_month(today: NaiveDate) -> NaiveDate {
    today.with_day(1).and_then(|d| d.checked_add_months(Months::new(1))).unwrap_or(today)
}

/// The date a new version takes effect unless the manager says otherwise: the first of
/// next month, or, when the latest version starts then or later, the first of the month
/// after it (two versions never start the same day).
fn default_effective_date(today: NaiveDate, latest: NaiveDate) -> NaiveDate {
    let next = first_of_next_month(today);
    if latest >= next {
        first_of_next_month(latest)
    } else {
        next
    }
}

/// The publish form, copying the latest version (a scheduled one included).
#[get("/policy/new")]
pub async fn new_page(user: PageManager, db: &State<Db>, cookies: &CookieJar<'_>) -> PageResult<Template> {
    let who = user.0;
    let today = crate::clock::today();
    let current = policy::in_force(db.inner(), today).await?;
    let latest = policy::latest(db.inner(), &current.row.name).await?;
    let draft = PolicyDraft::copy_of(&latest.params, default_effective_date(today, latest.row.effective_from));
    let mut form = PolicyForm::from_draft(draft, SampleInput::default(), FormToken::fresh());
    form.copied_from = latest.row.id.to_string();
    let ctx = form_context(db.inner(), &who, cookies, &form, &Problems::default(), &current, None, None).await?;
    Ok(Template::render("policy/new", ctx))
}

/// Preview the draft on the sample family, go back to editing, review it (the
/// confirmation: what changes from the version it copied, in plain words), or publish it.
#[post("/policy/new", data = "<form>")]
pub async fn submit(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<PolicyForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    let mut form = form.into_inner();
    csrf::verify(cookies, &form.csrf_token)?;
    let who = user.0;
    let db = db.inner();
    let today = crate::clock::today();
    let current = policy::in_force(db, today).await?;
    let draft = form.draft();
    let again = |status: Status, ctx: Value| Ok(Either::Right((status, Template::render("policy/new", ctx))));
    if form.action == "preview" {
        let mut problems = Vec::new();
        let params = draft.params().map_err(|p| problems.extend(p)).ok();
        let sample = form.sample().parse().map_err(|p| problems.extend(p)).ok();
        // The sample is checked as on the effective date when it is a good one.
        let on = draft.parse(today).map(|v| v.effective_from).unwrap_or(today);
        let preview = match (params, sample) {
            (Some(params), Some(sample)) => {
                let (family, infant) = sample.snapshots(on);
                let run = |p: &PolicyParams| {
                    let p = p.clone();
                    let (family, infant) = (family.clone(), infant.clone());
                    async move {
                        let g = policy::guidelines(db, &p.poverty_region).await?;
                        Ok::<Evaluation, AppError>(evaluate(&family, &infant, on, &p, &g))
                    }
                };
                Some(preview_view(on, infant.date_of_birth, &run(&params).await?, &run(&current.params).await?))
            }
            _ => None,
        };
        let status = if problems.is_empty() { Status::Ok } else { Status::UnprocessableEntity };
        let ctx = form_context(db, &who, cookies, &form, &Problems::new(&problems), &current, preview, None).await?;
        return again(status, ctx);
    }
    if form.action == "edit" {
        let ctx = form_context(db, &who, cookies, &form, &Problems::default(), &current, None, None).await?;
        return again(Status::Ok, ctx);
    }
    // A refused form keeps its token (nothing of it was kept) and what was typed.
    form.form_token = form.form_token.kept();
    let new = match draft.parse(today) {
        Ok(new) => new,
        Err(problems) => {
            let ctx = form_context(db, &who, cookies, &form, &Problems::new(&problems), &current, None, None).await?;
            return again(Status::UnprocessableEntity, ctx);
        }
    };
    if form.action != "publish" {
        return review(db, &who, cookies, &form, &new, &current).await;
    }
    let body = json!({"params": new.params, "effective_from": new.effective_from, "notes": new.notes,
        "copied_from": form.copied_from()});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), ROUTE, &body);
    let ran = match policy::publish_once(db, Caller { who: &who, ip: &addr.0 }, mode, &new, form.copied_from()).await {
        Ok(ran) => ran,
        Err(AppError::Validation(fields)) => {
            let problems: Vec<(String, String)> =
                fields.into_iter().flat_map(|(f, list)| list.into_iter().map(move |m| (f.clone(), m))).collect();
            let ctx = form_context(db, &who, cookies, &form, &Problems::new(&problems), &current, None, None).await?;
            return again(Status::UnprocessableEntity, ctx);
        }
        Err(e @ AppError::Conflict(_)) => {
            let ctx =
                form_context(db, &who, cookies, &form, &Problems::default(), &current, None, Some(e.message())).await?;
            return again(Status::Conflict, ctx);
        }
        Err(e) => return Err(e.into()),
    };
    let message = if ran.replayed {
        format!("This form already published version {}.", ran.value.version)
    } else {
        format!(
            "Version {} is published. It takes effect on {}; until then the version in force stays.",
            ran.value.version, ran.value.effective_from
        )
    };
    Ok(Either::Left(Flash::success(Redirect::to("/policy"), message)))
}

/// The confirmation before publishing: the new version against the one it copied, in plain
/// words, what it replaces from its date and what replaces it later; or the form again
/// with the reason when it would be refused (same date as another version, a stale copy).
async fn review(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    form: &PolicyForm,
    new: &NewVersion,
    current: &PolicyVersion,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    let latest = policy::latest(db, &current.row.name).await?;
    let copied = match form.copied_from() {
        Some(id) => policy::by_id(db, id).await.ok().filter(|v| v.row.name == current.row.name),
        None => None,
    }
    .unwrap_or_else(|| latest.clone());
    let refusal = (copied.row.id != latest.row.id || copied.row.withdrawn_at.is_some()).then(|| {
        format!(
            "This form copied version {}, but version {} (taking effect on {}) is now the latest. Open \u{201c}Publish a new version\u{201d} again to start from it, so its changes are not lost.",
            copied.row.version, latest.row.version, latest.row.effective_from
        )
    });
    let same_date = policy::starting_on(db, &current.row.name, new.effective_from).await?;
    if refusal.is_some() || same_date.is_some() {
        let problems: Vec<(String, String)> = same_date
            .map(|o| ("effective_from".to_string(), same_date_refusal(o.row.version, o.row.effective_from)))
            .into_iter()
            .collect();
        let ctx = form_context(db, who, cookies, form, &Problems::new(&problems), current, None, refusal).await?;
        let status = if problems.is_empty() { Status::Conflict } else { Status::UnprocessableEntity };
        return Ok(Either::Right((status, Template::render("policy/new", ctx))));
    }
    let replaces = policy::in_force(db, new.effective_from).await.ok();
    let history = policy::history(db).await?;
    let later: Vec<Value> = history
        .iter()
        .filter(|v| v.row.name == current.row.name && v.row.withdrawn_at.is_none())
        .filter(|v| v.row.effective_from > new.effective_from)
        .map(|v| json!({"version": v.row.version, "effective_from": v.row.effective_from}))
        .collect();
    let next_version = history.iter().filter(|v| v.row.name == current.row.name).map(|v| v.row.version).max();
    let ctx = page(
        "Publish this policy version?",
        Some(who),
        cookies,
        None,
        json!({
            "form_token": form.form_token,
            "hidden": form.hidden().into_iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
            "name": current.row.name,
            "next_version": next_version.unwrap_or(0) + 1,
            "effective_from": new.effective_from,
            "notes": new.notes,
            "copied": version_view(&copied),
            "copied_scheduled": copied.row.effective_from > crate::clock::today(),
            "changes": new.params.changes_from(&copied.params),
            "replaces": replaces.as_ref().map(version_view),
            "later": later,
        }),
    );
    Ok(Either::Right((Status::Ok, Template::render("policy/confirm", ctx))))
}

#[expect(clippy::too_many_arguments, reason = "the form page's parts, each from its caller")]
async fn form_context(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    form: &PolicyForm,
    problems: &Problems,
    current: &PolicyVersion,
    preview: Option<Value>,
    refusal: Option<String>,
) -> Result<Value, AppError> {
    let regions = policy::regions(db).await?;
    let history = policy::history(db).await?;
    let latest = policy::latest(db, &current.row.name).await?;
    let copied = form.copied_from().and_then(|id| history.iter().find(|v| v.row.id == id)).unwrap_or(&latest);
    Ok(page(
        "Publish a new policy version",
        Some(who),
        cookies,
        None,
        json!({
            "form": form.view(problems, &regions),
            "problems": problems.summary(),
            "refusal": refusal,
            "current": version_view(current),
            "copied": version_view(copied),
            "copied_scheduled": copied.row.effective_from > crate::clock::today(),
            "copied_is_current": copied.row.id == current.row.id,
            "next_version": history.iter()
                .filter(|v| v.row.name == current.row.name).map(|v| v.row.version).max().unwrap_or(0) + 1,
            "preview": preview,
            "today": crate::clock::today(),
        }),
    ))
}

/// The withdraw form as submitted.
#[derive(Debug, Default, FromForm)]
pub struct WithdrawForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub reason: String,
}

async fn withdraw_context(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    v: &PolicyVersion,
    form: &WithdrawForm,
    problems: &Problems,
    refusal: Option<String>,
) -> Result<Value, AppError> {
    let today = crate::clock::today();
    // What applies on its date once it is withdrawn: the version in force then without it.
    let instead = policy::history(db)
        .await?
        .into_iter()
        .filter(|o| o.row.name == v.row.name && o.row.id != v.row.id && o.row.withdrawn_at.is_none())
        .filter(|o| o.row.effective_from <= v.row.effective_from)
        .max_by_key(|o| (o.row.effective_from, o.row.version));
    Ok(page(
        "Withdraw a policy version",
        Some(who),
        cookies,
        None,
        json!({
            "version": version_view(v),
            "withdrawn": v.row.withdrawn_at.map(crate::clock::date_in_new_york),
            "withdrawn_reason": v.row.withdrawn_reason,
            "started": v.row.effective_from <= today,
            "instead": instead.as_ref().map(version_view),
            "form": {"form_token": form.form_token.or_fresh(), "reason": field("reason", &form.reason, problems)},
            "problems": problems.summary(),
            "refusal": refusal,
        }),
    ))
}

/// Withdrawing a version that has not started: what then applies, and a reason.
#[get("/policy/<id>/withdraw")]
pub async fn withdraw_page(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    id: i64,
) -> PageResult<Template> {
    let v = policy::by_id(db.inner(), id).await?;
    let ctx = withdraw_context(
        db.inner(),
        &user.0,
        cookies,
        &v,
        &<WithdrawForm as Default>::default(),
        &Problems::default(),
        None,
    )
    .await?;
    Ok(Template::render("policy/withdraw", ctx))
}

/// Withdraw it (once per form token) and go back to the policy page.
#[post("/policy/<id>/withdraw", data = "<form>")]
pub async fn withdraw_submit(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<WithdrawForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let who = user.0;
    let db = db.inner();
    let v = policy::by_id(db, id).await?;
    let body = json!({"policy_id": id, "reason": form.reason.trim()});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), "POST /policy/withdraw", &body);
    match policy::withdraw_once(db, Caller { who: &who, ip: &addr.0 }, mode, id, &form.reason).await {
        Ok(ran) => {
            let message = if ran.replayed {
                format!("This form already withdrew version {}.", ran.value.version)
            } else {
                format!(
                    "Version {} is withdrawn: it will not take effect on {}, and stays in the history marked withdrawn.",
                    ran.value.version, ran.value.effective_from
                )
            };
            Ok(Either::Left(Flash::success(Redirect::to("/policy"), message)))
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::IdempotencyConflict)) => {
            let status = e.status();
            let (problems, refusal) = match &e {
                AppError::Validation(_) => (vec![("reason".to_string(), e.sentence())], None),
                _ => (Vec::new(), Some(e.message())),
            };
            let form =
                WithdrawForm { form_token: form.form_token.kept(), reason: form.reason.clone(), ..Default::default() };
            let ctx = withdraw_context(db, &who, cookies, &v, &form, &Problems::new(&problems), refusal).await?;
            Ok(Either::Right((status, Template::render("policy/withdraw", ctx))))
        }
        Err(e) => Err(e.into()),
    }
}
