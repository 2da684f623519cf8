//! The effect runner: three tasks, each owning one director connection, that
//! execute [`Effect`]s and send the results back as [`Action`]s.
//!
//! * the **JSON link** (API 2, [`DirectorClient::json`]) answers the screens'
//!   queries, one at a time, in order;
//! * the **console link** (API 0, [`DirectorClient::command`]) carries the
//!   console pane's lines, so a slow command there never delays the polls;
//! * the **events link** (API 0, `.events`) runs the director's event stream
//!   ([`crate::events`]): job status, progress, job-log and trace lines as
//!   they happen.
//!
//! A link that cannot connect, or breaks, reports [`LinkState::Lost`] and is
//! retried with exponential back-off (0.5 s doubling to 15 s); queries that
//! arrive meanwhile fail at once with [`QueryError::Disconnected`]. The
//! connection is behind the [`Connector`]/[`Session`] traits so tests (and a
//! future event-stream link) can stand in for a real director.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cairn_proto::{ConnectOptions, DirectorClient, ProtoError, ReplyEnd};
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::Instant;

use crate::action::{Action, ConsoleReply, Effect, Link, LinkState, Query, QueryError};

/// Longest wait for one reply before the link is considered broken.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for a connection and login.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One logged-in director session.
pub trait Session: Send + 'static {
    /// A command in API 2; the `result` object.
    fn json(&mut self, cmd: &str) -> impl Future<Output = Result<Value, ProtoError>> + Send;
    /// A line in API 0; the text of the reply.
    fn text(&mut self, line: &str) -> impl Future<Output = Result<ConsoleReply, ProtoError>> + Send;
    /// What to show when the session starts (the director's login banner).
    fn banner(&self) -> String;
    /// The director closed the session.
    fn is_closed(&self) -> bool;
    fn close(self) -> impl Future<Output = ()> + Send;

    /// Start the event stream (`.events ARGS`); its `subscribed` event. A
    /// refusal (or a director without `.events`) is
    /// [`ProtoError::CommandFailed`], which is what a session without a
    /// stream answers.
    fn subscribe_events(&mut self, args: &str) -> impl Future<Output = Result<Value, ProtoError>> + Send {
        let _ = args;
        async { Err(ProtoError::CommandFailed { message: ".events: is an invalid command.".into(), errors: Vec::new() }) }
    }
    /// The next event of the stream; `None` when the connection ended.
    fn next_event(&mut self) -> impl Future<Output = Result<Option<Value>, ProtoError>> + Send {
        std::future::pending()
    }
    /// End the stream (the session goes on).
    fn stop_events(&mut self) -> impl Future<Output = Result<(), ProtoError>> + Send {
        async { Ok(()) }
    }
}

/// Opens sessions.
pub trait Connector: Send + Sync + 'static {
    type Session: Session;
    fn connect(&self) -> impl Future<Output = Result<Self::Session, ProtoError>> + Send;
}

impl Session for DirectorClient {
    fn json(&mut self, cmd: &str) -> impl Future<Output = Result<Value, ProtoError>> + Send {
        DirectorClient::json(self, cmd)
    }

    async fn text(&mut self, line: &str) -> Result<ConsoleReply, ProtoError> {
        let r = self.command(line).await?;
        if r.end == ReplyEnd::Closed && r.text.is_empty() {
            return Err(ProtoError::Closed);
        }
        Ok(ConsoleReply { sub_prompt: r.end == ReplyEnd::SubPrompt, in_tree: r.in_tree(), text: r.text })
    }

    fn banner(&self) -> String {
        let b = DirectorClient::banner(self);
        match &b.info {
            Some(info) => format!("{}\n{info}", b.ok_line),
            None => b.ok_line.clone(),
        }
    }

    fn is_closed(&self) -> bool {
        DirectorClient::is_closed(self)
    }

    fn close(self) -> impl Future<Output = ()> + Send {
        DirectorClient::close(self)
    }

    fn subscribe_events(&mut self, args: &str) -> impl Future<Output = Result<Value, ProtoError>> + Send {
        DirectorClient::subscribe_events(self, args)
    }

