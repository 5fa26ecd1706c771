//! `esign`: the whole service on one machine, and the admin and verification commands.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use esign_local::{LocalService, DEFAULT_TENANT};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "esign",
    version,
    about = "e-underskrift: digital justering med Mobilt BankID, lokalt läge"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every function, the BankID simulator and the local PKI in one process.
    Serve {
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Where users reach the service, if not at http://ADDR (e.g. behind a proxy).
        #[arg(long)]
        public_url: Option<String>,
    },
    /// Carry the sample protocol through the whole flow and write every output to OUT.
    Demo {
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Seal any PDF with a tenant's key (incremental update; the input stays a prefix).
    Seal {
        input: PathBuf,
        output: PathBuf,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
        #[arg(long, default_value = DEFAULT_TENANT)]
        tenant: String,
    },
    /// A JSON report of every signature in a PDF; exit 1 if any is broken.
    Verify {
        file: PathBuf,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
    },
    /// Run only the BankID RP API simulator (with its phone API).
    BankidSim {
        #[arg(long, default_value = "127.0.0.1:8090")]
        addr: SocketAddr,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
    },
    /// Tenants (municipalities) of the local installation.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Staff who log in with BankID to act for a tenant.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Let a person (by personnummer) act for a tenant after logging in with BankID.
    Add {
        tenant: String,
        personnummer: String,
        name: String,
        /// secretary or admin
        #[arg(long, default_value = "secretary")]
        role: String,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Add a tenant with its seal key and certificate, and print a new API key for it.
    Add {
        id: String,
        name: String,
        #[arg(long, default_value = "Kommunkansliet")]
        storage_place: String,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,hyper=warn,reqwest=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("esign: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            data,
            addr,
            public_url,
        } => {
            let running = LocalService::start(&data, addr, public_url.as_deref()).await?;
            let key = running.service.ensure_default_tenant().await?;
            let base = &running.base_url;
            println!("e-underskrift körs / is running (data: {})", data.display());
            println!("  start page          {base}/");
            println!("  secretary           {base}/sekreterare");
            println!("  signer portal       {base}/portal");
            println!("  BankID phone (sim)  {base}/bankid-sim/phone-ui");
            println!("  BankID RP API (sim) {base}/bankid-sim/rp/v6.0/");
            println!("  anslagstavla        {base}/public/{DEFAULT_TENANT}/anslag/");
            println!("  API key ({DEFAULT_TENANT})      {key}");
            println!(
                "  trust anchor        {}",
                running.service.pki.root_pem_path().display()
            );
            println!("  mail                {}", data.join("mail").display());
            tokio::signal::ctrl_c().await?;
            running.stop().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { data, out } => {
            esign_local::demo::run(&data, &out).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Seal {
            input,
            output,
            data,
            tenant,
        } => {
            let service = LocalService::open(&data, "http://127.0.0.1:0")?;
            if tenant == DEFAULT_TENANT {
                service.ensure_default_tenant().await?;
            }
            let t = esign_shared::domain::TenantId::parse(&tenant)
                .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
            let bytes =
                std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
            let name = input
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("dokument.pdf");
            let sealed = service.app.seal_file(&t, name, &bytes).await.map_err(|e| {
                anyhow::anyhow!("{}: {} / {}", e.code(), e.message_sv(), e.message_en())
            })?;
            std::fs::write(&output, sealed)
                .with_context(|| format!("writing {}", output.display()))?;
            println!("{}", output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { file, data } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let root = data.join("pki").join("root-ca.pem");
            let anchors = match std::fs::read_to_string(&root) {
                Ok(pem) => esign_shared::pki::pem_decode_certs(&pem)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", root.display()))?,
                Err(_) => Vec::new(),
            };
            let report = esign_shared::pdf::verify(&bytes, &anchors)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            let broken = report
                .signatures
                .iter()
                .any(|s| !s.intact || !s.signature_valid);
            Ok(if broken {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::BankidSim { addr, data } => {
            let service = LocalService::open(&data, &format!("http://{addr}"))?;
            let router = axum::Router::new().nest(
                "/bankid-sim",
                esign_shared::bankid::simulator::router(service.simulator.clone()),
            );
            let listener = tokio::net::TcpListener::bind(addr).await?;
            println!(
                "BankID RP API simulator: http://{}/bankid-sim/rp/v6.0/",
                listener.local_addr()?
            );
            println!(
                "phone API:               http://{}/bankid-sim/phone/",
                listener.local_addr()?
            );
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Staff {
            command:
                StaffCommand::Add {
                    tenant,
                    personnummer,
                    name,
                    role,
                    data,
                },
        } => {
            let service = LocalService::open(&data, "http://127.0.0.1:0")?;
            let t = esign_shared::domain::TenantId::parse(&tenant)
                .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
            let role: esign_shared::app::StaffRole = serde_json::from_value(role.clone().into())
                .map_err(|_| anyhow::anyhow!("unknown role {role:?}: secretary or admin"))?;
            // The data directory's owner acts as the tenant's admin here.
            let admin = esign_shared::app::Staff {
                tenant: t,
                role: esign_shared::app::StaffRole::Admin,
            };
            service
                .app
                .add_staff(&admin, &personnummer, &name, role)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("{}: {} / {}", e.code(), e.message_sv(), e.message_en())
                })?;
            println!("{name} may now log in with BankID and act for {tenant}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Tenant {
            command:
                TenantCommand::Add {
                    id,
                    name,
                    storage_place,
                    data,
                },
        } => {
            let service = LocalService::open(&data, "http://127.0.0.1:0")?;
            let key = service.add_tenant(&id, &name, &storage_place).await?;
            println!("{key}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
