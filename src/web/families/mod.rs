//! Check-in pages for site staff (and managers): the check-in search and the day's queue,
//! registering a family, and the family page with its eligibility answers. Handlers are
//! thin: a form becomes the API's `FamilyInput`; every rule lives in `domain` and `store`.

pub mod check_in_here;
pub mod checkin;
pub mod correct;
pub mod export;
pub mod form;
pub mod merge;
pub mod record;
pub mod register;

use rocket::{routes, Route};

/// The check-in routes.
pub fn routes() -> Vec<Route> {
    routes![
        checkin::search_page,
        check_in_here::form,
        check_in_here::submit,
        register::new_page,
        register::submit,
        record::show,
        record::check,
        correct::family_form,
        correct::family_submit,
        correct::infant_form,
        correct::infant_submit,
        correct::new_infant_form,
        correct::new_infant_submit,
        correct::not_same,
        merge::compare,
        merge::merge,
        export::show,
        export::erase
    ]
}
