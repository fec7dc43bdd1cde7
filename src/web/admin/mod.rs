//! Administrators' pages (`PageAdmin`): hospital systems (`systems`), the Users list, creating an account, changing its
//! name, role and memberships, deactivating and activating it. Handlers are in `users`,
//! the forms and the page data the templates get in `form`.

pub mod credentials;
pub mod form;
pub mod systems;
pub mod users;

use rocket::{routes, Route};

/// The administrators' page routes.
pub fn routes() -> Vec<Route> {
    routes![
        users::list,
        users::new_form,
        users::create,
        users::edit_form,
        users::update,
        users::deactivate,
        users::activate,
        credentials::reset_password,
        credentials::two_step_off,
        systems::list,
        systems::register,
        systems::revoke
    ]
}
