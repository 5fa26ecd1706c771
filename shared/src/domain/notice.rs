//! The notice (anslag) on the digital anslagstavla that announces a justering
//! (kommunallagen 2017:725, 8 kap 12 §). Also serialised as `notice.json`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::calendar::AnslagDates;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub tenant_name: String,
    pub organ: String,
    pub meeting_date: NaiveDate,
    /// As written in the protocol, e.g. "§§ 1–6".
    pub paragraphs: String,
    pub justering_date: NaiveDate,
    pub posted: NaiveDate,
    pub appeal_ends: NaiveDate,
    pub taken_down: NaiveDate,
    /// Posted later than the law allows (the second day after justering): the secretary is told.
    #[serde(default)]
    pub posted_late: bool,
    /// Förvaringsplats för protokollet.
    pub storage_place: String,
    pub document_title: String,
    /// Where the publication version can be read, if it is published.
    pub publication_url: Option<String>,
    /// Where anyone can have the archive version the service keeps checked, now.
    #[serde(default)]
    pub verification_url: Option<String>,
    /// The paragraphs were justerade at the meeting itself (omedelbar justering).
    #[serde(default)]
    pub immediate: bool,
}

/// A notice taken down, as the archive lists it: enough to show it without reading it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedNotice {
    pub order_id: crate::domain::OrderId,
    pub organ: String,
    pub meeting_date: NaiveDate,
    pub justering_date: NaiveDate,
    pub posted: NaiveDate,
    pub appeal_ends: NaiveDate,
    pub taken_down: NaiveDate,
    pub title: String,
}

impl Notice {
    /// Builds a notice whose posting, appeal and take-down dates come from the calendar rules.
    #[allow(clippy::too_many_arguments)]
    pub fn with_dates(
        tenant_name: String,
        organ: String,
        meeting_date: NaiveDate,
        paragraphs: String,
        justering_date: NaiveDate,
        dates: AnslagDates,
        storage_place: String,
        document_title: String,
        publication_url: Option<String>,
    ) -> Self {
        Self {
            tenant_name,
            organ,
            meeting_date,
            paragraphs,
            justering_date,
            posted: dates.posted,
            appeal_ends: dates.appeal_ends,
            taken_down: dates.taken_down,
            posted_late: dates.late,
            storage_place,
            document_title,
            publication_url,
            verification_url: None,
            immediate: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::anslag_dates;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn json_uses_snake_case_and_iso_dates() {
        let n = Notice::with_dates(
            "Luleå kommun".into(),
            "E-nämnden".into(),
            date(2026, 11, 11),
            "§§ 1–6".into(),
            date(2026, 12, 1),
            anslag_dates(
                date(2026, 12, 1),
                date(2026, 12, 3),
                crate::domain::calendar::TakeDown::DayAfterAppeal,
            ),
            "Kommunkansliet".into(),
            "Protokoll E-nämnden 2026-11-11".into(),
            None,
        );
        let json = serde_json::to_value(&n).unwrap();
        assert_eq!(json["tenant_name"], "Luleå kommun");
        assert_eq!(json["meeting_date"], "2026-11-11");
        assert_eq!(json["posted"], "2026-12-03");
        assert_eq!(json["appeal_ends"], "2026-12-28");
        assert_eq!(json["taken_down"], "2026-12-29");
        assert_eq!(json["storage_place"], "Kommunkansliet");
        assert!(json["publication_url"].is_null());
        assert_eq!(
            json["posted_late"], false,
            "posted on the second day after justering"
        );
        let back: Notice = serde_json::from_value(json).unwrap();
        assert_eq!(back, n);
    }

    #[test]
    fn a_notice_posted_after_the_second_day_after_justering_says_so() {
        let late = Notice::with_dates(
            "Luleå kommun".into(),
            "E-nämnden".into(),
            date(2026, 11, 11),
            "§§ 1–6".into(),
            date(2026, 12, 1),
            anslag_dates(
                date(2026, 12, 1),
                date(2026, 12, 7),
                crate::domain::calendar::TakeDown::DayAfterAppeal,
            ),
            "Kommunkansliet".into(),
            "Protokoll".into(),
            None,
        );
        assert!(late.posted_late);
        assert_eq!(serde_json::to_value(&late).unwrap()["posted_late"], true);
    }
}
