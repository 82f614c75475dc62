//! notify_master/backup/fault/stop and `notify`: run in order, one at a time, each awaited
//! with a timeout, on a task of their own so that a slow script never delays adverts.

use std::process::Stdio;
use std::time::Duration;

use hb_config::keepalived::{Command, Notify};
use hb_vrrp::State;
use tokio::sync::mpsc;

/// A notify script still running after this long is killed (keepalived waits forever; a
/// hung script must not hold every later notification).
pub const NOTIFY_TIMEOUT: Duration = Duration::from_secs(30);
/// Notifications queued beyond this are dropped (and logged): limits on everything.
pub const NOTIFY_QUEUE: usize = 256;

/// One state change to announce to the scripts.
#[derive(Debug, Clone)]
pub struct Job {
    /// Instance name.
    pub instance: String,
    /// The state entered.
    pub state: State,
    /// Effective priority at the time.
    pub priority: u8,
    /// The instance's scripts.
    pub notify: Notify,
    /// A `vrrp_sync_group`'s notification (`GROUP name STATE 0`) rather than an instance's.
    pub group: bool,
}

/// The commands a job runs, in order: the state's own script, then `notify` with
/// `INSTANCE name STATE priority` appended, as keepalived calls it.
pub fn commands(job: &Job) -> Vec<Vec<String>> {
    let own = match job.state {
        State::Master => &job.notify.master,
        State::Backup => &job.notify.backup,
        State::Fault => &job.notify.fault,
        State::Stop => &job.notify.stop,
        State::Init => &None,
    };
    let mut out: Vec<Vec<String>> = own.iter().map(|c: &Command| c.argv.clone()).collect();
    if let Some(any) = &job.notify.any {
        let mut argv = any.argv.clone();
        argv.extend([
            if job.group { "GROUP" } else { "INSTANCE" }.to_owned(),
            job.instance.clone(),
            job.state.as_str().to_owned(),
            job.priority.to_string(),
        ]);
        out.push(argv);
    }
    out.retain(|a| !a.is_empty());
    out
}

/// Starts the worker; jobs sent on the returned queue run in order. The worker ends when
/// every sender is dropped and the queue is drained.
pub fn spawn() -> (mpsc::Sender<Job>, tokio::task::JoinHandle<()>) {
    spawn_as(None)
}

/// [`spawn`], the scripts running as `(uid, gid)` (`script_user`) when given.
pub fn spawn_as(run_as: Option<(u32, u32)>) -> (mpsc::Sender<Job>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Job>(NOTIFY_QUEUE);
    let task = tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            for argv in commands(&job) {
                run_one_as(&argv, NOTIFY_TIMEOUT, run_as).await;
            }
        }
    });
    (tx, task)
}

/// Runs one script; failures are logged, never fatal. Returns its exit code if it exited.
pub async fn run_one(argv: &[String], limit: Duration) -> Option<i32> {
    run_one_as(argv, limit, None).await
}

/// [`run_one`] as `(uid, gid)` when given.
pub async fn run_one_as(
    argv: &[String],
    limit: Duration,
    run_as: Option<(u32, u32)>,
) -> Option<i32> {
    let (prog, args) = argv.split_first()?;
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args).stdin(Stdio::null()).kill_on_drop(true);
    if let Some((uid, gid)) = run_as {
        cmd.uid(uid).gid(gid);
    }
    let child = cmd.spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("notify script {prog}: cannot start: {e}");
            return None;
        }
    };
    match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(st)) => {
            if !st.success() {
                tracing::warn!("notify script {} exited with {st}", argv.join(" "));
            }
            st.code()
        }
        Ok(Err(e)) => {
            tracing::error!("notify script {prog}: wait failed: {e}");
            None
        }
        Err(_) => {
            tracing::error!(
                "notify script {} still running after {limit:?}: killed",
                argv.join(" ")
            );
            let _ = child.kill().await;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(s: &str) -> Option<Command> {
        Some(Command { argv: s.split(' ').map(str::to_owned).collect() })
    }

    #[test]
    fn commands_follow_keepalived_order_and_arguments() {
        let notify = Notify { master: cmd("/m a"), any: cmd("/n"), ..Notify::default() };
        let job = Job {
            instance: "VI".into(),
            state: State::Master,
            priority: 100,
            notify,
            group: false,
        };
        assert_eq!(
            commands(&job),
            vec![vec!["/m", "a"], vec!["/n", "INSTANCE", "VI", "MASTER", "100"]]
        );
        let backup = Job { state: State::Backup, ..job };
        assert_eq!(commands(&backup).len(), 1, "no notify_backup: only `notify`");
        let group = Job { group: true, priority: 0, instance: "G".into(), ..backup };
        assert_eq!(commands(&group), vec![vec!["/n", "GROUP", "G", "BACKUP", "0"]]);
    }

    #[tokio::test]
    async fn scripts_run_and_hung_ones_are_killed_at_the_timeout() {
        let argv = ["/bin/sh".into(), "-c".into(), "exit 3".into()];
        assert_eq!(run_one(&argv, NOTIFY_TIMEOUT).await, Some(3));
        let t = std::time::Instant::now();
        let hung = run_one(&["/bin/sleep".into(), "20".into()], Duration::from_millis(200)).await;
        assert_eq!(hung, None);
        assert!(t.elapsed() < Duration::from_secs(10));
        assert_eq!(run_one(&["/nonexistent/x".into()], NOTIFY_TIMEOUT).await, None);
    }
}
