//! The words of the printable "what we hold about you" page, in English and Spanish
//! (chosen by the family's preferred language, like the receipt: `safe_sleep_text`).

use serde::Serialize;

/// The page's words in one language.
#[derive(Debug, Clone, Serialize)]
pub struct RecordText {
    pub lang: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub details: &'static str,
    pub name: &'static str,
    pub born: &'static str,
    pub phone: &'static str,
    pub address: &'static str,
    pub household: &'static str,
    pub income: &'static str,
    pub enrolled: &'static str,
    pub babies: &'static str,
    pub checks: &'static str,
    pub eligible: &'static str,
    pub not_eligible: &'static str,
    pub education: &'static str,
    pub cribs: &'static str,
    pub receipt: &'static str,
    pub changes: &'static str,
    pub requests: &'static str,
    pub calls: &'static str,
    pub access: &'static str,
    pub none: &'static str,
    pub printed: &'static str,
}

/// The words for a language (Spanish for `es…`, else English).
pub fn record_text(lang: &str) -> RecordText {
    if crate::domain::safe_sleep_text::supported(lang) == "es" {
        RecordText {
            lang: "es",
            title: "Lo que el programa guarda sobre su familia",
            intro: "Esta es toda la información que el programa de cunas guarda sobre usted y su bebé, y quién la ha consultado.",
            details: "Sus datos",
            name: "Nombre",
            born: "Fecha de nacimiento",
            phone: "Teléfono",
            address: "Dirección",
            household: "Personas en el hogar",
            income: "Ingreso anual",
            enrolled: "Inscrita en",
            babies: "Bebés",
            checks: "Revisiones de elegibilidad",
            eligible: "Elegible",
            not_eligible: "No elegible",
            education: "Educación sobre el sueño seguro",
            cribs: "Cunas entregadas",
            receipt: "Recibo",
            changes: "Cambios en el registro",
            requests: "Solicitudes del hospital",
            calls: "Llamadas de seguimiento",
            access: "Quién consultó o cambió el registro",
            none: "Ninguno",
            printed: "Impreso el",
        }
    } else {
        RecordText {
            lang: "en",
            title: "What the program holds about your family",
            intro: "This is everything the crib program keeps about you and your baby, and who has looked at it.",
            details: "Your details",
            name: "Name",
            born: "Date of birth",
            phone: "Phone",
            address: "Address",
            household: "People in the home",
            income: "Yearly income",
            enrolled: "Enrolled in",
            babies: "Babies",
            checks: "Eligibility checks",
            eligible: "Eligible",
            not_eligible: "Not eligible",
            education: "Safe-sleep education",
            cribs: "Cribs handed out",
            receipt: "Receipt",
            changes: "Changes to the record",
            requests: "Hospital requests",
            calls: "Follow-up calls",
            access: "Who looked at or changed the record",
            none: "None",
            printed: "Printed on",
        }
    }
}
