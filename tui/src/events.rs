//! The director's event stream (`.events`, PROTOCOL.md §4.8) on a third
//! connection: the typed events the reducer receives ([`DirEvent`], inside
//! [`Action::Event`]), what the reducer knows about the stream
//! ([`EventsState`]), and the worker that runs it.
//!
//! The reducer asks for a stream with [`crate::action::Effect::Events`]`(args)`
//! whenever the arguments it wants change (the trace panes decide `trace=`)
//! and after every (re)connection; the worker ends the running stream
//! (`stop_events`) and starts the new one (`subscribe_events`). A director
//! that refuses (an older one has no `.events`) is reported as
//! [`DirEvent::Refused`]; the reducer then keeps polling, which it does anyway
//! as the fallback.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::action::{Action, Link, LinkState};
use crate::effect::{Connector, Driver, REQUEST_TIMEOUT, Session, command_level, short_error};
use crate::model::{LogEntry, number, text};
use crate::trace::{TraceLevel, TraceLine, quote};

/// Longest wait for the end of a stream (`stop_events`).
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A `job` event: a queued or running job appeared or changed status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobEvent {
    pub jobid: u32,
    /// The unique job name (`backup-usr.2026-11-28_05.25.18_07`).
    pub job: String,
    /// The Job resource name.
    pub name: String,
    /// One-letter type code (`B`, `R`, …).
    pub job_type: String,
    /// One-letter level code (`F`, `I`, `D`, …).
    pub level: String,
    pub client: String,
    /// One-letter status code (`C`, `R`, `T`, …).
    pub status: String,
    /// The status as `status director` words it (`is running`).
    pub status_text: String,
}

/// One event of the stream, or a change of the stream itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirEvent {
    /// The stream runs with `args` (the worker saw `subscribed`).
    Subscribed { args: String, trace_daemons: Vec<String> },
    /// The director refused `.events args` (or has no `.events`).
    Refused { args: String, error: String },
    Job(JobEvent),
    Progress { jobid: u32, files: u64, bytes: u64, elapsed: u64 },
    /// The job left the queue; `status` etc. are unknown when it vanished
    /// without a terminated record.
    Ended { jobid: u32, status: Option<String>, files: Option<u64>, bytes: Option<u64> },
    JobLog { jobid: u32, time: String, kind: String, text: String },
    Trace(TraceLine),
    /// A client's or storage's trace could not be followed.
    TraceError { kind: String, name: String, error: String },
    /// `dropped` events were lost; `kind`/`name` say whose trace when known.
    Lagged { dropped: u64, kind: Option<String>, name: Option<String> },
    /// An event this TUI does not know (ignored).
    Other(String),
}

fn opt_u64(v: &Value, key: &str) -> Option<u64> {
    match v.get(key) {
        Some(Value::Null) | None => None,
        Some(_) => Some(number(v, key)),
    }
}

fn opt_text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

impl DirEvent {
    /// Type one event object (lenient, like [`crate::model`]).
    pub fn from_json(v: &Value) -> DirEvent {
        let jobid = number(v, "jobid") as u32;
        match v.get("event").and_then(Value::as_str).unwrap_or("") {
            "subscribed" => DirEvent::Subscribed { args: String::new(), trace_daemons: trace_daemons(v) },
            "job" => DirEvent::Job(JobEvent {
                jobid,
                job: text(v, "job"),
                name: text(v, "name"),
                job_type: text(v, "type"),
                level: text(v, "level"),
                client: text(v, "client"),
                status: text(v, "status"),
                status_text: text(v, "status_text"),
            }),
            "progress" => DirEvent::Progress {
                jobid,
                files: number(v, "files"),
                bytes: number(v, "bytes"),
                elapsed: number(v, "elapsed"),
            },
            "ended" => DirEvent::Ended {
                jobid,
                status: opt_text(v, "status"),
                files: opt_u64(v, "files"),
                bytes: opt_u64(v, "bytes"),
            },
            "joblog" => DirEvent::JobLog { jobid, time: text(v, "time"), kind: text(v, "type"), text: text(v, "text") },
            "trace" => DirEvent::Trace(TraceLine {
                daemon: text(v, "daemon"),
                kind: text(v, "kind"),
                level: TraceLevel::parse(&text(v, "level")),
                target: text(v, "target"),
                time: text(v, "time"),
                message: text(v, "message"),
                note: false,
            }),
            "trace_error" => {
                DirEvent::TraceError { kind: text(v, "kind"), name: text(v, "name"), error: text(v, "error") }
            }
            "lagged" => {
                DirEvent::Lagged { dropped: number(v, "dropped"), kind: opt_text(v, "kind"), name: opt_text(v, "name") }
            }
            other => DirEvent::Other(other.to_string()),
        }
    }
}

