//! Machine-oriented dot commands listing resources and code tables.

use cairn_types::{JobLevel, JobType};
use serde_json::{Map, Value};

use super::output::Output;
use crate::state::ResKind;
use super::{AclKind, Ctx};

/// Which resource names a dot command lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameList {
    Catalogs,
    Clients,
    Consoles,
    Users,
    Filesets,
    Jobdefs,
    Jobs,
    Msgs,
    Pools,
    Profiles,
    Schedules,
    Storages,
}

/// `.jobs`, `.clients`, `.pools` …: one name per line; JSON `{"<group>":[{"name":…}]}`
/// (with `enabled` where the resource has that flag).
pub fn names(ctx: &mut Ctx<'_>, out: &mut Output, which: NameList) -> bool {
    let cfg = ctx.cfg.clone();
    let want_enabled = ctx.args.has("enabled");
    let want_disabled = ctx.args.has("disabled");
    let type_filter = ctx.args.value("type").map(str::to_string);
    // (name, enabled flag if the resource has one)
    let items: Vec<(String, Option<bool>)> = match which {
        NameList::Catalogs => cfg.catalogs.iter().map(|r| (r.name.clone(), None)).collect(),
        NameList::Clients => cfg.clients.iter().map(|r| (r.name.clone(), Some(ctx.state.is_enabled(ResKind::Client, &r.name)))).collect(),
        NameList::Consoles => cfg.consoles.iter().map(|r| (r.name.clone(), None)).collect(),
        NameList::Users => cfg.users.iter().map(|r| (r.name.clone(), None)).collect(),
        NameList::Filesets => cfg.filesets.iter().map(|r| (r.name.clone(), None)).collect(),
        NameList::Jobdefs => cfg.jobdefs.iter().map(|r| (r.name.clone(), None)).collect(),
        NameList::Jobs => cfg
            .jobs
            .iter()
            .filter(|j| match &type_filter {
                Some(t) => {
                    let mut chars = t.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => j.job_type.code() == c,
                        _ => JobType::from_keyword(t) == Some(j.job_type),
                    }
                }
                None => true,
            })
            .map(|r| (r.name.clone(), Some(ctx.state.is_enabled(ResKind::Job, &r.name))))
            .collect(),
        NameList::Msgs => cfg.messages.iter().map(|r| (r.name.clone(), None)).collect(),
        NameList::Pools => cfg
            .pools
            .iter()
            .filter(|p| type_filter.as_ref().is_none_or(|t| p.pool_type.eq_ignore_ascii_case(t)))
            .map(|r| (r.name.clone(), None))
            .collect(),
        NameList::Profiles => cfg.profiles.iter().map(|r| (r.name.clone(), None)).collect(),
        NameList::Schedules => cfg.schedules.iter().map(|r| (r.name.clone(), Some(ctx.state.is_enabled(ResKind::Schedule, &r.name)))).collect(),
        NameList::Storages => cfg.storages.iter().map(|r| (r.name.clone(), Some(r.enabled))).collect(),
    };
    let group = match which {
        NameList::Catalogs => "catalogs",
        NameList::Clients => "clients",
        NameList::Consoles => "consoles",
        NameList::Users => "users",
        NameList::Filesets => "filesets",
        NameList::Jobdefs => "jobdefs",
        NameList::Jobs => "jobs",
        NameList::Msgs => "messages",
        NameList::Pools => "pools",
        NameList::Profiles => "profiles",
        NameList::Schedules => "schedules",
        NameList::Storages => "storages",
    };
    // Bareos filters these lists by the console's ACL of the resource kind.
    let acl = match which {
        NameList::Catalogs => Some(AclKind::Catalog),
        NameList::Clients => Some(AclKind::Client),
        NameList::Filesets => Some(AclKind::FileSet),
        NameList::Jobs => Some(AclKind::Job),
        NameList::Pools => Some(AclKind::Pool),
        NameList::Schedules => Some(AclKind::Schedule),
        NameList::Storages => Some(AclKind::Storage),
        _ => None,
    };
    let name_key = if which == NameList::Msgs { "text" } else { "name" };
    let mut arr = Vec::new();
    for (name, enabled) in items {
        if let Some(k) = acl
            && !ctx.session.allows(k, &name)
        {
            continue;
        }
        if let Some(e) = enabled
            && ((want_enabled && !e) || (want_disabled && e)) {
                continue;
            }
        out.text(format!("{name}\n"));
        let mut m = Map::new();
        m.insert(name_key.into(), Value::from(name));
        if let Some(e) = enabled {
            m.insert("enabled".into(), Value::from(e));
        }
        arr.push(Value::Object(m));
    }
    out.set(group, Value::Array(arr));
    true
}

