//! Names found as they sound (issue 19): `families.sound_first` and `sound_last`, the
//! American Soundex of each folded name (`domain::checkin::sound_key`, copied here as
//! `sound`), indexed, filled for the families already stored.

use crate::util::{index, opt};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_sound_keys"
    }
}

/// American Soundex of a name's folded letters (kept equal to the app's `sound_key`).
fn sound(name: &str) -> Option<String> {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    let letters: Vec<char> = name
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    let first = *letters.first()?;
    let code = |c: char| match c {
        'b' | 'f' | 'p' | 'v' => '1',
        'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => '2',
        'd' | 't' => '3',
        'l' => '4',
        'm' | 'n' => '5',
        'r' => '6',
        'h' | 'w' => '-',
        _ => '0',
    };
    let mut out = String::from(first.to_ascii_uppercase());
    let mut last = code(first);
    for &c in &letters[1..] {
        let d = code(c);
        if d == '-' {
            continue;
        }
        if d != '0' && d != last {
            out.push(d);
            if out.len() == 4 {
                break;
            }
        }
        last = d;
    }
    while out.len() < 4 {
        out.push('0');
    }
    Some(out)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["sound_first", "sound_last"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("families"))
                        .add_column(opt(column).string_len(4).to_owned())
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let update = if backend == DbBackend::Postgres {
            "UPDATE families SET sound_first = $1, sound_last = $2 WHERE id = $3"
        } else {
            "UPDATE families SET sound_first = ?, sound_last = ? WHERE id = ?"
        };
        // In pages of 5,000 by id, so a large table is never read into memory at once.
        let mut after = 0_i64;
        loop {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    if backend == DbBackend::Postgres {
                        "SELECT id, first_name, last_name FROM families WHERE id > $1 AND erased_at IS NULL ORDER BY id LIMIT 5000"
                    } else {
                        "SELECT id, first_name, last_name FROM families WHERE id > ? AND erased_at IS NULL ORDER BY id LIMIT 5000"
                    },
                    [after.into()],
                ))
                .await?;
            let Some(last_row) = rows.last() else { break };
            after = last_row.try_get("", "id")?;
            for row in &rows {
                let id: i64 = row.try_get("", "id")?;
                let first: String = row.try_get("", "first_name")?;
                let last: String = row.try_get("", "last_name")?;
                db.execute_raw(Statement::from_sql_and_values(
                    backend,
                    update,
                    [sound(&first).into(), sound(&last).into(), id.into()],
                ))
                .await?;
            }
        }
        manager.create_index(index("families", "ix_families_sound_first", &["sound_first"], false)).await?;
        manager.create_index(index("families", "ix_families_sound_last", &["sound_last"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["sound_first", "sound_last"] {
            manager
                .drop_index(
                    Index::drop().name(format!("ix_families_{column}")).table(Alias::new("families")).to_owned(),
                )
                .await?;
            manager
                .alter_table(Table::alter().table(Alias::new("families")).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
