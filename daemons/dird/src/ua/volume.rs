//! `label` and `update volume`.

use serde_json::{Map, Value};

use super::output::Output;
use super::{AclKind, Ctx, NoAnswer};
use crate::jobs::links;

async fn pick_storage(ctx: &mut Ctx<'_>, out: &mut Output) -> Result<Option<cairn_config::StorageRes>, NoAnswer> {
    let cfg = ctx.cfg.clone();
    let visible: Vec<&cairn_config::StorageRes> =
        cfg.storages.iter().filter(|s| ctx.session.allows(AclKind::Storage, &s.name)).collect();
    let name = match ctx.args.value("storage") {
        Some(s) => s.to_string(),
        None if visible.len() == 1 => {
            out.text(format!("Automatically selected Storage: {}\n", visible[0].name));
            visible[0].name.clone()
        }
        None => {
            let names: Vec<String> = visible.iter().map(|s| s.name.clone()).collect();
            let i = ctx.menu(out, "The defined Storage resources are:", &names, "Select Storage resource").await?;
            names[i].clone()
        }
    };
    match cfg.storage(&name).filter(|s| ctx.session.allows(AclKind::Storage, &s.name)) {
        Some(s) => Ok(Some(s.clone())),
        None => {
            out.error(format!("Storage \"{name}\" not found.\n"));
            Ok(None)
        }
    }
}

