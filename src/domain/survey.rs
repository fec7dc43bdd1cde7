//! The follow-up survey (issue 23): the instrument families answer at 1 and 3 months after
//! their crib (and its baseline question at the hand-out), versioned like the eligibility
//! policy (a new version never rewrites old answers); when each round is due; how a
//! submitted answer sheet is read (every item may be skipped, "prefer not to say" is an
//! answer, not a missing value); the five safe-sleep measures an answer sheet gives; and
//! small-cell suppression for the reports (cells under 5 shown as "<5", with the
//! complementary cells, so a suppressed cell cannot be recovered by subtraction).
//!
//! Words are not here: the questions and options in the family's language come from the
//! family catalog (`locales/<lang>/survey.ftl`), keyed by the codes below.

use crate::domain::dates::add_months_clamped;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The instrument's version: answers keep the version they were given under.
pub const VERSION: i32 = 1;

/// The rounds: months after the hand-out.
pub const ROUNDS: [u32; 2] = [1, 3];

/// The answer every item accepts besides its own options.
pub const PREFER_NOT: &str = "prefer_not";

/// One question of the instrument: its code and its options (codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub code: &'static str,
    pub options: &'static [&'static str],
    /// The item that asks "why not", shown when this one is answered with `when`.
    pub follow_up: Option<(&'static str, &'static str)>,
}

/// The items of a round (1 and 3 months), in order.
pub const ITEMS: [Item; 7] = [
    Item { code: "crib_in_use", options: &["yes", "no", "not_yet"], follow_up: Some(("no", "crib_not_used_why")) },
    Item { code: "crib_not_used_why", options: &["no_room", "sleeps_with_me", "gave_away", "other"], follow_up: None },
    Item {
        code: "slept_last_night",
        options: &["this_crib", "other_crib", "adult_bed", "couch_or_chair", "car_seat_or_swing", "other"],
        follow_up: None,
    },
    Item { code: "position", options: &["back", "side", "stomach"], follow_up: None },
    Item { code: "bed_sharing", options: &["always", "often", "sometimes", "rarely", "never"], follow_up: None },
    Item { code: "soft_objects", options: &["yes", "no"], follow_up: None },
    Item { code: "smoke_in_home", options: &["yes", "no"], follow_up: None },
];

/// The baseline question, asked at the hand-out.
pub const BASELINE: Item = Item {
    code: "would_have_slept",
    options: &["own_crib", "bassinet", "adult_bed", "couch_or_chair", "car_seat_or_swing", "other"],
    follow_up: None,
};

/// When the round `months` after a hand-out on `handed_out_on` is due (the same day of the
/// month, clamped to the month's end as the eligibility rules do: Jan 31 + 1 month = Feb 28).
pub fn due_on(handed_out_on: NaiveDate, months: u32) -> NaiveDate {
    add_months_clamped(handed_out_on, months)
}

/// Days after a round is due before staff call a family who has not answered on the link.
pub const CALL_AFTER_DAYS: i64 = 7;

/// Rounds whose due date is on or before this day are owed a call today: due a week ago
/// (`CALL_AFTER_DAYS`) and still not answered.
pub fn calls_due_by(today: NaiveDate) -> NaiveDate {
    today - chrono::Duration::days(CALL_AFTER_DAYS)
}

/// Days before its due date from which a round can be answered on the link.
pub const OPENS_DAYS_BEFORE: i64 = 7;

/// Days after the last round is due that the link still answers it; after that it is expired.
pub const LAST_ROUND_OPEN_DAYS: i64 = 60;

/// The days a round can be answered on the family's link, both ends inclusive: from a week
/// before it is due until the next round opens (the last round: `LAST_ROUND_OPEN_DAYS` after
/// it is due). A round's answers say how the baby sleeps at that age, so an old round is not
/// answered once the next one is asked.
pub fn link_window(handed_out_on: NaiveDate, months: u32) -> (NaiveDate, NaiveDate) {
    let opens = due_on(handed_out_on, months) - chrono::Duration::days(OPENS_DAYS_BEFORE);
    let closes = match ROUNDS.iter().find(|r| **r > months) {
        Some(next) => due_on(handed_out_on, *next) - chrono::Duration::days(OPENS_DAYS_BEFORE + 1),
        None => due_on(handed_out_on, months) + chrono::Duration::days(LAST_ROUND_OPEN_DAYS),
    };
    (opens, closes)
}

