//! `esign`: the whole service on one machine, and the admin and verification commands.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use esign_local::{LocalService, DEFAULT_TENANT};
use esign_shared::error::ErrorText;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[cfg(feature = "aws")]
mod seal_key;

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
        /// How many reverse proxies of yours stand in front (each appends to X-Forwarded-For);
        /// BankID then gets the address the outermost one saw. 0: the connection's address.
        #[arg(long, default_value_t = 0)]
        trusted_proxies: u8,
    },
    /// Carry the sample protocol (or --document FILE) through the whole flow and write every output to OUT.
    Demo {
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Any PDF to carry through the flow instead of the sample protocol.
        #[arg(long)]
        document: Option<PathBuf>,
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
    /// Renew any PAdES file's proof of existence: fresh validation data for its newest
    /// timestamp and a new document timestamp from the local authority (the input stays a
    /// prefix).
    Extend {
        input: PathBuf,
        output: PathBuf,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
    },
    /// Write one order's e-archive package to FILE (made now, its archive version checked
    /// again, the package checked whole); the order itself is left as it is.
    Export {
        order: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
        #[arg(long, default_value = DEFAULT_TENANT)]
        tenant: String,
    },
    /// The anslag's dates by the law as JSON: the latest day to post the notice, the appeal
    /// period's last day and the day the notice comes down.
    Anslag {
        /// The day the protocol was justerat (YYYY-MM-DD).
        #[arg(long)]
        justerad: String,
        /// The day the notice was posted (YYYY-MM-DD); the justering day when left out.
        #[arg(long)]
        posted: Option<String>,
        /// When the notice comes down: on the appeal period's last day, or the day after.
        #[arg(long, value_enum, default_value = "day-after")]
        take_down: esign_local::tenant_cli::TakeDownArg,
    },
    /// A JSON report of every signature in a PDF; exit 1 if any is broken.
    Verify {
        file: PathBuf,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
    },
    /// Run only the BankID RP API simulator, over mutual TLS (with its phone API).
    BankidSim {
        #[arg(long, default_value = "127.0.0.1:8090")]
        addr: SocketAddr,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
    },
    /// Seal generated 1, 20 and 200 MB PDFs and print time and peak memory beside sha256sum
    /// and pyHanko on the same files.
    Bench {
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
        /// Where the generated inputs go (they are removed after each size).
        #[arg(long, default_value = "./esign-bench")]
        dir: PathBuf,
        /// Input sizes in MB, comma separated.
        #[arg(long, default_value = "1,20,200", value_delimiter = ',')]
        sizes: Vec<u64>,
    },
    /// Tenants (municipalities) of the local installation.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// BankID signing evidence.
    BankidEvidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// The tenant's API keys: create (with scopes and an expiry), list, revoke.
    ApiKey {
        #[command(subcommand)]
        command: esign_local::api_key_cli::ApiKeyCommand,
    },
    /// Staff who log in with BankID to act for a tenant.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The local PKI's revocation list (OCSP and CRLs under /pki).
    Pki {
        #[command(subcommand)]
        command: PkiCommand,
    },
    /// A tenant's seal key in AWS KMS: certificate request and issued chain.
    #[cfg(feature = "aws")]
    SealKey {
        #[command(subcommand)]
        command: seal_key::SealKeyCommand,
    },
}

