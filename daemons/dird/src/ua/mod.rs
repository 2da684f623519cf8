//! The user agent: console command parsing, the command table, dispatch and one
//! module per command family.

pub mod args;
pub mod bvfs;
pub mod dot;
pub mod estimate;
pub mod events;
pub mod help;
pub mod jobctl;
pub mod list;
pub mod misc;
pub mod output;
pub mod restore;
pub mod run;
pub mod select;
pub mod setdebug;
pub mod show;
pub mod sql;
pub mod status;
pub mod table;
pub mod table_fmt;
pub mod tree_cmds;
pub mod volume;

use std::sync::Arc;

use crate::acl;
use crate::state::DirState;
use args::Args;
use output::Output;
use table::{CmdId, CommandDef};

/// Per-connection console state.
#[derive(Debug, Clone)]
pub struct Session {
    /// API mode: 0 human, 1 parseable text, 2 JSON.
    pub api: u8,
    /// JSON without whitespace.
    pub compact: bool,
    /// The named console, or `None` for the default (root) console.
    pub console: Option<String>,
    pub peer: String,
    pub auto_display: bool,
    pub gui: bool,
    pub user_notified: bool,
    /// "Using Catalog …" was printed in this session.
    pub catalog_announced: bool,
    /// Cached ACL lists per kind (console first, then its profiles, in
    /// order), `None` = root (everything allowed).
    acls: Option<Vec<Vec<Vec<String>>>>,
}

/// The ACL kinds of a Console/Profile resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclKind {
    Job = 0,
    Client = 1,
    Storage = 2,
    Schedule = 3,
    Pool = 4,
    Command = 5,
    FileSet = 6,
    Catalog = 7,
    Where = 8,
    PluginOptions = 9,
}

impl AclKind {
    pub const ALL: [AclKind; 10] = [
        AclKind::Job,
        AclKind::Client,
        AclKind::Storage,
        AclKind::Schedule,
        AclKind::Pool,
        AclKind::Command,
        AclKind::FileSet,
        AclKind::Catalog,
        AclKind::Where,
        AclKind::PluginOptions,
    ];

    /// Parse the `acl=` argument of `.authorized` (Bareos's ACL names).
    pub fn from_name(s: &str) -> Option<AclKind> {
        let s = s.to_ascii_lowercase().replace(['_', ' '], "");
        Some(match s.trim_end_matches("acl") {
            "job" => AclKind::Job,
            "client" => AclKind::Client,
            "storage" => AclKind::Storage,
            "schedule" => AclKind::Schedule,
            "pool" => AclKind::Pool,
            "command" | "cmd" => AclKind::Command,
            "fileset" => AclKind::FileSet,
            "catalog" => AclKind::Catalog,
            "where" => AclKind::Where,
            "pluginoptions" => AclKind::PluginOptions,
            _ => return None,
        })
    }

    fn of(self, a: &cairn_config::Acls) -> &[String] {
        let l = match self {
            AclKind::Job => &a.job,
            AclKind::Client => &a.client,
            AclKind::Storage => &a.storage,
            AclKind::Schedule => &a.schedule,
            AclKind::Pool => &a.pool,
            AclKind::Command => &a.command,
            AclKind::FileSet => &a.fileset,
            AclKind::Catalog => &a.catalog,
            AclKind::Where => &a.where_,
            AclKind::PluginOptions => &a.plugin_options,
        };
        &l.entries
    }
}

impl Session {
    pub fn new(console: Option<String>, peer: String) -> Session {
        Session {
            api: 0,
            compact: false,
            console,
            peer,
            auto_display: false,
            gui: false,
            user_notified: false,
            catalog_announced: false,
            acls: None,
        }
    }

    /// The name `whoami` prints.
    pub fn user_name(&self) -> &str {
        self.console.as_deref().unwrap_or("root")
    }

    /// True for the default console (all rights).
    pub fn is_root(&self) -> bool {
        self.console.is_none()
    }

    /// Command ACL check (root may do everything).
    pub fn may(&self, command: &str) -> bool {
        self.allows(AclKind::Command, command)
    }

