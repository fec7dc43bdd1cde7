//! The role × route matrix: every route the app mounts, called by every kind of caller,
//! answers as the table below says. The list of routes is read from the running Rocket,
//! so a route without a row fails the test (and so does a row whose route is gone).
//!
//! HOW TO ADD A ROUTE: add one `row(…)` to `ROWS`, in the column order
//! `[anonymous, admin, manager, staff, staff2, nurse, nurse2]`:
//! - `route` is the URI template exactly as Rocket prints it, without the query
//!   (`/api/v1/sites/<id>/counts`); when the test fails it prints the missing ones.
//! - `path` is what is actually requested: fill the parameters with ids in or out of the
//!   callers' scope. `staff` works at site 1 (Druid Heights), `staff2` at site 2 (Cherry
//!   Hill); `nurse` at hospital 5 (Johns Hopkins), `nurse2` at hospital 6 (Mercy). Fixtures
//!   made for the test are written `{user}` (an extra site-staff account) and `{transfer}`
//!   (cribs in transit from site 1 to site 2); add more in `fixtures()`.
//! - Expectations: `Allow` (the auth layer let the caller through: any answer but
//!   401/403/404, e.g. a 422 for the empty body, a 409, a 303 elsewhere than the sign-in
//!   page), `Unauth` (API: 401), `Login` (page: 303 to /login), `Deny403` (signed in, but
//!   the role may not), `Hide404` (out of the caller's scope: answered as not found).
//! - API routes (`/api`, `/fhir`, `/healthz`) are called with bearer tokens and the JSON
//!   body `{}`; page routes with a signed-in browser, and page POSTs with the browser's
//!   CSRF token (from a fresh sign-in, so signing out in one row cannot affect another).
//!   `.body(…)` sends something else: JSON for the API, `a=b&c=d` form fields (not
//!   percent-encoded; added to the CSRF field) for pages.
//!   NOTE: when a handler reads the body before it checks scope, `{}` answers 422 to
//!   everyone; send a well-formed body that fails later instead (see the counts rows).

use crate::common::{Browser, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// What the auth layer answers a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Let through: any status but 401/403/404 and a redirect to the sign-in page.
    Allow,
    /// API: 401, no or bad credentials.
    Unauth,
    /// Page: 303 to /login, not signed in.
    Login,
    /// 403: this role may not.
    Deny403,
    /// 404: out of the caller's scope.
    Hide404,
}
use Expect::*;

/// The callers, in column order.
const CALLERS: [(&str, Option<&str>); 7] = [
    ("anonymous", None),
    ("admin", Some("admin@demo.cribs")),
    ("manager", Some("manager@demo.cribs")),
    ("staff", Some("staff@demo.cribs")),
    ("staff2", Some("staff2@demo.cribs")),
    ("nurse", Some("nurse@demo.cribs")),
    ("nurse2", Some("nurse2@demo.cribs")),
];

/// One request and what each caller gets.
struct Row {
    method: &'static str,
    route: &'static str,
    path: &'static str,
    body: &'static str,
    expect: [Expect; 7],
}

const fn row(method: &'static str, route: &'static str, path: &'static str, expect: [Expect; 7]) -> Row {
    Row { method, route, path, body: "", expect }
}

impl Row {
    const fn body(self, body: &'static str) -> Row {
        Row { body, ..self }
    }
}

