//! Java's `java.text.SimpleDateFormat` patterns, formatting epoch milliseconds in UTC, as the
//! transforms that take a `*.format` key use them (`TimestampRouter`'s `timestamp.format`,
//! `TimestampConverter`'s `format`): Java builds `new SimpleDateFormat(pattern)` with the JVM's
//! default locale (`en_US` assumed: English month and day names, weeks starting on Sunday with
//! one minimal day in the first week) and sets the time zone to UTC.
//!
//! A pattern is compiled once ([`JavaDateFormat::compile`], with Java's
//! `IllegalArgumentException` messages for bad patterns) and then formats any number of
//! instants ([`JavaDateFormat::format`]). Dates before 15 October 1582 are in the Julian
//! calendar, as Java's `GregorianCalendar` has them.

use std::fmt::Write as _;

/// The pattern letters `SimpleDateFormat` knows (`DateFormatSymbols.patternChars`).
const PATTERN_LETTERS: &str = "GyMdkHmsSEDFwWahKzZYuXL";

const MILLIS_PER_DAY: i64 = 86_400_000;
/// Days from 1970-01-01 to 1582-10-15, Java's default Gregorian cutover (`-12219292800000` ms).
const GREGORIAN_CUTOVER_DAY: i64 = -141_427;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Sunday first, as `Calendar.DAY_OF_WEEK` counts (1 = Sunday).
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// Text copied as is (quoted text, `''`, and any non-letter character).
    Literal(String),
    /// A pattern letter repeated `count` times (e.g. `yyyy` is `('y', 4)`).
    Field { letter: char, count: usize },
}

/// A compiled `SimpleDateFormat` pattern in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaDateFormat {
    pattern: String,
    items: Vec<Item>,
}

impl JavaDateFormat {
    /// Compile `pattern` as `new SimpleDateFormat(pattern)` does. The error is the message of
    /// Java's `IllegalArgumentException` (`Illegal pattern character 'x'`, `Unterminated quote`).
    pub fn compile(pattern: &str) -> Result<Self, String> {
        let mut items: Vec<Item> = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars().peekable();
        let mut in_quote = false;
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    // `''` is a quote, inside or outside quoted text.
                    chars.next();
                    literal.push('\'');
                } else {
                    in_quote = !in_quote;
                }
                continue;
            }
            if in_quote || !c.is_ascii_alphabetic() {
                literal.push(c);
                continue;
            }
            if !PATTERN_LETTERS.contains(c) {
                return Err(format!("Illegal pattern character '{c}'"));
            }
            let mut count = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                count += 1;
            }
            if c == 'X' && count > 3 {
                return Err(format!("invalid ISO 8601 format: length={count}"));
            }
            if !literal.is_empty() {
                items.push(Item::Literal(std::mem::take(&mut literal)));
            }
            items.push(Item::Field { letter: c, count });
        }
        if in_quote {
            return Err("Unterminated quote".to_string());
        }
        if !literal.is_empty() {
            items.push(Item::Literal(literal));
        }
        Ok(JavaDateFormat {
            pattern: pattern.to_string(),
            items,
        })
    }

    /// The pattern as given.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// `format(new Date(epoch_millis))`.
    pub fn format(&self, epoch_millis: i64) -> String {
        let mut out = String::new();
        self.format_into(epoch_millis, &mut out);
        out
    }

    /// Append the formatted instant to `out` (no allocation when `out` has room).
    pub fn format_into(&self, epoch_millis: i64, out: &mut String) {
        let t = Civil::from_epoch_millis(epoch_millis);
        for item in &self.items {
            match item {
                Item::Literal(s) => out.push_str(s),
                Item::Field { letter, count } => t.write_field(*letter, *count, out),
            }
        }
    }
}

/// An instant broken down as Java's `GregorianCalendar` in UTC sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    /// Proleptic year (1 BC is 0), Julian before the cutover.
    pub year: i64,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 1..=366.
    pub day_of_year: u32,
    /// Days in this year (365 or 366; 355 in 1582).
    pub year_length: u32,
    /// 1 = Sunday … 7 = Saturday (`Calendar.DAY_OF_WEEK`).
    pub day_of_week: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

impl Civil {
    pub fn from_epoch_millis(epoch_millis: i64) -> Civil {
        let days = epoch_millis.div_euclid(MILLIS_PER_DAY);
        let ms = epoch_millis.rem_euclid(MILLIS_PER_DAY) as u32;
        let (year, month, day) = date_of_day(days);
        let jan1 = day_of_date(year, 1, 1);
        let next_jan1 = day_of_date(year + 1, 1, 1);
        Civil {
            year,
            month,
            day,
            day_of_year: (days - jan1 + 1) as u32,
            year_length: (next_jan1 - jan1) as u32,
            // 1970-01-01 was a Thursday (5).
            day_of_week: ((days + 4).rem_euclid(7) + 1) as u32,
            hour: ms / 3_600_000,
            minute: ms / 60_000 % 60,
            second: ms / 1000 % 60,
            millis: ms % 1000,
        }
    }

