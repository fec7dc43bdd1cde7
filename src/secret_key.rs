//! The key of the private cookies (sessions, CSRF, kept forms) when none is configured:
//! generated once and kept beside the data, so a restart keeps everyone signed in
//! (decision 0020). A configured `secret_key` / `ROCKET_SECRET_KEY` always wins; `main`
//! asks here only when there is none.
//!
//! Where: `CRIBS_DATA_DIR` when set; otherwise beside a SQLite database file (its
//! directory), or `./data` under the working directory (PostgreSQL, SQLite in memory). The
//! file is `secret_key` there, base64 of 64 random bytes, readable by its owner only
//! (0600). A key file that others may read, that cannot be read, or that holds no usable
//! key stops the start with a sentence saying what to do: the server never replaces it
//! silently (that would end every session) nor uses a key others could have copied.

use crate::config::Settings;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The key file's name inside the data directory.
pub const FILE_NAME: &str = "secret_key";

/// A key read from (or written to) its file.
#[derive(Debug, Clone)]
pub struct KeptKey {
    /// The key as Rocket reads it (base64).
    pub key: String,
    /// Where it is kept.
    pub path: PathBuf,
    /// Whether it was generated now (the file did not exist).
    pub created: bool,
}

/// The directory the server keeps its own files in (see the module's doc).
pub fn data_dir(settings: &Settings) -> PathBuf {
    if let Some(dir) = settings.cribs_data_dir.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(file) = crate::db::sqlite_file_path(&settings.database_url) {
        return match Path::new(file).parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
    }
    PathBuf::from("data")
}

/// The key file for these settings.
pub fn key_file(settings: &Settings) -> PathBuf {
    data_dir(settings).join(FILE_NAME)
}

/// The key kept in `path`, generated (and written with mode 0600) when the file does not
/// exist. Errors are sentences for the operator.
pub fn load_or_create(path: &Path) -> Result<KeptKey, String> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => read(path).map(|key| KeptKey { key, path: path.to_path_buf(), created: false }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(format!(
            "cannot look at the secret key file {}: {e}. Make it readable by the user the server runs as, \
             or set ROCKET_SECRET_KEY.",
            path.display()
        )),
    }
}

/// Read an existing key file: owner-only permissions and a usable key, or a sentence.
fn read(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the secret key file {shown}: {e}."))?;
    if !meta.is_file() {
        return Err(format!(
            "the secret key file {shown} is not a file. Remove it (a new key is then generated and every \
             session ends) or set ROCKET_SECRET_KEY."
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "the secret key file {shown} can be read or changed by other users (mode {mode:04o}); it signs \
                 everyone's sessions. Run `chmod 600 {shown}` (and check who could have copied it: if anyone \
                 could, remove the file to have a new key generated, which ends every session), then start again."
            ));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!("cannot read the secret key file {shown}: {e}. Make it readable by the user the server runs as.")
    })?;
    let key = text.trim().to_string();
    let usable = rocket::figment::Figment::new()
        .merge(("secret_key", key.as_str()))
        .extract_inner::<rocket::config::SecretKey>("secret_key")
        .is_ok_and(|k| !k.is_zero());
    if !usable {
        return Err(format!(
            "the secret key file {shown} does not hold a usable key (64 random bytes in base64). Remove it to \
             have a new one generated (every session then ends), or set ROCKET_SECRET_KEY."
        ));
    }
    Ok(key)
}

/// Generate a key and write it, owner-only, without ever leaving a half-written file at
/// `path`: written to a temporary file beside it, then linked into place (a link never
/// replaces an existing file, so of two servers starting at once, one key wins and both use it).
fn create(path: &Path) -> Result<KeptKey, String> {
    let shown = path.display();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    make_dir(dir).map_err(|e| format!("cannot create the data directory {}: {e}.", dir.display()))?;
    let key = crate::auth::token::random_secret_key();
    let tmp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
    let written = write_private(&tmp, &key).and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match written {
        Ok(()) => Ok(KeptKey { key, path: path.to_path_buf(), created: true }),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read(path).map(|key| KeptKey { key, path: path.to_path_buf(), created: false })
        }
        Err(e) => Err(format!(
            "cannot write the secret key file {shown}: {e}. Let the server write to {}, or set ROCKET_SECRET_KEY.",
            dir.display()
        )),
    }
}

fn make_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

fn write_private(path: &Path, key: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(key.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, dir: Option<&str>) -> Settings {
        let mut s: Settings = serde_json::from_value(serde_json::json!({ "database_url": url })).expect("settings");
        s.cribs_data_dir = dir.map(str::to_string);
        s
    }

    #[test]
    fn the_key_lives_beside_the_data() {
        assert_eq!(key_file(&settings("sqlite://data/cribs.db?mode=rwc", None)), PathBuf::from("data/secret_key"));
        assert_eq!(
            key_file(&settings("sqlite:///var/lib/cribs/c.db", None)),
            PathBuf::from("/var/lib/cribs/secret_key")
        );
        assert_eq!(key_file(&settings("sqlite://cribs.db", None)), PathBuf::from("./secret_key"));
        assert_eq!(key_file(&settings("sqlite::memory:", None)), PathBuf::from("data/secret_key"));
        assert_eq!(key_file(&settings("postgres://u@h/db", None)), PathBuf::from("data/secret_key"));
        assert_eq!(
            key_file(&settings("postgres://u@h/db", Some("/srv/cribs"))),
            PathBuf::from("/srv/cribs/secret_key")
        );
        assert_eq!(key_file(&settings("sqlite://data/cribs.db", Some("/srv/c"))), PathBuf::from("/srv/c/secret_key"));
    }

    #[test]
    fn a_key_is_made_once_owner_only_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("deeper").join(FILE_NAME);
        let first = load_or_create(&path).expect("created");
        assert!(first.created);
        let again = load_or_create(&path).expect("read back");
        assert!(!again.created);
        assert_eq!(first.key, again.key, "the same key across starts");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("dir")).expect("list").collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_or_a_broken_one_stops_the_start() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(FILE_NAME);
        let key = load_or_create(&path).expect("created").key;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = load_or_create(&path).expect_err("mode 0644 refused");
        assert!(e.contains("chmod 600") && e.contains("0644"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(load_or_create(&path).expect("0600 again").key, key);
        std::fs::write(&path, "not a key").expect("write");
        let e = load_or_create(&path).expect_err("no usable key");
        assert!(e.contains("does not hold a usable key"), "{e}");
        let not_a_file = dir.path().join("dir");
        std::fs::create_dir(&not_a_file).expect("dir");
        assert!(load_or_create(&not_a_file).expect_err("a directory").contains("is not a file"));
    }
}