    /// The one ACL check: may this console see/use resource `name` of `kind`?
    /// Root (the default console) may do everything; a named console is
    /// checked against its own list, then each profile's, first match wins,
    /// no match denies (Bareos `AclAccessOk`).
    pub fn allows(&self, kind: AclKind, name: &str) -> bool {
        match &self.acls {
            None => self.console.is_none(),
            Some(per_kind) => match per_kind.get(kind as usize) {
                Some(lists) => acl::check_lists(lists.iter().map(|l| l.as_slice()), name),
                None => false,
            },
        }
    }

    /// Refresh cached ACLs from the configuration in force.
    pub fn refresh_acls(&mut self, cfg: &cairn_config::DirectorConfig) {
        self.acls = self.console.as_ref().map(|name| {
            let mut sets: Vec<&cairn_config::Acls> = Vec::new();
            if let Some(c) = cfg.console(name) {
                sets.push(&c.acls);
                for p in &c.profiles {
                    if let Some(p) = cfg.profile(p) {
                        sets.push(&p.acls);
                    }
                }
            }
            AclKind::ALL.iter().map(|k| sets.iter().map(|a| k.of(a).to_vec()).collect()).collect()
        });
    }
}

/// Context handed to command handlers.
pub struct Ctx<'a> {
    pub state: &'a Arc<DirState>,
    pub session: &'a mut Session,
    pub args: &'a Args,
    pub cmd: &'static CommandDef,
    pub cfg: Arc<cairn_config::DirectorConfig>,
    /// The console connection, for questions; `None` in run scripts.
    pub conn: Option<&'a mut cairn_proto::Conn>,
}

/// Why a question got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    /// No interactive console (API 2 batch mode, or a run script).
    NotInteractive,
    /// The user typed `.` (or an empty line where a value was needed) to cancel.
    Cancelled,
    /// The connection ended.
    Closed,
}

impl Ctx<'_> {
    /// Ask the console a question (Bareos's sub-prompt): what the command has
    /// printed so far is sent first, then the question and `BNET_SUB_PROMPT`
    /// (API 0) or `BNET_TEXT_INPUT` + question (API 1); the next frame from the
    /// console is the answer. A lone `.` cancels.
    pub async fn ask(&mut self, out: &mut Output, question: &str) -> Result<String, NoAnswer> {
        let api = self.session.api;
        if api >= 2 {
            return Err(NoAnswer::NotInteractive);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(NoAnswer::NotInteractive);
        };
        let pieces = std::mem::take(&mut out.pieces);
        let sent = async {
            crate::session::send_pieces(conn, api, &pieces).await?;
            if api == 1 {
                conn.feed(cairn_proto::Packet::Signal(cairn_proto::Signal::TextInput)).await?;
                conn.feed(cairn_proto::Packet::text(question.to_string())).await?;
            } else {
                conn.feed(cairn_proto::Packet::text(question.to_string())).await?;
                conn.feed(cairn_proto::Packet::Signal(cairn_proto::Signal::SubPrompt)).await?;
            }
            conn.flush().await
        }
        .await;
        if sent.is_err() {
            return Err(NoAnswer::Closed);
        }
        loop {
            match conn.recv().await {
                Ok(Some(cairn_proto::Packet::Data(b))) => {
                    let a = String::from_utf8_lossy(&b).trim_end_matches(['\0', '\n', '\r', ' ', '\t']).to_string();
                    if a.trim() == "." {
                        return Err(NoAnswer::Cancelled);
                    }
                    return Ok(a.trim().to_string());
                }
                Ok(Some(cairn_proto::Packet::Signal(cairn_proto::Signal::Terminate))) | Ok(None) | Err(_) => {
                    return Err(NoAnswer::Closed);
                }
                Ok(Some(cairn_proto::Packet::Signal(_))) => continue,
            }
        }
    }

    /// Numbered menu (`The defined X resources are:` …); returns the chosen index.
    pub async fn menu(&mut self, out: &mut Output, title: &str, items: &[String], question: &str) -> Result<usize, NoAnswer> {
        loop {
            let mut text = format!("{title}\n");
            for (i, it) in items.iter().enumerate() {
                text.push_str(&format!("{:>5}: {it}\n", i + 1));
            }
            out.text(text);
            let a = self.ask(out, &format!("{question} (1-{}): ", items.len())).await?;
            if a.is_empty() {
                return Err(NoAnswer::Cancelled);
            }
            match a.parse::<usize>() {
                Ok(n) if n >= 1 && n <= items.len() => return Ok(n - 1),
                _ => {
                    // Accept a name as well as a number.
                    if let Some(i) = items.iter().position(|x| x.eq_ignore_ascii_case(&a)) {
                        return Ok(i);
                    }
                    out.text(format!("Please enter a number between 1 and {}\n", items.len()));
                }
            }
        }
    }
}