    /// Year of era (`Calendar.YEAR`): 1 BC is 1.
    fn year_of_era(&self) -> i64 {
        if self.year <= 0 {
            1 - self.year
        } else {
            self.year
        }
    }

    /// Sunday-first offset of a day of week: Sunday 0 … Saturday 6.
    fn rel(day_of_week: u32) -> u32 {
        day_of_week - 1
    }

    /// `WEEK_OF_YEAR` and the week-based year (`Y`) under en_US rules (weeks start on Sunday,
    /// week 1 is the week of 1 January): the days of December that share a week with the next
    /// 1 January are in week 1 of the next year.
    fn week_of_year(&self) -> (u32, i64) {
        let jan1_rel = (Self::rel(self.day_of_week) + 7 * 53 - (self.day_of_year - 1)) % 7;
        let next_jan1_rel = (jan1_rel + self.year_length) % 7;
        if next_jan1_rel != 0 && self.day_of_year > self.year_length - next_jan1_rel {
            return (1, self.year + 1);
        }
        ((self.day_of_year - 1 + jan1_rel) / 7 + 1, self.year)
    }

    /// `WEEK_OF_MONTH` under en_US rules.
    fn week_of_month(&self) -> u32 {
        let first_rel = (Self::rel(self.day_of_week) + 7 * 5 - (self.day - 1)) % 7;
        (self.day - 1 + first_rel) / 7 + 1
    }

    /// Append one pattern field, as `SimpleDateFormat.subFormat` does for a Gregorian calendar.
    fn write_field(&self, letter: char, count: usize, out: &mut String) {
        match letter {
            'G' => out.push_str(if self.year <= 0 { "BC" } else { "AD" }),
            'y' => write_year(self.year_of_era(), count, out),
            'Y' => {
                let (_, week_year) = self.week_of_year();
                let year_of_era = if week_year <= 0 {
                    1 - week_year
                } else {
                    week_year
                };
                write_year(year_of_era, count, out)
            }
            'M' | 'L' => match count {
                1 | 2 => pad(out, self.month as i64, count),
                3 => out.push_str(&MONTHS[self.month as usize - 1][..3]),
                _ => out.push_str(MONTHS[self.month as usize - 1]),
            },
            'd' => pad(out, self.day as i64, count),
            'k' => pad(
                out,
                if self.hour == 0 { 24 } else { self.hour } as i64,
                count,
            ),
            'H' => pad(out, self.hour as i64, count),
            'm' => pad(out, self.minute as i64, count),
            's' => pad(out, self.second as i64, count),
            'S' => pad(out, self.millis as i64, count),
            'E' => {
                let name = WEEKDAYS[self.day_of_week as usize - 1];
                out.push_str(if count >= 4 { name } else { &name[..3] })
            }
            'D' => pad(out, self.day_of_year as i64, count),
            'F' => pad(out, ((self.day - 1) / 7 + 1) as i64, count),
            'w' => pad(out, self.week_of_year().0 as i64, count),
            'W' => pad(out, self.week_of_month() as i64, count),
            'a' => out.push_str(if self.hour < 12 { "AM" } else { "PM" }),
            'h' => {
                let h = self.hour % 12;
                pad(out, if h == 0 { 12 } else { h } as i64, count)
            }
            'K' => pad(out, (self.hour % 12) as i64, count),
            'z' => out.push_str(if count >= 4 {
                "Coordinated Universal Time"
            } else {
                "UTC"
            }),
            'Z' => out.push_str("+0000"),
            // ISO 8601 zone: a zero offset is `Z` whatever the width.
            'X' => out.push('Z'),
            // ISO day number of week: Monday 1 … Sunday 7.
            'u' => pad(out, ((self.day_of_week + 5) % 7 + 1) as i64, count),
            _ => unreachable!("compile accepts only SimpleDateFormat's pattern letters"),
        }
    }
}

/// `y`/`Y`: two letters print the last two digits; any other count pads to `count` digits.
fn write_year(year_of_era: i64, count: usize, out: &mut String) {
    if count == 2 {
        pad(out, year_of_era % 100, 2)
    } else {
        pad(out, year_of_era, count)
    }
}

/// `value` zero-padded to at least `width` digits (values are never negative here).
fn pad(out: &mut String, value: i64, width: usize) {
    let _ = write!(out, "{value:0width$}");
}

/// The (year, month, day) of a day number (days since 1970-01-01), in the Julian calendar
/// before the Gregorian cutover.
pub(crate) fn date_of_day(days: i64) -> (i64, u32, u32) {
    if days >= GREGORIAN_CUTOVER_DAY {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day)
    } else {
        // Julian calendar from the Julian day number.
        let c = days + 2_440_588 + 32_082;
        let d = (4 * c + 3).div_euclid(1461);
        let e = c - (1461 * d).div_euclid(4);
        let m = (5 * e + 2).div_euclid(153);
        let day = (e - (153 * m + 2).div_euclid(5) + 1) as u32;
        let month = (m + 3 - 12 * m.div_euclid(10)) as u32;
        let year = d - 4800 + m.div_euclid(10);
        (year, month, day)
    }
}

