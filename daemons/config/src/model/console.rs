//! Typed bconsole configuration.

use std::path::PathBuf;

use super::{Password, TlsSettings, View};
use crate::error::Diagnostic;
use crate::resource::ResourceSet;
use crate::schema::Component;

#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub directors: Vec<ConsoleDirectorRes>,
    pub consoles: Vec<ConsoleConsoleRes>,
    pub resources: ResourceSet,
}

impl ConsoleConfig {
    pub fn director(&self, name: &str) -> Option<&ConsoleDirectorRes> {
        self.directors.iter().find(|d| d.name == name)
    }
    pub fn console(&self, name: &str) -> Option<&ConsoleConsoleRes> {
        self.consoles.iter().find(|d| d.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct ConsoleDirectorRes {
    pub name: String,
    pub description: Option<String>,
    pub address: String,
    pub port: u16,
    pub password: Option<Password>,
    pub heartbeat_interval: u64,
    pub tls: TlsSettings,
}

#[derive(Debug, Clone)]
pub struct ConsoleConsoleRes {
    pub name: String,
    pub description: Option<String>,
    pub password: Password,
    pub director: Option<String>,
    pub rc_file: Option<PathBuf>,
    pub history_file: Option<PathBuf>,
    pub history_length: u32,
    pub heartbeat_interval: u64,
    pub tls: TlsSettings,
}

pub(crate) fn build(set: ResourceSet, diags: &mut Vec<Diagnostic>) -> Option<ConsoleConfig> {
    let mut directors = Vec::new();
    let mut consoles = Vec::new();
    for r in &set.resources {
        let Some(def) = Component::Console.resource(r.type_name) else { continue };
        let v = View::new(def, &r.directives, &r.pos);
        match r.type_name {
            "Director" => directors.push(ConsoleDirectorRes {
                name: v.string("Name"),
                description: v.str("Description"),
                address: v.string("Address"),
                port: v.port("Port", diags),
                password: v.password("Password"),
                heartbeat_interval: v.u64("HeartbeatInterval"),
                tls: v.tls(),
            }),
            "Console" => consoles.push(ConsoleConsoleRes {
                name: v.string("Name"),
                description: v.str("Description"),
                password: v.password("Password").unwrap_or(Password(String::new())),
                director: v.str("Director"),
                rc_file: v.path("RcFile"),
                history_file: v.path("HistoryFile"),
                history_length: v.u32("HistoryLength"),
                heartbeat_interval: v.u64("HeartbeatInterval"),
                tls: v.tls(),
            }),
            _ => {}
        }
    }
    Some(ConsoleConfig { directors, consoles, resources: set })
}
