//! ha.cf `realtime` / `rtprio` (and `heartbeat -l` to turn it off): like heartbeat 3.0.6, run
//! at a real-time priority (SCHED_FIFO) with memory locked, so heartbeats leave on time on a
//! busy machine. With millisecond timers this is what separates a steady cluster from false
//! failovers (the end-to-end timer test measured both).
//!
//! Children must not inherit it: a resource script at real-time priority could starve the
//! machine. The policy is set with `SCHED_RESET_ON_FORK`, so every process we start runs at the
//! normal policy. Failures (no privilege, a container without CAP_SYS_NICE, RLIMIT_MEMLOCK) are
//! logged and the daemon runs at normal priority, as heartbeat does.

/// The default priority: the midpoint of the SCHED_FIFO range, as heartbeat chooses.
pub fn default_priority() -> i32 {
    // SAFETY: plain queries without pointers.
    #[allow(unsafe_code)]
    let (min, max) = unsafe {
        (
            libc::sched_get_priority_min(libc::SCHED_FIFO),
            libc::sched_get_priority_max(libc::SCHED_FIFO),
        )
    };
    if min < 0 || max < min {
        return 50;
    }
    (min + max) / 2
}

/// Switches the calling process (and the threads it creates later) to SCHED_FIFO at
/// `priority` and locks its memory. Returns what was done, for the log.
pub fn enter(priority: Option<u8>) -> Result<String, String> {
    let prio = priority.map(i32::from).unwrap_or_else(default_priority);
    let param = libc::sched_param { sched_priority: prio };
    // SAFETY: `param` is a valid, initialised sched_param that outlives the call; pid 0 means
    // the calling thread.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::sched_setscheduler(0, libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK, &param)
    };
    if rc != 0 {
        return Err(format!(
            "cannot run at real-time priority {prio}: {}",
            std::io::Error::last_os_error()
        ));
    }
    use nix::sys::mman::{mlockall, MlockAllFlags};
    let locked = match mlockall(MlockAllFlags::MCL_CURRENT | MlockAllFlags::MCL_FUTURE) {
        Ok(()) => "memory locked".to_owned(),
        Err(e) => format!("memory not locked: {e}"),
    };
    Ok(format!("running at SCHED_FIFO priority {prio}, {locked}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_priority_is_inside_the_fifo_range() {
        let p = super::default_priority();
        assert!((1..=99).contains(&p), "{p}");
    }
}
