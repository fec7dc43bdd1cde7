//! Money: integer cents in storage, [`Decimal`] in the domain, "$50,542.00" on the page.
//!
//! Money is never a float. Amounts are stored as whole cents (`i64`) and converted here;
//! an amount with fractions of a cent cannot be stored and is refused rather than rounded.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// A stored amount of cents as dollars: `5054200` → `50542.00`.
pub fn cents_to_decimal(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Dollars as whole cents: `50542.01` → `5054201`.
///
/// `None` when the amount has more than two significant decimal places (a fraction of a
/// cent; trailing zeros such as `1.500` are fine) or does not fit in an `i64`.
pub fn decimal_to_cents(amount: Decimal) -> Option<i64> {
    let normalized = amount.normalize();
    if normalized.scale() > 2 {
        return None;
    }
    normalized.checked_mul(Decimal::ONE_HUNDRED)?.to_i64()
}

/// An amount as a person types it on a form, made plain for the parser: a leading `$` and
/// thousands commas in their places are dropped ("$28,000" → "28000", "1,234.50" →
/// "1234.50"); anything else comes back as typed (trimmed), for the parser to refuse with
/// its sentence ("28,00" stays "28,00"). The API keeps its plain decimal strings.
pub fn plain_typed_amount(typed: &str) -> String {
    let t = typed.trim();
    let t = t.strip_prefix('$').map(str::trim_start).unwrap_or(t);
    let (whole, rest) = match t.find('.') {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    if !whole.contains(',') {
        return t.to_string();
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()));
    if grouped {
        format!("{}{rest}", groups.concat())
    } else {
        t.to_string()
    }
}

/// Round to whole cents, half away from zero (`0.005` → `0.01`).
pub fn round_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Dollars for people to read: `50542` → `"$50,542.00"`, `-1234.5` → `"-$1,234.50"`.
///
/// Rounded to cents (half away from zero), with thousands separators.
pub fn format_dollars(amount: Decimal) -> String {
    let mut rounded = round_cents(amount);
    rounded.rescale(2);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let digits = rounded.abs().to_string();
    let (whole, cents) = digits.split_once('.').unwrap_or((digits.as_str(), "00"));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 2);
    if negative {
        out.push('-');
    }
    out.push('$');
    out.push_str(&group_thousands(whole));
    out.push('.');
    out.push_str(cents);
    out
}

/// Insert a comma every three digits from the right: `"50542"` → `"50,542"`.
fn group_thousands(digits: &str) -> String {
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal parses")
    }

    #[test]
    fn cents_to_decimal_table() {
        let cases = [
            (0_i64, "0.00"),
            (1, "0.01"),
            (99, "0.99"),
            (100, "1.00"),
            (5_054_200, "50542.00"),
            (5_054_201, "50542.01"),
            (-150, "-1.50"),
        ];
        for (cents, expected) in cases {
            assert_eq!(cents_to_decimal(cents), dec(expected), "{cents} cents");
            assert_eq!(cents_to_decimal(cents).to_string(), expected, "{cents} cents keeps 2 places");
        }
        assert_eq!(cents_to_decimal(i64::MAX), dec("92233720368547758.07"));
        assert_eq!(cents_to_decimal(i64::MIN), dec("-92233720368547758.08"));
    }

    #[test]
    fn decimal_to_cents_table() {
        let cases = [
            ("0", Some(0_i64)),
            ("0.01", Some(1)),
            ("1", Some(100)),
            ("1.5", Some(150)),
            ("1.500", Some(150)),
            ("50542.00", Some(5_054_200)),
            ("50542.01", Some(5_054_201)),
            ("-12.34", Some(-1234)),
            ("0.001", None),
            ("1.005", None),
            ("-0.009", None),
            ("92233720368547758.07", Some(i64::MAX)),
            ("92233720368547758.08", None),
            ("-92233720368547758.08", Some(i64::MIN)),
            ("-92233720368547758.09", None),
            ("79228162514264337593543950335", None),
        ];
        for (input, expected) in cases {
            assert_eq!(decimal_to_cents(dec(input)), expected, "{input}");
        }
    }

    #[test]
    fn cents_round_trip() {
        for cents in [0_i64, 1, -1, 99, 5_054_200, 5_054_201, i64::MAX, i64::MIN] {
            assert_eq!(decimal_to_cents(cents_to_decimal(cents)), Some(cents), "{cents}");
        }
    }

    #[test]
    fn round_cents_is_half_away_from_zero() {
        let cases = [
            ("50542.004", "50542.00"),
            ("50542.005", "50542.01"),
            ("-0.005", "-0.01"),
            ("0.015", "0.02"),
            ("0.025", "0.03"),
            ("2", "2"),
        ];
        for (input, expected) in cases {
            assert_eq!(round_cents(dec(input)), dec(expected), "{input}");
        }
    }

    #[test]
    fn typed_amounts_with_commas_and_a_dollar_sign() {
        for (typed, plain) in [
            ("28,000", "28000"),
            ("$28,000", "28000"),
            (" $ 1,234,567.50 ", "1234567.50"),
            ("28000", "28000"),
            ("$31200.00", "31200.00"),
            ("28,00", "28,00"),
            ("2,8000", "2,8000"),
            (",000", ",000"),
            ("1,2a4", "1,2a4"),
            ("", ""),
        ] {
            assert_eq!(plain_typed_amount(typed), plain, "{typed:?}");
        }
    }

    #[test]
    fn format_dollars_table() {
        let cases = [
            ("0", "$0.00"),
            ("-0", "$0.00"),
            ("-0.001", "$0.00"),
            ("0.5", "$0.50"),
            ("0.005", "$0.01"),
            ("7", "$7.00"),
            ("999.99", "$999.99"),
            ("999.995", "$1,000.00"),
            ("1000", "$1,000.00"),
            ("27320", "$27,320.00"),
            ("50542", "$50,542.00"),
            ("50542.01", "$50,542.01"),
            ("52000.00", "$52,000.00"),
            ("123456", "$123,456.00"),
            ("1234567.891", "$1,234,567.89"),
            ("-1234.5", "-$1,234.50"),
            ("-999", "-$999.00"),
            ("-1000000", "-$1,000,000.00"),
        ];
        for (input, expected) in cases {
            assert_eq!(format_dollars(dec(input)), expected, "{input}");
        }
    }

    #[test]
    fn group_thousands_table() {
        let cases = [
            ("0", "0"),
            ("12", "12"),
            ("123", "123"),
            ("1234", "1,234"),
            ("12345", "12,345"),
            ("123456", "123,456"),
            ("1234567", "1,234,567"),
        ];
        for (input, expected) in cases {
            assert_eq!(group_thousands(input), expected, "{input}");
        }
    }
}