/// The day number (days since 1970-01-01) of a date, Julian before the Gregorian cutover.
pub(crate) fn day_of_date(year: i64, month: u32, day: u32) -> i64 {
    let (y, m) = if month <= 2 {
        (year - 1, month as i64 + 9)
    } else {
        (year, month as i64 - 3)
    };
    let doy = (153 * m + 2) / 5 + day as i64 - 1;
    // Gregorian (Hinnant's days_from_civil).
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let gregorian = era * 146_097 + doe - 719_468;
    if gregorian >= GREGORIAN_CUTOVER_DAY {
        return gregorian;
    }
    // Julian: every fourth year is a leap year; 1 March of year 0 (y = 0) is JDN 1721118.
    let julian_day_number = 1_721_118 + 365 * y + y.div_euclid(4) + doy;
    julian_day_number - 2_440_588
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(pattern: &str, millis: i64) -> String {
        JavaDateFormat::compile(pattern).unwrap().format(millis)
    }

    // 2024-02-29T13:05:09.007Z, a Thursday.
    const LEAP_DAY: i64 = 1_709_211_909_007;

    #[test]
    fn the_default_router_pattern_and_common_fields() {
        assert_eq!(fmt("yyyyMMdd", LEAP_DAY), "20240229");
        assert_eq!(fmt("yyyyMMdd", 0), "19700101");
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSSZ", LEAP_DAY),
            "2024-02-29T13:05:09.007+0000"
        );
        assert_eq!(fmt("yy M d H m s S", LEAP_DAY), "24 2 29 13 5 9 7");
        assert_eq!(fmt("yyyyy SSSS", LEAP_DAY), "02024 0007");
        assert_eq!(
            fmt("EEE EEEE MMM MMMM G", LEAP_DAY),
            "Thu Thursday Feb February AD"
        );
        assert_eq!(fmt("h:mm a K k", LEAP_DAY), "1:05 PM 1 13");
        assert_eq!(fmt("h a K k", 0), "12 AM 0 24");
        assert_eq!(fmt("z zzzz X XXX", 0), "UTC Coordinated Universal Time Z Z");
        assert_eq!(fmt("D F u", LEAP_DAY), "60 5 4");
    }

    #[test]
    fn quotes_and_literals() {
        assert_eq!(fmt("'at' HH 'o''clock' ''", LEAP_DAY), "at 13 o'clock '");
        assert_eq!(fmt("yyyy/MM-dd_", LEAP_DAY), "2024/02-29_");
    }

    #[test]
    fn bad_patterns_fail_with_javas_messages() {
        assert_eq!(
            JavaDateFormat::compile("yyyy-bb").unwrap_err(),
            "Illegal pattern character 'b'"
        );
        assert_eq!(
            JavaDateFormat::compile("yyyy 'x").unwrap_err(),
            "Unterminated quote"
        );
        assert_eq!(
            JavaDateFormat::compile("XXXX").unwrap_err(),
            "invalid ISO 8601 format: length=4"
        );
    }

    #[test]
    fn weeks_follow_us_rules() {
        // 2023-12-31 is a Sunday sharing its week with 2024-01-01: week 1 of week-year 2024.
        let dec31 = day_of_date(2023, 12, 31) * MILLIS_PER_DAY;
        assert_eq!(fmt("w YYYY yyyy W", dec31), "1 2024 2023 6");
        // 2022-12-31 is a Saturday: week 53 of 2022 (2022-01-01 was a Saturday, week 1).
        let dec31 = day_of_date(2022, 12, 31) * MILLIS_PER_DAY;
        assert_eq!(fmt("w YYYY", dec31), "53 2022");
        let jan8 = day_of_date(2022, 1, 8) * MILLIS_PER_DAY;
        assert_eq!(fmt("w W E", jan8), "2 2 Sat");
    }

    #[test]
    fn negative_instants_and_the_julian_calendar() {
        assert_eq!(
            fmt("yyyy-MM-dd HH:mm:ss.SSS", -1),
            "1969-12-31 23:59:59.999"
        );
        // The cutover: the day before 1582-10-15 (Gregorian) is 1582-10-04 (Julian).
        let cutover = -12_219_292_800_000;
        assert_eq!(fmt("yyyy-MM-dd", cutover), "1582-10-15");
        assert_eq!(fmt("yyyy-MM-dd", cutover - 1), "1582-10-04");
        assert_eq!(fmt("D", cutover), "278");
        // 0001-01-01 (Julian) and the year before it, 1 BC.
        let year1 = day_of_date(1, 1, 1) * MILLIS_PER_DAY;
        assert_eq!(fmt("yyyy-MM-dd G", year1), "0001-01-01 AD");
        assert_eq!(fmt("yyyy-MM-dd G", year1 - 1), "0001-12-31 BC");
        for days in [-800_000, -141_428, -141_427, -1, 0, 19_782, 2_932_896] {
            let (y, m, d) = date_of_day(days);
            assert_eq!(day_of_date(y, m, d), days, "{y}-{m}-{d}");
        }
    }
}
