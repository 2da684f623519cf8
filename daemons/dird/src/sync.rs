//! Mirror configuration resources into the catalog (Client, Pool, Storage,
//! FileSet, MediaType rows), at start and on every reload, as Bareos does.

use cairn_catalog::{ClientSync, PoolSync};
use cairn_config::DirectorConfig;

use crate::catalog_actor::CatalogHandle;
use crate::DirdError;

fn action_on_purge_code(a: &Option<String>) -> u32 {
    match a.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("truncate") => 1,
        _ => 0,
    }
}

/// The catalog rows the configuration implies.
pub struct SyncPlan {
    pub clients: Vec<ClientSync>,
    pub pools: Vec<PoolSync>,
    pub storages: Vec<(String, bool, String)>,
    pub filesets: Vec<(String, String, String)>,
}

/// Work out the rows to upsert.
pub fn plan(cfg: &DirectorConfig) -> SyncPlan {
    let clients = cfg
        .clients
        .iter()
        .map(|c| ClientSync {
            name: c.name.clone(),
            uname: None,
            auto_prune: c.auto_prune,
            file_retention: c.file_retention,
            job_retention: c.job_retention,
        })
        .collect();
    let pools = cfg
        .pools
        .iter()
        .map(|p| {
            let mut s = PoolSync::new(p.name.clone());
            s.pool_type = p.pool_type.clone();
            s.max_vols = p.maximum_volumes;
            s.use_catalog = p.use_catalog;
            s.vol_retention = p.volume_retention;
            s.vol_use_duration = p.volume_use_duration;
            s.max_vol_jobs = p.maximum_volume_jobs;
            s.max_vol_files = p.maximum_volume_files;
            s.max_vol_bytes = p.maximum_volume_bytes;
            s.auto_prune = p.auto_prune;
            s.recycle = p.recycle;
            s.action_on_purge = action_on_purge_code(&p.action_on_purge);
            s.label_format = p.label_format.clone().unwrap_or_default();
            s.scratch_pool = p.scratch_pool.clone();
            s.recycle_pool = p.recycle_pool.clone();
            s.next_pool = p.next_pool.clone();
            s.min_block_size = p.minimum_block_size;
            s.max_block_size = p.maximum_block_size;
            s.migration_high_bytes = p.migration_high_bytes;
            s.migration_low_bytes = p.migration_low_bytes;
            s.migration_time = p.migration_time;
            s
        })
        .collect();
    let storages = cfg.storages.iter().map(|s| (s.name.clone(), s.auto_changer, s.media_type.clone())).collect();
    let filesets = cfg
        .filesets
        .iter()
        .map(|f| {
            let text = cfg.resources.to_config_text(Some(("FileSet", Some(f.name.as_str()))), false, true);
            let md5 = cairn_proto::auth::md5_hex(text.as_bytes());
            (f.name.clone(), text, md5)
        })
        .collect();
    SyncPlan { clients, pools, storages, filesets }
}

/// Upsert every resource row in one catalog call.
pub async fn sync_resources(catalog: &CatalogHandle, cfg: &DirectorConfig) -> Result<(), DirdError> {
    let plan = plan(cfg);
    catalog
        .call(move |c| -> Result<(), cairn_catalog::CatalogError> {
            for cl in &plan.clients {
                c.sync_client(cl)?;
            }
            c.sync_pools(&plan.pools)?;
            for (name, changer, media_type) in &plan.storages {
                c.sync_storage(name, *changer)?;
                c.sync_media_type(media_type)?;
            }
            for (name, text, md5) in &plan.filesets {
                c.sync_fileset(name, text, md5)?;
            }
            Ok(())
        })
        .await?
        .map_err(DirdError::CatalogQuery)
}
