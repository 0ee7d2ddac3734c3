//! Integration tests through the public interfaces: the axum `Router` in-process, and the
//! real `colophon` binary on 127.0.0.1. Every storage test runs on SQLite and PostgreSQL.

mod support;

mod account_state;
mod auth;
mod cards;
mod contract_edges;
mod contracts;
mod corpus;
mod counts;
mod document_cost;
mod editorial;
mod feed_escaping;
mod feeds;
mod first_contact;
mod graphql_http;
mod hardening;
mod hostile_input;
mod http_caching;
mod lifecycle;
mod limits;
mod lists;
mod live;
mod management;
mod pagination;
mod path_resolution;
mod persisted_queries;
mod plans;
mod portable;
mod promises;
mod render_bounds;
mod response_cache;
mod server;
mod statements;
mod studio_api;
mod sync;
mod taxonomy;
mod taxonomy_visibility;
mod token_attacks;
mod validation;
mod webhooks;
