//! The one integration test binary (decision 0017): every area of the app is a module here,
//! over the shared `common::TestApp` (a real server on a free port, its own database). One
//! binary links the app once; twenty binaries each linked it again and made a cold
//! `cargo test` take most of half an hour on a 2-core machine.

mod common;

mod access_matrix;
mod accounts;
mod backup;
mod browser;
mod checkin_pages;
mod daylight_saving;
mod dead_ends;
mod disk_full;
mod every_page;
mod families;
mod family_words;
mod fhir;
mod fhir_systems;
mod forms;
mod foundation;
mod handout_pages;
mod handouts;
mod inline_reads;
mod mail_processes;
mod mail_words;
mod message_pages;
mod messages;
mod metrics;
mod outages;
mod outcomes;
mod passwords;
mod processes;
mod records;
mod referral_pages;
mod referrals;
mod reports;
mod request_ids;
mod request_matches;
mod security;
mod shown_pages;
mod stock;
mod stock_pages;
mod survey;
mod write_path;
