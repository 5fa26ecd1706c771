//! `esign api-key create|list|revoke`: the tenant's API keys from the command line, acting as
//! the tenant's admin (the data directory's owner is). `create` prints the secret once.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use esign_shared::app::{NewApiKey, Staff, StaffRole};
use esign_shared::domain::api_key::Scope;
use esign_shared::domain::TenantId;
use esign_shared::error::ErrorText;

use crate::LocalService;

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Make a key: print it as kept, and its secret (shown this once).
    Create(CreateArgs),
    /// The tenant's keys, newest first (no secrets).
    List(TenantArgs),
    /// Revoke a key by its id: it lets nobody in from now on.
    Revoke(RevokeArgs),
}

#[derive(Args)]
pub struct TenantArgs {
    pub tenant: String,
    #[arg(long, default_value = "./esign-data")]
    pub data: PathBuf,
}

#[derive(Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub on: TenantArgs,
    /// What the key is for, e.g. "Ekonomiskt bistånd, e-tjänst".
    #[arg(long)]
    pub name: String,
    /// orders:write, orders:read, files:read or admin; repeat for several.
    #[arg(long = "scope", required = true)]
    pub scopes: Vec<String>,
    /// When the key stops working (RFC 3339, e.g. 2027-12-31T23:59:00Z).
    #[arg(long)]
    pub expires: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub on: TenantArgs,
    pub id: String,
}

fn admin_of(on: &TenantArgs) -> Result<(LocalService, Staff)> {
    let service = LocalService::open(&on.data, "http://127.0.0.1:0")?;
    let t = TenantId::parse(&on.tenant).map_err(|e| anyhow!("{}", e.message_en()))?;
    Ok((service, Staff::person(t, StaffRole::Admin)))
}

pub async fn run(command: ApiKeyCommand) -> Result<serde_json::Value> {
    Ok(match command {
        ApiKeyCommand::Create(args) => {
            let (service, admin) = admin_of(&args.on)?;
            let scopes = args
                .scopes
                .iter()
                .map(|s| {
                    Scope::parse(s).ok_or_else(|| {
                        anyhow!(
                            "unknown scope {s:?}: orders:write, orders:read, files:read or admin"
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let new = NewApiKey {
                name: args.name,
                scopes,
                expires_at: args.expires,
            };
            let (key, secret) = service
                .app
                .tenants
                .create_api_key(&admin, new)
                .await
                .map_err(crate::user_error)?;
            serde_json::json!({ "api_key": key, "secret": secret })
        }
        ApiKeyCommand::List(on) => {
            let (service, admin) = admin_of(&on)?;
            let keys = service
                .app
                .tenants
                .list_api_keys(&admin)
                .await
                .map_err(crate::user_error)?;
            serde_json::json!({ "api_keys": keys })
        }
        ApiKeyCommand::Revoke(args) => {
            let (service, admin) = admin_of(&args.on)?;
            let key = service
                .app
                .tenants
                .revoke_api_key(&admin, &args.id)
                .await
                .map_err(crate::user_error)?;
            serde_json::json!({ "api_key": key })
        }
    })
}
