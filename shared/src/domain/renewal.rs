//! When an archive version's proof of existence is renewed (ETSI EN 319 142-1, the LTA level's
//! renewal). The proof rests on the newest timestamp in the file and lasts until the earliest
//! end of its authority's certificate chain ([`ArchiveProof::until`]). A renewal is due once
//! that end is nearer than the tenant's window ([`RenewalWindow`], two years by default): time
//! enough for an authority to be down, a renewal to fail and be repaired, many times over.
//!
//! Due archive versions are found through an index by the month their proof ends
//! ([`index_month`]); a round looks at the months from [`LOOK_BACK_MONTHS`] ago up to the end
//! of the window ([`months_to_scan`]), so a round costs the months and the documents due in
//! them, never every document kept.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::DomainError;

/// How many months before its proof ends an archive version is renewed, unless the tenant
/// says otherwise.
pub const DEFAULT_WINDOW_MONTHS: u32 = 24;
/// The widest window a tenant may choose (a timestamp authority's certificate rarely runs
/// longer than this, so a wider window would renew at every round).
pub const MAX_WINDOW_MONTHS: u32 = 120;
/// How far back a round looks for proofs that ended without a renewal (every earlier attempt
/// failed): they are still renewed, and reported, rather than forgotten.
pub const LOOK_BACK_MONTHS: u32 = 36;

/// A tenant's setting: renew this many months before the proof ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RenewalWindow(u32);

impl Default for RenewalWindow {
    fn default() -> Self {
        RenewalWindow(DEFAULT_WINDOW_MONTHS)
    }
}