    fn next_event(&mut self) -> impl Future<Output = Result<Option<Value>, ProtoError>> + Send {
        DirectorClient::next_event(self)
    }

    async fn stop_events(&mut self) -> Result<(), ProtoError> {
        DirectorClient::stop_events(self).await.map(|_| ())
    }
}

/// Connects with [`DirectorClient::connect`].
#[derive(Debug, Clone)]
pub struct DirectorConnector(pub ConnectOptions);

impl Connector for DirectorConnector {
    type Session = DirectorClient;
    fn connect(&self) -> impl Future<Output = Result<DirectorClient, ProtoError>> + Send {
        DirectorClient::connect(&self.0)
    }
}

/// Errors that are the director's answer, not a broken connection.
pub(crate) fn command_level(e: &ProtoError) -> bool {
    matches!(e, ProtoError::CommandFailed { .. } | ProtoError::BadJson(_))
}

/// `Connection refused (os error 111)` → `connection refused`.
pub(crate) fn short_error(e: &ProtoError) -> String {
    match e {
        ProtoError::Connect { source, .. } => {
            let s = source.to_string();
            let s = s.split(" (os error").next().unwrap_or(&s).to_string();
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_lowercase().chain(c).collect(),
                None => s,
            }
        }
        other => other.to_string(),
    }
}

/// Exponential back-off: 0.5 s, 1 s, 2 s, … up to 15 s.
#[derive(Debug, Clone, Copy, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    pub fn next_delay(&mut self) -> Duration {
        let ms = 500u64.saturating_mul(1 << self.failures.min(5)).min(15_000);
        self.failures = self.failures.saturating_add(1);
        Duration::from_millis(ms)
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// The connection half of a worker: connects, reconnects and reports.
pub(crate) struct Driver<C: Connector> {
    connector: Arc<C>,
    link: Link,
    tx: UnboundedSender<Action>,
    pub(crate) session: Option<C::Session>,
    backoff: Backoff,
    next_attempt: Instant,
    pub(crate) last_error: String,
}

impl<C: Connector> Driver<C> {
    pub(crate) fn new(connector: Arc<C>, link: Link, tx: UnboundedSender<Action>) -> Self {
        Driver {
            connector,
            link,
            tx,
            session: None,
            backoff: Backoff::default(),
            next_attempt: Instant::now(),
            last_error: "not connected yet".into(),
        }
    }

    fn report(&self, state: LinkState) {
        let _ = self.tx.send(Action::Link { link: self.link, state });
    }

    pub(crate) fn lost(&mut self, error: String) {
        self.session = None;
        let d = self.backoff.next_delay();
        self.next_attempt = Instant::now() + d;
        self.last_error = error.clone();
        self.report(LinkState::Lost { error, retry_in: d });
    }

    async fn try_connect(&mut self) {
        self.report(LinkState::Connecting);
        match tokio::time::timeout(CONNECT_TIMEOUT, self.connector.connect()).await {
            Ok(Ok(s)) => {
                self.backoff.reset();
                self.report(LinkState::Connected { banner: s.banner() });
                self.session = Some(s);
            }
            Ok(Err(e)) => self.lost(short_error(&e)),
            Err(_) => self.lost("connection timed out".into()),
        }
    }

    /// The next request, connecting (and reconnecting on schedule) meanwhile.
    /// `None` when the UI has gone.
    pub(crate) async fn next<R>(&mut self, rx: &mut UnboundedReceiver<R>) -> Option<R> {
        loop {
            if self.session.as_ref().is_some_and(Session::is_closed) {
                self.lost("the director closed the session".into());
            }
            if self.session.is_none() && Instant::now() >= self.next_attempt {
                self.try_connect().await;
            }
            if self.session.is_some() {
                return rx.recv().await;
            }
            tokio::select! {
                r = rx.recv() => return r,
                _ = tokio::time::sleep_until(self.next_attempt) => {}
            }
        }
    }

    pub(crate) async fn shutdown(mut self) {
        if let Some(s) = self.session.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), s.close()).await;
        }
    }
}

