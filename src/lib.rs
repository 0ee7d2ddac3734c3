//! Colophon: a headless content API for technical publications.
//!
//! Layers, each knowing only the one beneath: transports (`graphql`, `rest`, `feeds`) over the
//! service layer (`content`) over SeaORM `entities` and the `migration` crate.

pub mod app;
pub mod auth;
pub mod config;
pub mod content;
pub mod db;
pub mod demo;
pub mod demo_site;
pub mod docs;
pub mod embedded;
pub mod entities;
pub mod feeds;
pub mod graphql;
pub mod guard;
pub mod http_cache;
pub mod metrics;
pub mod portable;
pub mod rate_limit;
pub mod response_cache;
pub mod rest;
pub mod seed;
pub mod studio;
pub mod webhooks;
