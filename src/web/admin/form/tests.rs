//! Tests of the form parsing in `form`.

use super::*;

fn form(role: &str) -> UserForm {
    UserForm {
        email: "Ana@Example.org".into(),
        name: "Ana".into(),
        role: role.into(),
        password: "long enough password".into(),
        sites: vec!["1".into(), "3".into()],
        hospital_site_id: "5".into(),
        ..Default::default()
    }
}

#[test]
fn memberships_follow_the_role() {
    let (staff, _) = new_user(&form("site_staff"));
    let Ok(staff) = staff else { panic!("a valid {}", stringify!(staff)) };
    assert_eq!((staff.site_ids, staff.hospital_site_id), (vec![1, 3], None));
    let (nurse, _) = new_user(&form("nurse"));
    let Ok(nurse) = nurse else { panic!("a valid {}", stringify!(nurse)) };
    assert_eq!((nurse.site_ids, nurse.hospital_site_id), (vec![], Some(5)));
    let (manager, _) = new_user(&form("program_manager"));
    let Ok(manager) = manager else { panic!("a valid {}", stringify!(manager)) };
    assert_eq!((manager.site_ids, manager.hospital_site_id), (vec![], None));
}

#[test]
fn every_field_at_fault_is_named() {
    let bad = UserForm { email: "nope".into(), role: "root".into(), password: "short".into(), ..Default::default() };
    let (parsed, chosen) = new_user(&bad);
    let errors = parsed.expect_err("invalid");
    for field in ["email", "name", "password", "role"] {
        assert!(errors.contains_key(field), "{field}: {errors:?}");
    }
    assert!(chosen.role.is_none());
}

#[test]
fn the_view_keeps_what_was_typed_but_never_the_password() {
    let f = form("site_staff");
    let v = view(Values::typed(&f), &[], &[]);
    let Ok(json) = serde_json::to_string(&v) else { panic!("serialises") };
    assert!(json.contains("Ana@Example.org"));
    assert!(!json.contains("long enough password"));
}
