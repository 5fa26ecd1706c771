//! The Swedish calendar for dates of law: public holidays (lag 1989:253 om allmänna
//! helgdagar), non-working days and deadlines (lag 1930:173 om beräkning av lagstadgad tid),
//! and the dates of an anslag (kommunallagen 2017:725, 5 kap 69 §, 8 kap 12 §, 13 kap 5 §).

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Days allowed between the meeting and the justering (KL 5 kap 69 §).
pub const JUSTERING_DAYS: u64 = 14;
/// The justering must be announced at the latest the second day after it (KL 8 kap 12 §).
pub const POSTING_DAYS_AFTER_JUSTERING: u64 = 2;
/// The appeal period: three weeks from the day the justering was announced (KL 13 kap 5 §).
pub const APPEAL_PERIOD_DAYS: u64 = 21;

/// Easter Sunday (Gregorian computus, anonymous algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    // month is 3 or 4 and day 1..=31 by construction; fall back defensively.
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

fn shifted(d: NaiveDate, days: i64) -> Option<NaiveDate> {
    if days >= 0 {
        d.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(days.unsigned_abs()))
    }
}

/// The Saturday in the range `first_day..first_day+6` of the given month (midsommardagen,
/// alla helgons dag).
fn saturday_from(year: i32, month: u32, first_day: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, first_day)?;
    let offset = (7 + Weekday::Sat.num_days_from_monday() as i64
        - first.weekday().num_days_from_monday() as i64)
        % 7;
    shifted(first, offset)
}

pub fn midsommardagen(year: i32) -> Option<NaiveDate> {
    saturday_from(year, 6, 20)
}

pub fn alla_helgons_dag(year: i32) -> Option<NaiveDate> {
    saturday_from(year, 10, 31)
}

/// A named public holiday (allmän helgdag) other than an ordinary Sunday. Every Sunday is also
/// an allmän helgdag in law; [`is_non_working_day`] covers them.
pub fn is_public_holiday(d: NaiveDate) -> bool {
    let (month, day) = (d.month(), d.day());
    let fixed = matches!(
        (month, day),
        (1, 1) | (1, 6) | (5, 1) | (6, 6) | (12, 25) | (12, 26)
    );
    if fixed {
        return true;
    }
    let easter = easter_sunday(d.year());
    // långfredagen, påskdagen, annandag påsk, Kristi himmelsfärdsdag, pingstdagen.
    let easter_related = [-2_i64, 0, 1, 39, 49]
        .iter()
        .any(|offset| shifted(easter, *offset) == Some(d));
    easter_related || midsommardagen(d.year()) == Some(d) || alla_helgons_dag(d.year()) == Some(d)
}

/// Midsommarafton: the Friday before midsommardagen.
fn is_midsommarafton(d: NaiveDate) -> bool {
    midsommardagen(d.year()).and_then(|m| shifted(m, -1)) == Some(d)
}

/// Days on which a deadline cannot end (lag 1930:173 2 §): Saturday, Sunday, public holiday,
/// midsommarafton, julafton, nyårsafton.
pub fn is_non_working_day(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
        || is_public_holiday(d)
        || is_midsommarafton(d)
        || (d.month() == 12 && matches!(d.day(), 24 | 31))
}

pub fn next_working_day_on_or_after(d: NaiveDate) -> NaiveDate {
    let mut day = d;
    // At most a handful of consecutive non-working days exist; the bound guards the end of
    // chrono's range.
    for _ in 0..14 {
        if !is_non_working_day(day) {
            return day;
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => return day,
        }
    }
    day
}

/// The last day to appeal: three weeks after the day the justering was announced (the same
/// weekday), moved to the next working day when it falls on a non-working day.
pub fn appeal_period_end(notice_posted: NaiveDate) -> NaiveDate {
    let end = notice_posted
        .checked_add_days(Days::new(APPEAL_PERIOD_DAYS))
        .unwrap_or(NaiveDate::MAX);
    next_working_day_on_or_after(end)
}

