//! The installation's settings the use cases read.

#[derive(Clone, Debug)]
pub struct Settings {
    /// Where links in e-mails point, e.g. `http://127.0.0.1:8080`.
    pub public_base_url: String,
    pub max_upload_bytes: u64,
    /// The largest file the public verification page checks (it answers anyone).
    pub max_verify_bytes: u64,
    pub max_pages: u32,
    /// How long a portal session lasts.
    pub session_minutes: i64,
    /// The signature method named on the signature page.
    pub signature_method: String,
    /// How long before the deadline signers who have not signed get a reminder.
    pub remind_hours_before_deadline: i64,
    /// How long a claim on a pipeline step holds (`domain::pipeline::StepClaim`): longer than
    /// any step takes (a Lambda runs at most 15 minutes), so only a dead holder's runs out.
    pub pipeline_lease_seconds: i64,
    /// Where the end user's IP address (for BankID's risk check) comes from.
    pub client_ip: ClientIpSource,
    /// When set, a function URL answers only requests that came through the site (CloudFront
    /// adds `X-Esign-Origin-Verify` with this value); others get 403. `None`: anyone may call
    /// the function URL directly (`esign serve`, or an installation that chose to allow it).
    pub only_through_site: Option<String>,
}

/// Where the end user's IP address comes from. Only what a party we trust wrote counts: the
/// client controls everything in `X-Forwarded-For` before the entry our own proxy appended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ClientIpSource {
    /// The address of the connection: `esign serve` reached directly, or a function URL
    /// (its `sourceIp`).
    #[default]
    Peer,
    /// Behind this many proxies we run (each appends the address it saw to
    /// `X-Forwarded-For`): the entry the outermost one appended.
    Proxies(u8),
    /// Behind our CloudFront distribution: the viewer's address its viewer-request function
    /// writes (`X-Esign-Viewer-Ip`), believed only when the request also carries the origin
    /// header only CloudFront sends (`X-Esign-Origin-Verify` = `verify`). A request that
    /// reached the function URL directly gets its connection's address.
    CloudFront { verify: String },
}

impl ClientIpSource {
    /// `peer`, `cloudfront` or `proxies:N` (the `ESIGN_CLIENT_IP` setting); `cloudfront` needs
    /// the value of CloudFront's origin header (`ESIGN_ORIGIN_VERIFY`).
    pub fn parse(s: &str, origin_verify: Option<&str>) -> Result<Self, String> {
        match s.trim() {
            "" | "peer" => Ok(Self::Peer),
            "cloudfront" => match origin_verify.map(str::trim).filter(|v| v.len() >= 16) {
                Some(v) => Ok(Self::CloudFront {
                    verify: v.to_string(),
                }),
                None => Err("cloudfront needs ESIGN_ORIGIN_VERIFY (at least 16 characters)".into()),
            },
            other => other
                .strip_prefix("proxies:")
                .and_then(|n| n.parse::<u8>().ok())
                .filter(|n| *n > 0)
                .map(Self::Proxies)
                .ok_or_else(|| {
                    format!("{other:?}: expected peer, cloudfront or proxies:N (N from 1)")
                }),
        }
    }
}

impl Settings {
    /// What intake accepts: the same for uploads and for `esign seal`.
    pub fn intake_limits(&self) -> crate::pdf::IntakeLimits {
        crate::pdf::IntakeLimits {
            max_bytes: self.max_upload_bytes,
            max_pages: self.max_pages,
        }
    }

    /// The base URL without a trailing slash, for links.
    pub fn base_url(&self) -> &str {
        self.public_base_url.trim_end_matches('/')
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_base_url: "http://127.0.0.1:8080".into(),
            max_upload_bytes: 500 * 1024 * 1024,
            max_verify_bytes: 50 * 1024 * 1024,
            max_pages: 5000,
            session_minutes: 30,
            signature_method: "Mobilt BankID".into(),
            remind_hours_before_deadline: 48,
            pipeline_lease_seconds: 15 * 60,
            client_ip: ClientIpSource::Peer,
            only_through_site: None,
        }
    }
}
