//! The anslag's dates by the law, worked by hand around the holidays that move them, and as
//! properties over two centuries of dates.

use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// (what, justerad, posted, latest posting day, appeal's last day) worked by hand from the
/// calendar and lag (1930:173): three weeks end on the same weekday, moved past Saturdays,
/// Sundays, public holidays, midsommarafton, julafton and nyårsafton.
const WORKED: [(&str, &str, &str, &str, &str); 12] = [
    // Easter 2026: långfredag 3 April, påskdagen 5, annandag påsk 6.
    (
        "posting deadline over Easter",
        "2026-04-02",
        "2026-04-02",
        "2026-04-07",
        "2026-04-23",
    ),
    (
        "appeal ending on annandag påsk",
        "2026-03-16",
        "2026-03-16",
        "2026-03-18",
        "2026-04-07",
    ),
    // Easter 2025: långfredag 18 April, annandag påsk 21.
    (
        "appeal ending on långfredagen",
        "2025-03-28",
        "2025-03-28",
        "2025-03-31",
        "2025-04-22",
    ),
    // Kristi himmelsfärdsdag 2026: 14 May.
    (
        "appeal ending on Kristi himmelsfärd",
        "2026-04-23",
        "2026-04-23",
        "2026-04-27",
        "2026-05-15",
    ),
    // Midsummer 2026: midsommarafton Friday 19 June, midsommardagen 20.
    (
        "appeal ending on midsommarafton",
        "2026-05-29",
        "2026-05-29",
        "2026-06-01",
        "2026-06-22",
    ),
    // Christmas 2026: julafton Thursday 24, juldagen 25, annandag jul 26 (Saturday).
    (
        "appeal ending on julafton",
        "2026-12-03",
        "2026-12-03",
        "2026-12-07",
        "2026-12-28",
    ),
    (
        "posting deadline on julafton",
        "2026-12-22",
        "2026-12-23",
        "2026-12-28",
        "2027-01-13",
    ),
    // New Year 2026/27: nyårsafton Thursday 31, nyårsdagen Friday 1 January.
    (
        "appeal ending on nyårsafton",
        "2026-12-10",
        "2026-12-10",
        "2026-12-14",
        "2027-01-04",
    ),
    // Trettondedag jul 2027: Wednesday 6 January.
    (
        "appeal ending on trettondedag jul",
        "2026-12-16",
        "2026-12-16",
        "2026-12-18",
        "2027-01-07",
    ),
    // An ordinary case: a Tuesday to a Tuesday.
    (
        "no holiday in the way",
        "2026-09-01",
        "2026-09-01",
        "2026-09-03",
        "2026-09-22",
    ),
    // The seed protocol: posted Tuesday 14 April 2020 (after Easter), down 5 May.
    (
        "the seed protocol",
        "2020-04-14",
        "2020-04-14",
        "2020-04-16",
        "2020-05-05",
    ),
    // A late notice: posted after the latest day still runs its three weeks from posting.
    (
        "posted late",
        "2026-09-01",
        "2026-09-08",
        "2026-09-03",
        "2026-09-29",
    ),
];

#[test]
fn worked_cases_around_the_holidays() {
    for (what, justerad, posted, latest, appeal_last) in WORKED {
        let (justerad, posted) = (d(justerad), d(posted));
        assert_eq!(
            latest_posting_date(justerad),
            d(latest),
            "{what}: latest posting day"
        );
        let dates = anslag_dates(justerad, posted, TakeDown::LastDayOfAppeal);
        assert_eq!(dates.posted, posted, "{what}");
        assert_eq!(
            dates.appeal_ends,
            d(appeal_last),
            "{what}: appeal's last day"
        );
        assert_eq!(
            dates.taken_down,
            d(appeal_last),
            "{what}: taken down on the last day"
        );
        assert_eq!(dates.late, posted > d(latest), "{what}: late");
        let after = anslag_dates(justerad, posted, TakeDown::DayAfterAppeal);
        assert_eq!(
            after.taken_down,
            d(appeal_last).succ_opt().unwrap(),
            "{what}: taken down the day after"
        );
    }
}

#[test]
fn the_seed_protocol_comes_down_when_it_says() {
    // "Datum när anslaget sätts upp 2020-04-14 / Datum när anslaget tas ned 2020-05-05".
    let dates = anslag_dates(d("2020-04-14"), d("2020-04-14"), TakeDown::LastDayOfAppeal);
    assert_eq!(dates.taken_down, d("2020-05-05"));
}

/// Any day from 1900 to 2099.
fn any_day(u: &mut arbtest::arbitrary::Unstructured<'_>) -> arbtest::arbitrary::Result<NaiveDate> {
    let offset = u.int_in_range(0..=73_000)?;
    Ok(d("1900-01-01") + chrono::Duration::days(offset))
}

#[test]
fn the_appeal_period_holds_by_the_law_for_any_day() {
    arbtest::arbtest(|u| {
        let posted = any_day(u)?;
        let three_weeks = posted + chrono::Duration::days(21);
        let end = appeal_period_end(posted);
        // Never shorter than three weeks, ends on a working day, and moves only past days on
        // which a period cannot end (at most a long Easter or Christmas, plus a weekend).
        assert!(end >= three_weeks, "{posted}: {end}");
        assert!(
            !is_non_working_day(end),
            "{posted}: {end} is not a working day"
        );
        assert!(
            end - three_weeks <= chrono::Duration::days(5),
            "{posted}: {end}"
        );
        let mut day = three_weeks;
        while day < end {
            assert!(
                is_non_working_day(day),
                "{posted}: skipped working day {day}"
            );
            day = day.succ_opt().unwrap();
        }
        if !is_non_working_day(three_weeks) {
            assert_eq!(end, three_weeks);
            assert_eq!(end.weekday(), posted.weekday());
        }
        Ok(())
    })
    .budget_ms(500);
}

#[test]
fn the_posting_deadline_and_the_take_down_hold_for_any_day() {
    arbtest::arbtest(|u| {
        let justerad = any_day(u)?;
        let delay = u.int_in_range(0..=10)?;
        let posted = justerad + chrono::Duration::days(delay);
        let latest = latest_posting_date(justerad);
        assert!(latest >= justerad + chrono::Duration::days(2));
        assert!(!is_non_working_day(latest));
        let mut day = justerad + chrono::Duration::days(2);
        while day < latest {
            assert!(
                is_non_working_day(day),
                "{justerad}: skipped working day {day}"
            );
            day = day.succ_opt().unwrap();
        }
        let last_day = anslag_dates(justerad, posted, TakeDown::LastDayOfAppeal);
        let day_after = anslag_dates(justerad, posted, TakeDown::DayAfterAppeal);
        assert_eq!(last_day.appeal_ends, appeal_period_end(posted));
        assert_eq!(last_day.taken_down, last_day.appeal_ends);
        assert_eq!(
            day_after.taken_down,
            last_day.appeal_ends.succ_opt().unwrap()
        );
        assert_eq!(last_day.late, posted > latest);
        Ok(())
    })
    .budget_ms(500);
}
