//! Stopping a worker pool without losing or double-running a job (SIGTERM, SIGINT):
//!
//! 1. [`Phase::Draining`]: no worker claims a new job; idle workers end at once, busy ones finish
//!    the job they run;
//! 2. [`Phase::HandBack`], when the drain time is up: each job still running has its media child
//!    killed and goes back to the queue (`db::queue::hand_back`), without using up an attempt,
//!    for another worker to run.
//!
//! A [`Drain`] is shared by the pool and every part of a running job that waits (the worker
//! loop, the lease keeper); the phase only moves forward.

use std::sync::Arc;

use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Running,
    Draining,
    HandBack,
}

#[derive(Clone)]
pub struct Drain {
    tx: Arc<watch::Sender<Phase>>,
}

impl Default for Drain {
    fn default() -> Self {
        Drain::new()
    }
}

impl Drain {
    pub fn new() -> Drain {
        Drain {
            tx: Arc::new(watch::Sender::new(Phase::Running)),
        }
    }

    pub fn phase(&self) -> Phase {
        *self.tx.borrow()
    }

    /// Moves to `to` unless the drain is already there or further.
    pub fn advance(&self, to: Phase) {
        self.tx.send_if_modified(|phase| {
            let later = to > *phase;
            if later {
                *phase = to;
            }
            later
        });
    }

    /// Resolves once the drain has reached `phase` (at once if it has).
    pub async fn reached(&self, phase: Phase) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = rx.wait_for(|p| *p >= phase).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn phases_only_move_forward_and_wake_waiters() {
        let drain = Drain::new();
        assert_eq!(drain.phase(), Phase::Running);
        let waiter = {
            let drain = drain.clone();
            tokio::spawn(async move { drain.reached(Phase::HandBack).await })
        };
        drain.advance(Phase::Draining);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "draining is not handing back");
        drain.advance(Phase::HandBack);
        waiter.await.unwrap();
        drain.advance(Phase::Draining);
        assert_eq!(drain.phase(), Phase::HandBack, "never backwards");
        // A phase already reached resolves at once.
        drain.reached(Phase::Draining).await;
    }
}