/// `.defaults job=|client=|storage=|pool=`: `key=value` lines used by GUIs to
/// prefill forms; JSON `{"defaults":{…}}`.
pub fn defaults(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let cfg = ctx.cfg.clone();
    let none = || "*None*".to_string();
    let mut pairs: Vec<(&str, Value)> = Vec::new();
    if let Some(name) = ctx.args.value("job") {
        if let Some(j) = cfg.job(name).filter(|r| ctx.session.allows(AclKind::Job, &r.name)) {
            pairs.push(("job", Value::from(j.name.clone())));
            pairs.push(("pool", Value::from(j.pool.clone())));
            pairs.push(("messages", Value::from(j.messages.clone())));
            pairs.push(("client", Value::from(j.client.clone().unwrap_or_else(none))));
            pairs.push(("storage", Value::from(j.storage.first().cloned().unwrap_or_else(none))));
            pairs.push(("where", Value::from(j.where_.clone().unwrap_or_default())));
            if j.job_type == JobType::Restore {
                pairs.push(("replace", Value::from(j.replace.clone())));
            }
            pairs.push(("level", Value::from(j.level.map(|l| l.long_name()).unwrap_or_default())));
            pairs.push(("type", Value::from(j.job_type.long_name())));
            pairs.push(("fileset", Value::from(j.fileset.clone().unwrap_or_else(none))));
            pairs.push(("enabled", Value::from(u32::from(ctx.state.is_enabled(ResKind::Job, &j.name)))));
            pairs.push(("catalog", Value::from(j.catalog.clone().unwrap_or_else(|| cfg.default_catalog().name.clone()))));
        }
    } else if let Some(name) = ctx.args.value("client") {
        if let Some(c) = cfg.client(name).filter(|r| ctx.session.allows(AclKind::Client, &r.name)) {
            pairs.push(("client", Value::from(c.name.clone())));
            pairs.push(("address", Value::from(c.address.clone())));
            pairs.push(("port", Value::from(c.port)));
            pairs.push(("file_retention", Value::from(c.file_retention)));
            pairs.push(("job_retention", Value::from(c.job_retention)));
            pairs.push(("autoprune", Value::from(u32::from(c.auto_prune))));
            pairs.push(("enabled", Value::from(u32::from(ctx.state.is_enabled(ResKind::Client, &c.name)))));
            pairs.push(("catalog", Value::from(c.catalog.clone().unwrap_or_else(|| cfg.default_catalog().name.clone()))));
        }
    } else if let Some(name) = ctx.args.value("storage") {
        if let Some(s) = cfg.storage(name).filter(|r| ctx.session.allows(AclKind::Storage, &r.name)) {
            pairs.push(("storage", Value::from(s.name.clone())));
            pairs.push(("address", Value::from(s.address.clone())));
            pairs.push(("port", Value::from(s.port)));
            pairs.push(("enabled", Value::from(u32::from(s.enabled))));
            pairs.push(("media_type", Value::from(s.media_type.clone())));
            pairs.push(("device", Value::from(s.devices.join(","))));
        }
    } else if let Some(name) = ctx.args.value("pool") {
        if let Some(p) = cfg.pool(name).filter(|r| ctx.session.allows(AclKind::Pool, &r.name)) {
            pairs.push(("pool", Value::from(p.name.clone())));
            pairs.push(("pool_type", Value::from(p.pool_type.clone())));
            pairs.push(("label_format", Value::from(p.label_format.clone().unwrap_or_default())));
            pairs.push(("purge_oldest_volume", Value::from(u32::from(p.purge_oldest_volume))));
            pairs.push(("recycle_oldest_volume", Value::from(u32::from(p.recycle_oldest_volume))));
            pairs.push(("max_volumes", Value::from(p.maximum_volumes)));
            pairs.push(("vol_retention", Value::from(p.volume_retention)));
            pairs.push(("vol_use_duration", Value::from(p.volume_use_duration)));
            pairs.push(("max_vol_jobs", Value::from(p.maximum_volume_jobs)));
            pairs.push(("max_vol_files", Value::from(p.maximum_volume_files)));
            pairs.push(("max_vol_bytes", Value::from(p.maximum_volume_bytes)));
            pairs.push(("auto_prune", Value::from(u32::from(p.auto_prune))));
            pairs.push(("recycle", Value::from(u32::from(p.recycle))));
            pairs.push(("file_retention", Value::from(p.file_retention.unwrap_or(0))));
            pairs.push(("job_retention", Value::from(p.job_retention.unwrap_or(0))));
        }
    } else {
        out.text(".defaults command requires a parameter.\n");
        return false;
    }
    let mut m = Map::new();
    for (k, v) in pairs {
        let text = match &v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.text(format!("{k}={text}\n"));
        m.insert(k.to_string(), v);
    }
    out.set("defaults", Value::Object(m));
    true
}

