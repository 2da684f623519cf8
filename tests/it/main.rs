//! Cairn's end-to-end suite: real daemons on 127.0.0.1:0 with temporary
//! directories, driven over the real protocol.

mod acl;
mod backup_restore;
mod bvfs;
mod client_initiated;
mod cli;
mod cluster;
mod commands;
mod director;
mod events;
mod fuzz;
mod hostile;
mod jobcontrol;
mod python;
mod runscripts;
mod scheduler;
mod support;
mod tls;
mod tmux;
mod transcripts;
