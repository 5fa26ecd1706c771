//! The installation's settings the use cases read.

#[derive(Clone, Debug)]
pub struct Settings {
    /// Where links in e-mails point, e.g. `http://127.0.0.1:8080`.
    pub public_base_url: String,
    pub max_upload_bytes: u64,
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
            max_pages: 5000,
            session_minutes: 30,
            signature_method: "Mobilt BankID".into(),
            remind_hours_before_deadline: 48,
            pipeline_lease_seconds: 15 * 60,
        }
    }
}