/// The last day a hand-out's link answers anything.
pub fn link_expires_on(handed_out_on: NaiveDate) -> NaiveDate {
    let last = ROUNDS.iter().copied().max().unwrap_or(1);
    link_window(handed_out_on, last).1
}

/// Whether a link's token is of the shape the program makes (URL-safe letters, 16 to 64):
/// anything else is not looked up.
pub fn token_shape_ok(token: &str) -> bool {
    (16..=64).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// How a sheet was given: by the family on the link, or by phone with staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[serde(rename = "self")]
    SelfComplete,
    Phone,
}

impl Mode {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::SelfComplete => "self",
            Mode::Phone => "phone",
        }
    }

    /// As staff read it.
    pub fn label(code: &str) -> &'static str {
        match code {
            "self" => "answered by the family on the link",
            "phone" => "answered by phone",
            _ => "answered",
        }
    }
}

/// A submitted answer sheet as read: item → answer code (skipped items are absent).
pub type Answers = BTreeMap<String, String>;

/// Why a sheet could not be read: the item and a sentence.
pub type Problems = Vec<(String, String)>;

/// Read a submitted sheet (form fields or JSON, item code → option code): unknown items and
/// unknown options are refused with a sentence; empty values are skipped items; the "why
/// not" item only counts when its question was answered "no".
pub fn read_answers<'a>(
    items: &[Item],
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Answers, Problems> {
    let mut answers = Answers::new();
    let mut problems = Problems::new();
    for (name, value) in fields {
        let value = value.trim();
        let Some(item) = items.iter().find(|i| i.code == name) else {
            problems.push((name.to_string(), "This is not a question of the survey.".into()));
            continue;
        };
        if value.is_empty() {
            continue;
        }
        if value != PREFER_NOT && !item.options.contains(&value) {
            problems.push((name.to_string(), "Choose one of the answers shown.".into()));
            continue;
        }
        answers.insert(name.to_string(), value.to_string());
    }
    // A "why not" without its "no" is dropped, not refused (the page may keep a stale tick).
    for item in items {
        if let Some((when, why)) = item.follow_up {
            if answers.get(item.code).map(String::as_str) != Some(when) {
                answers.remove(why);
            }
        }
    }
    if problems.is_empty() {
        Ok(answers)
    } else {
        Err(problems)
    }
}

/// The five safe-sleep measures, as the reports name them.
pub const MEASURES: [&str; 5] = ["back_sleep", "crib_in_use", "no_bed_sharing", "no_soft_objects", "smoke_free"];

/// A measure from an answer sheet: `Some(true)` meets it, `Some(false)` does not, `None`
/// not answered (skipped or "prefer not to say": not counted among the measure's
/// respondents).
pub fn measure(answers: &Answers, name: &str) -> Option<bool> {
    let a = |code: &str| answers.get(code).map(String::as_str).filter(|v| *v != PREFER_NOT);
    match name {
        "back_sleep" => a("position").map(|v| v == "back"),
        "crib_in_use" => a("crib_in_use").map(|v| v == "yes"),
        "no_bed_sharing" => a("bed_sharing").map(|v| v == "never" || v == "rarely"),
        "no_soft_objects" => a("soft_objects").map(|v| v == "no"),
        "smoke_free" => a("smoke_in_home").map(|v| v == "no"),
        _ => None,
    }
}

/// The version of the 14-day call before issue 23 (four yes/no answers, kept as they were
/// given: `crib_in_use`, `sleeps_alone`, `sleeps_on_back`, `sleeps_in_crib`).
pub const LEGACY_VERSION: i32 = 0;

/// A measure from a sheet of the given instrument version. The legacy call asked about the
/// crib in use and the back, so it counts toward those two only; its other questions were
/// asked differently and are not put beside this instrument's.
pub fn measure_of(version: i32, answers: &Answers, name: &str) -> Option<bool> {
    if version == LEGACY_VERSION {
        let yes = |code: &str| answers.get(code).map(|v| v == "yes");
        return match name {
            "back_sleep" => yes("sleeps_on_back"),
            "crib_in_use" => yes("crib_in_use"),
            _ => None,
        };
    }
    measure(answers, name)
}

