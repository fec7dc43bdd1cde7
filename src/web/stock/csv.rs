//! `GET /stock/sites/<id>/movements.csv`: a site's movement history with the same filters
//! as its page, as CSV with a header row. Text that a spreadsheet would read as a formula
//! (a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with a
//! single quote, so a hostile lot or note cannot run when the file is opened.

use crate::auth::guards::PageUser;
use crate::db::Db;
use crate::error::AppError;
use crate::store::stock_ops::MovementView;
use crate::store::stock_reads;
use crate::web::error_page::PageResult;
use crate::web::stock::history::{HistoryQuery, MovementRow, Names};
use crate::web::stock::site_in_scope;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder, Response};
use rocket::{get, Request, State};
use std::io::Cursor;

/// A CSV file sent as an attachment.
pub struct CsvFile {
    pub body: String,
    pub filename: String,
}

impl<'r> Responder<'r, 'static> for CsvFile {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .header(ContentType::CSV)
            .raw_header("Content-Disposition", format!("attachment; filename=\"{}\"", self.filename))
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}

/// The CSV answer: the file, or a sentence saying which filter is wrong.
#[derive(rocket::Responder)]
pub enum CsvAnswer {
    File(CsvFile),
    Refused((Status, String)),
}

/// The columns of the export.
const HEADER: [&str; 13] = [
    "movement_id",
    "date_time_new_york",
    "site",
    "crib_model",
    "kind",
    "quantity",
    "lot",
    "reason",
    "note",
    "by",
    "transfer_id",
    "handout_id",
    "site_id",
];

/// Neutralise a text cell a spreadsheet would run as a formula (plain numbers stay numbers).
pub fn safe_cell(s: &str) -> String {
    crate::domain::reports::csv_safe(s)
}

fn id_cell(id: Option<i64>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

/// The rows as CSV text, header first.
pub fn to_csv(rows: &[MovementRow]) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    w.write_record(HEADER).map_err(internal)?;
    for r in rows {
        // NOTE: numbers we write ourselves (ids, a signed quantity) stay numbers; only text
        // that came from people or names is neutralised, so "-3" is still minus three.
        w.write_record([
            r.id.to_string(),
            r.at.clone(),
            safe_cell(&r.site),
            safe_cell(&r.model),
            r.kind.clone(),
            r.quantity.to_string(),
            safe_cell(&r.lot),
            safe_cell(&r.reason),
            safe_cell(&r.note),
            safe_cell(&r.by),
            id_cell(r.transfer_id),
            id_cell(r.handout_id),
            r.site_id.to_string(),
        ])
        .map_err(internal)?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// A site's movements as CSV (managers, staff of the site; others 404).
#[get("/stock/sites/<id>/movements.csv?<q..>")]
pub async fn movements_csv(user: PageUser, db: &State<Db>, id: i64, q: HistoryQuery) -> PageResult<CsvAnswer> {
    let who = user.0;
    let db = db.inner();
    let site = site_in_scope(db, &who, id).await?;
    let read = q.read();
    if !read.errors.is_empty() {
        let reasons: Vec<String> = read.errors.iter().map(|(f, m)| format!("{f}: {}", m.join(" "))).collect();
        return Ok(CsvAnswer::Refused((Status::UnprocessableEntity, reasons.join("\n"))));
    }
    let movements = stock_reads::movements_for_export(db, id, &read.filter).await?;
    let user_ids: Vec<i64> = movements.iter().filter_map(|m| m.user_id).collect();
    let (sites, models, users) = (
        stock_reads::site_names(db).await?,
        stock_reads::model_names(db).await?,
        stock_reads::user_names(db, &user_ids).await?,
    );
    let names = Names { sites: &sites, models: &models, users: &users };
    let rows: Vec<MovementRow> =
        movements.into_iter().map(|m| MovementRow::new(MovementView::from(m), &names)).collect();
    let filename =
        format!("{}-movements.csv", site.code.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"));
    Ok(CsvAnswer::File(CsvFile { body: to_csv(&rows)?, filename }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(safe_cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(safe_cell("+1"), "'+1");
        assert_eq!(safe_cell("-1+1"), "'-1+1");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("LOT-7"), "LOT-7");
        assert_eq!(safe_cell("O'Brien-Núñez"), "O'Brien-Núñez");
        assert_eq!(safe_cell(""), "");
    }
}
