//! `setdebug level=N [trace=0|1] [timestamp=0|1] [hangup=N] dir | client[=x] |
//! storage[=x] | all`: change a daemon's debug level at run time. The director
//! applies it to itself; clients and storages get Bareos's `setdebug=` line over
//! a fresh connection and their answer is shown.

use serde_json::{Map, Value};

use super::output::Output;
use super::{AclKind, Ctx, Session};
use crate::jobs::links;

/// Parsed flags: `None` = leave unchanged (Bareos's -1).
#[derive(Debug, Clone, Copy)]
struct Flags {
    level: u32,
    trace: Option<bool>,
    timestamp: Option<bool>,
    hangup: Option<i64>,
}

fn flag(ctx: &Ctx<'_>, key: &str) -> Result<Option<i64>, String> {
    match ctx.args.value(key) {
        None => Ok(None),
        Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| format!("Invalid value for {key}: {v}\n")),
    }
}

fn director(ctx: &Ctx<'_>, out: &mut Output, f: Flags, results: &mut Vec<Value>) {
    let st = ctx.state.debug.set(Some(f.level), f.trace, f.timestamp);
    out.text(format!(
        "level={} trace={} hangup={} timestamp={} tracefilename={}\n",
        st.level,
        u8::from(st.trace),
        f.hangup.unwrap_or(0).max(0),
        u8::from(st.timestamp),
        st.trace_file.display()
    ));
    let mut m = Map::new();
    m.insert("daemon".into(), Value::from("director"));
    m.insert("name".into(), Value::from(ctx.cfg.director.name.clone()));
    m.insert("level".into(), Value::from(st.level));
    m.insert("trace".into(), Value::from(st.trace));
    m.insert("timestamp".into(), Value::from(st.timestamp));
    m.insert("tracefile".into(), Value::from(st.trace_file.display().to_string()));
    results.push(Value::Object(m));
}

fn wire_line(f: Flags, with_hangup: bool) -> String {
    let t = f.trace.map(i64::from).unwrap_or(-1);
    let ts = f.timestamp.map(i64::from).unwrap_or(-1);
    if with_hangup {
        format!("setdebug={} trace={t} hangup={} timestamp={ts}\n", f.level, f.hangup.unwrap_or(-1))
    } else {
        format!("setdebug={} trace={t} timestamp={ts}\n", f.level)
    }
}

async fn client(cfg: std::sync::Arc<cairn_config::DirectorConfig>, sess: &Session, out: &mut Output, name: &str, f: Flags, results: &mut Vec<Value>) {
    // A client outside the console's Client ACL does not exist for it.
    let Some(c) = cfg.client(name).filter(|c| sess.allows(AclKind::Client, &c.name)) else {
        out.error(format!("Client \"{name}\" not found.\n"));
        return;
    };
    out.text(format!("Connecting to Client {} at {}:{}\n", c.name, c.address, c.port));
    match links::fd_command(&cfg, c, &wire_line(f, true)).await {
        Ok(reply) => {
            out.text(reply.clone());
            results.push(serde_json::json!({"daemon": "client", "name": c.name, "reply": reply.trim_end()}));
        }
        Err(e) => out.error(format!("Failed to connect to Client. ({e})\n")),
    }
}

async fn storage(cfg: std::sync::Arc<cairn_config::DirectorConfig>, sess: &Session, out: &mut Output, name: &str, f: Flags, results: &mut Vec<Value>) {
    let Some(s) = cfg.storage(name).filter(|s| sess.allows(AclKind::Storage, &s.name)) else {
        out.error(format!("Storage resource \"{name}\": not found\n"));
        return;
    };
    out.text(format!("Connecting to Storage daemon {} at {}:{}\n", s.name, s.address, s.port));
    match links::sd_command(&cfg, s, &wire_line(f, false)).await {
        Ok(reply) => {
            out.text(reply.clone());
            results.push(serde_json::json!({"daemon": "storage", "name": s.name, "reply": reply.trim_end()}));
        }
        Err(e) => out.error(format!("Failed to connect to Storage daemon. ({e})\n")),
    }
}

