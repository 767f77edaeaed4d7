//! Failover across a cluster's endpoints, written once for the backends that
//! talk to one of several (etcd members, Consul agents): try them in turn
//! from the one that answered last, the whole call bounded by the timeout
//! and no endpoint given more than its share of what is left, so one dead
//! endpoint cannot eat the time the others need.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{Said, StoreError};

/// What one endpoint made of an attempt.
pub(crate) enum Attempt<T> {
    /// It answered (a server's refusal included): no other is tried.
    Answered(T),
    /// It failed: the next endpoint is tried when the error is worth
    /// retrying ([`StoreError::is_retryable`]: it cannot serve now, being
    /// down, cut off or overloaded), else this error is the answer.
    Failed(StoreError),
}

/// The index of the first of `endpoints`, from `start`, whose `attempt`
/// answers, and its answer. `failed` hears of each endpoint that could not
/// serve (to drop a connection kept for it). When none answers:
/// `Unreachable` naming them all, or `Timeout` if the time ran out, with the
/// last failure as the cause.
pub(crate) async fn first_answer<T, Fut>(
    store: &str,
    timeout: Duration,
    endpoints: &[String],
    start: usize,
    mut attempt: impl FnMut(usize) -> Fut,
    mut failed: impl FnMut(usize),
) -> Result<(usize, T), StoreError>
where
    Fut: Future<Output = Attempt<T>>,
{
    let deadline = Instant::now() + timeout;
    let n = endpoints.len();
    let mut last = None;
    for tried in 0..n {
        let index = (start + tried) % n;
        let share = deadline.saturating_duration_since(Instant::now()) / (n - tried) as u32;
        let error = match tokio::time::timeout(share, attempt(index)).await {
            Ok(Attempt::Answered(value)) => return Ok((index, value)),
            Ok(Attempt::Failed(e)) => e,
            Err(_) => StoreError::Unreachable {
                store: store.to_string(),
                endpoint: endpoints[index].clone(),
                source: Said::cause(format!("no answer within {share:?}")),
            },
        };
        if !error.is_retryable() {
            return Err(error);
        }
        failed(index);
        last = Some(error);
    }
    let spent = Instant::now() >= deadline;
    let last = last.unwrap_or_else(|| StoreError::failed(store, "", "no endpoint answered"));
    Err(StoreError::no_endpoint(store, timeout, spent, endpoints, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints() -> Vec<String> {
        vec!["http://a:1".into(), "http://b:2".into(), "http://c:3".into()]
    }

    /// Runs `first_answer` where `up` says which endpoints answer; returns
    /// its result and the endpoints tried, in order.
    fn run(start: usize, up: &[bool], hang: bool) -> (Result<(usize, &'static str), StoreError>, Vec<usize>) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let mut tried = Vec::new();
        let mut failed = Vec::new();
        let result = rt.block_on(first_answer(
            "etcd://a:1,b:2,c:3",
            Duration::from_millis(300),
            &endpoints(),
            start,
            |i| {
                tried.push(i);
                let answers = up[i];
                async move {
                    match (answers, hang) {
                        (true, _) => Attempt::Answered("hello"),
                        (false, false) => Attempt::Failed(StoreError::Unreachable {
                            store: "etcd://a:1,b:2,c:3".into(),
                            endpoint: endpoints()[i].clone(),
                            source: "connection refused".into(),
                        }),
                        (false, true) => std::future::pending().await,
                    }
                }
            },
            |i| failed.push(i),
        ));
        assert_eq!(failed, tried.iter().copied().filter(|i| !up[*i]).collect::<Vec<_>>());
        (result, tried)
    }

    #[test]
    fn the_first_endpoint_down_the_next_answers() {
        let (result, tried) = run(0, &[false, true, true], false);
        assert_eq!(result.unwrap(), (1, "hello"));
        assert_eq!(tried, [0, 1]);
    }

    #[test]
    fn it_starts_from_the_one_that_answered_last_and_wraps_around() {
        let (result, tried) = run(2, &[true, false, false], false);
        assert_eq!(result.unwrap(), (0, "hello"));
        assert_eq!(tried, [2, 0]);
    }

    #[test]
    fn all_down_names_every_endpoint_and_the_last_reason() {
        let (result, tried) = run(0, &[false, false, false], false);
        assert_eq!(tried, [0, 1, 2]);
        match result.unwrap_err() {
            StoreError::Unreachable { endpoint, source, .. } => {
                assert_eq!(endpoint, "any of http://a:1, http://b:2, http://c:3");
                assert_eq!(source.to_string(), "http://c:3: connection refused");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_error_not_worth_retrying_is_the_answer() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let mut tried = Vec::new();
        let result: Result<(usize, ()), StoreError> = rt.block_on(first_answer(
            "s",
            Duration::from_millis(300),
            &endpoints(),
            0,
            |i| {
                tried.push(i);
                async {
                    Attempt::Failed(StoreError::Denied { store: "s".into(), what: String::new(), source: "no".into() })
                }
            },
            |_| {},
        ));
        assert!(matches!(result, Err(StoreError::Denied { .. })));
        assert_eq!(tried, [0]);
    }

    #[test]
    fn endpoints_that_never_answer_share_the_timeout() {
        let started = Instant::now();
        let (result, tried) = run(0, &[false, false, false], true);
        assert_eq!(tried, [0, 1, 2]);
        assert!(started.elapsed() < Duration::from_secs(2));
        match result.unwrap_err() {
            e @ StoreError::Timeout { .. } => {
                assert!(e.to_string().contains("(last: http://c:3: no answer within"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
}
