//! E-mail (issue 21, decision 0023): the mail server the outbox's messages go to (`Mailer`,
//! from `CRIBS_SMTP_URL` and `CRIBS_MAIL_FROM`), the messages put into words from their Tera
//! templates in the recipient's language (`compose`), and the sender that claims due
//! messages and sends them (`sender`). With no mail server configured the sender sends
//! nothing: messages wait in the outbox, marked "not sent: no mail server configured".

use crate::config::Settings;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

pub mod compose;
pub mod sender;

/// How long one conversation with the mail server may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// The default From address (set `CRIBS_MAIL_FROM` to one on the program's domain).
pub const DEFAULT_FROM: &str = "Crib program <cribs@localhost>";

/// The address people open the program at, for links in messages (`CRIBS_PUBLIC_URL`).
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8000";

/// The mail server and how messages are written.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    pub from: Mailbox,
    pub public_url: String,
    pub templates: compose::Templates,
    /// The program's phone number for families' questions (`CRIBS_PROGRAM_PHONE`).
    pub phone: Option<String>,
    /// The sites' hours (`CRIBS_SITE_HOURS`).
    pub hours: crate::domain::hours::SiteHours,
}

/// Why a message was not accepted.
#[derive(Debug, Clone)]
pub struct SendError {
    /// The server refused for good (a 5xx answer: the recipient or the message).
    pub permanent: bool,
    /// What happened, for the outbox.
    pub text: String,
}

impl Mailer {
    /// The mail settings, or a sentence saying what is wrong with them.
    pub fn from_settings(s: &Settings, mail_templates: &std::path::Path) -> Result<Mailer, String> {
        let transport = match s.cribs_smtp_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Some(transport_of(url)?),
            None => None,
        };
        let from_text = s.cribs_mail_from.as_deref().map(str::trim).filter(|f| !f.is_empty()).unwrap_or(DEFAULT_FROM);
        let from: Mailbox = from_text
            .parse()
            .map_err(|e| format!("CRIBS_MAIL_FROM {from_text:?} is not an address ({e}): write it as \"Crib program <cribs@example.org>\""))?;
        let public_url = s
            .cribs_public_url
            .as_deref()
            .map(|u| u.trim().trim_end_matches('/'))
            .filter(|u| !u.is_empty())
            .unwrap_or(DEFAULT_PUBLIC_URL)
            .to_string();
        let contact = crate::config::FamilyContact::from_settings(s)?;
        Ok(Mailer {
            transport,
            from,
            public_url,
            templates: compose::Templates::load(mail_templates)?,
            phone: contact.phone,
            hours: contact.hours,
        })
    }

    /// Whether a mail server is configured.
    pub fn configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Hand one message to the mail server; `Ok` only once it accepted it.
    pub async fn send(&self, message: lettre::Message) -> Result<(), SendError> {
        let Some(t) = &self.transport else {
            return Err(SendError { permanent: false, text: crate::store::outbox::NO_SERVER.into() });
        };
        match t.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(SendError { permanent: e.is_permanent(), text: error_text(&e) }),
        }
    }
}

/// A mail server's error as one line for the outbox (no password: lettre's errors do not
/// carry the URL).
fn error_text(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.replace(['\r', '\n'], " ")
}

/// The transport of a `CRIBS_SMTP_URL`: `smtp://` (plain, for a relay on the same host or
/// a test server), `smtp://…?tls=starttls` (STARTTLS required), `smtps://` (TLS from the
/// start); user and password in the URL are the AUTH login.
pub fn transport_of(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    // NOTE: lettre spells "STARTTLS required" `tls=required`; the contract's `tls=starttls` is
    // the same thing.
    let lettre_url = url.replace("tls=starttls", "tls=required");
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url).map_err(|e| {
        format!(
            "CRIBS_SMTP_URL is not a mail server address ({e}): write smtp://user:pass@host:port, smtps://… or smtp://host:port?tls=starttls"
        )
    })?;
    Ok(builder.timeout(Some(SMTP_TIMEOUT)).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contracts_smtp_urls_are_understood_and_bad_ones_refused_with_a_sentence() {
        for url in
            ["smtp://127.0.0.1:2525", "smtp://user:pass@mail.example.org:587?tls=starttls", "smtps://mail.example.org"]
        {
            assert!(transport_of(url).is_ok(), "{url}");
        }
        let e = transport_of("mail.example.org").err().unwrap_or_default();
        assert!(e.contains("CRIBS_SMTP_URL"), "{e}");
    }
}
