//! The catalog actor: one OS thread owns the SQLite connection (the single writer);
//! async code sends it closures and awaits their results.

use std::sync::mpsc;
use std::thread;

use cairn_catalog::Catalog;
use tokio::sync::oneshot;

use crate::DirdError;

type Task = Box<dyn FnOnce(&mut Catalog) + Send>;

/// A cheap, cloneable handle to the catalog thread.
#[derive(Clone, Debug)]
pub struct CatalogHandle {
    tx: mpsc::Sender<Task>,
}

impl CatalogHandle {
    /// Move `catalog` onto its own thread.
    pub fn spawn(mut catalog: Catalog) -> Result<CatalogHandle, DirdError> {
        let (tx, rx) = mpsc::channel::<Task>();
        thread::Builder::new()
            .name("catalog".into())
            .spawn(move || {
                while let Ok(task) = rx.recv() {
                    task(&mut catalog);
                }
            })
            .map_err(DirdError::Io)?;
        Ok(CatalogHandle { tx })
    }

    /// Run `f` on the catalog thread and return its result.
    pub async fn call<T, F>(&self, f: F) -> Result<T, DirdError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Catalog) -> T + Send + 'static,
    {
        let (otx, orx) = oneshot::channel();
        self.tx
            .send(Box::new(move |c: &mut Catalog| {
                let _ = otx.send(f(c));
            }))
            .map_err(|_| DirdError::CatalogGone)?;
        orx.await.map_err(|_| DirdError::CatalogGone)
    }
}