/// When the notice comes down, as the tenant decides: on the last day of the appeal period (as
/// many municipalities write it), or the day after, so it is up through the whole last day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TakeDown {
    LastDayOfAppeal,
    #[default]
    DayAfterAppeal,
}

/// The dates shown on an anslag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AnslagDates {
    /// The day the notice was (or will be) put up; the appeal period runs from it.
    pub posted: NaiveDate,
    pub appeal_ends: NaiveDate,
    /// The day the notice comes down ([`TakeDown`]): never before the appeal period's last
    /// day, so the notice is up for the whole period (KL 13 kap 5 §).
    pub taken_down: NaiveDate,
    /// Posted later than the law allows (after the second day after justering, extended to the
    /// next working day per lag 1930:173). The dates are still computed from the real posting
    /// day; the secretary must be told.
    pub late: bool,
}

/// The last day the justering may be announced: the second day after it, extended to the next
/// working day when that is a non-working day (lag 1930:173 2 §).
pub fn latest_posting_date(justering_date: NaiveDate) -> NaiveDate {
    let second_day = justering_date
        .checked_add_days(Days::new(POSTING_DAYS_AFTER_JUSTERING))
        .unwrap_or(NaiveDate::MAX);
    next_working_day_on_or_after(second_day)
}

/// Dates of the anslag for a protocol justerat on `justering_date` and published on
/// `published_on`, taken down as the tenant decides. A notice cannot announce a justering
/// before it happened, so a `published_on` earlier than the justering counts from the
/// justering date.
pub fn anslag_dates(
    justering_date: NaiveDate,
    published_on: NaiveDate,
    take_down: TakeDown,
) -> AnslagDates {
    let posted = published_on.max(justering_date);
    let appeal_ends = appeal_period_end(posted);
    let taken_down = match take_down {
        TakeDown::LastDayOfAppeal => appeal_ends,
        TakeDown::DayAfterAppeal => appeal_ends.succ_opt().unwrap_or(appeal_ends),
    };
    AnslagDates {
        posted,
        appeal_ends,
        taken_down,
        late: posted > latest_posting_date(justering_date),
    }
}

/// The last day to justera the protocol: 14 days after the meeting.
pub fn justering_deadline(meeting_date: NaiveDate) -> NaiveDate {
    meeting_date
        .checked_add_days(Days::new(JUSTERING_DAYS))
        .unwrap_or(NaiveDate::MAX)
}

const MONTHS_SV: [&str; 12] = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];

/// A date in Swedish words, e.g. "3 december 2026".
pub fn date_in_words_sv(d: NaiveDate) -> String {
    let month = MONTHS_SV
        .get(d.month0() as usize)
        .copied()
        .unwrap_or_default();
    format!("{} {} {}", d.day(), month, d.year())
}

