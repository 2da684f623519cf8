//! The user agent: console command parsing, the command table, dispatch and one
//! module per command family.

pub mod args;
pub mod dot;
pub mod help;
pub mod list;
pub mod misc;
pub mod output;
pub mod show;
pub mod sql;
pub mod status;
pub mod table;
pub mod table_fmt;

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
    /// Cached Command ACL lists (console first, then its profiles), `None` = root.
    command_acl: Option<Vec<Vec<String>>>,
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
            command_acl: None,
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
        match &self.command_acl {
            None => self.console.is_none(),
            Some(lists) => acl::check_lists(lists.iter().map(|l| l.as_slice()), command),
        }
    }

    /// Refresh cached ACLs from the configuration in force.
    pub fn refresh_acls(&mut self, cfg: &cairn_config::DirectorConfig) {
        self.command_acl = self.console.as_ref().map(|name| {
            let mut lists = Vec::new();
            if let Some(c) = cfg.console(name) {
                lists.push(c.acls.command.entries.clone());
                for p in &c.profiles {
                    if let Some(p) = cfg.profile(p) {
                        lists.push(p.acls.command.entries.clone());
                    }
                }
            }
            lists
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
}

/// Execute one command line. Returns the output, the handler's success flag and
/// whether the command word was found (and permitted).
pub async fn execute(state: &Arc<DirState>, session: &mut Session, line: &str) -> (Output, bool, bool) {
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
    if def.audit && cfg.director.auditing {
        tracing::info!(target: "audit", console = session.user_name(), peer = %session.peer, "{line}");
    }
    let mut ctx = Ctx { state, session, args: &args, cmd: def, cfg };
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
        CmdId::Bvfs | CmdId::NotYet => {
            out.error(format!(
                "{}: this command is not available in this version of Cairn ({}) yet.\n",
                ctx.cmd.name,
                cairn_types::CAIRN_VERSION
            ));
            false
        }
    }
}
