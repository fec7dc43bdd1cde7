//! The unsubscribe page of every family e-mail, `/messages/unsubscribe/<token>`: no sign-in,
//! in the consent's language (the message catalog, `unsubscribe-*`). `GET` asks "Stop
//! e-mails from the crib program?" with one button; `POST` withdraws the consent
//! (`store::outbox::consent::unsubscribe`, audited with no user) and says so. Doing it twice
//! is harmless. An unknown token answers 404 with a kind page in every language.
//!
//! NOTE: no session and no CSRF token here. The random token in the address is the
//! capability, and it can only withdraw this one consent (the worst a forged POST can do is
//! what the link's owner asked for). The POST is also the RFC 8058 one-click unsubscribe a
//! mail client sends from the `List-Unsubscribe` header (`List-Unsubscribe=One-Click`,
//! form-encoded or multipart): the body is not read at all, so whatever a client sends,
//! the token decides. No `PageUser` guard means such a POST is never taken for a page form
//! whose session ended (`web::kept`); the token in the path passes `InputCheck` like any
//! path.

use crate::auth::guards::ClientAddr;
use crate::catalog::catalog;
use crate::db::Db;
use crate::store::outbox::consent::{self, Unsubscribe};
use crate::web::error_page::PageResult;
use rocket::http::Status;
use rocket::{get, post, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// The page for what a token stands for: the question, the answer, or "not found".
fn answer(state: &Unsubscribe, token: &str) -> (Status, Template) {
    let c = catalog();
    match state {
        Unsubscribe::Active { language } => {
            let lang = c.supported(language);
            let title = c.text(lang, "unsubscribe-title");
            let ctx = json!({"lang": lang, "title": title, "state": "ask", "token": token.trim()});
            (Status::Ok, Template::render("messages/unsubscribe", ctx))
        }
        Unsubscribe::AlreadyWithdrawn { language } => {
            let lang = c.supported(language);
            let title = c.text(lang, "unsubscribe-done");
            (
                Status::Ok,
                Template::render("messages/unsubscribe", json!({"lang": lang, "title": title, "state": "done"})),
            )
        }
        Unsubscribe::Unknown => {
            // No consent, no language: the kind sentence in every language the catalog has.
            let others: Vec<&str> = c.languages().into_iter().filter(|l| *l != crate::catalog::FALLBACK).collect();
            let ctx = json!({
                "lang": crate::catalog::FALLBACK,
                "title": c.text(crate::catalog::FALLBACK, "unsubscribe-unknown"),
                "state": "unknown",
                "others": others,
            });
            (Status::NotFound, Template::render("messages/unsubscribe", ctx))
        }
    }
}

/// "Stop e-mails from the crib program?" (or: already stopped; or: not found).
#[get("/messages/unsubscribe/<token>")]
pub async fn unsubscribe_page(db: &State<Db>, token: &str) -> PageResult<(Status, Template)> {
    let state = consent::by_token(db.inner(), token).await?;
    Ok(answer(&state, token))
}

/// Stop the e-mails (the page's button, or a mail client's one-click POST).
#[post("/messages/unsubscribe/<token>")]
pub async fn unsubscribe_submit(db: &State<Db>, addr: ClientAddr, token: &str) -> PageResult<(Status, Template)> {
    let state = consent::unsubscribe(db.inner(), token, &addr.0).await?;
    Ok(answer(&state, token))
}