const EVERYONE: [Expect; 7] = [Allow, Allow, Allow, Allow, Allow, Allow, Allow];
const SIGNED_IN_API: [Expect; 7] = [Unauth, Allow, Allow, Allow, Allow, Allow, Allow];
const MANAGERS_API: [Expect; 7] = [Unauth, Allow, Allow, Deny403, Deny403, Deny403, Deny403];
/// Administrators only.
const ADMIN_API: [Expect; 7] = [Unauth, Allow, Deny403, Deny403, Deny403, Deny403, Deny403];
/// Managers and staff of site 1; staff of site 2 and nurses do not see it.
const SITE_1_API: [Expect; 7] = [Unauth, Allow, Allow, Allow, Hide404, Hide404, Hide404];
const SITE_2_API: [Expect; 7] = [Unauth, Allow, Allow, Hide404, Allow, Hide404, Hide404];
const SIGNED_IN_PAGE: [Expect; 7] = [Login, Allow, Allow, Allow, Allow, Allow, Allow];
const MANAGERS_PAGE: [Expect; 7] = [Login, Allow, Allow, Deny403, Deny403, Deny403, Deny403];
const ADMINS_PAGE: [Expect; 7] = [Login, Allow, Deny403, Deny403, Deny403, Deny403, Deny403];
/// Site staff and managers work with families; nurses may not.
const WORKERS_API: [Expect; 7] = [Unauth, Allow, Allow, Allow, Allow, Deny403, Deny403];
const WORKERS_PAGE: [Expect; 7] = [Login, Allow, Allow, Allow, Allow, Deny403, Deny403];
const SITE_1_PAGE: [Expect; 7] = [Login, Allow, Allow, Allow, Hide404, Hide404, Hide404];
/// The family on `nurse`'s hospital's request (no site's staff see it until it has history there).
const REQUEST_FAMILY_API: [Expect; 7] = [Unauth, Allow, Allow, Hide404, Hide404, Allow, Hide404];
/// A family with history at site 1 only: `staff` (site 1) opens it, `staff2` finds it only
/// as a minimal match and must check it in first (`store::scope`); nurses do not see it.
const SITE1_FAMILY_API: [Expect; 7] = [Unauth, Allow, Allow, Allow, Hide404, Hide404, Hide404];
const SITE1_FAMILY_PAGE: [Expect; 7] = [Login, Allow, Allow, Allow, Hide404, Hide404, Hide404];
const SITE1_WORKERS_API: [Expect; 7] = [Unauth, Allow, Allow, Allow, Hide404, Deny403, Deny403];
const SITE1_WORKERS_PAGE: [Expect; 7] = [Login, Allow, Allow, Allow, Hide404, Deny403, Deny403];
/// `nurse`'s hospital's request: managers and that nurse; site staff and the other hospital do not see it.
const REQUEST_API: [Expect; 7] = [Unauth, Allow, Allow, Hide404, Hide404, Allow, Hide404];
const REQUEST_PAGE: [Expect; 7] = [Login, Allow, Allow, Hide404, Hide404, Allow, Hide404];
const NURSES_API: [Expect; 7] = [Unauth, Deny403, Deny403, Deny403, Deny403, Allow, Allow];
const NURSES_PAGE: [Expect; 7] = [Login, Deny403, Deny403, Deny403, Deny403, Allow, Allow];

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // Public.
    row("GET",  "/healthz",                          "/healthz",                          EVERYONE),
    row("GET",  "/api/openapi.json",                 "/api/openapi.json",                 EVERYONE),
    row("GET",  "/api/docs/<_..>",                   "/api/docs/index.html",              EVERYONE),
    row("POST", "/api/v1/tokens",                    "/api/v1/tokens",                    EVERYONE),
    row("GET",  "/static/<path..>",                  "/static/app.css",                   EVERYONE),
    row("GET",  "/login",                            "/login",                            EVERYONE),
    row("POST", "/login",                            "/login",                            EVERYONE)
        .body("email=manager@demo.cribs&password=cribs-demo"),
    row("POST", "/logout",                           "/logout",                           EVERYONE),
    // Accounts and reference data. One's own account: anyone signed in; the pages that
    // finish a sign-in send a fully signed-in caller on (a redirect, not the sign-in page).
    row("GET",  "/api/v1/me",                        "/api/v1/me",                        SIGNED_IN_API),
    row("POST", "/api/v1/account/password",          "/api/v1/account/password",          SIGNED_IN_API),
    row("GET",  "/account",                          "/account",                          SIGNED_IN_PAGE),
    row("GET",  "/account/password",                 "/account/password",                 SIGNED_IN_PAGE),
    row("POST", "/account/password",                 "/account/password",                 SIGNED_IN_PAGE),
    row("GET",  "/account/two-step",                 "/account/two-step",                 SIGNED_IN_PAGE),
    row("POST", "/account/two-step",                 "/account/two-step",                 SIGNED_IN_PAGE),
    row("GET",  "/login/code",                       "/login/code",                       SIGNED_IN_PAGE),
    row("POST", "/login/code",                       "/login/code",                       SIGNED_IN_PAGE),
    row("GET",  "/api/v1/neighborhoods",             "/api/v1/neighborhoods",             SIGNED_IN_API),
    row("GET",  "/api/v1/crib-models",               "/api/v1/crib-models",               SIGNED_IN_API),
    row("GET",  "/api/v1/sites",                     "/api/v1/sites",                     SIGNED_IN_API),
    // Stock.
    row("POST", "/api/v1/sites/<id>/receipts",       "/api/v1/sites/1/receipts",          MANAGERS_API),
    row("POST", "/api/v1/sites/<id>/adjustments",    "/api/v1/sites/1/adjustments",       MANAGERS_API),
    row("POST", "/api/v1/sites/<id>/thresholds",     "/api/v1/sites/1/thresholds",        MANAGERS_API),
    row("POST", "/api/v1/sites/<id>/counts",         "/api/v1/sites/1/counts",            SITE_1_API)
        .body(r#"{"crib_model_id": 999999, "counted": 1}"#),
    row("POST", "/api/v1/sites/<id>/counts",         "/api/v1/sites/2/counts",            SITE_2_API)
        .body(r#"{"crib_model_id": 999999, "counted": 1}"#),
    row("GET",  "/api/v1/sites/<id>/movements",      "/api/v1/sites/1/movements",         SITE_1_API),
    row("GET",  "/api/v1/sites/<id>/movements",      "/api/v1/sites/2/movements",         SITE_2_API),
    row("POST", "/api/v1/transfers",                 "/api/v1/transfers",                 MANAGERS_API),
    row("GET",  "/api/v1/transfers",                 "/api/v1/transfers",                 SIGNED_IN_API),
    // Received at site 2: its staff may, the sending site's staff and nurses do not see it.
    row("POST", "/api/v1/transfers/<id>/receive",    "/api/v1/transfers/{transfer}/receive", SITE_2_API),
    row("POST", "/api/v1/transfers/<id>/cancel",     "/api/v1/transfers/{transfer}/cancel",  MANAGERS_API),
    // Pages.
    row("GET",  "/",                                 "/",                                 SIGNED_IN_PAGE),
    row("GET",  "/audit",                            "/audit",                            MANAGERS_PAGE),
    row("GET",  "/admin/users",                      "/admin/users",                      ADMINS_PAGE),
    row("GET",  "/admin/systems",                    "/admin/systems",                    ADMINS_PAGE),
    row("POST", "/admin/systems",                    "/admin/systems",                    ADMINS_PAGE),
    row("POST", "/admin/systems/<id>/revoke",        "/admin/systems/{fhir_client}/revoke", ADMINS_PAGE),
    row("GET",  "/admin/users/new",                  "/admin/users/new",                  ADMINS_PAGE),
    row("POST", "/admin/users/new",                  "/admin/users/new",                  ADMINS_PAGE),
    row("GET",  "/admin/users/<id>",                 "/admin/users/{user}",               ADMINS_PAGE),
    row("POST", "/admin/users/<id>",                 "/admin/users/{user}",               ADMINS_PAGE),
    row("POST", "/admin/users/<id>/deactivate",      "/admin/users/{user}/deactivate",    ADMINS_PAGE),
    row("POST", "/admin/users/<id>/activate",        "/admin/users/{user}/activate",      ADMINS_PAGE),
    row("POST", "/admin/users/<id>/password",        "/admin/users/{user}/password",      ADMINS_PAGE),
    row("POST", "/admin/users/<id>/two-step-off",    "/admin/users/{user}/two-step-off",  ADMINS_PAGE),
    // Families and eligibility: staff of any site and managers; nurses only their requests' families.
    row("GET",  "/api/v1/families",                  "/api/v1/families?q=Brooks",         WORKERS_API),
    row("POST", "/api/v1/families",                  "/api/v1/families",                  WORKERS_API),
    // A family registered at site 1: site 2's staff find it only as a minimal match, and
    // `nurse`, whose request matches it (the same phone), sees nothing of it.
    row("GET",  "/api/v1/families/<id>",             "/api/v1/families/{family}",         SITE1_FAMILY_API),
    // A family only on a hospital request: its nurse and managers, no site's staff yet.
    row("GET",  "/api/v1/families/<id>",             "/api/v1/families/{ref_family}",     REQUEST_FAMILY_API),
    row("POST", "/api/v1/families/<id>/eligibility-checks", "/api/v1/families/{family}/eligibility-checks", SITE1_WORKERS_API),
    // The record over time: staff who may open it and managers correct; managers merge.
    row("PATCH", "/api/v1/families/<id>",            "/api/v1/families/{family}",         SITE1_WORKERS_API),
    row("GET",  "/api/v1/families/<id>/history",     "/api/v1/families/{family}/history", SITE1_WORKERS_API),
    row("POST", "/api/v1/families/<id>/infants",     "/api/v1/families/{family}/infants", SITE1_WORKERS_API),
    row("PATCH", "/api/v1/infants/<id>",             "/api/v1/infants/{infant}",          SITE1_WORKERS_API),
    row("POST", "/api/v1/infants/<id>/not-same",     "/api/v1/infants/{infant}/not-same", SITE1_WORKERS_API)
        .body(r#"{"other_infant_id": 1, "reason": "checked at the door"}"#),
    row("POST", "/api/v1/families/<id>/merge",       "/api/v1/families/{family}/merge",   MANAGERS_API),
    row("GET",  "/api/v1/families/<id>/export",      "/api/v1/families/{family}/export",  MANAGERS_API),
    row("POST", "/api/v1/families/<id>/erase",       "/api/v1/families/{family}/erase",   MANAGERS_API),
    row("POST", "/api/v1/eligibility/preview",       "/api/v1/eligibility/preview",       SIGNED_IN_API),
    row("POST", "/api/v1/families/<id>/education",   "/api/v1/families/{family}/education", SITE1_FAMILY_API),
    row("POST", "/api/v1/families/<id>/education",   "/api/v1/families/{ref_family}/education", REQUEST_FAMILY_API),
    // Handouts: staff of the handout's site and managers.
    row("POST", "/api/v1/handouts",                  "/api/v1/handouts",                  WORKERS_API),
    row("GET",  "/api/v1/handouts/<id>",             "/api/v1/handouts/{handout}",        SITE_1_API),
    row("POST", "/api/v1/handouts/<id>/void",        "/api/v1/handouts/{handout}/void",   MANAGERS_API),
    row("GET",  "/api/v1/follow-ups",                "/api/v1/follow-ups",                WORKERS_API),
    row("POST", "/api/v1/follow-ups/<id>/calls",     "/api/v1/follow-ups/{follow_up}/calls", [Unauth, Allow, Allow, Allow, Hide404, Deny403, Deny403])
        .body(r#"{"reached": false}"#),
    // Hospital requests: nurses of the hospital and managers.
    row("GET",  "/api/v1/referrals",                 "/api/v1/referrals",                 [Unauth, Allow, Allow, Deny403, Deny403, Allow, Allow]),
    row("GET",  "/api/v1/referrals/<id>",            "/api/v1/referrals/{referral}",      REQUEST_API),
    row("POST", "/api/v1/referrals",                 "/api/v1/referrals",                 NURSES_API),
    row("POST", "/api/v1/referrals/<id>/accept",     "/api/v1/referrals/{referral}/accept", MANAGERS_API),
    row("POST", "/api/v1/referrals/<id>/decline",    "/api/v1/referrals/{referral}/decline", MANAGERS_API),
    row("POST", "/api/v1/referrals/<id>/matches/<family_id>", "/api/v1/referrals/{referral}/matches/{family}", MANAGERS_API),
    row("GET",  "/fhir/r4/ServiceRequest/<id>",      "/fhir/r4/ServiceRequest/{referral}", REQUEST_API),
    row("POST", "/fhir/r4/ServiceRequest",           "/fhir/r4/ServiceRequest",           NURSES_API),
    // The CapabilityStatement is for anyone; other methods answer 405 to anyone.
    row("GET",  "/fhir/r4/metadata",                 "/fhir/r4/metadata",                 [Allow; 7]),
    // The operators' metrics: from the machine itself by default (the tests' client is).
    row("GET",  "/metrics",                          "/metrics",                          [Allow; 7]),
    row("GET",  "/fhir/r4/Task/<id>",                "/fhir/r4/Task/{referral}",          REQUEST_API),
    row("GET",  "/fhir/r4/Task",                     "/fhir/r4/Task",                     [Unauth, Allow, Allow, Deny403, Deny403, Allow, Allow]),
    row("GET",  "/fhir/r4/Task/<id>/_history/<version>", "/fhir/r4/Task/{untouched}/_history/1", REQUEST_API),
    row("PUT",  "/fhir/r4/Task/<id>",                "/fhir/r4/Task/{referral}",          REQUEST_API),
    row("GET",  "/fhir/r4/ServiceRequest",           "/fhir/r4/ServiceRequest",           [Unauth, Allow, Allow, Deny403, Deny403, Allow, Allow]),
    row("GET",  "/fhir/r4/ServiceRequest/<id>/_history/<version>", "/fhir/r4/ServiceRequest/{untouched}/_history/1", REQUEST_API),
    row("GET",  "/fhir/r4/Patient/<id>",             "/fhir/r4/Patient/{referral}",       REQUEST_API),
    row("GET",  "/fhir/r4/RelatedPerson/<id>",       "/fhir/r4/RelatedPerson/{referral}", REQUEST_API),
    row("GET",  "/fhir/r4/Procedure/<id>",           "/fhir/r4/Procedure/{fulfilled}",    REQUEST_API),
    row("GET",  "/fhir/r4/Procedure",                "/fhir/r4/Procedure",                [Unauth, Allow, Allow, Deny403, Deny403, Allow, Allow]),
    // A transaction Bundle makes a request: nurses (and their hospitals' systems).
    row("POST", "/fhir/r4",                          "/fhir/r4",                          NURSES_API),
    // SMART Backend Services: discovery and the token endpoint are for anyone (the
    // assertion is the credential); registering and revoking systems, administrators.
    row("GET",  "/fhir/r4/.well-known/smart-configuration", "/fhir/r4/.well-known/smart-configuration", [Allow; 7]),
    row("GET",  "/.well-known/smart-configuration", "/.well-known/smart-configuration", [Allow; 7]),
    row("POST", "/fhir/r4/auth/token",               "/fhir/r4/auth/token",               [Allow; 7]),
    row("GET",  "/api/v1/fhir-clients",              "/api/v1/fhir-clients",              ADMIN_API),
    row("POST", "/api/v1/fhir-clients",              "/api/v1/fhir-clients",              ADMIN_API)
        .body(r#"{"name": "x", "hospital_site_id": 999999, "jwks": {"keys": []}, "scopes": "system/Task.rs"}"#),
    row("POST", "/api/v1/fhir-clients/<id>/revoke",  "/api/v1/fhir-clients/{fhir_client}/revoke", ADMIN_API),
    row("PUT",  "/fhir/r4/<path..>",                 "/fhir/r4/ServiceRequest/1",         [Allow; 7]),
    row("DELETE", "/fhir/r4/<path..>",               "/fhir/r4/ServiceRequest/1",         [Allow; 7]),
    row("PATCH", "/fhir/r4/<path..>",                "/fhir/r4/ServiceRequest/1",         [Allow; 7]),
    // Stock pages: managers everywhere, staff at their own site, nurses nowhere.
    row("GET",  "/stock",                            "/stock",                            WORKERS_PAGE),
    row("GET",  "/stock/sites/<id>",                 "/stock/sites/1",                    SITE_1_PAGE),
    row("GET",  "/stock/sites/<id>/movements.csv",   "/stock/sites/1/movements.csv",      SITE_1_PAGE),
    row("GET",  "/stock/sites/<id>/count",           "/stock/sites/1/count",              SITE_1_PAGE),
    row("POST", "/stock/sites/<id>/count/confirm",   "/stock/sites/1/count/confirm",      SITE_1_PAGE),
    row("POST", "/stock/sites/<id>/count",           "/stock/sites/1/count",              SITE_1_PAGE),
    row("GET",  "/stock/restock",                    "/stock/restock",                    MANAGERS_PAGE),
    row("POST", "/stock/restock/confirm",            "/stock/restock/confirm",            MANAGERS_PAGE),
    row("POST", "/stock/restock",                    "/stock/restock",                    MANAGERS_PAGE),
    row("GET",  "/stock/transfer",                   "/stock/transfer",                   MANAGERS_PAGE),
    row("POST", "/stock/transfer/confirm",           "/stock/transfer/confirm",           MANAGERS_PAGE),
    row("POST", "/stock/transfer",                   "/stock/transfer",                   MANAGERS_PAGE),
    row("GET",  "/stock/adjust",                     "/stock/adjust",                     MANAGERS_PAGE),
    row("POST", "/stock/adjust/confirm",             "/stock/adjust/confirm",             MANAGERS_PAGE),
    row("POST", "/stock/adjust",                     "/stock/adjust",                     MANAGERS_PAGE),
    row("GET",  "/stock/lots",                       "/stock/lots?lot=LOT-1",             MANAGERS_PAGE),
    row("POST", "/stock/transfers/<id>/receive",     "/stock/transfers/{transfer2}/receive", [Login, Allow, Allow, Hide404, Allow, Hide404, Hide404]),
    // Reports: managers only.
    row("GET",  "/api/v1/reports/distribution-by-neighborhood", "/api/v1/reports/distribution-by-neighborhood", MANAGERS_API),
    row("GET",  "/api/v1/reports/equity",            "/api/v1/reports/equity",            MANAGERS_API),
    row("GET",  "/api/v1/reports/education",         "/api/v1/reports/education",         MANAGERS_API),
    row("GET",  "/api/v1/reports/eligibility",       "/api/v1/reports/eligibility",       MANAGERS_API),
    row("GET",  "/api/v1/reports/referrals",         "/api/v1/reports/referrals",         MANAGERS_API),
    row("GET",  "/api/v1/reports/follow-ups",        "/api/v1/reports/follow-ups",        MANAGERS_API),
    row("GET",  "/api/v1/reports/safe-sleep",        "/api/v1/reports/safe-sleep",        MANAGERS_API),
    row("GET",  "/api/v1/reports/stock",             "/api/v1/reports/stock",             MANAGERS_API),
    row("GET",  "/reports",                          "/reports",                          MANAGERS_PAGE),
    row("GET",  "/reports/outcomes",                 "/reports/outcomes",                 MANAGERS_PAGE),
    row("GET",  "/reports/outcomes/<name>",          "/reports/outcomes/stock.csv",       MANAGERS_PAGE),
    row("GET",  "/reports/charts/<name>",            "/reports/charts/cribs-by-csa.svg",  MANAGERS_PAGE),
    row("GET",  "/reports/distribution.csv",         "/reports/distribution.csv",         MANAGERS_PAGE),
    row("GET",  "/reports/equity.csv",               "/reports/equity.csv",               MANAGERS_PAGE),
    row("GET",  "/reports/months.csv",               "/reports/months.csv",               MANAGERS_PAGE),
    // Check-in, family pages and policy.
    row("GET",  "/checkin",                          "/checkin?q=Brooks",                 WORKERS_PAGE),
    row("GET",  "/families/new",                     "/families/new",                     WORKERS_PAGE),
    row("POST", "/families/new",                     "/families/new",                     WORKERS_PAGE),
    row("GET",  "/families/<id>",                    "/families/{family}",                SITE1_FAMILY_PAGE),
    // Paper when the network is down: the site's own staff and managers.
    row("GET",  "/paper",                            "/paper",                            WORKERS_PAGE),
    row("GET",  "/paper/slips",                      "/paper/slips?site=1",               SITE1_WORKERS_PAGE),
    row("GET",  "/paper/sign-in",                    "/paper/sign-in?site=1",             SITE1_WORKERS_PAGE),
    row("GET",  "/families/<id>/paper",              "/families/{family}/paper",          SITE1_WORKERS_PAGE),
    row("POST", "/families/<id>/paper",              "/families/{family}/paper",          SITE1_WORKERS_PAGE).body("form_token=t5"),
    row("GET",  "/families/<id>/merge",              "/families/{family}/merge",          MANAGERS_PAGE),
    row("POST", "/families/<id>/merge",              "/families/{family}/merge",          MANAGERS_PAGE),
    row("GET",  "/families/<id>/export",             "/families/{family}/export",         MANAGERS_PAGE),
    row("POST", "/families/<id>/erase",              "/families/{family}/erase",          MANAGERS_PAGE),
    row("GET",  "/families/<id>/correct",            "/families/{family}/correct",        SITE1_WORKERS_PAGE),
    row("POST", "/families/<id>/correct",            "/families/{family}/correct",        SITE1_WORKERS_PAGE).body("form_token=t1"),
    row("GET",  "/families/<id>/infants/new",        "/families/{family}/infants/new",    SITE1_WORKERS_PAGE),
    row("POST", "/families/<id>/infants/new",        "/families/{family}/infants/new",    SITE1_WORKERS_PAGE).body("form_token=t2"),
    row("GET",  "/families/<id>/infants/<infant>/correct", "/families/{family}/infants/{infant}/correct", SITE1_WORKERS_PAGE),
    row("POST", "/families/<id>/infants/<infant>/correct", "/families/{family}/infants/{infant}/correct", SITE1_WORKERS_PAGE)
        .body("form_token=t3"),
    row("POST", "/families/<id>/infants/<infant>/not-same", "/families/{family}/infants/{infant}/not-same", SITE1_WORKERS_PAGE)
        .body("form_token=t4&other_infant_id=1&reason=checked at the door"),
    row("GET",  "/families/<id>",                    "/families/{ref_family}",            [Login, Allow, Allow, Hide404, Hide404, Allow, Hide404]),
    // Checking a family in at one's own site (a family registered elsewhere): site workers
    // and managers; a `{}` body or an empty form is refused for its missing reason (Allow).
    row("POST", "/api/v1/families/<id>/check-in-here", "/api/v1/families/{family}/check-in-here", WORKERS_API),
    row("GET",  "/families/<id>/check-in-here",      "/families/{family}/check-in-here",  WORKERS_PAGE),
    row("POST", "/families/<id>/check-in-here",      "/families/{family}/check-in-here",  WORKERS_PAGE),
    row("POST", "/families/<id>/check",              "/families/{family}/check",          SITE1_WORKERS_PAGE)
        .body("infant_id=999999&form_token=matrix"),
    row("GET",  "/policy",                           "/policy",                           MANAGERS_PAGE),
    row("GET",  "/policy/new",                       "/policy/new",                       MANAGERS_PAGE),
    row("POST", "/policy/new",                       "/policy/new",                       MANAGERS_PAGE),
    row("GET",  "/families/<id>/education",          "/families/{family}/education",      SITE1_FAMILY_PAGE),
    row("POST", "/families/<id>/education",          "/families/{family}/education",      SITE1_FAMILY_PAGE),
    row("GET",  "/families/<id>/handout",            "/families/{family}/handout",        SITE1_WORKERS_PAGE),
    row("POST", "/families/<id>/handout/confirm",    "/families/{family}/handout/confirm", SITE1_WORKERS_PAGE),
    row("POST", "/families/<id>/handout",            "/families/{family}/handout",        WORKERS_PAGE),
    row("GET",  "/handouts/<id>/receipt",            "/handouts/{handout}/receipt",       [Login, Allow, Allow, Allow, Hide404, Hide404, Hide404]),
    // Why a crib could not be given, printable for the family (branch family).
    row("GET",  "/families/<id>/infants/<infant_id>/explanation", "/families/{family}/infants/{infant}/explanation", SITE1_WORKERS_PAGE),
    // Issue 20's dead ends: a void from the pages and a policy version withdrawn (managers);
    // the last route for a POST (a page form sent after its session ended; nothing else).
    row("GET",  "/handouts/<id>/void",               "/handouts/{handout}/void",          MANAGERS_PAGE),
    row("POST", "/handouts/<id>/void/confirm",       "/handouts/{handout}/void/confirm",  MANAGERS_PAGE),
    row("POST", "/handouts/<id>/void",               "/handouts/{handout}/void",          MANAGERS_PAGE),
    row("GET",  "/policy/<id>/withdraw",             "/policy/1/withdraw",                MANAGERS_PAGE),
    row("POST", "/policy/<id>/withdraw",             "/policy/1/withdraw",                MANAGERS_PAGE),
    row("POST", "/<_..>",                            "/no-such-form",                     [Hide404; 7]),
    row("GET",  "/follow-ups",                       "/follow-ups",                       WORKERS_PAGE),
    row("POST", "/follow-ups/<id>/call",             "/follow-ups/{follow_up}/call",      [Login, Allow, Allow, Allow, Hide404, Deny403, Deny403]),
    row("GET",  "/follow-ups/<id>",                  "/follow-ups/{follow_up}",           [Login, Allow, Allow, Allow, Hide404, Deny403, Deny403]),
    row("GET",  "/reports/safe-sleep",               "/reports/safe-sleep",               MANAGERS_PAGE),
    row("GET",  "/reports/safe-sleep.csv",           "/reports/safe-sleep.csv",           MANAGERS_PAGE)
        .body("reached=no"),
    // Request pages and triage.
    row("GET",  "/requests",                         "/requests",                         [Login, Allow, Allow, Deny403, Deny403, Allow, Allow]),
    row("GET",  "/requests/new",                     "/requests/new",                     NURSES_PAGE),
    row("POST", "/requests/new",                     "/requests/new",                     NURSES_PAGE),
    row("GET",  "/requests/<id>",                    "/requests/{referral}",              REQUEST_PAGE),
    row("GET",  "/triage",                           "/triage",                           MANAGERS_PAGE),
    row("POST", "/triage/<id>/accept",               "/triage/{referral}/accept",         MANAGERS_PAGE),
    row("POST", "/triage/<id>/decline",              "/triage/{referral}/decline",        MANAGERS_PAGE),
    row("POST", "/triage/<id>/match/<family_id>",    "/triage/{referral}/match/{family}", MANAGERS_PAGE),
    // Last: these cancel the request the rows above use.
    row("POST", "/requests/<id>/cancel",             "/requests/{referral}/cancel",       REQUEST_PAGE),
    row("POST", "/api/v1/referrals/<id>/cancel",     "/api/v1/referrals/{referral}/cancel", REQUEST_API),
    // Messages (issue 21).
    row("GET",  "/api/v1/messages",                  "/api/v1/messages",                  MANAGERS_API),
    row("POST", "/api/v1/messages/<id>/retry",       "/api/v1/messages/{message}/retry",  MANAGERS_API),
    row("GET",  "/api/v1/families/<id>/messages",    "/api/v1/families/{family}/messages", SITE1_WORKERS_API),
    row("POST", "/api/v1/families/<id>/consent",     "/api/v1/families/{family}/consent", SITE1_WORKERS_API)
        .body(r#"{"email": "matrix@example.org"}"#),
    row("POST", "/api/v1/families/<id>/consent/withdraw", "/api/v1/families/{family}/consent/withdraw", SITE1_WORKERS_API),
    row("GET",  "/api/v1/account/notices",           "/api/v1/account/notices",           SIGNED_IN_API),
    row("POST", "/api/v1/account/notices",           "/api/v1/account/notices",           SIGNED_IN_API)
        .body(r#"{"off": []}"#),
    row("POST", "/api/v1/referrals/<id>/hold",       "/api/v1/referrals/{referral}/hold", MANAGERS_API)
        .body(r#"{"until": "2020-01-01"}"#),
    row("GET",  "/messages",                         "/messages",                         MANAGERS_PAGE),
    row("POST", "/messages/<id>/retry",              "/messages/{message}/retry",         MANAGERS_PAGE),
    row("GET",  "/messages/unsubscribe/<token>",     "/messages/unsubscribe/not-a-token-we-made", [Hide404; 7]),
    row("POST", "/messages/unsubscribe/<token>",     "/messages/unsubscribe/not-a-token-we-made", [Hide404; 7]),
    row("GET",  "/s/<token>",                        "/s/not-a-token-we-made",            [Hide404; 7]),
    row("POST", "/s/<token>",                        "/s/not-a-token-we-made",            [Hide404; 7]),
    row("POST", "/families/<id>/consent",            "/families/{family}/consent",        SITE1_WORKERS_PAGE)
        .body("email=matrix@example.org&language=en&agreed=yes"),
    row("POST", "/families/<id>/consent/withdraw",   "/families/{family}/consent/withdraw", SITE1_WORKERS_PAGE),
    row("POST", "/account/notices",                  "/account/notices",                  SIGNED_IN_PAGE),
    row("POST", "/requests/<id>/hold",               "/requests/{referral}/hold",         MANAGERS_PAGE),
    // Answers a request whose path or query string held a control character (never linked).
    row("GET",  "/_refused-input",                   "/_refused-input",                   [Hide404; 7]),
    // Last: it revokes the token of each caller it is called with.
    row("DELETE", "/api/v1/tokens/current",          "/api/v1/tokens/current",            SIGNED_IN_API),
];

fn is_api(route: &str) -> bool {
    route.starts_with("/api/") || route.starts_with("/fhir/") || route == "/healthz"
}

fn without_query(uri: &str) -> String {
    uri.split('?').next().unwrap_or(uri).to_string()
}

/// Whether a concrete path fits a route template (`<x>` one segment, `<x..>` the rest).
fn fits(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(seg), _) if seg.starts_with('<') && seg.ends_with("..>") => return true,
            (Some(seg), Some(got)) if seg.starts_with('<') && seg.ends_with('>') && !got.is_empty() => {}
            (Some(seg), Some(got)) if seg == got => {}
            _ => return false,
        }
    }
}

/// Ids of things made for the test, by placeholder.
async fn fixtures(app: &TestApp) -> BTreeMap<&'static str, String> {
    use cribs::domain::account::{DisplayName, Email, NewPassword};
    use cribs::store::users::{create, ChangedBy, NewUser};
    let target = create(
        &app.db,
        ChangedBy::system(),
        NewUser {
            email: Email::parse("target@demo.cribs").expect("email"),
            display_name: DisplayName::parse("Target Person").expect("name"),
            password: NewPassword::choose("target's long password", &[]).expect("password"),
            role: cribs::domain::role::Role::SiteStaff,
            site_ids: vec![3],
            hospital_site_id: None,
        },
    )
    .await
    .expect("a target account");
    let manager = app.token("manager@demo.cribs").await;
    let (status, transfer) = app
        .post(
            &manager,
            "/api/v1/transfers",
            &json!({"from_site_id": 1, "to_site_id": 2, "crib_model_id": 1, "quantity": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{transfer}");
    let (status, transfer2) = app
        .post(
            &manager,
            "/api/v1/transfers",
            &json!({"from_site_id": 1, "to_site_id": 2, "crib_model_id": 1, "quantity": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{transfer2}");
    // A family with a handout at site 1 (and so a follow-up), on no hospital request.
    let staff = app.token("staff@demo.cribs").await;
    let family = crate::common::fixtures::family().with_infant_born(crate::common::fixtures::days_ago(10)).build();
    let (status, f) = app.post(&staff, "/api/v1/families", &family).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let fid = f["id"].as_i64().expect("family");
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let abcd = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Tanya Brooks"});
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &abcd).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, h) = app
        .post(
            &staff,
            "/api/v1/handouts",
            &json!({"family_id": fid, "infant_id": f["infant_ids"][0], "site_id": 1, "crib_model_id": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    // A request from `nurse`'s hospital.
    let nurse = app.token("nurse@demo.cribs").await;
    let request = json!({
        "caregiver": {"first_name": "Maya", "last_name": "Matrix", "phone": "410-555-6161"},
        "address": {"line1": "1 Test St", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 2, "enrollments": ["WIC"], "has_safe_sleep_space": false,
        "infant": {"date_of_birth": crate::common::fixtures::days_ago(1).to_string()},
        "discharge_date": crate::common::fixtures::today().to_string()
    });
    let (status, r) = app.post(&nurse, "/api/v1/referrals", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    // A request from `nurse`'s hospital that matches the site-1 family (its phone): it is
    // a possible match for triage, and opens nothing of that family to the nurse.
    let mut matching = request.clone();
    matching["caregiver"]["phone"] = json!("410-555-0101");
    matching["caregiver"]["last_name"] = json!("Brooks");
    let (status, m) = app.post(&nurse, "/api/v1/referrals", &matching).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_ne!(m["family_id"], json!(fid), "a request never joins a family registered before it");
    // A failed message about the request, for the outbox's retry.
    use sea_orm::ConnectionTrait;
    let now = cribs::clock::now().format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string();
    let cast = if app.db.get_database_backend() == sea_orm::DbBackend::Postgres { "::timestamptz" } else { "" };
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO messages (dedupe_key, kind, user_id, referral_id, language, status, not_before, attempts, \
             last_error, created_at, updated_at) SELECT 'matrix', 'request_accepted', created_by, id, 'en', 'failed', \
             '{now}'{cast}, 8, 'refused', '{now}'{cast}, '{now}'{cast} FROM referrals WHERE id = {}",
            r["id"]
        ))
        .await
        .expect("a failed message");
    let message = app.count_where("messages", "dedupe_key = 'matrix'").await;
    assert_eq!(message, 1);
    // A request handed out (its Procedure), sent by the nurse with hospital education.
    let mut fulfilled = request.clone();
    fulfilled["caregiver"]["last_name"] = json!("Okonkwo");
    fulfilled["caregiver"]["phone"] = json!("410-555-0177");
    fulfilled["education_given_in_hospital"] = json!(true);
    let (status, fr) = app.post(&nurse, "/api/v1/referrals", &fulfilled).await;
    assert_eq!(status, StatusCode::CREATED, "{fr}");
    let (status, a) = app
        .post(&manager, &format!("/api/v1/referrals/{}/accept", fr["id"]), &json!({"site_id": 2, "crib_model_id": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let staff2 = app.token("staff2@demo.cribs").await;
    let (status, c) =
        app.post(&staff2, &format!("/api/v1/families/{}/eligibility-checks", fr["family_id"]), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (status, fh) = app.post(&staff2, "/api/v1/handouts", &json!({"family_id": fr["family_id"], "infant_id": fr["infant_id"], "site_id": 2, "crib_model_id": 1, "referral_id": fr["id"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{fh}");
    // A hospital system's registration, for its revocation.
    let admin = app.token("admin@demo.cribs").await;
    let (status, client) = app.post(&admin, "/api/v1/fhir-clients", &json!({"name": "Matrix system", "hospital_site_id": 5, "jwks": crate::fhir_systems::jwks(), "scopes": "system/Task.rs"})).await;
    assert_eq!(status, StatusCode::CREATED, "{client}");
    BTreeMap::from([
        ("{user}", target.id.to_string()),
        ("{fulfilled}", fr["id"].to_string()),
        ("{untouched}", m["id"].to_string()),
        ("{fhir_client}", client["id"].to_string()),
        ("{transfer}", transfer["id"].to_string()),
        ("{transfer2}", transfer2["id"].to_string()),
        ("{family}", fid.to_string()),
        ("{infant}", f["infant_ids"][0].to_string()),
        ("{handout}", h["id"].to_string()),
        ("{follow_up}", "1".to_string()),
        ("{referral}", r["id"].to_string()),
        ("{ref_family}", r["family_id"].to_string()),
        ("{message}", message_id(app).await.to_string()),
    ])
}

fn fill(path: &str, fixtures: &BTreeMap<&'static str, String>) -> String {
    fixtures.iter().fold(path.to_string(), |p, (k, v)| p.replace(k, v))
}

/// A browser for a caller: signed in, or anonymous with a CSRF cookie from the sign-in page.
async fn browser(app: &TestApp, email: Option<&str>) -> (Browser, String) {
    match email {
        Some(e) => {
            let b = app.browser_signed_in(e).await;
            let csrf = b.csrf("/").await;
            (b, csrf)
        }
        None => {
            let b = app.browser();
            let csrf = b.csrf("/login").await;
            (b, csrf)
        }
    }
}

/// Send the row's request as a caller and classify the answer.
async fn observe(
    app: &TestApp,
    row: &Row,
    path: &str,
    token: Option<&str>,
    session: Option<&(Browser, String)>,
    email: Option<&str>,
) -> Result<Expect, String> {
    let method = Method::from_bytes(row.method.as_bytes()).map_err(|e| e.to_string())?;
    let res = if is_api(row.route) {
        let mut req = app.http.request(method.clone(), app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if method != Method::GET {
            req =
                req.header("Content-Type", "application/json").body(if row.body.is_empty() { "{}" } else { row.body });
        }
        req.send().await
    } else if method == Method::GET {
        let (b, _) = session.ok_or("no browser")?;
        b.client.get(app.url(path)).send().await
    } else {
        // A fresh browser, so that signing in or out here cannot change the next row.
        let (b, csrf) = browser(app, email).await;
        let mut fields: Vec<(String, String)> = vec![("csrf_token".into(), csrf)];
        for pair in row.body.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            fields.push((k.into(), v.into()));
        }
        b.client.request(method, app.url(path)).form(&fields).send().await
    }
    .map_err(|e| e.to_string())?;
    let status = res.status();
    let location = res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let flash = res.headers().get_all("set-cookie").iter().any(|c| c.to_str().is_ok_and(|c| c.starts_with("_flash=")));
    Ok(match status {
        StatusCode::UNAUTHORIZED => Unauth,
        StatusCode::FORBIDDEN => Deny403,
        StatusCode::NOT_FOUND => Hide404,
        // NOTE: the guard's redirect to the sign-in page carries no message; a handler's
        // own redirect there (signing out) carries a flash message.
        StatusCode::SEE_OTHER if location == "/login" && !flash => Login,
        s if s.is_server_error() => return Err(format!("server error {s}")),
        _ => Allow,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_mounted_route_answers_every_caller_as_the_table_says() {
    let app = TestApp::spawn().await;

    // Every mounted route has a row, and every row a mounted route.
    let mounted: BTreeSet<(String, String)> =
        app.routes().iter().map(|(m, uri)| (m.clone(), without_query(uri))).collect();
    let table: BTreeSet<(String, String)> = ROWS.iter().map(|r| (r.method.to_string(), r.route.to_string())).collect();
    let missing: Vec<String> = mounted
        .difference(&table)
        .map(|(m, r)| format!("    row({m:?}, {r:?}, \"<path with ids>\", [anonymous, admin, manager, staff, staff2, nurse, nurse2]),"))
        .collect();
    assert!(missing.is_empty(), "routes without a row in the access matrix; add:\n{}", missing.join("\n"));
    let stale: Vec<_> = table.difference(&mounted).collect();
    assert!(stale.is_empty(), "rows for routes that are not mounted: {stale:?}");

    let fx = fixtures(&app).await;
    for r in ROWS {
        let path = fill(r.path, &fx);
        assert!(fits(r.route, &without_query(&path)), "the path {path} does not fit its route {}", r.route);
        assert!(!path.contains('{'), "unknown placeholder in {}", r.path);
    }

    // One token and one signed-in browser per caller.
    let mut tokens = Vec::new();
    let mut sessions = Vec::new();
    for (_, email) in CALLERS {
        match email {
            Some(e) => {
                tokens.push(Some(app.token(e).await));
                sessions.push(browser(&app, Some(e)).await);
            }
            None => {
                tokens.push(None);
                sessions.push(browser(&app, None).await);
            }
        }
    }

    // The callers are who the table assumes.
    let (_, me) = app.get(tokens[3].as_deref().unwrap_or_default(), "/api/v1/me").await;
    assert_eq!(me["sites"][0]["id"], 1, "staff works at site 1");
    let (_, me) = app.get(tokens[6].as_deref().unwrap_or_default(), "/api/v1/me").await;
    assert_eq!(me["hospital"]["id"], 6, "nurse2 works at hospital 6");

    // NOTE: the rows run in order; the last one revokes each caller's token.
    let mut failures = Vec::new();
    for r in ROWS {
        let path = fill(r.path, &fx);
        for (i, (who, email)) in CALLERS.iter().enumerate() {
            let got = observe(&app, r, &path, tokens[i].as_deref(), Some(&sessions[i]), *email).await;
            if got != Ok(r.expect[i]) {
                failures.push(format!("{} {path} as {who}: expected {:?}, got {got:?}", r.method, r.expect[i]));
            }
        }
    }
    assert!(failures.is_empty(), "{} answer(s) differ from the table:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn paths_fit_templates() {
    assert!(fits("/api/v1/sites/<id>/counts", "/api/v1/sites/1/counts"));
    assert!(!fits("/api/v1/sites/<id>/counts", "/api/v1/sites/1/count"));
    assert!(!fits("/api/v1/sites/<id>/counts", "/api/v1/sites//counts"));
    assert!(fits("/static/<path..>", "/static/app.css"));
    assert!(fits("/", "/"));
    assert!(!fits("/admin/users", "/admin/users/1"));
}

/// The id of the fixture's failed message.
async fn message_id(app: &TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, "SELECT id FROM messages WHERE dedupe_key = 'matrix'"))
        .await
        .expect("read")
        .expect("the message");
    row.try_get::<i64>("", "id").expect("id")
}