/// `.jobstatus [=X]`: the catalog `Status` table.
pub async fn jobstatus(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    // Bareos reads only the value of the command word itself (`.jobstatus=T`).
    let want: Option<String> = ctx.args.args.first().and_then(|a| a.value.clone());
    if let Some(w) = &want
        && w.chars().count() != 1 {
            out.error(format!("Unknown JobStatus '{w}'. JobStatus must be a single character.\n"));
            return false;
        }
    super::select::announce_catalog(ctx, out);
    let res = ctx.state.catalog.call(|c| c.list_status()).await;
    let rows = match res {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            out.error(format!("Catalog error: {e}\n"));
            return false;
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            return false;
        }
    };
    let mut rows: Vec<_> = rows
        .into_iter()
        .filter(|r| want.as_ref().is_none_or(|w| w.starts_with(r.jobstatus)))
        .collect();
    rows.sort_by_key(|r| r.jobstatus);
    // Bareos dml/0062_get_jobstatus_details: ExitLevel '0' (T), '1' (W), '2' (e, f,
    // A, E), NULL otherwise; ExitStatus 'Ok', 'Warning', 'Error', NULL otherwise.
    let null = || super::table_fmt::NULL.to_string();
    let fields: Vec<Vec<(&str, String)>> = rows
        .iter()
        .map(|r| {
            let (level, status) = match r.jobstatus {
                'T' => ("0".to_string(), "Ok".to_string()),
                'W' => ("1".to_string(), "Warning".to_string()),
                'e' | 'f' | 'A' | 'E' => ("2".to_string(), "Error".to_string()),
                _ => (null(), null()),
            };
            vec![
                ("jobstatus", r.jobstatus.to_string()),
                ("jobstatuslong", r.jobstatuslong.clone().unwrap_or_else(null)),
                ("severity", r.severity.map(|v| v.to_string()).unwrap_or_else(null)),
                ("exitlevel", level),
                ("exitstatus", status),
            ]
        })
        .collect();
    out.text(super::table_fmt::horizontal(&fields));
    out.set("jobstatus", super::table_fmt::json_rows(&fields));
    true
}