impl RenewalWindow {
    /// A window of 1 to [`MAX_WINDOW_MONTHS`] months.
    pub fn months(months: u32) -> Result<Self, DomainError> {
        if (1..=MAX_WINDOW_MONTHS).contains(&months) {
            Ok(RenewalWindow(months))
        } else {
            Err(DomainError::RenewalWindow {
                max: MAX_WINDOW_MONTHS,
            })
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// Whether a proof that lasts `until` is due for renewal at `now`.
    pub fn is_due(self, until: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now.checked_add_months(Months::new(self.0))
            .is_none_or(|horizon| until <= horizon)
    }
}

/// What the service knows of a kept archive version's proof of existence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveProof {
    /// The earliest end of the newest timestamp's certificate chain.
    pub until: DateTime<Utc>,
    /// Each renewal the archive version has had, oldest first.
    #[serde(default)]
    pub renewed: Vec<RenewedProof>,
    /// How many of those the package delivered to the e-archive tells of: fewer, and a new
    /// package is due (the renewed archive version, with its renewals in the PREMIS).
    #[serde(default)]
    pub exported_renewals: u32,
    /// Who is renewing it now (a lease, so two deliveries never renew it twice at once).
    #[serde(default)]
    pub claim: Option<RenewalClaim>,
}

/// One renewal: when, and until when the new timestamp proves existence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewedProof {
    pub at: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalClaim {
    pub token: String,
    pub until: DateTime<Utc>,
    pub attempt: u32,
}

/// The month a proof ending at `until` is indexed under: `YYYY-MM`.
pub fn index_month(until: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", until.year(), until.month())
}

/// The index months a round at `now` looks at, oldest first: from [`LOOK_BACK_MONTHS`] ago up
/// to the month the window ends in.
pub fn months_to_scan(now: DateTime<Utc>, window: RenewalWindow) -> Vec<String> {
    let first_of = |d: NaiveDate| NaiveDate::from_ymd_opt(d.year(), d.month(), 1);
    let today = now.date_naive();
    let (Some(start), Some(end)) = (
        today
            .checked_sub_months(Months::new(LOOK_BACK_MONTHS))
            .and_then(first_of),
        today
            .checked_add_months(Months::new(window.get()))
            .and_then(first_of),
    ) else {
        return Vec::new();
    };
    let mut months = Vec::new();
    let mut m = start;
    while m <= end {
        months.push(format!("{:04}-{:02}", m.year(), m.month()));
        match m.checked_add_months(Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    months
}

impl ArchiveProof {
    pub fn new(until: DateTime<Utc>) -> Self {
        ArchiveProof {
            until,
            renewed: Vec::new(),
            exported_renewals: 0,
            claim: None,
        }
    }

    /// Take the lease on renewing under `token`; refused while another holder's is live.
    /// Answers the attempt number.
    pub fn claim(
        &mut self,
        token: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<u32, DomainError> {
        let attempt = match &self.claim {
            Some(c) if c.until > now => return Err(DomainError::StepClaimed { until: c.until }),
            Some(c) => c.attempt + 1,
            None => 1,
        };
        self.claim = Some(RenewalClaim {
            token: token.to_string(),
            until: now + lease,
            attempt,
        });
        Ok(attempt)
    }

    /// Refused unless `token` holds the claim.
    pub fn check_claim(&self, token: &str) -> Result<(), DomainError> {
        match &self.claim {
            Some(c) if c.token == token => Ok(()),
            _ => Err(DomainError::ClaimLost),
        }
    }

    /// The renewal is done at `at`: the proof now lasts until `until`.
    pub fn record_renewal(
        &mut self,
        token: &str,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.check_claim(token)?;
        self.until = until;
        self.renewed.push(RenewedProof { at, until });
        self.claim = None;
        Ok(())
    }

    /// Whether renewals happened that the delivered package does not tell of.
    pub fn export_due(&self) -> bool {
        (self.exported_renewals as usize) < self.renewed.len()
    }

    /// A package telling of every renewal so far has been delivered under `token`.
    pub fn record_export(&mut self, token: &str) -> Result<(), DomainError> {
        self.check_claim(token)?;
        self.exported_renewals = self.renewed.len() as u32;
        self.claim = None;
        Ok(())
    }

    /// Give the claim back after a failed attempt, so the next delivery need not wait.
    pub fn release(&mut self, token: &str, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.check_claim(token)?;
        if let Some(c) = &mut self.claim {
            c.until = now;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_proof_is_due_once_its_end_is_within_the_window() {
        let w = RenewalWindow::default();
        let now = at(2026, 12, 6);
        assert!(!w.is_due(at(2029, 1, 1), now));
        assert!(w.is_due(at(2028, 12, 6), now), "exactly two years");
        assert!(w.is_due(at(2027, 3, 1), now));
        assert!(
            w.is_due(at(2020, 1, 1), now),
            "already ended: still renewed"
        );
        let short = RenewalWindow::months(3).unwrap();
        assert!(!short.is_due(at(2027, 6, 1), now));
        assert!(short.is_due(at(2027, 3, 1), now));
        assert!(RenewalWindow::months(0).is_err());
        assert!(RenewalWindow::months(MAX_WINDOW_MONTHS + 1).is_err());
    }

    #[test]
    fn a_round_scans_every_month_a_due_proof_can_be_indexed_under() {
        let now = at(2026, 12, 6);
        let w = RenewalWindow::months(2).unwrap();
        let months = months_to_scan(now, w);
        assert_eq!(months.first().unwrap(), "2023-12");
        assert_eq!(months.last().unwrap(), "2027-02");
        assert_eq!(months.len(), (LOOK_BACK_MONTHS + 2 + 1) as usize);
        // Every proof due now, and not ended longer ago than the look-back, is in a scanned
        // month; a proof beyond the window is in none.
        for days in -(LOOK_BACK_MONTHS as i64 * 30)..=(3 * 365) {
            let until = now + Duration::days(days);
            let scanned = months.contains(&index_month(until));
            if w.is_due(until, now) {
                assert!(scanned, "{until}");
            }
            if until > at(2027, 3, 1) {
                assert!(!scanned, "{until}");
            }
        }
    }

    #[test]
    fn one_claim_at_a_time_and_only_its_holder_finishes() {
        let now = at(2026, 12, 6);
        let mut p = ArchiveProof::new(at(2028, 1, 1));
        assert_eq!(p.claim("a", now, Duration::minutes(10)).unwrap(), 1);
        assert!(matches!(
            p.claim("b", now, Duration::minutes(10)),
            Err(DomainError::StepClaimed { .. })
        ));
        assert!(p.record_renewal("b", now, at(2030, 1, 1)).is_err());
        let later = now + Duration::minutes(11);
        assert_eq!(p.claim("b", later, Duration::minutes(10)).unwrap(), 2);
        assert!(
            p.record_renewal("a", later, at(2030, 1, 1)).is_err(),
            "a's lease ran out"
        );
        assert!(!p.export_due());
        p.record_renewal("b", later, at(2030, 1, 1)).unwrap();
        assert_eq!(
            (p.until, p.renewed.len(), p.claim.is_none()),
            (at(2030, 1, 1), 1, true)
        );
        assert!(
            p.export_due(),
            "the delivered package does not tell of the renewal"
        );
        assert!(p.record_export("b").is_err(), "needs the claim");
        p.claim("c", later, Duration::minutes(10)).unwrap();
        p.record_export("c").unwrap();
        assert!(!p.export_due());
    }
}
