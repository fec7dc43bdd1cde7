//! What every page's template gets: the title, who is signed in, the navigation for
//! their role, the CSRF token for its forms, and any flash message.

use crate::auth::csrf;
use crate::domain::actor::Actor;
use crate::domain::role::Role;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use serde::Serialize;
use serde_json::{json, Value};

/// One navigation link.
#[derive(Serialize)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

/// The navigation for a role.
pub fn nav_for(role: Role) -> Vec<NavLink> {
    let mut links = vec![NavLink { href: "/", label: "Home" }];
    match role {
        Role::SiteStaff => {
            links.push(NavLink { href: "/checkin", label: "Check-in" });
            links.push(NavLink { href: "/stock", label: "Stock" });
            links.push(NavLink { href: "/follow-ups", label: "Follow-ups" });
            links.push(NavLink { href: "/paper", label: "Paper forms" });
        }
        Role::ProgramManager | Role::Admin => {
            links.push(NavLink { href: "/checkin", label: "Check-in" });
            links.push(NavLink { href: "/policy", label: "Policy" });
            links.push(NavLink { href: "/stock", label: "Stock" });
            links.push(NavLink { href: "/triage", label: "Triage" });
            links.push(NavLink { href: "/follow-ups", label: "Follow-ups" });
            links.push(NavLink { href: "/stock/lots", label: "Lot lookup" });
            links.push(NavLink { href: "/reports", label: "Reports" });
            links.push(NavLink { href: "/audit", label: "Audit" });
            links.push(NavLink { href: "/messages", label: "Messages" });
        }
        Role::Nurse => {
            links.push(NavLink { href: "/requests/new", label: "New request" });
            links.push(NavLink { href: "/requests", label: "My hospital's requests" });
        }
    }
    if role == Role::Admin {
        links.push(NavLink { href: "/admin/users", label: "Users" });
        links.push(NavLink { href: "/admin/systems", label: "Hospital systems" });
    }
    links
}

/// The base context of a page, merged with the page's own values.
pub fn page(
    title: &str,
    who: Option<&Actor>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
    extra: Value,
) -> Value {
    let mut ctx = json!({
        "title": title,
        "csrf_token": csrf::token(cookies),
        "user": who.map(|w| json!({
            "id": w.id,
            "name": w.display_name,
            "email": w.email,
            "role": w.role.as_str(),
            "role_label": w.role.label(),
        })),
        "nav": who.map(|w| nav_for(w.role)).unwrap_or_default(),
        "flash": flash.map(|f| json!({"kind": f.kind(), "message": f.message()})),
    });
    if let (Some(base), Value::Object(more)) = (ctx.as_object_mut(), extra) {
        base.extend(more);
    }
    ctx
}
