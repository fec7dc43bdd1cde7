//! The words families read: the ABCD checklist and receipt reminders in English and Spanish.
//! Chosen by the family's preferred language; anything else falls back to English.

use serde::Serialize;

/// One topic as shown on the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct TopicText {
    pub code: &'static str,
    pub title: &'static str,
    pub detail: &'static str,
    pub required: bool,
}

/// The texts of one language.
#[derive(Debug, Clone, Serialize)]
pub struct SafeSleepText {
    pub lang: &'static str,
    pub checklist_title: &'static str,
    pub attest_label: &'static str,
    pub receipt_title: &'static str,
    pub receipt_number: &'static str,
    pub date: &'static str,
    pub site: &'static str,
    pub crib: &'static str,
    pub lot: &'static str,
    pub baby: &'static str,
    pub reminders_title: &'static str,
    pub caregiver_signature: &'static str,
    pub staff_signature: &'static str,
    pub voided: &'static str,
    /// Said on a receipt of a hand-out entered afterwards from a paper slip.
    pub paper_slip: &'static str,
    pub topics: Vec<TopicText>,
}

/// Normalise a language code to one we have texts for.
pub fn supported(lang: &str) -> &'static str {
    if lang.trim().to_ascii_lowercase().starts_with("es") {
        "es"
    } else {
        "en"
    }
}

/// The texts for a language.
pub fn text(lang: &str) -> SafeSleepText {
    if supported(lang) == "es" {
        spanish()
    } else {
        english()
    }
}

fn english() -> SafeSleepText {
    SafeSleepText {
        lang: "en",
        checklist_title: "Safe sleep: the ABCDs",
        attest_label: "Caregiver: type your full name to confirm you went through this with us",
        receipt_title: "Portable crib receipt",
        receipt_number: "Receipt number",
        date: "Date",
        site: "Site",
        crib: "Crib",
        lot: "Lot",
        baby: "Baby",
        reminders_title: "Every sleep, every nap",
        caregiver_signature: "Caregiver signature",
        staff_signature: "Staff signature",
        voided: "VOIDED: this receipt is no longer valid",
        paper_slip: "Written on paper slip",
        topics: vec![
            TopicText {
                code: "alone",
                title: "A — Alone",
                detail: "Baby sleeps alone: no adults, children, pets, pillows, blankets or toys in the crib.",
                required: true,
            },
            TopicText {
                code: "back",
                title: "B — on the Back",
                detail: "Always put baby down on their back, for naps and at night.",
                required: true,
            },
            TopicText {
                code: "crib",
                title: "C — in a Crib",
                detail: "Baby sleeps in a crib or play yard with a firm, flat mattress and a fitted sheet only.",
                required: true,
            },
            TopicText {
                code: "no_smoking",
                title: "D — Don't smoke",
                detail: "Keep baby away from smoke and vapor: no smoking in the home or car.",
                required: true,
            },
            TopicText {
                code: "room_sharing_without_bed_sharing",
                title: "Share the room, not the bed",
                detail: "Keep the crib in your room for the first months, but never share a bed, sofa or chair.",
                required: false,
            },
            TopicText {
                code: "no_soft_bedding",
                title: "No soft bedding",
                detail: "No bumpers, quilts or soft toys.",
                required: false,
            },
            TopicText {
                code: "no_overheating",
                title: "Do not overheat",
                detail: "Dress baby in a sleep sack, not blankets; keep the room comfortable.",
                required: false,
            },
            TopicText {
                code: "pacifier",
                title: "Pacifier at sleep time",
                detail: "Offer a pacifier at sleep time; do not hang it around the neck.",
                required: false,
            },
            TopicText {
                code: "breastfeeding",
                title: "Breastfeeding",
                detail: "Breastfeeding lowers the risk of sleep-related death.",
                required: false,
            },
            TopicText {
                code: "tummy_time",
                title: "Tummy time when awake",
                detail: "Supervised tummy time while baby is awake.",
                required: false,
            },
            TopicText {
                code: "assembly_demo",
                title: "Crib set-up shown",
                detail: "We showed how to set up and fold the play yard safely.",
                required: false,
            },
        ],
    }
}

fn spanish() -> SafeSleepText {
    SafeSleepText {
        lang: "es",
        checklist_title: "Sueño seguro: el ABCD",
        attest_label: "Cuidador: escriba su nombre completo para confirmar que repasó esto con nosotros",
        receipt_title: "Recibo de cuna portátil",
        receipt_number: "Número de recibo",
        date: "Fecha",
        site: "Lugar",
        crib: "Cuna",
        lot: "Lote",
        baby: "Bebé",
        reminders_title: "En cada sueño y cada siesta",
        caregiver_signature: "Firma del cuidador",
        staff_signature: "Firma del personal",
        voided: "ANULADO: este recibo ya no es válido",
        paper_slip: "Escrito en la hoja de papel",
        topics: vec![
            TopicText {
                code: "alone",
                title: "A — Solo",
                detail: "El bebé duerme solo: sin adultos, niños, mascotas, almohadas, cobijas ni juguetes en la cuna.",
                required: true,
            },
            TopicText {
                code: "back",
                title: "B — Boca arriba",
                detail: "Acueste siempre al bebé boca arriba, en siestas y de noche.",
                required: true,
            },
            TopicText {
                code: "crib",
                title: "C — en su Cuna",
                detail: "El bebé duerme en una cuna o corralito con colchón firme y plano y solo una sábana ajustable.",
                required: true,
            },
            TopicText {
                code: "no_smoking",
                title: "D — No fumar",
                detail: "Mantenga al bebé lejos del humo y del vapor: no fume en la casa ni en el carro.",
                required: true,
            },
            TopicText {
                code: "room_sharing_without_bed_sharing",
                title: "Comparta el cuarto, no la cama",
                detail: "Tenga la cuna en su cuarto los primeros meses, pero nunca comparta cama, sofá ni sillón.",
                required: false,
            },
            TopicText {
                code: "no_soft_bedding",
                title: "Nada blando en la cuna",
                detail: "Sin protectores, edredones ni peluches.",
                required: false,
            },
            TopicText {
                code: "no_overheating",
                title: "Evite el calor excesivo",
                detail: "Use un saco de dormir en lugar de cobijas; mantenga el cuarto a temperatura cómoda.",
                required: false,
            },
            TopicText {
                code: "pacifier",
                title: "Chupón al dormir",
                detail: "Ofrezca el chupón al dormir; no lo cuelgue del cuello.",
                required: false,
            },
            TopicText {
                code: "breastfeeding",
                title: "Lactancia materna",
                detail: "La lactancia materna reduce el riesgo de muerte durante el sueño.",
                required: false,
            },
            TopicText {
                code: "tummy_time",
                title: "Boca abajo solo despierto",
                detail: "Tiempo boca abajo supervisado mientras el bebé está despierto.",
                required: false,
            },
            TopicText {
                code: "assembly_demo",
                title: "Armado de la cuna",
                detail: "Le mostramos cómo armar y doblar el corralito de forma segura.",
                required: false,
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::education::{OPTIONAL_TOPICS, REQUIRED_TOPICS};

    #[test]
    fn both_languages_cover_every_topic_in_the_same_order() {
        for lang in ["en", "es"] {
            let codes: Vec<&str> = text(lang).topics.iter().map(|t| t.code).collect();
            let expected: Vec<&str> = REQUIRED_TOPICS.iter().chain(OPTIONAL_TOPICS.iter()).copied().collect();
            assert_eq!(codes, expected, "{lang}");
        }
        assert_eq!(supported("es-MX"), "es");
        assert_eq!(supported("fr"), "en");
    }
}