/// Run a `Console =` command of a RunScript as the director: only commands
/// allowed in run scripts; returns the text output and success.
pub async fn run_script_console(state: &Arc<DirState>, line: &str) -> (String, bool) {
    let Ok(args) = Args::parse(line) else { return (format!("Invalid command line: {line}\n"), false) };
    let Some(word) = args.command() else { return (String::new(), true) };
    match table::lookup(word) {
        Some(d) if d.in_runscript => {}
        Some(d) => return (format!("Can't use {} command in a runscript\n", d.name), false),
        None => return (format!("{word}: is an invalid command.\n"), false),
    }
    let mut session = Session::new(None, "runscript".into());
    let (out, ok, found) = execute(state, &mut session, None, line).await;
    (out.all_text(), ok && found && !out.has_error())
}

/// Execute one command line. Returns the output, the handler's success flag and
/// whether the command word was found (and permitted).
pub async fn execute(
    state: &Arc<DirState>,
    session: &mut Session,
    conn: Option<&mut cairn_proto::Conn>,
    line: &str,
) -> (Output, bool, bool) {
    let mut out = Output::new();
    let cfg = state.config();
    session.refresh_acls(&cfg);
    let args = match Args::parse(line) {
        Ok(a) => a,
        Err(_) => {
            out.error(format!("Unterminated quote in command: {line}\n"));
            return (out, false, false);
        }
    };
    let Some(word) = args.command() else {
        return (out, false, false);
    };
    let def = table::lookup(word);
    let def = match def {
        Some(d) if d.name == "exit" || d.name == "quit" || d.name == "whoami" || session.may(d.name) => d,
        _ => {
            out.error(format!("{word}: is an invalid command.\n"));
            return (out, false, false);
        }
    };
    tracing::debug!(console = session.user_name(), "command: {}", if def.name == "configure" { def.name } else { line });
    if def.audit && cfg.director.auditing {
        tracing::info!(target: "audit", console = session.user_name(), peer = %session.peer, "{line}");
    }
    let mut ctx = Ctx { state, session, args: &args, cmd: def, cfg, conn };
    let ok = dispatch(&mut ctx, &mut out).await;
    (out, ok, true)
}