#[cfg(test)]
#[path = "calendar_anslag_tests.rs"]
mod anslag_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_matches_known_years() {
        assert_eq!(easter_sunday(2024), date(2024, 3, 31));
        assert_eq!(easter_sunday(2025), date(2025, 4, 20));
        assert_eq!(easter_sunday(2026), date(2026, 4, 5));
        assert_eq!(easter_sunday(2019), date(2019, 4, 21));
        assert_eq!(easter_sunday(2000), date(2000, 4, 23));
        assert_eq!(easter_sunday(2038), date(2038, 4, 25)); // latest possible
        assert_eq!(easter_sunday(2285), date(2285, 3, 22)); // earliest possible
        for year in 1900..2200 {
            assert_eq!(easter_sunday(year).weekday(), Weekday::Sun, "{year}");
        }
    }

    #[test]
    fn holidays_2026() {
        let holidays = [
            date(2026, 1, 1),
            date(2026, 1, 6),
            date(2026, 4, 3), // långfredagen
            date(2026, 4, 5), // påskdagen
            date(2026, 4, 6), // annandag påsk
            date(2026, 5, 1),
            date(2026, 5, 14), // Kristi himmelsfärdsdag
            date(2026, 5, 24), // pingstdagen
            date(2026, 6, 6),
            date(2026, 6, 20),  // midsommardagen
            date(2026, 10, 31), // alla helgons dag
            date(2026, 12, 25),
            date(2026, 12, 26),
        ];
        for h in holidays {
            assert!(is_public_holiday(h), "{h}");
            assert!(is_non_working_day(h), "{h}");
        }
        let count = (1..=365)
            .filter_map(|o| date(2026, 1, 1).checked_add_days(Days::new(o - 1)))
            .filter(|d| is_public_holiday(*d))
            .count();
        assert_eq!(count, holidays.len());
        assert_eq!(midsommardagen(2026), Some(date(2026, 6, 20)));
        assert_eq!(alla_helgons_dag(2026), Some(date(2026, 10, 31)));
        assert_eq!(midsommardagen(2025), Some(date(2025, 6, 21)));
        assert_eq!(alla_helgons_dag(2025), Some(date(2025, 11, 1)));
        assert_eq!(midsommardagen(2024), Some(date(2024, 6, 22)));
        assert_eq!(alla_helgons_dag(2027), Some(date(2027, 11, 6)));
        // Annandag pingst is no longer a holiday; Whit Monday 2026 is a working day.
        assert!(!is_non_working_day(date(2026, 5, 25)));
    }

    #[test]
    fn eves_and_weekends_are_non_working_but_not_holidays() {
        for eve in [date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 31)] {
            assert!(is_non_working_day(eve), "{eve}");
            assert!(!is_public_holiday(eve), "{eve}");
        }
        assert!(is_non_working_day(date(2026, 11, 21))); // Saturday
        assert!(is_non_working_day(date(2026, 11, 22))); // Sunday
        assert!(!is_non_working_day(date(2026, 11, 23))); // Monday
        assert!(!is_non_working_day(date(2026, 4, 2))); // skärtorsdagen is a working day
    }

    #[test]
    fn next_working_day_skips_runs() {
        assert_eq!(
            next_working_day_on_or_after(date(2026, 11, 23)),
            date(2026, 11, 23)
        );
        assert_eq!(
            next_working_day_on_or_after(date(2026, 12, 24)),
            date(2026, 12, 28)
        );
        // Easter 2026: Friday 3 April to Monday 6 April.
        assert_eq!(
            next_working_day_on_or_after(date(2026, 4, 3)),
            date(2026, 4, 7)
        );
        // Midsommar 2026: Friday 19 June to Sunday 21 June.
        assert_eq!(
            next_working_day_on_or_after(date(2026, 6, 19)),
            date(2026, 6, 22)
        );
        // Nyårsafton 2026 (Thursday) and nyårsdagen → Monday 4 January 2027.
        assert_eq!(
            next_working_day_on_or_after(date(2026, 12, 31)),
            date(2027, 1, 4)
        );
        assert_eq!(next_working_day_on_or_after(NaiveDate::MAX), NaiveDate::MAX);
    }

    #[test]
    fn appeal_period_ends_three_weeks_later_on_a_working_day() {
        // Ordinary: Tuesday → Tuesday.
        assert_eq!(appeal_period_end(date(2020, 4, 14)), date(2020, 5, 5));
        // Lands on julafton → after Christmas weekend.
        assert_eq!(appeal_period_end(date(2026, 12, 3)), date(2026, 12, 28));
        // Lands on a Saturday (posted on a Saturday) → Monday.
        assert_eq!(appeal_period_end(date(2026, 11, 7)), date(2026, 11, 30));
        // Lands on långfredagen 2026 → Tuesday after annandag påsk.
        assert_eq!(appeal_period_end(date(2026, 3, 13)), date(2026, 4, 7));
        // Lands on midsommarafton 2026 → Monday.
        assert_eq!(appeal_period_end(date(2026, 5, 29)), date(2026, 6, 22));
        // Lands on Kristi himmelsfärdsdag 2026 → Friday.
        assert_eq!(appeal_period_end(date(2026, 4, 23)), date(2026, 5, 15));
        // Lands on nationaldagen 2025 (Friday) → Monday 9 June.
        assert_eq!(appeal_period_end(date(2025, 5, 16)), date(2025, 6, 9));
    }

    #[test]
    fn anslag_dates_on_time_and_late() {
        // Kramfors-style: appeal ends on a working day; notice comes down the day after.
        let on_time = anslag_dates(
            date(2026, 12, 1),
            date(2026, 12, 3),
            TakeDown::DayAfterAppeal,
        );
        assert_eq!(on_time.posted, date(2026, 12, 3));
        assert_eq!(on_time.appeal_ends, date(2026, 12, 28));
        assert_eq!(on_time.taken_down, date(2026, 12, 29));
        assert!(!on_time.late);

        let late = anslag_dates(
            date(2026, 12, 1),
            date(2026, 12, 4),
            TakeDown::DayAfterAppeal,
        );
        assert!(late.late);
        assert_eq!(late.posted, date(2026, 12, 4));
        assert_eq!(late.appeal_ends, date(2026, 12, 28)); // 25th is juldagen
        assert_eq!(late.taken_down, date(2026, 12, 29));

        // Justering on a Thursday: second day is Saturday → Monday still in time.
        let weekend = anslag_dates(
            date(2026, 11, 19),
            date(2026, 11, 23),
            TakeDown::DayAfterAppeal,
        );
        assert!(!weekend.late);
        assert!(
            anslag_dates(
                date(2026, 11, 19),
                date(2026, 11, 24),
                TakeDown::DayAfterAppeal
            )
            .late
        );

        // Same-day posting.
        let same_day = anslag_dates(
            date(2026, 11, 23),
            date(2026, 11, 23),
            TakeDown::DayAfterAppeal,
        );
        assert!(!same_day.late);
        assert_eq!(same_day.appeal_ends, date(2026, 12, 14));
        assert_eq!(same_day.taken_down, date(2026, 12, 15));

        // Published before the justering: counted from the justering.
        let early = anslag_dates(
            date(2026, 11, 23),
            date(2026, 11, 20),
            TakeDown::DayAfterAppeal,
        );
        assert_eq!(early.posted, date(2026, 11, 23));
    }

    #[test]
    fn appeal_end_is_always_the_first_working_day_from_three_weeks() {
        let mut day = date(2020, 1, 1);
        while day < date(2031, 1, 1) {
            let end = appeal_period_end(day);
            let three_weeks = day + Days::new(21);
            assert!(
                end >= three_weeks && end < three_weeks + Days::new(7),
                "{day}"
            );
            assert!(!is_non_working_day(end), "{day}");
            let mut between = three_weeks;
            while between < end {
                assert!(is_non_working_day(between), "{day}: {between}");
                between = between.succ_opt().unwrap();
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn ordinary_sundays_are_not_named_holidays() {
        assert!(!is_public_holiday(date(2026, 11, 22)));
        assert!(is_non_working_day(date(2026, 11, 22)));
    }

    #[test]
    fn justering_deadline_is_fourteen_days() {
        assert_eq!(justering_deadline(date(2020, 3, 11)), date(2020, 3, 25));
        assert_eq!(justering_deadline(date(2026, 12, 20)), date(2027, 1, 3));
    }

    #[test]
    fn dates_in_words() {
        assert_eq!(date_in_words_sv(date(2026, 12, 3)), "3 december 2026");
        assert_eq!(date_in_words_sv(date(2027, 1, 31)), "31 januari 2027");
        assert_eq!(date_in_words_sv(date(2026, 5, 1)), "1 maj 2026");
    }
}
