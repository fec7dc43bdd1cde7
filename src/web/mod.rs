//! Staff pages: each area exposes its routes here; catchers turn a missing session into a
//! redirect to the sign-in page and every other error into an HTML error page.

pub mod account;
pub mod admin;
pub mod audit;
pub mod context;
pub mod error_page;
pub mod families;
pub mod fields;
pub mod handouts;
pub mod home;
pub mod input;
pub mod kept;
pub mod login;
pub mod messages;
pub mod outcomes;
pub mod paper;
pub mod policy;
pub mod referrals;
pub mod reports;
pub mod safe_sleep;
pub mod stock;
pub mod survey;
pub mod words;

use crate::auth::guards::is_tls;
use error_page::error_template;
use rocket::http::Status;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::response::Redirect;
use rocket::{catch, catchers, routes, Catcher, Request, Route};
use rocket_dyn_templates::Template;

/// Whether this request came over TLS (for the cookie's Secure flag).
pub struct RequestTls(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RequestTls {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(RequestTls(is_tls(req)))
    }
}

/// Page routes mounted at `/`.
pub fn routes() -> Vec<Route> {
    let mut all = routes![
        home::home,
        input::refused_input,
        login::login_page,
        login::login_submit,
        login::logout,
        account::account_page,
        account::code_page,
        account::code_submit,
        account::two_step_page,
        account::two_step_submit,
        account::password_page,
        account::password_submit,
        paper::index,
        paper::slips,
        paper::sign_in_sheet,
        paper::enter_form,
        paper::enter,
        handouts::education::education_page,
        handouts::education::education_submit,
        handouts::handout::handout_page,
        handouts::handout::handout_confirm,
        handouts::handout::handout_submit,
        handouts::receipt::receipt_page,
        handouts::refusal::explanation_page,
        // Voiding a hand-out from the pages (issue 20).
        handouts::void::void_page,
        handouts::void::void_confirm,
        handouts::void::void_submit,
        handouts::follow_ups::follow_ups_page,
        handouts::follow_ups::follow_up_call,
        handouts::follow_ups::follow_up_page,
        // The family's follow-up survey, no sign-in (issue 23).
        survey::survey_page,
        survey::survey_submit,
        referrals::nurse::new_request_page,
        referrals::nurse::new_request_submit,
        referrals::nurse::requests_page,
        referrals::nurse::request_page,
        referrals::nurse::cancel_request,
        referrals::triage::triage_page,
        referrals::triage::triage_accept,
        referrals::triage::triage_decline,
        referrals::triage::triage_match,
        audit::audit_page,
        reports::reports_page,
        reports::distribution_csv_page,
        reports::months_csv_page,
        reports::equity_csv_page,
        reports::chart_svg,
        outcomes::outcomes_page,
        outcomes::outcome_csv,
        safe_sleep::safe_sleep_page,
        safe_sleep::safe_sleep_csv,
    ];
    all.extend(admin::routes());
    all.extend(families::routes());
    all.extend(stock::routes());
    // Messages (issue 21): the outbox, the unsubscribe page, and the forms of other pages.
    all.extend(messages::routes());
    // The last route tried for a POST: a page form sent after its session ended (issue 20).
    all.extend(routes![kept::session_ended]);
    all.extend(routes![
        policy::index,
        policy::new_page,
        policy::submit,
        policy::withdraw_page,
        policy::withdraw_submit
    ]);
    all
}

#[catch(401)]
fn unauthorized() -> Redirect {
    Redirect::to("/login")
}
#[catch(403)]
fn forbidden(req: &Request<'_>) -> (Status, Template) {
    let msg = "You may not do this with your account, or the page had expired: go back, reload it and try again.";
    (Status::Forbidden, error_template(req, Status::Forbidden, msg))
}
#[catch(404)]
fn not_found(req: &Request<'_>) -> (Status, Template) {
    (Status::NotFound, error_template(req, Status::NotFound, "There is nothing here, or it is not yours to see."))
}
/// A page answer, with a `Retry-After` header when it has a wait (the 503 pages).
pub struct RetryAfter<R>(pub R, pub Option<u32>);

impl<'r, 'o: 'r, R: rocket::response::Responder<'r, 'o>> rocket::response::Responder<'r, 'o> for RetryAfter<R> {
    fn respond_to(self, req: &'r Request<'_>) -> rocket::response::Result<'o> {
        let mut response = self.0.respond_to(req)?;
        if let Some(seconds) = self.1 {
            response.set_raw_header("Retry-After", seconds.to_string());
        }
        Ok(response)
    }
}

#[catch(default)]
fn other(status: Status, req: &Request<'_>) -> RetryAfter<(Status, Template)> {
    if let Some(sentence) = input::refused_sentence(req) {
        return RetryAfter((status, error_template(req, status, &sentence)), None);
    }
    if status.code == 503 {
        let (msg, wait) = if crate::auth::guards::database_down(req) {
            ("The database is not answering right now, so nothing was saved. Try again in a moment.", 5)
        } else {
            ("The system is busy right now and nothing was saved. Wait a few seconds and try again.", 2)
        };
        return RetryAfter((status, error_template(req, status, msg)), Some(wait));
    }
    let msg = if status.code >= 500 {
        "Something went wrong on our side. Nothing you typed was lost: go back and try again."
    } else if status.code == 413 {
        "What you sent is too large. Shorten the text and try again."
    } else {
        "The form could not be read: a value was missing or of the wrong kind. Go back and check it."
    };
    RetryAfter((status, error_template(req, status, msg)), None)
}

/// HTML catchers for the pages.
pub fn catchers() -> Vec<Catcher> {
    catchers![unauthorized, forbidden, not_found, other]
}