async fn dispatch(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    match ctx.cmd.id {
        CmdId::Noop => true,
        CmdId::DotApi => misc::dot_api(ctx, out),
        CmdId::Quit => {
            out.quit = true;
            true
        }
        CmdId::Autodisplay => misc::autodisplay(ctx, out),
        CmdId::Gui => misc::gui(ctx, out),
        CmdId::Help => help::help(ctx, out),
        CmdId::DotHelp => help::dot_help(ctx, out),
        CmdId::Version => misc::version(ctx, out),
        CmdId::Time => misc::time(ctx, out),
        CmdId::Whoami => misc::whoami(ctx, out),
        CmdId::Messages | CmdId::DotMessages => misc::messages(ctx, out),
        CmdId::Reload => misc::reload(ctx, out).await,
        CmdId::DotActionOnPurge => dot::action_on_purge(ctx, out),
        CmdId::DotCatalogs => dot::names(ctx, out, dot::NameList::Catalogs),
        CmdId::DotClients => dot::names(ctx, out, dot::NameList::Clients),
        CmdId::DotConsoles => dot::names(ctx, out, dot::NameList::Consoles),
        CmdId::DotUsers => dot::names(ctx, out, dot::NameList::Users),
        CmdId::DotFilesets => dot::names(ctx, out, dot::NameList::Filesets),
        CmdId::DotJobdefs => dot::names(ctx, out, dot::NameList::Jobdefs),
        CmdId::DotJobs => dot::names(ctx, out, dot::NameList::Jobs),
        CmdId::DotMsgs => dot::names(ctx, out, dot::NameList::Msgs),
        CmdId::DotPools => dot::names(ctx, out, dot::NameList::Pools),
        CmdId::DotProfiles => dot::names(ctx, out, dot::NameList::Profiles),
        CmdId::DotSchedule => dot::names(ctx, out, dot::NameList::Schedules),
        CmdId::DotStorages => dot::names(ctx, out, dot::NameList::Storages),
        CmdId::DotDefaults => dot::defaults(ctx, out),
        CmdId::DotJobstatus => dot::jobstatus(ctx, out).await,
        CmdId::DotLevels => dot::levels(ctx, out),
        CmdId::DotTypes => dot::types(ctx, out),
        CmdId::DotVolstatus => dot::volstatus(ctx, out),
        CmdId::DotMedia => dot::media(ctx, out).await,
        CmdId::DotMediatypes => dot::mediatypes(ctx, out).await,
        CmdId::DotLocations => dot::locations(ctx, out).await,
        CmdId::DotAuthorized => dot::authorized(ctx, out),
        CmdId::DotSql => sql::dot_sql(ctx, out).await,
        CmdId::DotStatus => status::dot_status(ctx, out).await,
        CmdId::Status => status::status(ctx, out).await,
        CmdId::Show => show::show(ctx, out),
        CmdId::List => list::list(ctx, out, false).await,
        CmdId::Llist => list::list(ctx, out, true).await,
        CmdId::Run => run::run(ctx, out).await,
        CmdId::Wait => jobctl::wait(ctx, out).await,
        CmdId::Cancel => jobctl::cancel(ctx, out).await,
        CmdId::Enable => jobctl::enable_disable(ctx, out, true).await,
        CmdId::Disable => jobctl::enable_disable(ctx, out, false).await,
        CmdId::Rerun => jobctl::rerun(ctx, out).await,
        CmdId::Restore => restore::restore(ctx, out).await,
        CmdId::Label => volume::label(ctx, out).await,
        CmdId::Update => volume::update(ctx, out).await,
        CmdId::Estimate => estimate::estimate(ctx, out).await,
        CmdId::Setdebug => setdebug::setdebug(ctx, out).await,
        CmdId::DotEvents => events::events(ctx, out).await,
        CmdId::BvfsLsdirs => bvfs::lsdirs(ctx, out).await,
        CmdId::BvfsLsfiles => bvfs::lsfiles(ctx, out).await,
        CmdId::BvfsUpdate => bvfs::update(ctx, out).await,
        CmdId::BvfsGetJobids => bvfs::get_jobids(ctx, out).await,
        CmdId::BvfsVersions => bvfs::versions(ctx, out).await,
        CmdId::BvfsRestore => bvfs::restore(ctx, out).await,
        CmdId::BvfsCleanup => bvfs::cleanup(ctx, out).await,
        CmdId::BvfsClearCache => bvfs::clear_cache(ctx, out).await,
        CmdId::NotYet => {
            out.error(format!(
                "{}: this command is not available in this version of Cairn ({}) yet.\n",
                ctx.cmd.name,
                cairn_types::CAIRN_VERSION
            ));
            false
        }
    }
}

#[cfg(test)]
mod acl_tests {
    use super::{AclKind, Session};

    #[test]
    fn acl_kind_names_of_authorized() {
        assert_eq!(AclKind::from_name("job"), Some(AclKind::Job));
        assert_eq!(AclKind::from_name("cmd"), Some(AclKind::Command));
        assert_eq!(AclKind::from_name("FileSet"), Some(AclKind::FileSet));
        assert_eq!(AclKind::from_name("plugin_options"), Some(AclKind::PluginOptions));
        assert_eq!(AclKind::from_name("bogus"), None);
    }

    #[test]
    fn root_allows_everything_named_console_nothing_without_config() {
        let root = Session::new(None, "p".into());
        assert!(AclKind::ALL.iter().all(|k| root.allows(*k, "anything")));
        let named = Session::new(Some("x".into()), "p".into());
        assert!(!named.allows(AclKind::Job, "anything"));
        assert!(!named.may("list"));
    }
}
