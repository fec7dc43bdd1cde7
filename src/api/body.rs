//! Reading API input: `JsonBody<T>` parses a JSON body (64 KiB limit) into `T`, keeping the
//! raw value for idempotency; every failure is an `AppError` with a sentence and, where a
//! field is at fault, the field's path. Handlers take `Result<JsonBody<T>, AppError>` and `?` it.

use crate::domain::text;
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
        if let Err(e) = distinct_keys(&text) {
            return Outcome::Error((Status::BadRequest, e));
        }
        if let Some((field, c)) = refused_text(&raw, "") {
            return Outcome::Error((Status::UnprocessableEntity, AppError::validation(&field, text::refusal(c))));
        }
        match parse_value::<T>(&raw) {
            Ok(value) => Outcome::Success(JsonBody { value, raw }),
            Err(e) => Outcome::Error((Status::UnprocessableEntity, e)),
        }
    }
}

/// A key given twice in one object is refused (400), never settled by taking the last: in
/// `{"quantity": 1, "quantity": 250}` the sender's meaning is unknown.
fn distinct_keys(text: &str) -> Result<(), AppError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize::<_, DistinctKeys>(&mut de).map(|_| ()).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." || path.is_empty() { String::new() } else { format!(" (in {path})") };
        AppError::BadRequest(format!("The body gives {}{at}. Send each field once.", e.inner()))
    })
}

/// Any JSON value, read only to check that no object repeats a key.
struct DistinctKeys;

impl<'de> serde::Deserialize<'de> for DistinctKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DistinctKeysVisitor)
    }
}

struct DistinctKeysVisitor;

impl<'de> serde::de::Visitor<'de> for DistinctKeysVisitor {
    type Value = DistinctKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }
    fn visit_unit<E>(self) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<DistinctKeys, A::Error> {
        while seq.next_element::<DistinctKeys>()?.is_some() {}
        Ok(DistinctKeys)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<DistinctKeys, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("the field `{key}` twice")));
            }
            map.next_value::<DistinctKeys>()?;
        }
        Ok(DistinctKeys)
    }
}

/// The first text in a JSON body (a key or a string value) holding a character the program
/// does not store (`domain::text`; line breaks and tabs pass here, single-line fields refuse
/// them when parsed), with the field's path.
fn refused_text(v: &Value, path: &str) -> Option<(String, char)> {
    let at = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match v {
        Value::String(s) => {
            text::refused_char(s, true).map(|c| (if path.is_empty() { "body".into() } else { path.to_string() }, c))
        }
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| refused_text(item, &format!("{path}[{i}]")))
        }
        Value::Object(fields) => fields.iter().find_map(|(k, item)| match text::refused_char(k, false) {
            Some(c) => Some((at(&k.escape_debug().to_string()), c)),
            None => refused_text(item, &at(k)),
        }),
        _ => None,
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
