//! The characters rule (`domain::text`) at the edges a handler does not see: every form
//! body (`Checked<T>`, the pages' form guard) and every path and query string (the
//! `InputCheck` fairing, for the pages, the API and FHIR alike). A refused character
//! answers 422 with the field named and a sentence, and nothing reaches a handler or the
//! database: NUL is refused here before PostgreSQL could fail on it.

use crate::domain::text;
use crate::error::AppError;
use crate::fhir::outcome::FhirError;
use crate::web::error_page::error_template;
use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::form::{Form, FromForm};
use rocket::http::uri::Origin;
use rocket::http::{Method, RawStr, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder};
use rocket::{get, Either};
use rocket_dyn_templates::Template;

/// What was refused, for the answer (kept in the request's local cache).
#[derive(Debug, Clone, Default)]
pub struct Refused(Option<(String, String)>);

/// The first refused character in url-encoded pairs (`a=1&b=2`): (field, sentence).
fn refused_pair(encoded: &str) -> Option<(String, String)> {
    for pair in encoded.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = RawStr::new(name).url_decode_lossy();
        let value = RawStr::new(value).url_decode_lossy();
        let c = text::refused_char(&name, false).or_else(|| text::refused_char(&value, true));
        if let Some(c) = c {
            let field: String = name.chars().filter(|c| !text::is_refused(*c, false)).collect();
            return Some((if field.is_empty() { "form".into() } else { field }, text::refusal(c)));
        }
    }
    None
}

/// A page form, read as Rocket's `Form<T>` reads it once every value has passed the
/// characters rule. Multi-line fields may hold line breaks here; the domain refuses them in
/// single-line fields when it parses them.
pub struct Checked<T>(pub T);

impl<T> Checked<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Checked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r, T: for<'a> FromForm<'a> + Send + 'static> FromData<'r> for Checked<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self> {
        let limit = req.limits().get("form").unwrap_or_else(|| 64.kibibytes());
        let read = match data.open(limit).into_string().await {
            Ok(read) => read,
            Err(_) => return Outcome::Error((Status::BadRequest, ())),
        };
        if !read.is_complete() {
            return Outcome::Error((Status::PayloadTooLarge, ()));
        }
        let body = read.into_inner();
        if let Some(refused) = refused_pair(&body) {
            req.local_cache(|| Refused(Some(refused)));
            return Outcome::Error((Status::UnprocessableEntity, ()));
        }
        match Form::<T>::parse_encoded(RawStr::new(&body)) {
            Ok(value) => Outcome::Success(Checked(value)),
            Err(errors) => {
                tracing::debug!("a form could not be read: {errors}");
                Outcome::Error((Status::UnprocessableEntity, ()))
            }
        }
    }
}

/// The sentence a page shows for a form refused by `Checked` (the catcher asks).
pub fn refused_sentence(req: &Request<'_>) -> Option<String> {
    req.local_cache(Refused::default)
        .0
        .as_ref()
        .map(|(field, why)| format!("The field “{field}”: {why} Go back: what you typed is still in the form."))
}

/// The fairing that checks every request's path and query string. A refused one is sent to
/// `refused_input`, which answers 422 in the face the request was made to.
pub struct InputCheck;

/// Where `InputCheck` sends a refused request.
const REFUSED_PATH: &str = "/_refused-input";

/// The face a refused request was made to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Page,
    Api,
    Fhir,
}

/// What `InputCheck` found, kept for `refused_input`.
#[derive(Debug, Clone)]
struct RefusedRequest {
    face: Face,
    field: String,
    sentence: String,
}

#[rocket::async_trait]
impl Fairing for InputCheck {
    fn info(&self) -> Info {
        Info { name: "Refuse control characters in paths and query strings", kind: Kind::Request }
    }

    async fn on_request(&self, req: &mut Request<'_>, _data: &mut Data<'_>) {
        let path = req.uri().path();
        let in_path = path
            .segments()
            .find_map(|segment| text::refused_char(segment, false).map(|c| ("path".to_string(), text::refusal(c))));
        let found = in_path.or_else(|| req.uri().query().and_then(|q| refused_pair(q.as_str())));
        let Some((field, sentence)) = found else { return };
        let raw = path.as_str();
        let face = if raw.starts_with("/api") {
            Face::Api
        } else if raw.starts_with("/fhir") {
            Face::Fhir
        } else {
            Face::Page
        };
        req.local_cache(|| Some(RefusedRequest { face, field, sentence }));
        req.set_method(Method::Get);
        req.set_uri(Origin::const_new(REFUSED_PATH, None));
    }
}

/// The answer to a request `InputCheck` refused (nothing else reaches it: without a refusal
/// it is 404).
pub struct RefusedAnswer(Option<RefusedRequest>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RefusedAnswer {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        request::Outcome::Success(RefusedAnswer(req.local_cache(|| None::<RefusedRequest>).clone()))
    }
}

/// 422 for a refused path or query string, as JSON, as an OperationOutcome, or as a page.
#[get("/_refused-input")]
pub fn refused_input(answer: RefusedAnswer) -> Either<RefusedResponse, Status> {
    match answer.0 {
        Some(r) => Either::Left(RefusedResponse(r)),
        None => Either::Right(Status::NotFound),
    }
}

/// The 422 answer itself.
pub struct RefusedResponse(RefusedRequest);

impl<'r> Responder<'r, 'static> for RefusedResponse {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let RefusedRequest { face, field, sentence } = self.0;
        match face {
            Face::Api => AppError::validation(&field, sentence).respond_to(req),
            Face::Fhir => FhirError::value(&field, &sentence).respond_to(req),
            Face::Page => {
                let message = format!("The address has “{field}” with a character that cannot be used. {sentence}");
                let page: Template = error_template(req, Status::UnprocessableEntity, &message);
                (Status::UnprocessableEntity, page).respond_to(req)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_pairs_are_decoded_before_the_rule() {
        assert_eq!(refused_pair("q=O%27Brien-N%C3%BA%C3%B1ez&page=2"), None);
        assert_eq!(refused_pair("note=two%0D%0Alines"), None, "line breaks pass here");
        let refused = refused_pair("email=a%00b&password=x");
        assert_eq!(refused.as_ref().map(|r| r.0.as_str()), Some("email"));
        assert!(refused.is_some_and(|r| r.1.contains("U+0000")), "the sentence names the character");
        assert_eq!(refused_pair("last_name=Ann%E2%80%AEgpj").map(|r| r.0), Some("last_name".into()));
    }
}
