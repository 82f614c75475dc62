//! `MailTo::ADDRESS[::SUBJECT]`, heartbeat's notification resource, built in: when its group
//! starts here it mails "SUBJECT Takeover in progress at DATE on NODE", when it stops
//! "SUBJECT Migrating resource away at DATE from NODE" (heartbeat's wording; SUBJECT defaults to
//! "Resource Group"), subject and body alike, to each comma-separated address, through
//! `sendmail -t`. A mail that cannot be sent is logged and never fails the group: a missing
//! mailer must not keep a service down.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

/// Where the mailer usually is.
pub const SENDMAIL: &str = "/usr/sbin/sendmail";
/// Time limit for handing a mail over.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// One MailTo resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTo {
    /// Recipients.
    pub to: Vec<String>,
    /// Subject prefix.
    pub subject: String,
}

impl MailTo {
    /// From the `::`-separated arguments (address list, optional subject).
    pub fn from_args(args: &[String]) -> Option<MailTo> {
        let to: Vec<String> = args
            .first()?
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        if to.is_empty() || to.iter().any(|a| a.contains(['\n', '\r'])) {
            return None;
        }
        let subject = args
            .get(1)
            .filter(|s| !s.is_empty())
            .map(|s| s.replace(['\n', '\r'], " "))
            .unwrap_or_else(|| "Resource Group".to_owned());
        Some(MailTo { to, subject })
    }

    /// The mail (headers and body) for a start (`true`) or stop on `node` at `date`.
    pub fn message(&self, start: bool, node: &str, date: &str) -> String {
        let line = if start {
            format!("{} Takeover in progress at {date} on {node}", self.subject)
        } else {
            format!("{} Migrating resource away at {date} from {node}", self.subject)
        };
        format!("To: {}\nSubject: {line}\n\n{line}\n", self.to.join(", "))
    }

    /// Sends the mail with `sendmail -t`; Err says why it could not.
    pub async fn send(&self, sendmail: &Path, start: bool, node: &str) -> Result<(), String> {
        let date = chrono::Local::now().format("%a %b %e %T %Z %Y").to_string();
        let text = self.message(start, node, &date);
        let mut child = tokio::process::Command::new(sendmail)
            .arg("-t")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", sendmail.display()))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(text.as_bytes()).await.map_err(|e| e.to_string())?;
        }
        let out = tokio::time::timeout(TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| format!("{} timed out", sendmail.display()))?
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses_and_subject_like_heartbeat() {
        let m = MailTo::from_args(&["a@x, b@y".into(), "web".into()]).expect("valid");
        assert_eq!(m.to, vec!["a@x", "b@y"]);
        assert_eq!(
            m.message(true, "n1", "DATE"),
            "To: a@x, b@y\nSubject: web Takeover in progress at DATE on n1\n\n\
             web Takeover in progress at DATE on n1\n"
        );
        let d = MailTo::from_args(&["ops@x".into()]).expect("valid");
        assert!(d
            .message(false, "n2", "D")
            .contains("Resource Group Migrating resource away at D from n2"));
        assert_eq!(MailTo::from_args(&[]), None);
        assert_eq!(MailTo::from_args(&["a@x\nBcc: evil@y".into()]), None, "no header injection");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hands_the_mail_to_sendmail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("mail");
        let fake = dir.path().join("sendmail");
        std::fs::write(&fake, format!("#!/bin/sh\n[ \"$1\" = -t ] && cat > {}\n", out.display()))
            .expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let m = MailTo::from_args(&["ops@example.org".into()]).expect("valid");
        m.send(&fake, true, "n1").await.expect("sent");
        let text = std::fs::read_to_string(&out).expect("mail");
        assert!(
            text.starts_with("To: ops@example.org\nSubject: Resource Group Takeover"),
            "{text}"
        );
        let err = m.send(&dir.path().join("missing"), false, "n1").await.expect_err("no mailer");
        assert!(err.contains("cannot run"), "{err}");
    }
}
