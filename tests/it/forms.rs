//! Every page form that writes carries a one-time token (decision 0017): a resent form is
//! answered from the stored result, never written twice. This reads the templates, so a new
//! form without a token fails here before anyone double-clicks it.

use std::path::Path;

/// Forms that post without a `form_token` field of their own, and why that is right.
const WITHOUT_OWN_TOKEN: [(&str, &str, &str); 11] = [
    ("login.html.tera", "/login", "signs in: no record is written twice by a resend"),
    (
        "messages/unsubscribe.html.tera",
        "/messages/unsubscribe/{{ token }}",
        "no session: the link's token is the key; a resend finds the consent already withdrawn",
    ),
    (
        "survey/page.html.tera",
        "/s/{{ token }}",
        "no session: the link's token is the key; a round is answered once, a resend is told it was received",
    ),
    ("base.html.tera", "/logout", "signs out: doing it twice is doing it once"),
    ("account/code.html.tera", "/logout", "signs out: doing it twice is doing it once"),
    ("account/two_step.html.tera", "/logout", "signs out: doing it twice is doing it once"),
    ("account/code.html.tera", "/login/code", "a code works once: a resend is refused, no second session"),
    (
        "account/password.html.tera",
        "/account/password",
        "a resend after the change fails the current-password check: it never changes twice",
    ),
    ("account/two_step.html.tera", "/account/two-step", "a resend finds it already on: nothing is written twice"),
    (
        "families/duplicates.html.tera",
        "/families/new",
        "re-sends the register form's hidden fields, its token among them",
    ),
    (
        "stock/confirm.html.tera",
        "{{ confirm.action }}",
        "re-sends the stock form's hidden fields, its token among them",
    ),
];

fn templates(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("templates dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            templates(&path, out);
        } else if path.extension().is_some_and(|e| e == "tera") {
            out.push((path.display().to_string(), std::fs::read_to_string(&path).expect("template")));
        }
    }
}

#[test]
fn every_form_that_writes_carries_a_one_time_token() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut files = Vec::new();
    templates(&root, &mut files);
    let mut posting = 0;
    let mut missing = Vec::new();
    let mut excepted = Vec::new();
    for (path, text) in &files {
        let name = path.strip_prefix(&format!("{}/", root.display())).unwrap_or(path).to_string();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("<form") {
            let form = &rest[at..];
            let open = &form[..form.find('>').expect("a form tag ends")];
            let body = &form[..form.find("</form>").expect("a form closes")];
            rest = &form[open.len()..];
            if !open.contains("method=\"post\"") {
                continue;
            }
            posting += 1;
            let action = open.split("action=\"").nth(1).and_then(|a| a.split('"').next()).unwrap_or("?");
            if body.contains("name=\"form_token\"") {
                continue;
            }
            match WITHOUT_OWN_TOKEN.iter().find(|(file, act, _)| *file == name && *act == action) {
                Some(_) => excepted.push((name.clone(), action.to_string())),
                None => missing.push(format!("{name}: POST {action}")),
            }
        }
    }
    assert!(posting >= 20, "the templates' writing forms were found ({posting})");
    assert!(missing.is_empty(), "forms that write without a one-time token:\n{}", missing.join("\n"));
    assert_eq!(excepted.len(), WITHOUT_OWN_TOKEN.len(), "every exception is still a form: {excepted:?}");
}