/// Every storage and client once per address:port (after the director).
async fn all(cfg: std::sync::Arc<cairn_config::DirectorConfig>, sess: &Session, out: &mut Output, f: Flags, results: &mut Vec<Value>) {
    let mut seen = Vec::new();
    for s in cfg.storages.iter().filter(|s| sess.allows(AclKind::Storage, &s.name)) {
        let key = (s.address.clone(), s.port);
        if !seen.contains(&key) {
            seen.push(key);
            storage(cfg.clone(), sess, out, &s.name, f, results).await;
        }
    }
    let mut seen = Vec::new();
    for c in cfg.clients.iter().filter(|c| sess.allows(AclKind::Client, &c.name)) {
        let key = (c.address.clone(), c.port);
        if !seen.contains(&key) {
            seen.push(key);
            client(cfg.clone(), sess, out, &c.name, f, results).await;
        }
    }
}

pub async fn setdebug(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let level = match flag(ctx, "level") {
        Ok(Some(l)) if l >= 0 => l as u32,
        Ok(Some(_)) | Ok(None) => match ctx.ask(out, "Enter new debug level: ").await {
            Ok(v) => match v.trim().parse::<u32>() {
                Ok(n) => n,
                Err(_) => {
                    out.error(format!("Invalid debug level: {v}\n"));
                    return false;
                }
            },
            Err(_) => {
                out.error("setdebug: level=<n> is required.\n");
                return false;
            }
        },
        Err(e) => {
            out.error(e);
            return false;
        }
    };
    let (trace, timestamp, hangup) = match (flag(ctx, "trace"), flag(ctx, "timestamp"), flag(ctx, "hangup")) {
        (Ok(t), Ok(ts), Ok(h)) => (t, ts, h),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            out.error(e);
            return false;
        }
    };
    let f = Flags {
        level,
        trace: trace.filter(|t| *t >= 0).map(|t| t > 0),
        timestamp: timestamp.filter(|t| *t >= 0).map(|t| t > 0),
        hangup,
    };
    let mut results = Vec::new();
    let mut target: Option<(String, Option<String>)> = None;
    for a in ctx.args.rest() {
        let k = a.key.to_ascii_lowercase();
        if matches!(k.as_str(), "all" | "dir" | "director" | "client" | "fd" | "store" | "storage" | "sd") {
            target = Some((k, a.value.clone()));
            break;
        }
    }
    let target = match target {
        Some(t) => t,
        None => {
            let items: Vec<String> = ["Director", "Storage", "Client", "All"].iter().map(|s| s.to_string()).collect();
            match ctx.menu(out, "Available daemons are: ", &items, "Select daemon type to set debug level").await {
                Ok(0) => ("dir".into(), None),
                Ok(1) => ("storage".into(), None),
                Ok(2) => ("client".into(), None),
                Ok(_) => ("all".into(), None),
                Err(_) => {
                    out.error("setdebug: give dir, client=<name>, storage=<name> or all.\n");
                    return false;
                }
            }
        }
    };
    match target.0.as_str() {
        "all" => {
            director(ctx, out, f, &mut results);
            all(ctx.cfg.clone(), &*ctx.session, out, f, &mut results).await
        }
        "dir" | "director" => director(ctx, out, f, &mut results),
        "client" | "fd" => {
            let name = match target.1 {
                Some(n) => n,
                None => {
                    let names: Vec<String> = ctx.cfg.clients.iter().filter(|c| ctx.session.allows(AclKind::Client, &c.name)).map(|c| c.name.clone()).collect();
                    match ctx.menu(out, "The defined Client resources are:", &names, "Select Client (File daemon) resource").await {
                        Ok(i) => names[i].clone(),
                        Err(_) => {
                            out.error("setdebug: client=<name> is required.\n");
                            return false;
                        }
                    }
                }
            };
            client(ctx.cfg.clone(), &*ctx.session, out, &name, f, &mut results).await;
        }
        _ => {
            let name = match target.1 {
                Some(n) => n,
                None => {
                    let names: Vec<String> = ctx.cfg.storages.iter().filter(|s| ctx.session.allows(AclKind::Storage, &s.name)).map(|s| s.name.clone()).collect();
                    match ctx.menu(out, "The defined Storage resources are:", &names, "Select Storage resource").await {
                        Ok(i) => names[i].clone(),
                        Err(_) => {
                            out.error("setdebug: storage=<name> is required.\n");
                            return false;
                        }
                    }
                }
            };
            storage(ctx.cfg.clone(), &*ctx.session, out, &name, f, &mut results).await;
        }
    }
    out.set("setdebug", Value::Array(results));
    !out.has_error()
}