/// `.levels`.
pub fn levels(_ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    use JobLevel as L;
    // (level, job type) pairs in Bareos's table order: backup, verify, copy, migrate.
    let table: &[(JobLevel, JobType)] = &[
        (L::Full, JobType::Backup),
        (L::Base, JobType::Backup),
        (L::Incremental, JobType::Backup),
        (L::Differential, JobType::Backup),
        (L::Since, JobType::Backup),
        (L::VirtualFull, JobType::Backup),
        (L::VerifyCatalog, JobType::Verify),
        (L::InitCatalog, JobType::Verify),
        (L::VolumeToCatalog, JobType::Verify),
        (L::DiskToCatalog, JobType::Verify),
        (L::Data, JobType::Verify),
        (L::Full, JobType::Copy),
        (L::Incremental, JobType::Copy),
        (L::Differential, JobType::Copy),
        (L::Full, JobType::Migrate),
        (L::Incremental, JobType::Migrate),
        (L::Differential, JobType::Migrate),
    ];
    let want = _ctx.args.rest().first().map(|a| a.key.clone());
    let mut arr = Vec::new();
    for (l, t) in table {
        if let Some(w) = &want {
            let matches = JobType::from_keyword(w) == Some(*t) || w.starts_with(t.code()) && w.len() == 1;
            if !matches {
                continue;
            }
        }
        out.text(format!("{}\n", l.keyword()));
        let mut m = Map::new();
        m.insert("name".into(), Value::from(l.keyword()));
        m.insert("level".into(), Value::from(l.code() as u32));
        m.insert("jobtype".into(), Value::from(t.code() as u32));
        arr.push(Value::Object(m));
    }
    out.set("levels", Value::Array(arr));
    true
}

/// `.types`.
pub fn types(_ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let mut arr = Vec::new();
    for t in ["Backup", "Admin", "Archive", "Verify", "Restore", "Migrate", "Copy", "Consolidate"] {
        out.text(format!("{t}\n"));
        let mut m = Map::new();
        m.insert("name".into(), Value::from(t));
        arr.push(Value::Object(m));
    }
    out.set("jobtypes", Value::Array(arr));
    true
}

/// The volume status keywords.
pub const VOLUME_STATUSES: &[&str] =
    &["Unlabeled", "Append", "Full", "Used", "Recycle", "Purged", "Cleaning", "Error", "Archive", "Disabled"];

/// `.volstatus`.
pub fn volstatus(_ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let mut arr = Vec::new();
    for s in VOLUME_STATUSES {
        out.text(format!("{s}\n"));
        let mut m = Map::new();
        m.insert("name".into(), Value::from(*s));
        arr.push(Value::Object(m));
    }
    out.set("volstatus", Value::Array(arr));
    true
}

/// `.actiononpurge`.
pub fn action_on_purge(_ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let mut arr = Vec::new();
    for s in ["None", "Truncate"] {
        out.text(format!("{s}\n"));
        let mut m = Map::new();
        m.insert("name".into(), Value::from(s));
        arr.push(Value::Object(m));
    }
    out.set("actiononpurge", Value::Array(arr));
    true
}

async fn single_column(ctx: &mut Ctx<'_>, out: &mut Output, sql: &'static str, group: &str) -> bool {
    let res = ctx.state.catalog.call(move |c| c.query_raw(sql)).await;
    match res {
        Ok(Ok(r)) => {
            let mut arr = Vec::new();
            for row in r.rows {
                let name = row.into_iter().next().flatten().unwrap_or_default();
                out.text(format!("{name}\n"));
                let mut m = Map::new();
                m.insert("name".into(), Value::from(name));
                arr.push(Value::Object(m));
            }
            out.set(group, Value::Array(arr));
            true
        }
        Ok(Err(e)) => {
            out.error(format!("Catalog error: {e}\n"));
            false
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            false
        }
    }
}

/// `.media`: every volume name in the catalog.
pub async fn media(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    single_column(ctx, out, "SELECT VolumeName FROM Media ORDER BY VolumeName", "media").await
}

/// `.mediatypes`: the catalog's media types.
pub async fn mediatypes(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    single_column(ctx, out, "SELECT DISTINCT MediaType FROM MediaType ORDER BY MediaType", "mediatypes").await
}

/// `.locations`: Location rows.
pub async fn locations(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    single_column(ctx, out, "SELECT Location FROM Location ORDER BY Location", "locations").await
}

/// `.authorized job=|client=|…|cmd=`: yes/no for this console.
pub fn authorized(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    // Every `kind=name` pair must be allowed by the console's ACL of that kind.
    let mut ok = true;
    for a in ctx.args.rest() {
        let Some(v) = a.value.as_deref() else { continue };
        let allowed = match AclKind::from_name(&a.key) {
            Some(k) => ctx.session.allows(k, v),
            None => false,
        };
        ok &= allowed;
    }
    // Bareos DotAuthorizedCmd's words.
    out.text(if ok { "authorized\n" } else { "not authorized\n" });
    out.set("authorized", ok);
    ok
}