fn trace_daemons(v: &Value) -> Vec<String> {
    v.get("trace_daemons")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The `.events` arguments for a `trace=` value (`no`, `dir,client:NAME`, …).
pub fn args_for(trace_spec: &str) -> String {
    format!("trace={}", quote(trace_spec))
}

/// The `trace=` value inside `.events` arguments built by [`args_for`].
pub fn spec_of(args: &str) -> String {
    args.strip_prefix("trace=").unwrap_or(args).trim_matches('"').to_string()
}

/// What the reducer knows about the event stream.
#[derive(Debug, Clone, PartialEq)]
pub struct EventsState {
    /// The events connection.
    pub link: LinkState,
    /// The arguments last handed to the worker since the link came up.
    pub requested: Option<String>,
    /// The arguments of the running stream, once it said `subscribed`.
    pub active: Option<String>,
    /// The clients and storages whose traces the director follows.
    pub trace_daemons: Vec<String>,
    /// The director refused `.events` altogether: polling only (until it reconnects).
    pub unsupported: bool,
    /// A `trace=` value the director refused and why; the stream then runs with `trace=no`.
    pub refused_trace: Option<(String, String)>,
    /// `joblog` lines (with their job) that arrived while the followed job's
    /// full log was being fetched; merged into the reply.
    pub log_pending: Vec<(u32, LogEntry)>,
    /// Events received.
    pub received: u64,
}

impl Default for EventsState {
    fn default() -> Self {
        EventsState {
            link: LinkState::Connecting,
            requested: None,
            active: None,
            trace_daemons: Vec::new(),
            unsupported: false,
            refused_trace: None,
            log_pending: Vec::new(),
            received: 0,
        }
    }
}

impl EventsState {
    /// Events (job status, progress, job log lines) arrive as they happen.
    pub fn streaming(&self) -> bool {
        self.active.is_some()
    }

    pub fn connected(&self) -> bool {
        matches!(self.link, LinkState::Connected { .. })
    }
}

/// A refusal's text: the director's words, not the error kind.
fn refusal(e: &cairn_proto::ProtoError) -> String {
    match e {
        cairn_proto::ProtoError::CommandFailed { message, .. } => message.trim().to_string(),
        other => other.to_string(),
    }
}

/// The events worker: owns the third connection, runs the stream the reducer
/// asks for (`rx`: `.events` arguments), sends events back as actions.
pub(crate) async fn events_worker<C: Connector>(
    connector: Arc<C>,
    mut rx: UnboundedReceiver<String>,
    tx: UnboundedSender<Action>,
) {
    let mut d = Driver::new(connector, Link::Events, tx.clone());
    // The arguments asked for, and those of the stream running now.
    let mut want: Option<String> = None;
    let mut current: Option<String> = None;
    loop {
        if d.session.is_none() {
            current = None;
        }
        if let (Some(args), Some(s)) = (want.clone(), d.session.as_mut())
            && current.as_ref() != Some(&args)
        {
            if current.take().is_some() {
                match tokio::time::timeout(STOP_TIMEOUT, s.stop_events()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        d.lost(short_error(&e));
                        continue;
                    }
                    Err(_) => {
                        d.lost("the event stream did not end".into());
                        continue;
                    }
                }
            }
            match tokio::time::timeout(REQUEST_TIMEOUT, s.subscribe_events(&args)).await {
                Ok(Ok(hello)) => {
                    current = Some(args.clone());
                    let ev = DirEvent::Subscribed { args, trace_daemons: trace_daemons(&hello) };
                    if tx.send(Action::Event(ev)).is_err() {
                        break;
                    }
                }
                Ok(Err(e)) if command_level(&e) => {
                    // Not retried until the reducer asks again.
                    want = None;
                    if tx.send(Action::Event(DirEvent::Refused { args, error: refusal(&e) })).is_err() {
                        break;
                    }
                }
                Ok(Err(e)) => {
                    d.lost(short_error(&e));
                    continue;
                }
                Err(_) => {
                    d.lost("no reply to .events within 60 s".into());
                    continue;
                }
            }
            continue;
        }
        let streaming = current.is_some();
        match d.session.as_mut() {
            Some(s) if streaming => {
                tokio::select! {
                    r = rx.recv() => match r {
                        Some(args) => want = Some(args),
                        None => break,
                    },
                    ev = s.next_event() => match ev {
                        Ok(Some(v)) => {
                            if tx.send(Action::Event(DirEvent::from_json(&v))).is_err() {
                                break;
                            }
                        }
                        Ok(None) => d.lost("the director closed the session".into()),
                        Err(e) if command_level(&e) => {
                            // The stream ended with a text reply: it is over.
                            let args = current.take().unwrap_or_default();
                            want = None;
                            if tx.send(Action::Event(DirEvent::Refused { args, error: refusal(&e) })).is_err() {
                                break;
                            }
                        }
                        Err(e) => d.lost(short_error(&e)),
                    },
                }
            }
            _ => match d.next(&mut rx).await {
                Some(args) => want = Some(args),
                None => break,
            },
        }
    }
    d.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use cairn_proto::ProtoError;
    use serde_json::json;
    use tokio::sync::mpsc::unbounded_channel;

    use crate::action::{ConsoleReply, Effect};
    use crate::effect::Runner;

    #[test]
    fn events_are_typed_from_the_directors_shapes() {
        // The shapes of daemons/dird/src/ua/events.rs (tests/it/events.rs).
        let ev = |v: Value| DirEvent::from_json(&v);
        assert_eq!(
            ev(json!({"event":"subscribed","director":"test-dir","jobid":null,"joblog":true,"trace":true,
                      "trace_daemons":["client:test-fd","storage:File"]})),
            DirEvent::Subscribed { args: String::new(), trace_daemons: vec!["client:test-fd".into(), "storage:File".into()] }
        );
        match ev(json!({"event":"job","jobid":3,"job":"backup.2026-11-28_05.25.18_03","name":"backup","type":"B",
                        "level":"F","client":"test-fd","status":"R","status_text":"is running","priority":10,
                        "scheduled":"2026-11-28 05:25:18"})) {
            DirEvent::Job(j) => {
                assert_eq!((j.jobid, j.name.as_str(), j.level.as_str(), j.status.as_str()), (3, "backup", "F", "R"));
                assert_eq!(j.status_text, "is running");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            ev(json!({"event":"progress","jobid":3,"files":12,"bytes":4096,"elapsed":2})),
            DirEvent::Progress { jobid: 3, files: 12, bytes: 4096, elapsed: 2 }
        );
        assert_eq!(
            ev(json!({"event":"ended","jobid":3,"status":"T","files":51,"bytes":3276800})),
            DirEvent::Ended { jobid: 3, status: Some("T".into()), files: Some(51), bytes: Some(3276800) }
        );
        assert_eq!(
            ev(json!({"event":"ended","jobid":4,"status":null,"files":null,"bytes":null})),
            DirEvent::Ended { jobid: 4, status: None, files: None, bytes: None }
        );
        match ev(json!({"event":"trace","daemon":"test-fd","kind":"fd","level":"DEBUG","target":"cairn_fd::server",
                        "time":"2026-11-28 05:25:19","message":"<< backup FileIndex=1"})) {
            DirEvent::Trace(t) => {
                assert_eq!((t.kind.as_str(), t.level, t.clock()), ("fd", TraceLevel::Debug, "05:25:19"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            ev(json!({"event":"lagged","dropped":7,"kind":"sd","name":"File"})),
            DirEvent::Lagged { dropped: 7, kind: Some("sd".into()), name: Some("File".into()) }
        );
        assert_eq!(
            ev(json!({"event":"lagged","dropped":7})),
            DirEvent::Lagged { dropped: 7, kind: None, name: None }
        );
        assert_eq!(ev(json!({"event":"future"})), DirEvent::Other("future".into()));
        assert_eq!(args_for("dir,client:My FD"), "trace=\"dir,client:My FD\"");
        assert_eq!(spec_of(&args_for("dir,client:My FD")), "dir,client:My FD");
        assert_eq!(spec_of("trace=no"), "no");
    }

    /// A director with an event stream: `subscribe` answers `subscribed`
    /// (or refuses `trace=refuse`), events are pushed by the test, `end`
    /// closes the session.
    #[derive(Default)]
    struct Fake {
        connects: AtomicUsize,
        no_events: AtomicBool,
        calls: Mutex<Vec<String>>,
        feed: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Value>>>,
    }

    struct FakeSession {
        fake: Arc<Fake>,
        feed: Option<tokio::sync::mpsc::UnboundedReceiver<Value>>,
        closed: bool,
    }

    impl Session for FakeSession {
        async fn json(&mut self, _cmd: &str) -> Result<Value, ProtoError> {
            Ok(json!({}))
        }
        async fn text(&mut self, _line: &str) -> Result<ConsoleReply, ProtoError> {
            Ok(ConsoleReply { text: String::new(), sub_prompt: false, in_tree: false })
        }
        fn banner(&self) -> String {
            "1000 OK: fake".into()
        }
        fn is_closed(&self) -> bool {
            self.closed
        }
        async fn close(self) {}
        async fn subscribe_events(&mut self, args: &str) -> Result<Value, ProtoError> {
            self.fake.calls.lock().map(|mut c| c.push(format!("subscribe {args}"))).ok();
            if self.fake.no_events.load(Ordering::SeqCst) {
                return Err(ProtoError::CommandFailed { message: ".events: is an invalid command.".into(), errors: vec![] });
            }
            if args.contains("refuse") {
                return Err(ProtoError::CommandFailed { message: "Client \"refuse\" not found.".into(), errors: vec![] });
            }
            Ok(json!({"event": "subscribed", "trace_daemons": []}))
        }
        async fn next_event(&mut self) -> Result<Option<Value>, ProtoError> {
            let Some(feed) = self.feed.as_mut() else { return std::future::pending().await };
            match feed.recv().await {
                Some(v) if v == json!("end") => {
                    self.closed = true;
                    Ok(None)
                }
                Some(v) => Ok(Some(v)),
                None => std::future::pending().await,
            }
        }
        async fn stop_events(&mut self) -> Result<(), ProtoError> {
            self.fake.calls.lock().map(|mut c| c.push("stop".into())).ok();
            Ok(())
        }
    }

    struct FakeConnector(Arc<Fake>);

    impl Connector for FakeConnector {
        type Session = FakeSession;
        async fn connect(&self) -> Result<FakeSession, ProtoError> {
            self.0.connects.fetch_add(1, Ordering::SeqCst);
            let feed = self.0.feed.lock().ok().and_then(|mut f| f.take());
            Ok(FakeSession { fake: self.0.clone(), feed, closed: false })
        }
    }

    async fn next_event(rx: &mut UnboundedReceiver<Action>) -> DirEvent {
        loop {
            match rx.recv().await {
                Some(Action::Event(e)) => return e,
                Some(_) => {}
                None => panic!("channel closed"),
            }
        }
    }

    async fn next_events_link(rx: &mut UnboundedReceiver<Action>) -> LinkState {
        loop {
            match rx.recv().await {
                Some(Action::Link { link: Link::Events, state }) => return state,
                Some(_) => {}
                None => panic!("channel closed"),
            }
        }
    }

    fn calls(f: &Fake) -> Vec<String> {
        f.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    #[tokio::test(start_paused = true)]
    async fn the_stream_runs_restarts_with_new_args_and_comes_back_after_a_loss() {
        let fake = Arc::new(Fake::default());
        let (feed_tx, feed_rx) = unbounded_channel();
        *fake.feed.lock().expect("lock") = Some(feed_rx);
        let (tx, mut rx) = unbounded_channel();
        let (etx, erx) = unbounded_channel();
        tokio::spawn(events_worker(Arc::new(FakeConnector(fake.clone())), erx, tx));
        let ask = |args: &str| etx.send(args.to_string()).expect("worker");
        assert_eq!(next_events_link(&mut rx).await, LinkState::Connecting);
        assert!(matches!(next_events_link(&mut rx).await, LinkState::Connected { .. }));
        ask("trace=no");
        assert_eq!(next_event(&mut rx).await, DirEvent::Subscribed { args: "trace=no".into(), trace_daemons: vec![] });
        feed_tx.send(json!({"event":"progress","jobid":3,"files":1,"bytes":2,"elapsed":0})).expect("feed");
        assert_eq!(next_event(&mut rx).await, DirEvent::Progress { jobid: 3, files: 1, bytes: 2, elapsed: 0 });
        // New arguments: the stream is stopped and started again.
        ask("trace=dir");
        assert_eq!(next_event(&mut rx).await, DirEvent::Subscribed { args: "trace=dir".into(), trace_daemons: vec![] });
        // The same arguments again change nothing.
        ask("trace=dir");
        // A refused trace is reported; the stream is then idle.
        ask("trace=client:refuse");
        assert_eq!(
            next_event(&mut rx).await,
            DirEvent::Refused { args: "trace=client:refuse".into(), error: "Client \"refuse\" not found.".into() }
        );
        assert_eq!(calls(&fake), ["subscribe trace=no", "stop", "subscribe trace=dir", "stop", "subscribe trace=client:refuse"]);
        ask("trace=no");
        assert_eq!(next_event(&mut rx).await, DirEvent::Subscribed { args: "trace=no".into(), trace_daemons: vec![] });
        // The director goes away: lost, reconnected; the reducer subscribes again.
        feed_tx.send(json!("end")).expect("feed");
        assert!(matches!(next_events_link(&mut rx).await, LinkState::Lost { .. }));
        assert_eq!(next_events_link(&mut rx).await, LinkState::Connecting);
        assert!(matches!(next_events_link(&mut rx).await, LinkState::Connected { .. }));
        assert_eq!(fake.connects.load(Ordering::SeqCst), 2);
        ask("trace=no");
        assert_eq!(next_event(&mut rx).await, DirEvent::Subscribed { args: "trace=no".into(), trace_daemons: vec![] });
        assert_eq!(calls(&fake).last().map(String::as_str), Some("subscribe trace=no"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_director_without_events_is_a_refusal_not_a_lost_link() {
        let fake = Arc::new(Fake { no_events: AtomicBool::new(true), ..Default::default() });
        let (tx, mut rx) = unbounded_channel();
        let runner = Runner::spawn(FakeConnector(fake.clone()), tx);
        runner.run(Effect::Events("trace=no".into()));
        assert_eq!(
            next_event(&mut rx).await,
            DirEvent::Refused { args: "trace=no".into(), error: ".events: is an invalid command.".into() }
        );
        // The link stays up and the JSON link still answers.
        runner.run(Effect::Json(crate::action::Query::StatusDirector));
        loop {
            match rx.recv().await {
                Some(Action::Json { result, .. }) => {
                    assert!(result.is_ok());
                    break;
                }
                Some(Action::Link { link: Link::Events, state: LinkState::Lost { .. } }) => panic!("events link lost"),
                Some(_) => {}
                None => panic!("closed"),
            }
        }
    }
}
