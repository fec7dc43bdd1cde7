//! Stock value types: quantities within bounds, adjustment reasons, physical counts, and
//! quantities spelled in words for confirmation steps (500 typed for 50 is the classic error).

use serde::Serialize;

/// The most cribs one operation may move.
pub const MAX_QUANTITY: i64 = 10_000;
/// The longest lot code.
pub const LOT_MAX_CHARS: usize = 100;
/// The longest note on a movement.
pub const NOTE_MAX_CHARS: usize = 500;

/// A quantity of cribs, 1..=10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quantity(i32);

impl Quantity {
    /// Parse a quantity; the error is a sentence.
    pub fn new(n: i64) -> Result<Quantity, String> {
        if (1..=MAX_QUANTITY).contains(&n) {
            Ok(Quantity(n as i32))
        } else {
            Err(format!("The quantity must be a whole number from 1 to {MAX_QUANTITY}; {n} is not."))
        }
    }
    /// The number.
    pub fn get(self) -> i32 {
        self.0
    }
}

/// A signed adjustment, non-zero, at most 10,000 either way.
pub fn checked_delta(n: i64) -> Result<i32, String> {
    if n == 0 {
        Err("An adjustment must change the stock: the change cannot be 0.".into())
    } else if n.unsigned_abs() > MAX_QUANTITY as u64 {
        Err(format!("An adjustment may change the stock by at most {MAX_QUANTITY} either way; {n} is too large."))
    } else {
        Ok(n as i32)
    }
}

/// A transfer goes from one site to another.
pub fn check_transfer_sites(from_site_id: i64, to_site_id: i64) -> Result<(), String> {
    if from_site_id == to_site_id {
        Err("A transfer must go to a different site.".into())
    } else {
        Ok(())
    }
}

/// A physical count, 0..=100,000.
pub fn checked_count(n: i64) -> Result<i32, String> {
    if (0..=100_000).contains(&n) {
        Ok(n as i32)
    } else {
        Err(format!("A count must be a whole number from 0 to 100000; {n} is not."))
    }
}

/// Why stock is adjusted by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentReason {
    Damaged,
    Lost,
    Recalled,
    Found,
    Other,
}

impl AdjustmentReason {
    /// Every reason, for forms.
    pub const ALL: [AdjustmentReason; 5] = [
        AdjustmentReason::Damaged,
        AdjustmentReason::Lost,
        AdjustmentReason::Recalled,
        AdjustmentReason::Found,
        AdjustmentReason::Other,
    ];
    /// Parse a submitted reason.
    pub fn parse(s: &str) -> Result<AdjustmentReason, String> {
        match s {
            "damaged" => Ok(AdjustmentReason::Damaged),
            "lost" => Ok(AdjustmentReason::Lost),
            "recalled" => Ok(AdjustmentReason::Recalled),
            "found" => Ok(AdjustmentReason::Found),
            "other" => Ok(AdjustmentReason::Other),
            _ => Err("The reason must be one of damaged, lost, recalled, found or other.".into()),
        }
    }
    /// "other" needs a note saying what happened; the other reasons speak for themselves.
    pub fn check_note(self, note: Option<&str>) -> Result<(), String> {
        match (self, note.map(str::trim).filter(|n| !n.is_empty())) {
            (AdjustmentReason::Other, None) => Err("Say what happened when the reason is \"other\".".into()),
            _ => Ok(()),
        }
    }
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentReason::Damaged => "damaged",
            AdjustmentReason::Lost => "lost",
            AdjustmentReason::Recalled => "recalled",
            AdjustmentReason::Found => "found",
            AdjustmentReason::Other => "other",
        }
    }
}

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

fn below_thousand(n: u32) -> String {
    let (h, rest) = (n / 100, n % 100);
    let rest_words = match rest {
        0 => String::new(),
        r if r < 20 => ONES[r as usize].to_string(),
        r if r % 10 == 0 => TENS[(r / 10) as usize].to_string(),
        r => format!("{}-{}", TENS[(r / 10) as usize], ONES[(r % 10) as usize]),
    };
    match (h, rest_words.is_empty()) {
        (0, _) => rest_words,
        (h, true) => format!("{} hundred", ONES[h as usize]),
        (h, false) => format!("{} hundred {rest_words}", ONES[h as usize]),
    }
}

/// A whole number in English words ("five hundred", "minus twelve").
pub fn in_words(n: i64) -> String {
    if n < 0 {
        return format!("minus {}", in_words(-n));
    }
    if n == 0 {
        return "zero".into();
    }
    let n = n.min(999_999_999) as u32;
    let (millions, thousands, rest) = (n / 1_000_000, (n / 1000) % 1000, n % 1000);
    let mut parts = Vec::new();
    if millions > 0 {
        parts.push(format!("{} million", below_thousand(millions)));
    }
    if thousands > 0 {
        parts.push(format!("{} thousand", below_thousand(thousands)));
    }
    if rest > 0 {
        parts.push(below_thousand(rest));
    }
    parts.join(" ")
}