/// What a report calls a measure.
pub fn measure_label(name: &str) -> &'static str {
    match name {
        "back_sleep" => "Laid on the back to sleep",
        "crib_in_use" => "The program's crib is in use",
        "no_bed_sharing" => "Rarely or never shares a bed",
        "no_soft_objects" => "No blankets, pillows, bumpers or toys",
        "smoke_free" => "No one smokes or vapes at home",
        _ => "",
    }
}

/// Healthy People 2030's target for a measure, where there is one (MICH-14: infants placed
/// to sleep on their backs, 88.9 %).
pub fn target_percent(measure: &str) -> Option<f64> {
    (measure == "back_sleep").then_some(88.9)
}

/// The smallest count a report shows as it is.
pub const SMALLEST_SHOWN: i64 = 5;

/// One report cell: shown, or suppressed ("<5").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cell {
    Shown(i64),
    Suppressed,
}

impl Cell {
    /// As a report prints it.
    pub fn text(self) -> String {
        match self {
            Cell::Shown(n) => n.to_string(),
            Cell::Suppressed => format!("<{SMALLEST_SHOWN}"),
        }
    }
}

/// Suppress a row of counts that add up to `total` (e.g. respondents who met a measure and
/// those who did not, or one group's cells): every count from 1 to 4 is hidden; when exactly
/// one cell of the row (total included) is hidden, the next smallest shown cell is hidden too
/// (its complement), so no hidden count can be got back by subtraction. Zero is shown (it
/// reveals no one). Returns the cells and the total's cell.
pub fn suppress(counts: &[i64], total: i64) -> (Vec<Cell>, Cell) {
    let small = |n: i64| n > 0 && n < SMALLEST_SHOWN;
    let mut hidden: Vec<bool> = counts.iter().map(|&n| small(n)).collect();
    let mut total_hidden = small(total);
    let hidden_count = hidden.iter().filter(|h| **h).count() + usize::from(total_hidden);
    if hidden_count == 1 {
        // Hide the smallest other non-zero cell (or the total, if none).
        let next =
            counts.iter().enumerate().filter(|(i, n)| !hidden[*i] && **n > 0).min_by_key(|(_, n)| **n).map(|(i, _)| i);
        match next {
            Some(i) => hidden[i] = true,
            None => total_hidden = true,
        }
    }
    let cells = counts.iter().zip(hidden).map(|(&n, h)| if h { Cell::Suppressed } else { Cell::Shown(n) }).collect();
    (cells, if total_hidden { Cell::Suppressed } else { Cell::Shown(total) })
}

