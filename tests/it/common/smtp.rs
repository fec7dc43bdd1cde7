//! A real SMTP server for the mail tests: `tests/smtp/server.py` (PyPI's aiosmtpd) on a free
//! port, keeping each accepted message as a file; it refuses recipients whose address starts
//! with "reject" (550). It can be stopped (a mail server down) and started again on the same
//! port. The tests send through it with the app's own sender (`cribs::mail::sender`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope recipients.
    pub to: String,
    /// The message as sent (headers and body), with the test server's two lines on top.
    pub raw: String,
}

impl Received {
    /// A header's value (the first of that name), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or("");
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
    /// The decoded text of every part (quoted-printable and base64 undone, roughly: enough
    /// to read the words of a message).
    pub fn text(&self) -> String {
        decode_parts(&self.raw)
    }
}

/// The server.
pub struct SmtpServer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/smtp/venv/bin/python3");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl SmtpServer {
    /// Start a server on a free port.
    pub async fn start() -> SmtpServer {
        let mut s = SmtpServer { port: free_port(), dir: tempfile::tempdir().expect("a temp dir"), child: None };
        s.up().await;
        s
    }

    /// The URL the app is given (`CRIBS_SMTP_URL`).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Start (again) on the same port.
    pub async fn up(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/server.py");
        let mut child = Command::new(python())
            .arg(&script)
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs tests/smtp/server.py (aiosmtpd installed: see .ci/smtp/README.md)");
        // Wait for it to listen.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                self.child = Some(child);
                return;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the SMTP server exited at start: {status}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        panic!("the SMTP server did not listen on {} within 10 s", self.port);
    }

    /// Stop it (SIGKILL: a mail server that went away).
    pub fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every message accepted so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        names.sort();
        names
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .map(|raw| {
                let to = raw.lines().next().and_then(|l| l.strip_prefix("X-Test-Rcpt-To: ")).unwrap_or("").to_string();
                Received { to, raw }
            })
            .collect()
    }

    /// The messages accepted for this address.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.to.split(',').any(|t| t.eq_ignore_ascii_case(address))).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.down();
    }
}

/// The parts of a MIME message, decoded (quoted-printable or base64), joined.
fn decode_parts(raw: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    for part in raw.split("\r\n--") {
        let (head, body) = part.split_once("\r\n\r\n").unwrap_or(("", part));
        let head_l = head.to_ascii_lowercase();
        if head_l.contains("content-transfer-encoding: base64") {
            let joined: String = body.lines().take_while(|l| !l.starts_with("--")).collect();
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(joined.trim()) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        } else if head_l.contains("content-transfer-encoding: quoted-printable") {
            out.push_str(&decode_qp(body));
        } else {
            out.push_str(body);
        }
        out.push('\n');
    }
    out
}

fn decode_qp(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
