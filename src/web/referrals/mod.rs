//! Hospital request pages: the nurse's new-request form and her hospital's list, and the
//! manager's triage queue (accept with a held crib, or decline with a reason).

pub mod nurse;
pub mod triage;

use crate::store::reference::NeighborhoodView;
use serde::Serialize;

/// Neighborhoods grouped by CSA, for a `<select>` with `<optgroup>`s.
#[derive(Serialize)]
pub struct CsaGroup {
    pub csa_name: String,
    pub neighborhoods: Vec<NeighborhoodView>,
}

/// Group neighborhoods by CSA name, alphabetically.
pub fn group_by_csa(mut hoods: Vec<NeighborhoodView>) -> Vec<CsaGroup> {
    hoods.sort_by(|a, b| a.csa_name.cmp(&b.csa_name).then(a.name.cmp(&b.name)));
    let mut groups: Vec<CsaGroup> = Vec::new();
    for n in hoods {
        match groups.last_mut() {
            Some(g) if g.csa_name == n.csa_name => g.neighborhoods.push(n),
            _ => groups.push(CsaGroup { csa_name: n.csa_name.clone(), neighborhoods: vec![n] }),
        }
    }
    groups
}