/// Which cells of a table of counts to hide: `cells[r][c]` (groups × categories) with its row
/// totals, column totals and grand total. Every count from 1 to 4 is hidden; then, until
/// nothing changes, any line (a row with its total, a column with its total, the row totals
/// with the grand total, the column totals with the grand total) with exactly one hidden
/// count hides its smallest other non-zero count too (`suppress`'s rule), so no hidden count
/// can be got back by subtracting along any line. Returns (cells, row totals, column totals,
/// grand total) hidden flags.
pub fn suppress_grid(cells: &[Vec<i64>]) -> (Vec<Vec<bool>>, Vec<bool>, Vec<bool>, bool) {
    let rows = cells.len();
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let at = |r: usize, c: usize| cells.get(r).and_then(|row| row.get(c)).copied().unwrap_or(0);
    let row_totals: Vec<i64> = (0..rows).map(|r| (0..cols).map(|c| at(r, c)).sum()).collect();
    let col_totals: Vec<i64> = (0..cols).map(|c| (0..rows).map(|r| at(r, c)).sum()).collect();
    let grand: i64 = row_totals.iter().sum();
    // One flat list of every count: cells, then row totals, column totals, the grand total.
    let mut values: Vec<i64> = (0..rows).flat_map(|r| (0..cols).map(move |c| (r, c))).map(|(r, c)| at(r, c)).collect();
    let cell = |r: usize, c: usize| r * cols + c;
    let row_total = |r: usize| rows * cols + r;
    let col_total = |c: usize| rows * cols + rows + c;
    let grand_i = rows * cols + rows + cols;
    values.extend(&row_totals);
    values.extend(&col_totals);
    values.push(grand);
    let mut lines: Vec<Vec<usize>> = Vec::new();
    for r in 0..rows {
        lines.push((0..cols).map(|c| cell(r, c)).chain([row_total(r)]).collect());
    }
    for c in 0..cols {
        lines.push((0..rows).map(|r| cell(r, c)).chain([col_total(c)]).collect());
    }
    lines.push((0..rows).map(row_total).chain([grand_i]).collect());
    lines.push((0..cols).map(col_total).chain([grand_i]).collect());
    let mut hidden: Vec<bool> = values.iter().map(|&n| n > 0 && n < SMALLEST_SHOWN).collect();
    loop {
        let mut changed = false;
        for line in &lines {
            let hidden_here = line.iter().filter(|&&i| hidden[i]).count();
            if hidden_here != 1 {
                continue;
            }
            let next = line.iter().copied().filter(|&i| !hidden[i] && values[i] > 0).min_by_key(|&i| values[i]);
            if let Some(i) = next {
                hidden[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let cells_hidden = (0..rows).map(|r| (0..cols).map(|c| hidden[cell(r, c)]).collect()).collect();
    let rows_hidden = (0..rows).map(|r| hidden[row_total(r)]).collect();
    let cols_hidden = (0..cols).map(|c| hidden[col_total(c)]).collect();
    (cells_hidden, rows_hidden, cols_hidden, hidden[grand_i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn rounds_fall_one_and_three_months_on_clamped_to_the_months_end() {
        assert_eq!(due_on(d(2026, 1, 31), 1), d(2026, 2, 28));
        assert_eq!(due_on(d(2028, 1, 31), 1), d(2028, 2, 29));
        assert_eq!(due_on(d(2026, 11, 30), 3), d(2027, 2, 28));
        assert_eq!(due_on(d(2026, 12, 5), 1), d(2027, 1, 5));
    }

    #[test]
    fn a_round_is_open_on_the_link_from_a_week_before_until_the_next_opens() {
        let (opens, closes) = link_window(d(2026, 1, 31), 1);
        assert_eq!((opens, closes), (d(2026, 2, 21), d(2026, 4, 22)));
        let (opens3, closes3) = link_window(d(2026, 1, 31), 3);
        assert_eq!(opens3, d(2026, 4, 23), "the day after round 1 closes");
        assert_eq!(closes3, d(2026, 6, 29));
        assert_eq!(link_expires_on(d(2026, 1, 31)), d(2026, 6, 29));
        assert!(token_shape_ok("abcdefghij_-012345"));
        assert!(!token_shape_ok("short"));
        assert!(!token_shape_ok("abcdefghijklmnop'; DROP"));
    }

    #[test]
    fn legacy_calls_count_toward_the_back_and_the_crib_only() {
        let sheet: Answers = [("sleeps_on_back", "yes"), ("crib_in_use", "no"), ("sleeps_alone", "yes")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(measure_of(LEGACY_VERSION, &sheet, "back_sleep"), Some(true));
        assert_eq!(measure_of(LEGACY_VERSION, &sheet, "crib_in_use"), Some(false));
        assert_eq!(measure_of(LEGACY_VERSION, &sheet, "no_bed_sharing"), None);
        assert_eq!(measure_of(VERSION, &sheet, "back_sleep"), None, "not this instrument's items");
    }

    #[test]
    fn a_sheet_is_read_with_skips_and_prefer_not_and_refused_with_sentences() {
        let sheet = read_answers(
            &ITEMS,
            [("crib_in_use", "no"), ("crib_not_used_why", "no_room"), ("position", "prefer_not"), ("bed_sharing", "")],
        )
        .unwrap();
        assert_eq!(sheet.get("crib_not_used_why").map(String::as_str), Some("no_room"));
        assert_eq!(sheet.get("position").map(String::as_str), Some("prefer_not"));
        assert!(!sheet.contains_key("bed_sharing"), "skipped");
        // "Why not" without "no" is dropped.
        let sheet = read_answers(&ITEMS, [("crib_in_use", "yes"), ("crib_not_used_why", "gave_away")]).unwrap();
        assert!(!sheet.contains_key("crib_not_used_why"));
        let problems = read_answers(&ITEMS, [("position", "upside_down"), ("favourite_colour", "blue")]).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(read_answers(&ITEMS, []).unwrap().is_empty(), "everything may be skipped");
    }

    #[test]
    fn measures_count_only_real_answers() {
        let sheet = read_answers(
            &ITEMS,
            [("position", "back"), ("bed_sharing", "rarely"), ("soft_objects", "prefer_not"), ("smoke_in_home", "yes")],
        )
        .unwrap();
        assert_eq!(measure(&sheet, "back_sleep"), Some(true));
        assert_eq!(measure(&sheet, "no_bed_sharing"), Some(true));
        assert_eq!(measure(&sheet, "no_soft_objects"), None, "prefer not to say is not counted");
        assert_eq!(measure(&sheet, "smoke_free"), Some(false));
        assert_eq!(measure(&sheet, "crib_in_use"), None, "skipped");
        assert_eq!(target_percent("back_sleep"), Some(88.9));
    }

    #[test]
    fn every_question_and_answer_has_words_in_every_language() {
        let c = crate::catalog::Catalog::load(&crate::catalog::locales_dir()).expect("locales/ reads");
        for lang in c.languages() {
            let keys = c.keys(lang);
            for item in ITEMS.iter().chain([&BASELINE]) {
                let question = format!("survey-{}", item.code);
                assert!(keys.contains(&question), "{lang}: {question}");
                for option in item.options {
                    let answer = format!("survey-{}-{option}", item.code);
                    assert!(keys.contains(&answer), "{lang}: {answer}");
                }
            }
            assert!(keys.contains(&format!("survey-{PREFER_NOT}")), "{lang}: prefer not to say");
        }
    }

    #[test]
    fn a_grid_hides_small_cells_along_every_line() {
        // Two groups × (met, not met): group B has 3 met.
        let (cells, rows, cols, grand) = suppress_grid(&[vec![20, 10], vec![3, 12]]);
        assert!(cells[1][0], "the 3");
        // Its row (3 + 12 = 15) and its column (20 + 3 = 23) each need a second hidden count.
        assert!(cells[1][1] || rows[1], "B's row cannot give the 3 back");
        assert!(cells[0][0] || cols[0], "the met column cannot give the 3 back");
        // Every line now has zero or at least two hidden counts.
        let lines: Vec<Vec<bool>> = vec![
            vec![cells[0][0], cells[0][1], rows[0]],
            vec![cells[1][0], cells[1][1], rows[1]],
            vec![cells[0][0], cells[1][0], cols[0]],
            vec![cells[0][1], cells[1][1], cols[1]],
            vec![rows[0], rows[1], grand],
            vec![cols[0], cols[1], grand],
        ];
        for l in lines {
            assert_ne!(l.iter().filter(|h| **h).count(), 1, "{l:?}");
        }
        // Nothing small: nothing hidden.
        let (cells, rows, cols, grand) = suppress_grid(&[vec![20, 10], vec![6, 12]]);
        assert!(!cells.iter().flatten().any(|h| *h) && !rows.iter().any(|h| *h) && !cols.iter().any(|h| *h) && !grand);
    }

    #[test]
    fn small_cells_are_hidden_with_a_complement_so_none_can_be_recovered() {
        // 3 of 20: the 3 is hidden, and so is the 17 (else 20 - 17 = 3).
        let (cells, total) = suppress(&[3, 17], 20);
        assert_eq!(cells, vec![Cell::Suppressed, Cell::Suppressed]);
        assert_eq!(total, Cell::Shown(20));
        // Two small cells already hide each other.
        let (cells, _) = suppress(&[2, 3, 30], 35);
        assert_eq!(cells, vec![Cell::Suppressed, Cell::Suppressed, Cell::Shown(30)]);
        // A small total hides itself and its smallest non-zero cell.
        let (cells, total) = suppress(&[0, 4], 4);
        assert_eq!((cells, total), (vec![Cell::Shown(0), Cell::Suppressed], Cell::Suppressed));
        // Nothing small: nothing hidden.
        assert_eq!(suppress(&[6, 9], 15), (vec![Cell::Shown(6), Cell::Shown(9)], Cell::Shown(15)));
        assert_eq!(Cell::Suppressed.text(), "<5");
    }
}