#[derive(Subcommand)]
enum PkiCommand {
    /// Give the local timestamp authority a new key and certificate, as a real authority
    /// rotates its own (a running `esign serve` takes it on its next start).
    RotateTsa {
        /// How long the new certificate is valid.
        #[arg(long, default_value_t = 3)]
        valid_years: u64,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
    },
    /// Revoke a certificate of the local PKI; a running `esign serve` answers revoked at once.
    Revoke {
        /// Serial number in hex, as `openssl x509 -serial` prints it.
        #[arg(long)]
        serial: String,
        /// key_compromise, superseded, cessation_of_operation, ...
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, default_value = "./esign-data")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum EvidenceCommand {
    /// Verify a BankID signature (base64 `completionData.signature`, or an evidence JSON as the
    /// service stores it); prints a JSON report, exits 1 if it is not valid.
    Verify {
        file: PathBuf,
        /// Check the certificates as of this time (RFC 3339), e.g. the signing time.
        #[arg(long)]
        at: Option<String>,
        /// Trust anchors (PEM); without, the chain is checked up to the CA the signature carries.
        #[arg(long)]
        trust: Option<PathBuf>,
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
    /// Record the tenant's delivery agreement with its e-archive (prints it as stored).
    Archive(esign_local::tenant_cli::ArchiveArgs),
    /// When the tenant's notices come down (the appeal period's last day, or the day after).
    Anslag(esign_local::tenant_cli::AnslagArgs),
    /// How many months before its proof of existence ends a kept archive version is renewed.
    Renewal(esign_local::tenant_cli::RenewalArgs),
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
            trusted_proxies,
        } => {
            if let Some(warning) = esign_local::service::exposure_warning(addr) {
                eprintln!("{warning}");
            }
            let client_ip = match trusted_proxies {
                0 => esign_shared::app::ClientIpSource::Peer,
                n => esign_shared::app::ClientIpSource::Proxies(n),
            };
            let running =
                LocalService::start_behind(&data, addr, public_url.as_deref(), client_ip).await?;
            let key = running.service.ensure_default_tenant().await?;
            let base = &running.base_url;
            println!("e-underskrift körs / is running (data: {})", data.display());
            println!("  start page          {base}/");
            println!("  secretary           {base}/sekreterare");
            println!("  signer portal       {base}/portal");
            println!("  BankID phone (sim)  {base}/bankid-sim/phone-ui");
            println!(
                "  BankID RP API (sim) {} (mutual TLS)",
                running.bankid_rp_url
            );
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
        Command::Pki {
            command: PkiCommand::RotateTsa { valid_years, data },
        } => {
            let until = esign_local::pki::LocalPki::rotate_tsa(&data.join("pki"), valid_years)?;
            println!("tidsstämpelcertifikat giltigt till / valid until {until}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Extend {
            input,
            output,
            data,
        } => {
            let service = LocalService::open(&data, "http://127.0.0.1:0")?;
            let outcome = service
                .app
                .pipeline
                .extend_path(&input, &output)
                .await
                .map_err(esign_local::user_error)?;
            eprintln!(
                "{} dokumenttidsstämplar; beviset gäller till / the proof holds until {}",
                outcome.document_timestamps,
                outcome
                    .proof_until
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "?".into())
            );
            println!("{}", output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Pki {
            command:
                PkiCommand::Revoke {
                    serial,
                    reason,
                    data,
                },
        } => {
            let added =
                esign_local::pki::LocalPki::revoke(&data.join("pki"), &serial, reason.as_deref())?;
            println!(
                "{serial}: {}",
                if added {
                    "spärrat / revoked"
                } else {
                    "redan spärrat / already revoked"
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { data, dir, sizes } => {
            let rows = esign_local::bench::run(&data, &dir, &sizes)?;
            esign_local::bench::print(&rows);
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "aws")]
        Command::SealKey { command } => {
            seal_key::run(command).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            data,
            out,
            document,
        } => {
            esign_local::demo::run(&data, &out, document.as_deref()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Anslag {
            justerad,
            posted,
            take_down,
        } => {
            use esign_shared::domain::calendar::{anslag_dates, latest_posting_date};
            let day = |text: &str| {
                chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| anyhow::anyhow!("{text} is not a date (YYYY-MM-DD)"))
            };
            let justerad = day(&justerad)?;
            let posted = posted.as_deref().map(day).transpose()?.unwrap_or(justerad);
            let take_down = esign_local::tenant_cli::take_down(take_down);
            let dates = anslag_dates(justerad, posted, take_down);
            print_json(&serde_json::json!({
                "justerad": justerad,
                "latest_posting_day": latest_posting_date(justerad),
                "posted": dates.posted,
                "appeal_last_day": dates.appeal_ends,
                "taken_down": dates.taken_down,
            }))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            order,
            out,
            data,
            tenant,
        } => {
            let service = LocalService::open(&data, "http://127.0.0.1:0")?;
            let t = esign_shared::domain::TenantId::parse(&tenant)
                .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
            let id = esign_shared::domain::OrderId::parse(&order)
                .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
            service
                .app
                .pipeline
                .export_to_file(&t, id, &out)
                .await
                .map_err(esign_local::user_error)?;
            println!("{}", out.display());
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
            let outcome = service
                .app
                .pipeline
                .seal_path(&t, &input, &output)
                .await
                .map_err(esign_local::user_error)?;
            eprintln!("PAdES {} ({} bytes)", outcome.level.name(), outcome.length);
            println!("{}", output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { file, data } => {
            let root = data.join("pki").join("root-ca.pem");
            let anchors = match std::fs::read_to_string(&root) {
                Ok(pem) => esign_shared::x509::pem_decode_certs(&pem)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", root.display()))?,
                Err(_) => Vec::new(),
            };
            let report = esign_shared::pdf::verify_file(&file, &anchors)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            print_json(&report)?;
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
            let service = LocalService::open(&data, &format!("https://{addr}"))?;
            let now = chrono::Utc::now();
            let tls = esign_world::bankid::tls::SimulatorTls::from_cas(
                &service.pki.root,
                &service.pki.root,
                now,
            )
            .map_err(|e| anyhow::anyhow!("TLS: {e}"))?;
            // A relying-party certificate for clients: any issued by the local root is accepted.
            let rp = esign_world::bankid::issue_tls_client_cert(
                &service.pki.root,
                "e-underskrift RP",
                "e-underskrift",
                now,
            )
            .map_err(|e| anyhow::anyhow!("RP certificate: {e}"))?;
            let pki_dir = data.join("pki");
            let cert_path = pki_dir.join("bankid-rp-client.pem");
            let key_path = pki_dir.join("bankid-rp-client.key.pem");
            std::fs::write(
                &cert_path,
                esign_shared::x509::pem_encode_cert(&rp.cert_der),
            )?;
            let key_der = rp.key_pkcs8_der.as_deref().context("RP key")?;
            let key = <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(key_der)
                .map_err(|e| anyhow::anyhow!("RP key: {e}"))?;
            let pem = p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, Default::default())
                .map_err(|e| anyhow::anyhow!("RP key: {e}"))?;
            std::fs::write(&key_path, pem.as_bytes())?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))?;
            }
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let local = listener.local_addr()?;
            println!("BankID RP API simulator (mutual TLS): https://{local}/rp/v6.0/");
            println!(
                "  server root (pin it):   {}",
                service.pki.root_pem_path().display()
            );
            println!("  client certificate:     {}", cert_path.display());
            println!("  client key:             {}", key_path.display());
            println!("phone API (no client certificate): https://{local}/phone/");
            tokio::select! {
                served = tls.serve(listener, service.simulator.clone()) => served?,
                _ = tokio::signal::ctrl_c() => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::BankidEvidence {
            command: EvidenceCommand::Verify { file, at, trust },
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let anchors = match trust {
                Some(path) => {
                    esign_shared::x509::pem_decode_certs(&std::fs::read_to_string(&path)?)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                }
                None => Vec::new(),
            };
            let at = at
                .map(|t| {
                    chrono::DateTime::parse_from_rfc3339(&t).map(|t| t.with_timezone(&chrono::Utc))
                })
                .transpose()
                .context("--at takes an RFC 3339 time, e.g. 2022-09-14T12:00:00Z")?;
            let (report, valid) =
                esign_shared::bankid::evidence_file::verify_evidence_file(&bytes, at, &anchors);
            print_json(&report)?;
            Ok(if valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::ApiKey { command } => {
            print_json(&esign_local::api_key_cli::run(command).await?)?;
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
            let admin = esign_shared::app::Staff::person(t, esign_shared::app::StaffRole::Admin);
            service
                .app
                .tenants
                .add_staff(&admin, &personnummer, &name, role)
                .await
                .map_err(esign_local::user_error)?;
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
        Command::Tenant {
            command: TenantCommand::Archive(args),
        } => {
            esign_local::tenant_cli::set_archive_agreement(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tenant {
            command: TenantCommand::Anslag(args),
        } => {
            esign_local::tenant_cli::set_anslag(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tenant {
            command: TenantCommand::Renewal(args),
        } => {
            esign_local::tenant_cli::set_renewal(args).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Print a report; a reader that went away (`| head`) is not an error.
fn print_json(value: &impl serde::Serialize) -> Result<()> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(value)?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
