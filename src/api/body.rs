//! Reading API input: `JsonBody<T>` parses a JSON body (64 KiB limit) into `T`, keeping the
//! raw value for idempotency; every failure is an `AppError` with a sentence and, where a
//! field is at fault, the field's path. Handlers take `Result<JsonBody<T>, AppError>` and `?` it.

use crate::error::AppError;
use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::http::Status;
use rocket::request::{self, FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The JSON body limit.
pub const JSON_LIMIT_BYTES: u64 = 64 * 1024;

/// A parsed JSON body and the raw value it came from.
pub struct JsonBody<T> {
    pub value: T,
    pub raw: Value,
}

/// Parse a JSON value into `T`, naming the field at fault.
pub fn parse_value<T: DeserializeOwned>(raw: &Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize::<_, T>(raw.clone()).map_err(|e| {
        let path = e.path().to_string();
        let at_root = path == "." || path.is_empty();
        let msg = e.inner().to_string();
        // NOTE: a missing field is reported at its parent; name the field itself.
        let named = ["missing field `"]
            .iter()
            .find_map(|p| msg.strip_prefix(p))
            .and_then(|rest| rest.split('`').next())
            .map(|name| if at_root { name.to_string() } else { format!("{path}.{name}") });
        let field = named.unwrap_or_else(|| if at_root { "body".to_string() } else { path });
        AppError::validation(&field, describe_serde_error(&msg))
    })
}

/// Turn serde's message into a sentence for a person.
fn describe_serde_error(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return format!("The field `{name}` is required.");
    }
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return format!("`{name}` is not a field this operation accepts.");
    }
    if msg.starts_with("invalid type") || msg.starts_with("invalid value") {
        return format!("Wrong kind of value: {msg}.");
    }
    format!("{msg}.")
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = AppError;

    async fn from_data(_req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self> {
        let read = match data.open(JSON_LIMIT_BYTES.bytes()).into_string().await {
            Ok(s) => s,
            Err(_) => {
                return Outcome::Error((Status::BadRequest, AppError::BadRequest("The body could not be read.".into())))
            }
        };
        if !read.is_complete() {
            return Outcome::Error((Status::PayloadTooLarge, AppError::PayloadTooLarge));
        }
        let text = read.into_inner();
        let raw: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                let err = AppError::BadRequest(format!("The body is not valid JSON ({e}). Send a JSON object."));
                return Outcome::Error((Status::BadRequest, err));
            }
        };
        match parse_value::<T>(&raw) {
            Ok(value) => Outcome::Success(JsonBody { value, raw }),
            Err(e) => Outcome::Error((Status::UnprocessableEntity, e)),
        }
    }
}

/// The `Idempotency-Key` header, if sent.
pub struct IdempotencyKey(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyKey {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        request::Outcome::Success(IdempotencyKey(req.headers().get_one("Idempotency-Key").map(str::to_string)))
    }
}