/// `label storage= volume= pool= [yes]`.
pub async fn label(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let r = async {
        let Some(storage) = pick_storage(ctx, out).await? else { return Ok(false) };
        let volume = match ctx.args.value("volume") {
            Some(v) => v.to_string(),
            None => ctx.ask(out, "Enter new Volume name: ").await?,
        };
        if volume.is_empty() || volume.contains('|') || volume.chars().any(|c| c.is_control() || c == '/') || volume.len() > 127 {
            out.error(format!("Illegal character or length in Volume name \"{volume}\".\n"));
            return Ok(false);
        }
        let cfg = ctx.cfg.clone();
        let pool = match ctx.args.value("pool") {
            Some(p) => p.to_string(),
            None => {
                let names: Vec<String> =
                    cfg.pools.iter().filter(|p| ctx.session.allows(AclKind::Pool, &p.name)).map(|p| p.name.clone()).collect();
                let i = ctx.menu(out, "The defined Pool resources are:", &names, "Select Pool resource").await?;
                names[i].clone()
            }
        };
        if cfg.pool(&pool).is_none() || !ctx.session.allows(AclKind::Pool, &pool) {
            out.error(format!("Pool \"{pool}\" not found.\n"));
            return Ok(false);
        }
        let v = volume.clone();
        let exists = ctx.state.catalog.call(move |c| c.get_media(&v)).await.ok().and_then(|r| r.ok()).flatten();
        if exists.is_some() {
            out.error(format!("Media record for new Volume \"{volume}\" already exists.\n"));
            return Ok(false);
        }
        let device = storage.devices.first().cloned().unwrap_or_default();
        out.text(format!("Connecting to Storage daemon {} at {}:{} ...\n", storage.name, storage.address, storage.port));
        out.text(format!("Sending label command for Volume \"{volume}\" Slot 0 ...\n"));
        let reply = match links::sd_label(&cfg, &storage, &volume, &pool, &device).await {
            Ok(r) => r,
            Err(e) => {
                out.error(format!("Failed to connect to Storage daemon \"{}\": {e}\n", storage.name));
                return Ok(false);
            }
        };
        out.text(reply.clone());
        if !reply.starts_with("3000 OK label") {
            out.error(format!("Label command failed for Volume {volume}.\n"));
            return Ok(false);
        }
        // Bareos keeps the label's size from the SD's answer ("3000 OK label. VolBytes=%llu").
        let volbytes: i64 = reply
            .split_whitespace()
            .find_map(|w| w.strip_prefix("VolBytes="))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let (v, p, mt, st) = (volume.clone(), pool.clone(), storage.media_type.clone(), storage.name.clone());
        let created = ctx
            .state
            .catalog
            .call(move |c| -> Result<(), cairn_catalog::CatalogError> {
                let Some(pool_row) = c.get_pool(&p)? else {
                    return Err(cairn_catalog::CatalogError::NotFound { what: "pool", key: p });
                };
                let storage_id = c.storage_id(&st)?.unwrap_or(0);
                let mut m = cairn_catalog::NewMedia::from_pool(v, &pool_row, mt);
                m.storageid = storage_id;
                m.volstatus = "Append".into();
                m.labeldate = Some(cairn_catalog::now_string());
                let mediaid = c.create_media(&m)?;
                if volbytes > 0
                    && let Some(row) = c.get_media_by_id(mediaid)? {
                        let mut u = cairn_catalog::MediaUpdate::from_row(&row);
                        u.volbytes = volbytes;
                        c.update_media_counters(&u)?;
                    }
                Ok(())
            })
            .await;
        match created {
            Ok(Ok(())) => {
                out.text(format!("Catalog record for Volume \"{volume}\", Slot 0 successfully created.\n"));
                let mut m = Map::new();
                m.insert("volume".into(), Value::from(volume));
                m.insert("pool".into(), Value::from(pool));
                out.set("label", Value::Object(m));
                Ok(true)
            }
            Ok(Err(e)) => {
                out.error(format!("Catalog error creating the Media record: {e}\n"));
                Ok(false)
            }
            Err(e) => {
                out.error(format!("{e}\n"));
                Ok(false)
            }
        }
    }
    .await;
    match r {
        Ok(ok) => ok,
        Err(NoAnswer::NotInteractive) => {
            out.error("label needs storage=, volume= and pool= when it cannot ask.\n");
            false
        }
        Err(_) => false,
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" => Some(true),
        "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// `update volume=<v> volstatus=… volretention=… …` and `update jobid=… jobtype=…`.
pub async fn update(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let a = ctx.args;
    if let Some(jobid) = a.value("jobid") {
        let Ok(id) = jobid.parse::<u32>() else {
            out.error(format!("Invalid JobId: {jobid}\n"));
            return false;
        };
        if let Some(t) = a.value("jobtype") {
            let code = t.chars().next().unwrap_or('B');
            let code = cairn_types::JobType::from_keyword(t).map(|t| t.code()).unwrap_or(code);
            let r = ctx.state.catalog.call(move |c| c.set_job_type(cairn_catalog::JobId(id), code)).await;
            return match r {
                Ok(Ok(())) => {
                    out.text(format!("JobId {id} updated: Type={code}\n"));
                    true
                }
                Ok(Err(e)) => {
                    out.error(format!("{e}\n"));
                    false
                }
                Err(e) => {
                    out.error(format!("{e}\n"));
                    false
                }
            };
        }
        out.error("update jobid= needs jobtype=.\n");
        return false;
    }
    let Some(vol) = a.value("volume").map(str::to_string) else {
        out.error("update: please give volume=<name> (and the parameters to change) or jobid=<id> jobtype=<t>.\n");
        return false;
    };
    // Bareos SelectPoolAndMediaDbr: the volume's pool must be in the Pool ACL.
    if !ctx.session.is_root() {
        let v = vol.clone();
        let pool = ctx
            .state
            .catalog
            .call(move |c| -> Result<Option<String>, cairn_catalog::CatalogError> {
                let Some(m) = c.get_media(&v)? else { return Ok(None) };
                Ok(c.list_pools()?.into_iter().find(|p| p.poolid == m.poolid).map(|p| p.name))
            })
            .await
            .ok()
            .and_then(|r| r.ok())
            .flatten();
        if let Some(p) = pool
            && !ctx.session.allows(AclKind::Pool, &p)
        {
            out.error(format!("No access to Pool \"{p}\"\n"));
            return false;
        }
    }
    let mut ch = cairn_catalog::VolumeChanges::default();
    let mut said = Vec::new();
    let dur = |v: &str| cairn_config::value::parse_duration(v);
    let size = |v: &str| cairn_config::value::parse_size(v);
    for arg in a.rest() {
        let Some(v) = arg.value.as_deref() else { continue };
        match arg.key.to_ascii_lowercase().as_str() {
            "volume" => {}
            "volstatus" => {
                // Bareos `UpdateVolstatus`: a case-insensitive match, stored as spelled here.
                const KW: &[&str] =
                    &["Append", "Archive", "Disabled", "Full", "Used", "Cleaning", "Recycle", "Read-Only", "Error"];
                let Some(kw) = KW.iter().find(|k| k.eq_ignore_ascii_case(v)) else {
                    out.error(format!("Invalid VolStatus specified: {v}\n"));
                    return false;
                };
                ch.volstatus = Some((*kw).to_string());
                said.push(format!("New Volume status is: {kw}"));
            }
            "volretention" => match dur(v) {
                Some(s) => {
                    ch.volretention = Some(s as i64);
                    said.push(format!("New retention period is: {}", crate::jobs::report::edit_utime(s as i64)));
                }
                None => {
                    out.error(format!("Invalid retention period specified: {v}\n"));
                    return false;
                }
            },
            "voluse" => match dur(v) {
                Some(s) => {
                    ch.voluseduration = Some(s as i64);
                    said.push(format!("New use duration is: {}", crate::jobs::report::edit_utime(s as i64)));
                }
                None => {
                    out.error(format!("Invalid use duration specified: {v}\n"));
                    return false;
                }
            },
            "maxvoljobs" => match v.parse::<i64>() {
                Ok(n) => {
                    ch.maxvoljobs = Some(n);
                    said.push(format!("New max jobs is: {n}"));
                }
                Err(_) => {
                    out.error(format!("Invalid number: {v}\n"));
                    return false;
                }
            },
            "maxvolfiles" => match v.parse::<i64>() {
                Ok(n) => {
                    ch.maxvolfiles = Some(n);
                    said.push(format!("New max files is: {n}"));
                }
                Err(_) => {
                    out.error(format!("Invalid number: {v}\n"));
                    return false;
                }
            },
            "maxvolbytes" => match size(v) {
                Some(n) => {
                    ch.maxvolbytes = Some(n as i64);
                    said.push(format!("New Max bytes is: {n}"));
                }
                None => {
                    out.error(format!("Invalid byte size specification: {v}\n"));
                    return false;
                }
            },
            "recycle" => match parse_bool(v) {
                Some(b) => {
                    ch.recycle = Some(b);
                    said.push(format!("New Recycle flag is: {}", if b { "yes" } else { "no" }));
                }
                None => {
                    out.error(format!("Invalid value. It must be yes or no: {v}\n"));
                    return false;
                }
            },
            "enabled" => match parse_bool(v) {
                Some(b) => {
                    ch.enabled = Some(i64::from(b));
                    said.push(format!("New enabled flag is: {}", u8::from(b)));
                }
                None => {
                    out.error(format!("Invalid value. It must be yes or no: {v}\n"));
                    return false;
                }
            },
            "inchanger" => match parse_bool(v) {
                Some(b) => {
                    ch.inchanger = Some(b);
                    said.push(format!("New InChanger flag is: {}", u8::from(b)));
                }
                None => {
                    out.error(format!("Invalid value. It must be yes or no: {v}\n"));
                    return false;
                }
            },
            "slot" => match v.parse::<i64>() {
                Ok(n) => {
                    ch.slot = Some(n);
                    said.push(format!("New Slot is: {n}"));
                }
                Err(_) => {
                    out.error(format!("Invalid slot: {v}\n"));
                    return false;
                }
            },
            "pool" => {
                let p = v.to_string();
                let id = if ctx.session.allows(AclKind::Pool, &p) {
                    ctx.state.catalog.call(move |c| c.pool_id(&p)).await.ok().and_then(|r| r.ok()).flatten()
                } else {
                    None
                };
                match id {
                    Some(id) => {
                        ch.pool_id = Some(id);
                        said.push(format!("New Pool is: {v}"));
                    }
                    None => {
                        out.error(format!("Pool \"{v}\" not found.\n"));
                        return false;
                    }
                }
            }
            "actiononpurge" => {
                let code = match v.to_ascii_lowercase().as_str() {
                    "truncate" => 1,
                    "none" => 0,
                    _ => {
                        out.error(format!("Invalid ActionOnPurge: {v}\n"));
                        return false;
                    }
                };
                ch.actiononpurge = Some(code);
                said.push(format!("New ActionOnPurge is: {v}"));
            }
            other => {
                out.error(format!("Unknown update parameter: {other}\n"));
                return false;
            }
        }
    }
    if said.is_empty() {
        out.error(format!("update volume={vol}: nothing to change (volstatus=, volretention=, voluse=, maxvoljobs=, maxvolfiles=, maxvolbytes=, recycle=, enabled=, inchanger=, slot=, pool=, actiononpurge=).\n"));
        return false;
    }
    let v = vol.clone();
    let r = ctx.state.catalog.call(move |c| c.update_volume(&v, &ch)).await;
    match r {
        Ok(Ok(_)) => {
            for s in said {
                out.text(format!("{s}\n"));
            }
            true
        }
        Ok(Err(e)) => {
            out.error(format!("{e}\n"));
            false
        }
        Err(e) => {
            out.error(format!("{e}\n"));
            false
        }
    }
}