async fn json_worker<C: Connector>(connector: Arc<C>, mut rx: UnboundedReceiver<Query>, tx: UnboundedSender<Action>) {
    let mut d = Driver::new(connector, Link::Json, tx.clone());
    while let Some(query) = d.next(&mut rx).await {
        let cmd = query.command();
        let result = match d.session.as_mut() {
            None => Err(QueryError::Disconnected(d.last_error.clone())),
            Some(s) => match tokio::time::timeout(REQUEST_TIMEOUT, s.json(&cmd)).await {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(e)) if command_level(&e) => Err(QueryError::Failed(e.to_string())),
                Ok(Err(e)) => {
                    let msg = short_error(&e);
                    d.lost(msg.clone());
                    Err(QueryError::Disconnected(msg))
                }
                Err(_) => {
                    d.lost("no reply within 60 s".into());
                    Err(QueryError::Disconnected("timed out".into()))
                }
            },
        };
        if tx.send(Action::Json { query, result }).is_err() {
            break;
        }
    }
    d.shutdown().await;
}

async fn console_worker<C: Connector>(
    connector: Arc<C>,
    mut rx: UnboundedReceiver<String>,
    tx: UnboundedSender<Action>,
) {
    let mut d = Driver::new(connector, Link::Console, tx.clone());
    while let Some(line) = d.next(&mut rx).await {
        let result = match d.session.as_mut() {
            None => Err(QueryError::Disconnected(d.last_error.clone())),
            Some(s) => match s.text(&line).await {
                Ok(r) => Ok(r),
                Err(e) => {
                    let msg = short_error(&e);
                    d.lost(msg.clone());
                    Err(QueryError::Disconnected(msg))
                }
            },
        };
        if tx.send(Action::ConsoleReply(result)).is_err() {
            break;
        }
    }
    d.shutdown().await;
}

/// Handle to the running workers: [`Runner::run`] hands effects over.
#[derive(Debug, Clone)]
pub struct Runner {
    json: UnboundedSender<Query>,
    console: UnboundedSender<String>,
    events: UnboundedSender<String>,
}

impl Runner {
    /// Start the three workers on the current tokio runtime.
    pub fn spawn<C: Connector>(connector: C, actions: UnboundedSender<Action>) -> Runner {
        let connector = Arc::new(connector);
        let (jtx, jrx) = unbounded_channel();
        let (ctx, crx) = unbounded_channel();
        let (etx, erx) = unbounded_channel();
        tokio::spawn(json_worker(connector.clone(), jrx, actions.clone()));
        tokio::spawn(console_worker(connector.clone(), crx, actions.clone()));
        tokio::spawn(crate::events::events_worker(connector, erx, actions));
        Runner { json: jtx, console: ctx, events: etx }
    }

