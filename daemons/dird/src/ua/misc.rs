//! Small commands: `.api`, `version`, `time`, `whoami`, `autodisplay`, `gui`,
//! `messages`, `reload`.

use serde_json::{Map, Value};

use super::output::Output;
use super::Ctx;

/// `.api [0|off|1|on|2|json] [compact=yes|no]`.
pub fn dot_api(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let rest = ctx.args.rest();
    let s = &mut *ctx.session;
    match rest.len() {
        0 => s.api = 1,
        1 | 2 => {
            match rest[0].key.to_ascii_lowercase().as_str() {
                "off" | "0" => s.api = 0,
                "on" | "1" => s.api = 1,
                "json" | "2" => {
                    s.api = 2;
                    if let Some(c) = rest.get(1) {
                        if c.key.eq_ignore_ascii_case("compact") {
                            s.compact = matches!(
                                c.value.as_deref().map(str::to_ascii_lowercase).as_deref(),
                                Some("yes" | "true" | "1" | "on")
                            );
                        } else {
                            return false;
                        }
                    }
                }
                _ => return false,
            }
            if rest.len() == 2 && s.api != 2 {
                return false;
            }
        }
        _ => return false,
    }
    out.text(format!("api: {}\n", s.api));
    out.set("api", s.api);
    true
}

fn os_info() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string()))
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string())
}

/// `version`.
pub fn version(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let name = ctx.cfg.director.name.clone();
    let os = os_info();
    let dist = std::env::consts::OS;
    let verid = ctx.cfg.director.ver_id.clone().unwrap_or_default();
    out.text(format!(
        "{name} Version: {} ({}) {os} {dist} {os} {verid}\n",
        cairn_types::BAREOS_COMPAT_VERSION,
        cairn_types::BAREOS_COMPAT_DATE
    ));
    let mut v = Map::new();
    v.insert("name".into(), Value::from(name));
    v.insert("type".into(), Value::from("bareos-director"));
    v.insert("version".into(), Value::from(cairn_types::BAREOS_COMPAT_VERSION));
    v.insert("bdate".into(), Value::from(cairn_types::BAREOS_COMPAT_DATE));
    v.insert("operatingsystem".into(), Value::from(os.clone()));
    v.insert("distname".into(), Value::from(dist));
    v.insert("distversion".into(), Value::from(os));
    v.insert("customversionid".into(), Value::from(verid));
    v.insert("product".into(), Value::from("cairn"));
    v.insert("cairn_version".into(), Value::from(cairn_types::CAIRN_VERSION));
    out.set("version", Value::Object(v));
    true
}

/// `time`.
pub fn time(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let now = ctx.state.clock.now_local();
    out.text(format!("{}\n", now.format("%a %d-%b-%Y %H:%M:%S")));
    let mut t = Map::new();
    t.insert("full".into(), Value::from(now.format("%a %d-%b-%Y %H:%M:%S").to_string()));
    for (k, f) in [("year", "%Y"), ("month", "%m"), ("day", "%d"), ("hour", "%H"), ("minute", "%M"), ("second", "%S")] {
        t.insert(k.into(), Value::from(now.format(f).to_string()));
    }
    out.set("time", Value::Object(t));
    true
}

/// `whoami`.
pub fn whoami(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let who = ctx.session.user_name().to_string();
    out.text(format!("{who}\n"));
    out.set("whoami", who);
    true
}

fn on_off(ctx: &Ctx<'_>, out: &mut Output) -> Option<bool> {
    match ctx.args.rest().first().map(|a| a.key.to_ascii_lowercase()) {
        Some(w) if w == "on" => Some(true),
        Some(w) if w == "off" => Some(false),
        _ => {
            out.error("ON or OFF keyword missing.\n");
            None
        }
    }
}

/// `autodisplay on|off`.
pub fn autodisplay(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    match on_off(ctx, out) {
        Some(v) => {
            ctx.session.auto_display = v;
            true
        }
        None => false,
    }
}

/// `gui on|off`.
pub fn gui(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    match on_off(ctx, out) {
        Some(v) => {
            ctx.session.gui = v;
            true
        }
        None => false,
    }
}

/// `messages` / `.messages`: print and clear the console message queue.
pub fn messages(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    // Only messages of jobs this console's Job ACL allows (and director messages).
    let session = &*ctx.session;
    let msgs = ctx.state.take_console_messages_for(|j| session.allows(super::AclKind::Job, j));
    ctx.session.user_notified = false;
    if msgs.is_empty() {
        if ctx.cmd.name == "messages" {
            out.text("You have no messages.\n");
        }
    } else {
        for m in &msgs {
            out.text(m.clone());
        }
    }
    if !msgs.is_empty() {
        // Cairn addition: in JSON the queued messages are returned as an array.
        out.set("messages", Value::Array(msgs.into_iter().map(Value::from).collect()));
    }
    true
}

/// `reload`: re-read the configuration; on error keep the old one and say why.
pub async fn reload(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    match crate::reload(ctx.state).await {
        Ok(warnings) => {
            out.text("reloaded\n");
            let mut r = Map::new();
            r.insert("success".into(), Value::from(true));
            if !warnings.is_empty() {
                r.insert("warnings".into(), Value::Array(warnings.iter().map(|w| Value::from(w.to_string())).collect()));
            }
            out.set("reload", Value::Object(r));
            true
        }
        Err(e) => {
            // The reason goes to the console (Bareos only says "failed to reload").
            out.text("failed to reload\n");
            out.error(format!(
                "Error reloading config file \"{}\":\n{e}\nThe previous configuration stays in force.\n",
                ctx.state.config_path.display()
            ));
            let mut r = Map::new();
            r.insert("success".into(), Value::from(false));
            r.insert("error".into(), Value::from(e.to_string()));
            out.set("reload", Value::Object(r));
            false
        }
    }
}