/// The lot of the box at a hand-out, as the hand-out form answers it: a lot number (chosen
/// from the lots the site received, or typed), or an explicit "no lot number on the box" —
/// recorded as such, so a recall can tell it from a hand-out where nobody said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LotOnBox {
    Lot(String),
    NoLot,
}

/// The form's choice for "No lot number on the box".
pub const LOT_CHOICE_NONE: &str = "none";
/// The form's choice for "Another lot number" (typed in the field beside it).
pub const LOT_CHOICE_OTHER: &str = "other";
/// The prefix of a listed lot's choice (`lot:` and the lot as the ledger has it).
pub const LOT_CHOICE_PREFIX: &str = "lot:";

/// The form's lot answer from its choice (`LOT_CHOICE_*`, or none chosen) and the typed
/// field; the error is a sentence for the lot field. One answer is required: a blank lot
/// is no longer taken silently.
pub fn lot_from_form(choice: &str, typed: &str) -> Result<LotOnBox, &'static str> {
    let typed = typed.trim();
    let choice = choice.trim();
    if choice == LOT_CHOICE_NONE {
        return if typed.is_empty() {
            Ok(LotOnBox::NoLot)
        } else {
            Err("You chose \u{201c}No lot number on the box\u{201d} and typed a lot number: keep one of the two.")
        };
    }
    if let Some(listed) = choice.strip_prefix(LOT_CHOICE_PREFIX).map(str::trim).filter(|l| !l.is_empty()) {
        return if typed.is_empty() || typed == listed {
            Ok(LotOnBox::Lot(listed.to_string()))
        } else {
            Err("You chose a lot from the list and typed another one: keep one of the two.")
        };
    }
    if typed.is_empty() {
        Err("Choose the lot number printed on the box, type it, or choose \u{201c}No lot number on the box\u{201d}.")
    } else {
        Ok(LotOnBox::Lot(typed.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lot_of_the_box_is_answered_once() {
        assert_eq!(lot_from_form("lot:L-7", ""), Ok(LotOnBox::Lot("L-7".into())));
        assert_eq!(lot_from_form("lot:L-7", " L-7 "), Ok(LotOnBox::Lot("L-7".into())));
        assert!(lot_from_form("lot:L-7", "L-8").is_err(), "a listed lot and another typed");
        assert_eq!(lot_from_form("other", " L-9 "), Ok(LotOnBox::Lot("L-9".into())));
        assert_eq!(lot_from_form("", "L-9"), Ok(LotOnBox::Lot("L-9".into())), "typed without a choice");
        assert_eq!(lot_from_form("none", ""), Ok(LotOnBox::NoLot));
        assert!(lot_from_form("none", "L-9").is_err(), "no lot and a lot");
        assert!(lot_from_form("", "  ").is_err(), "a blank lot is refused");
        assert!(lot_from_form("other", "").is_err());
        assert!(lot_from_form("lot:", "").is_err(), "an empty listed lot is no answer");
    }

    #[test]
    fn quantity_bounds() {
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(-1).is_err());
        assert_eq!(Quantity::new(1).map(Quantity::get), Ok(1));
        assert_eq!(Quantity::new(10_000).map(Quantity::get), Ok(10_000));
        assert!(Quantity::new(10_001).is_err());
        assert!(Quantity::new(i64::MAX).is_err());
    }

    #[test]
    fn deltas_and_counts() {
        assert!(checked_delta(0).is_err());
        assert_eq!(checked_delta(-3), Ok(-3));
        assert!(checked_delta(-10_001).is_err());
        // Found by schemathesis: abs() of i64::MIN overflowed (a 500 in debug, a delta of 0 in release).
        assert!(checked_delta(i64::MIN).is_err());
        assert!(checked_delta(i64::MAX).is_err());
        assert_eq!(checked_count(0), Ok(0));
        assert!(checked_count(-1).is_err());
    }

    #[test]
    fn words() {
        for (n, w) in [
            (0, "zero"),
            (7, "seven"),
            (15, "fifteen"),
            (40, "forty"),
            (50, "fifty"),
            (99, "ninety-nine"),
            (100, "one hundred"),
            (500, "five hundred"),
            (512, "five hundred twelve"),
            (10_000, "ten thousand"),
            (1_234_567, "one million two hundred thirty-four thousand five hundred sixty-seven"),
            (-12, "minus twelve"),
        ] {
            assert_eq!(in_words(n), w, "{n}");
        }
    }

    #[test]
    fn reasons_parse() {
        for r in AdjustmentReason::ALL {
            assert_eq!(AdjustmentReason::parse(r.as_str()), Ok(r));
        }
        assert!(AdjustmentReason::parse("stolen!").is_err());
        assert!(AdjustmentReason::Other.check_note(None).is_err());
        assert!(AdjustmentReason::Other.check_note(Some("  ")).is_err());
        assert!(AdjustmentReason::Other.check_note(Some("returned")).is_ok());
        assert!(AdjustmentReason::Lost.check_note(None).is_ok());
    }

    #[test]
    fn transfers_go_somewhere_else() {
        assert!(check_transfer_sites(1, 1).is_err());
        assert!(check_transfer_sites(1, 2).is_ok());
    }
}