    pub fn run(&self, e: Effect) {
        match e {
            Effect::Json(q) => {
                let _ = self.json.send(q);
            }
            Effect::Console(line) => {
                let _ = self.console.send(line);
            }
            Effect::Events(args) => {
                let _ = self.events.send(args);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A director that is down until `up` is set, and answers `status
    /// director` with a fixed object; `break` in a command breaks the link.
    #[derive(Default)]
    struct Fake {
        up: AtomicBool,
        connects: AtomicUsize,
        seen: Mutex<Vec<String>>,
    }

    struct FakeSession(Arc<Fake>, bool);

    impl Session for FakeSession {
        async fn json(&mut self, cmd: &str) -> Result<Value, ProtoError> {
            self.0.seen.lock().map(|mut s| s.push(cmd.to_string())).ok();
            match cmd {
                "break" => Err(ProtoError::Closed),
                c if c.ends_with("=bad") => {
                    Err(ProtoError::CommandFailed { message: "failed".into(), errors: vec!["no\n".into()] })
                }
                _ => Ok(serde_json::json!({ "cmd": cmd })),
            }
        }
        async fn text(&mut self, line: &str) -> Result<ConsoleReply, ProtoError> {
            Ok(ConsoleReply { text: format!("echo {line}\n"), sub_prompt: false, in_tree: false })
        }
        fn banner(&self) -> String {
            "1000 OK: fake".into()
        }
        fn is_closed(&self) -> bool {
            self.1
        }
        async fn close(self) {}
    }

    struct FakeConnector(Arc<Fake>);

    impl Connector for FakeConnector {
        type Session = FakeSession;
        async fn connect(&self) -> Result<FakeSession, ProtoError> {
            self.0.connects.fetch_add(1, Ordering::SeqCst);
            if self.0.up.load(Ordering::SeqCst) {
                Ok(FakeSession(self.0.clone(), false))
            } else {
                Err(ProtoError::Connect {
                    addr: "127.0.0.1:9".into(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::ConnectionRefused,
                        "Connection refused (os error 111)",
                    ),
                })
            }
        }
    }

    async fn next_link(rx: &mut UnboundedReceiver<Action>, link: Link) -> LinkState {
        loop {
            match rx.recv().await {
                Some(Action::Link { link: l, state }) if l == link => return state,
                Some(_) => {}
                None => panic!("channel closed"),
            }
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let mut b = Backoff::default();
        let v: Vec<u64> = (0..8).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(v, vec![500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn lost_connection_is_retried_with_backoff_and_recovers() {
        let fake = Arc::new(Fake::default());
        let (tx, mut rx) = unbounded_channel();
        let runner = Runner::spawn(FakeConnector(fake.clone()), tx);
        // Down: Connecting, then Lost with a 0.5 s retry.
        assert_eq!(next_link(&mut rx, Link::Json).await, LinkState::Connecting);
        match next_link(&mut rx, Link::Json).await {
            LinkState::Lost { error, retry_in } => {
                assert_eq!(error, "connection refused");
                assert_eq!(retry_in, Duration::from_millis(500));
            }
            other => panic!("{other:?}"),
        }
        // A query while down fails at once.
        runner.run(Effect::Json(Query::StatusDirector));
        loop {
            match rx.recv().await {
                Some(Action::Json { result: Err(QueryError::Disconnected(_)), .. }) => break,
                Some(_) => {}
                None => panic!("closed"),
            }
        }
        // Second failure doubles the delay.
        assert_eq!(next_link(&mut rx, Link::Json).await, LinkState::Connecting);
        match next_link(&mut rx, Link::Json).await {
            LinkState::Lost { retry_in, .. } => assert_eq!(retry_in, Duration::from_secs(1)),
            other => panic!("{other:?}"),
        }
        fake.up.store(true, Ordering::SeqCst);
        assert_eq!(next_link(&mut rx, Link::Json).await, LinkState::Connecting);
        assert_eq!(next_link(&mut rx, Link::Json).await, LinkState::Connected { banner: "1000 OK: fake".into() });
        // Queries now work; a director error keeps the link; a broken link is reported.
        runner.run(Effect::Json(Query::ListJobs));
        runner.run(Effect::Json(Query::JobDefaults("bad".into())));
        let mut got = Vec::new();
        while got.len() < 2 {
            if let Some(Action::Json { query, result }) = rx.recv().await {
                got.push((query, result.is_ok()));
            }
        }
        assert_eq!(got[0], (Query::ListJobs, true));
        assert_eq!(got[1], (Query::JobDefaults("bad".into()), false));
        // The director's refusal did not cost the link: the next query goes through.
        runner.run(Effect::Json(Query::JobNames));
        loop {
            match rx.recv().await {
                Some(Action::Json { query: Query::JobNames, result }) => {
                    assert!(result.is_ok());
                    break;
                }
                Some(Action::Link { state, .. }) => panic!("link changed: {state:?}"),
                Some(_) => {}
                None => panic!("closed"),
            }
        }
        let seen = fake.seen.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(seen, vec!["list jobs".to_string(), ".defaults job=bad".to_string(), ".jobs".to_string()]);
    }

    #[tokio::test(start_paused = true)]
    async fn console_lines_are_answered() {
        let fake = Arc::new(Fake { up: AtomicBool::new(true), ..Default::default() });
        let (tx, mut rx) = unbounded_channel();
        let runner = Runner::spawn(FakeConnector(fake), tx);
        runner.run(Effect::Console("status dir".into()));
        loop {
            if let Some(Action::ConsoleReply(r)) = rx.recv().await {
                assert_eq!(r.map(|r| r.text), Ok("echo status dir\n".to_string()));
                break;
            }
        }
    }
}
