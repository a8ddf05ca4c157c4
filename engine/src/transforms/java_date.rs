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

/// English month names (Java's `DateFormatSymbols` for the root and English locales).
pub const MONTHS: [&str; 12] = [
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

    /// The span of time the formatted text cannot change within (aligned on the epoch): a day
    /// for a date-only pattern, down to a millisecond when it prints `S`. In UTC every zone
    /// letter prints a constant, so zones do not shorten it.
    pub fn granularity_millis(&self) -> i64 {
        self.items
            .iter()
            .map(|item| match item {
                Item::Literal(_) => MILLIS_PER_DAY,
                Item::Field { letter, .. } => match letter {
                    'S' => 1,
                    's' => 1000,
                    'm' => 60_000,
                    'H' | 'k' | 'K' | 'h' => 3_600_000,
                    'a' => 43_200_000,
                    _ => MILLIS_PER_DAY,
                },
            })
            .min()
            .unwrap_or(MILLIS_PER_DAY)
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

/// Formatted texts of recent time spans (see [`JavaDateFormat::granularity_millis`]), so a
/// column whose instants repeat spans (dates of a year, timestamps of a day to the second)
/// formats each span once: a direct-mapped table of spans over one text arena.
#[derive(Debug)]
pub struct FormatCache {
    /// Per slot: the span number and its text's range in `arena` (`i64::MIN`: empty).
    slots: Vec<(i64, u32, u32)>,
    arena: String,
}

impl Default for FormatCache {
    fn default() -> Self {
        FormatCache {
            slots: vec![(i64::MIN, 0, 0); Self::SLOTS],
            arena: String::new(),
        }
    }
}

impl FormatCache {
    const SLOTS: usize = 1024;
    /// The arena restarts (and every slot with it) beyond this size.
    const ARENA_LIMIT: usize = 64 * 1024;

    /// `format.format(epoch_millis)`, from the cache when the instant's span was formatted
    /// before. `span` must be `format.granularity_millis()`.
    pub fn format(&mut self, format: &JavaDateFormat, span: i64, epoch_millis: i64) -> &str {
        let bucket = epoch_millis.div_euclid(span);
        let slot = (bucket as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) as usize >> 54;
        let (cached, start, len) = self.slots[slot];
        if cached != bucket || bucket == i64::MIN {
            if self.arena.len() > Self::ARENA_LIMIT {
                self.arena.clear();
                self.slots.fill((i64::MIN, 0, 0));
            }
            let start = self.arena.len();
            format.format_into(epoch_millis, &mut self.arena);
            let len = self.arena.len() - start;
            self.slots[slot] = (bucket, start as u32, len as u32);
            return &self.arena[start..start + len];
        }
        &self.arena[start as usize..(start + len) as usize]
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
    /// Days since 1970-01-01 (the day of year, year length and day of week derive from it,
    /// when a pattern prints them).
    pub days: i64,
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
        Civil {
            year,
            month,
            day,
            days,
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

    /// 1..=366.
    fn day_of_year(&self) -> u32 {
        (self.days - day_of_date(self.year, 1, 1) + 1) as u32
    }

    /// Days in this year (365 or 366; 355 in 1582).
    fn year_length(&self) -> u32 {
        (day_of_date(self.year + 1, 1, 1) - day_of_date(self.year, 1, 1)) as u32
    }

    /// 1 = Sunday … 7 = Saturday (`Calendar.DAY_OF_WEEK`); 1970-01-01 was a Thursday (5).
    fn day_of_week(&self) -> u32 {
        ((self.days + 4).rem_euclid(7) + 1) as u32
    }

    /// Sunday-first offset of a day of week: Sunday 0 … Saturday 6.
    fn rel(day_of_week: u32) -> u32 {
        day_of_week - 1
    }

    /// `WEEK_OF_YEAR` and the week-based year (`Y`) under en_US rules (weeks start on Sunday,
    /// week 1 is the week of 1 January): the days of December that share a week with the next
    /// 1 January are in week 1 of the next year.
    fn week_of_year(&self) -> (u32, i64) {
        let jan1_rel = (Self::rel(self.day_of_week()) + 7 * 53 - (self.day_of_year() - 1)) % 7;
        let next_jan1_rel = (jan1_rel + self.year_length()) % 7;
        if next_jan1_rel != 0 && self.day_of_year() > self.year_length() - next_jan1_rel {
            return (1, self.year + 1);
        }
        ((self.day_of_year() - 1 + jan1_rel) / 7 + 1, self.year)
    }

    /// `WEEK_OF_MONTH` under en_US rules.
    fn week_of_month(&self) -> u32 {
        let first_rel = (Self::rel(self.day_of_week()) + 7 * 5 - (self.day - 1)) % 7;
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
                let name = WEEKDAYS[self.day_of_week() as usize - 1];
                out.push_str(if count >= 4 { name } else { &name[..3] })
            }
            'D' => pad(out, self.day_of_year() as i64, count),
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
            'u' => pad(out, ((self.day_of_week() + 5) % 7 + 1) as i64, count),
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
    if value < 0 {
        // Not reached by the callers; `format!`'s zero padding puts the sign first.
        let _ = write!(out, "{value:0width$}");
        return;
    }
    // The hot path of every date column: digits without `core::fmt`.
    let mut digits = itoa::Buffer::new();
    let text = digits.format(value);
    for _ in text.len()..width {
        out.push('0');
    }
    out.push_str(text);
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

/// Why [`JavaDateFormat::parse`] gave no instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Java's `ParseException` (`Unparseable date: "…"`): the text does not match the pattern.
    Unparseable,
    /// The text needs parsing rules Strait does not implement (the message says which), so it
    /// cannot tell what Java would make of it.
    Unsupported(String),
}

/// Calendar fields a parse sets (`CalendarBuilder`), each with the stamp of when it was set:
/// Java resolves conflicting fields (day of month against day of year, hour of day against
/// hour and AM/PM) in favour of the one set last.
#[derive(Debug, Default)]
struct Parsed {
    next_stamp: u32,
    era: Option<(i32, u32)>,
    year: Option<(i32, u32)>,
    month: Option<(i32, u32)>,
    day_of_month: Option<(i32, u32)>,
    day_of_year: Option<(i32, u32)>,
    day_of_week: Option<(i32, u32)>,
    hour_of_day: Option<(i32, u32)>,
    hour: Option<(i32, u32)>,
    am_pm: Option<(i32, u32)>,
    minute: Option<(i32, u32)>,
    second: Option<(i32, u32)>,
    millisecond: Option<(i32, u32)>,
    /// Zone offset in milliseconds.
    zone_offset: Option<(i32, u32)>,
    /// A two-digit year equal to the century start's last two digits (Java's `ambiguousYear`).
    ambiguous_year: bool,
}

fn stamp(field: Option<(i32, u32)>) -> u32 {
    field.map_or(0, |(_, s)| s)
}

fn value(field: Option<(i32, u32)>) -> i64 {
    field.map_or(0, |(v, _)| v as i64)
}

impl Parsed {
    fn set(&mut self, which: fn(&mut Parsed) -> &mut Option<(i32, u32)>, v: i32) {
        self.next_stamp += 1;
        let stamp = self.next_stamp;
        *which(self) = Some((v, stamp));
    }

    /// `GregorianCalendar.computeTime` in lenient mode, UTC unless a zone was parsed.
    fn epoch_millis(&self, extra_years: i64) -> Result<i64, ParseError> {
        let mut year = self.year.map_or(1970, |(y, _)| y as i64);
        if self.era.is_some_and(|(e, _)| e == 0) {
            year = 1 - year;
        }
        year += extra_years;
        let dom = stamp(self.day_of_month);
        let doy = stamp(self.day_of_year);
        let days = if dom == 0 && doy == 0 && self.day_of_week.is_some() {
            return Err(ParseError::Unsupported(
                "a day of week without a day of month or day of year".to_string(),
            ));
        } else if doy > dom {
            day_of_date(year, 1, 1) + value(self.day_of_year) - 1
        } else {
            let month = value(self.month);
            let year = year + month.div_euclid(12);
            let month = month.rem_euclid(12) as u32 + 1;
            day_of_date(year, month, 1) + self.day_of_month.map_or(0, |(d, _)| d as i64 - 1)
        };
        let hour_of_day = stamp(self.hour_of_day);
        let hour_am_pm = if self.hour.is_some() && self.am_pm.is_some() {
            stamp(self.hour).max(stamp(self.am_pm))
        } else {
            0
        };
        let mut best = hour_of_day.max(hour_am_pm);
        if best == 0 {
            best = stamp(self.hour).max(stamp(self.am_pm));
        }
        let hours = if best == 0 {
            0
        } else if best == hour_of_day {
            value(self.hour_of_day)
        } else {
            value(self.hour) + 12 * value(self.am_pm)
        };
        let time_of_day = ((hours * 60 + value(self.minute)) * 60 + value(self.second)) * 1000
            + value(self.millisecond);
        // Java's long arithmetic wraps.
        Ok(days
            .wrapping_mul(MILLIS_PER_DAY)
            .wrapping_add(time_of_day)
            .wrapping_sub(value(self.zone_offset)))
    }
}

/// `SHORT` and long month names of `en_US`, and the week days.
const AM_PM: [&str; 2] = ["AM", "PM"];
const ERAS: [&str; 2] = ["BC", "AD"];

/// `text.regionMatches(true, start, name, 0, name.length())` for the ASCII names of en_US.
fn region_matches(text: &[char], start: usize, name: &str) -> bool {
    let n = name.chars().count();
    start + n <= text.len()
        && text[start..start + n]
            .iter()
            .zip(name.chars())
            .all(|(a, b)| a.eq_ignore_ascii_case(&b))
}

/// `SimpleDateFormat.matchString`: the longest name matching at `start`, as (index, end).
fn match_name<'a>(
    text: &[char],
    start: usize,
    names: impl IntoIterator<Item = &'a str>,
) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, name) in names.into_iter().enumerate() {
        let len = name.chars().count();
        if len > best.map_or(0, |(_, l)| l) && region_matches(text, start, name) {
            best = Some((i, len));
        }
    }
    best.map(|(i, len)| (i, start + len))
}

/// `DecimalFormat.parse` as `SimpleDateFormat` configures it (integers only, no grouping,
/// `en_US` symbols) over `text[pos..limit]`, then `Number.intValue()`: the value and the end of
/// the number, or `None` when no number starts at `pos`.
fn parse_number(
    text: &[char],
    pos: usize,
    limit: usize,
) -> Result<Option<(i32, usize)>, ParseError> {
    let text = &text[..limit];
    if text.get(pos..pos + 3) == Some(&['N', 'a', 'N'][..]) {
        // Double.NaN.intValue()
        return Ok(Some((0, pos + 3)));
    }
    let negative = text.get(pos) == Some(&'-');
    let mut p = pos + usize::from(negative);
    if text.get(p) == Some(&'\u{221e}') {
        let v = if negative { i32::MIN } else { i32::MAX };
        return Ok(Some((v, p + 1)));
    }
    let digits_start = p;
    let mut magnitude: i128 = 0;
    while let Some(c) = text.get(p) {
        if c.is_ascii_digit() {
            magnitude = magnitude
                .saturating_mul(10)
                .saturating_add(i128::from(*c as u8 - b'0'));
            p += 1;
        } else if c.is_numeric() {
            return Err(ParseError::Unsupported(format!(
                "the non-ASCII digit '{c}'"
            )));
        } else {
            break;
        }
    }
    if p == digits_start {
        return Ok(None);
    }
    if text.get(p) == Some(&'E')
        && text
            .get(p + 1)
            .is_some_and(|c| c.is_ascii_digit() || *c == '-')
    {
        return Err(ParseError::Unsupported(
            "a number followed by an exponent ('E')".to_string(),
        ));
    }
    let v = if negative { -magnitude } else { magnitude };
    // DecimalFormat returns a Long when the value fits (intValue() keeps its low 32 bits),
    // else a Double (intValue() clamps).
    let v = match i64::try_from(v) {
        Ok(long) => long as i32,
        Err(_) => v.clamp(i32::MIN as i128, i32::MAX as i128) as i32,
    };
    Ok(Some((v, p)))
}

/// Letters whose numeric value the next field may not run into (`shouldObeyCount`).
fn is_numeric_field(item: Option<&Item>) -> bool {
    match item {
        Some(Item::Field { letter, count }) => match letter {
            'M' | 'L' => *count <= 2,
            'y' | 'd' | 'k' | 'H' | 'm' | 's' | 'S' | 'D' | 'F' | 'w' | 'W' | 'h' | 'K' | 'u' => {
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// `SimpleDateFormat.subParseNumericZone`: `hh[[:]mm]` after a sign; the offset and the end.
fn numeric_zone(
    text: &[char],
    start: usize,
    sign: i32,
    count: usize,
    colon: bool,
) -> Option<(i32, usize)> {
    let digit = |i: usize| {
        text.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| *c as i32 - 48)
    };
    let mut i = start;
    let mut hours = digit(i)?;
    i += 1;
    match digit(i) {
        Some(d) => {
            hours = hours * 10 + d;
            i += 1;
        }
        // Without a colon (RFC 822, or any 'X'), two digits are required.
        None if count > 0 || !colon => return None,
        None => {}
    }
    if hours > 23 {
        return None;
    }
    let mut minutes = 0;
    if count != 1 {
        if colon {
            if text.get(i) != Some(&':') {
                return None;
            }
            i += 1;
        }
        minutes = digit(i)? * 10 + digit(i + 1)?;
        i += 2;
        if minutes > 59 {
            return None;
        }
    }
    Some((sign * (minutes + hours * 60) * 60_000, i))
}

impl JavaDateFormat {
    /// `parse(text)` (lenient, as Kafka leaves it) to epoch milliseconds. As in Java, text
    /// after the end of the pattern is ignored, fields skip leading spaces and tabs, numbers
    /// may be negative or out of range (13 months roll into the next year), and a two-digit
    /// `yy` year falls within the 80 years before and 20 after now.
    pub fn parse(&self, text: &str) -> Result<i64, ParseError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        self.parse_at(text, now)
    }

    /// [`parse`](Self::parse) with "now" given (for two-digit years).
    fn parse_at(&self, text: &str, now_millis: i64) -> Result<i64, ParseError> {
        let text: Vec<char> = text.chars().collect();
        let mut parsed = Parsed::default();
        let mut pos = 0;
        // Java's `defaultCenturyStart`: now minus 80 years.
        let now = Civil::from_epoch_millis(now_millis);
        let century_start_year = now.year - 80;
        for (i, item) in self.items.iter().enumerate() {
            match item {
                Item::Literal(lit) => {
                    for c in lit.chars() {
                        if text.get(pos) != Some(&c) {
                            return Err(ParseError::Unparseable);
                        }
                        pos += 1;
                    }
                }
                Item::Field { letter, count } => {
                    let obey_count = is_numeric_field(self.items.get(i + 1));
                    pos = self.parse_field(
                        &text,
                        pos,
                        *letter,
                        *count,
                        obey_count,
                        century_start_year,
                        &mut parsed,
                    )?;
                }
            }
        }
        if pos == 0 {
            return Err(ParseError::Unparseable);
        }
        let millis = parsed.epoch_millis(0)?;
        if parsed.ambiguous_year {
            let century_start = now_millis_minus_80_years(now_millis);
            if millis < century_start {
                return parsed.epoch_millis(100);
            }
        }
        Ok(millis)
    }

    /// `SimpleDateFormat.subParse` for one field starting at `start`: the end of what it read.
    #[allow(clippy::too_many_arguments)]
    fn parse_field(
        &self,
        text: &[char],
        start: usize,
        letter: char,
        count: usize,
        obey_count: bool,
        century_start_year: i64,
        parsed: &mut Parsed,
    ) -> Result<usize, ParseError> {
        // Skip spaces and tabs; running out of text fails.
        let mut pos = start;
        loop {
            match text.get(pos) {
                None => return Err(ParseError::Unparseable),
                Some(' ' | '\t') => pos += 1,
                Some(_) => break,
            }
        }
        let actual_start = pos;
        let number = |pos: usize| -> Result<Option<(i32, usize)>, ParseError> {
            if obey_count {
                if start + count > text.len() {
                    return Ok(None);
                }
                parse_number(text, pos, start + count)
            } else {
                parse_number(text, pos, text.len())
            }
        };
        let unsupported = |what: &str| {
            Err(ParseError::Unsupported(format!(
                "parsing the pattern letter '{letter}'{what}"
            )))
        };
        let numeric = |which: fn(&mut Parsed) -> &mut Option<(i32, u32)>,
                       parsed: &mut Parsed|
         -> Result<usize, ParseError> {
            match number(pos)? {
                Some((v, end)) => {
                    parsed.set(which, v);
                    Ok(end)
                }
                None => Err(ParseError::Unparseable),
            }
        };
        match letter {
            'G' => match match_name(text, start, ERAS) {
                Some((i, end)) => {
                    parsed.set(|p| &mut p.era, i as i32);
                    Ok(end)
                }
                None => Err(ParseError::Unparseable),
            },
            'y' => {
                let Some((mut v, end)) = number(pos)? else {
                    return Err(ParseError::Unparseable);
                };
                if count <= 2
                    && end - actual_start == 2
                    && text[actual_start].is_ascii_digit()
                    && text[actual_start + 1].is_ascii_digit()
                {
                    let ambiguous = (century_start_year.rem_euclid(100)) as i32;
                    parsed.ambiguous_year = v == ambiguous;
                    v += (century_start_year.div_euclid(100) * 100) as i32
                        + if v < ambiguous { 100 } else { 0 };
                }
                parsed.set(|p| &mut p.year, v);
                Ok(end)
            }
            'M' | 'L' if count <= 2 => match number(pos)? {
                Some((v, end)) => {
                    parsed.set(|p| &mut p.month, v - 1);
                    Ok(end)
                }
                None => Err(ParseError::Unparseable),
            },
            'M' | 'L' => {
                let long = match_name(text, start, MONTHS);
                let short = || match_name(text, start, MONTHS.iter().map(|m| &m[..3]));
                match long.or_else(short) {
                    Some((i, end)) => {
                        parsed.set(|p| &mut p.month, i as i32);
                        Ok(end)
                    }
                    None => Err(ParseError::Unparseable),
                }
            }
            'd' => numeric(|p| &mut p.day_of_month, parsed),
            'D' => numeric(|p| &mut p.day_of_year, parsed),
            'H' => numeric(|p| &mut p.hour_of_day, parsed),
            'k' => match number(pos)? {
                // 24 is midnight.
                Some((v, end)) => {
                    parsed.set(|p| &mut p.hour_of_day, if v == 24 { 0 } else { v });
                    Ok(end)
                }
                None => Err(ParseError::Unparseable),
            },
            'K' => numeric(|p| &mut p.hour, parsed),
            'h' => match number(pos)? {
                // 12 is the first hour of the half day.
                Some((v, end)) => {
                    parsed.set(|p| &mut p.hour, if v == 12 { 0 } else { v });
                    Ok(end)
                }
                None => Err(ParseError::Unparseable),
            },
            'a' => match match_name(text, start, AM_PM) {
                Some((i, end)) => {
                    parsed.set(|p| &mut p.am_pm, i as i32);
                    Ok(end)
                }
                None => Err(ParseError::Unparseable),
            },
            'm' => numeric(|p| &mut p.minute, parsed),
            's' => numeric(|p| &mut p.second, parsed),
            'S' => numeric(|p| &mut p.millisecond, parsed),
            'E' => {
                let long = match_name(text, start, WEEKDAYS);
                let short = || match_name(text, start, WEEKDAYS.iter().map(|d| &d[..3]));
                match long.or_else(short) {
                    // Calendar.DAY_OF_WEEK: 1 = Sunday.
                    Some((i, end)) => {
                        parsed.set(|p| &mut p.day_of_week, i as i32 + 1);
                        Ok(end)
                    }
                    None => Err(ParseError::Unparseable),
                }
            }
            'Z' | 'z' => {
                let sign = match text[pos] {
                    '+' => 1,
                    '-' => -1,
                    _ => 0,
                };
                if sign != 0 {
                    return match numeric_zone(text, pos + 1, sign, 0, false) {
                        Some((offset, end)) => {
                            parsed.set(|p| &mut p.zone_offset, offset);
                            Ok(end)
                        }
                        None => Err(ParseError::Unparseable),
                    };
                }
                if region_matches(text, start, "GMT") {
                    let after = start + 3;
                    let sign = match text.get(after) {
                        Some('+') => 1,
                        Some('-') => -1,
                        _ => 0,
                    };
                    if sign == 0 {
                        parsed.set(|p| &mut p.zone_offset, 0);
                        return Ok(after);
                    }
                    return match numeric_zone(text, after + 1, sign, 0, true) {
                        Some((offset, end)) => {
                            parsed.set(|p| &mut p.zone_offset, offset);
                            Ok(end)
                        }
                        None => Err(ParseError::Unparseable),
                    };
                }
                // Zone names: Java matches every zone name of the locale; Strait knows UTC's.
                match match_name(text, pos, ["UTC", "Coordinated Universal Time"]) {
                    Some((_, end)) => {
                        parsed.set(|p| &mut p.zone_offset, 0);
                        Ok(end)
                    }
                    // No zone name is a single letter (`Z` is not one).
                    None if text[pos].is_alphabetic()
                        && text.get(pos + 1).is_some_and(|c| c.is_alphabetic()) =>
                    {
                        unsupported(" with a time zone name other than UTC or GMT")
                    }
                    None => Err(ParseError::Unparseable),
                }
            }
            'X' => {
                let sign = match text[pos] {
                    'Z' => {
                        parsed.set(|p| &mut p.zone_offset, 0);
                        return Ok(pos + 1);
                    }
                    '+' => 1,
                    '-' => -1,
                    _ => return Err(ParseError::Unparseable),
                };
                match numeric_zone(text, pos + 1, sign, count, count == 3) {
                    Some((offset, end)) => {
                        parsed.set(|p| &mut p.zone_offset, offset);
                        Ok(end)
                    }
                    None => Err(ParseError::Unparseable),
                }
            }
            // Week fields (and week years) resolve through Java's week rules.
            _ => unsupported(""),
        }
    }
}

/// Java's `defaultCenturyStart`: `now` with 80 years subtracted from its UTC calendar date
/// (29 February becomes 28 February when the year is not a leap year).
fn now_millis_minus_80_years(now_millis: i64) -> i64 {
    let t = Civil::from_epoch_millis(now_millis);
    let year = t.year - 80;
    let last_day = (day_of_date(year + i64::from(t.month == 12), t.month % 12 + 1, 1)
        - day_of_date(year, t.month, 1)) as u32;
    let day = t.day.min(last_day);
    day_of_date(year, t.month, day) * MILLIS_PER_DAY + now_millis.rem_euclid(MILLIS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_gives_what_formatting_gives() {
        let mut cache = FormatCache::default();
        for pattern in [
            "yyyy-MM-dd",
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
            "EEE, d MMM yyyy HH:mm",
        ] {
            let f = JavaDateFormat::compile(pattern).unwrap();
            let span = f.granularity_millis();
            // Enough instants to wrap the arena and collide in slots, some repeated.
            let mut x: i64 = 12345;
            for i in 0..20_000i64 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let ms = if i % 3 == 0 {
                    1_500_000_000_000 + (i % 50) * 86_400_000
                } else {
                    x >> 20
                };
                assert_eq!(
                    cache.format(&f, span, ms),
                    f.format(ms),
                    "{pattern} at {ms}"
                );
            }
        }
    }

    #[test]
    fn granularity_is_the_smallest_unit_printed() {
        let g = |p: &str| JavaDateFormat::compile(p).unwrap().granularity_millis();
        assert_eq!(g("yyyy-MM-dd"), MILLIS_PER_DAY);
        assert_eq!(g("yyyyMMdd'T'HH"), 3_600_000);
        assert_eq!(g("yyyy-MM-dd'T'HH:mm:ssXXX"), 1000);
        assert_eq!(g("ss.SSS"), 1);
        assert_eq!(g("hh a"), 3_600_000);
        assert_eq!(g("a"), 43_200_000);
        // Every instant of a span prints the same text.
        let f = JavaDateFormat::compile("yyyy-MM-dd HH:mm").unwrap();
        let start = 1_700_000_040_000; // a whole minute
        assert_eq!(f.format(start), f.format(start + 59_999));
        assert_ne!(f.format(start), f.format(start + 60_000));
    }

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

    fn parse(pattern: &str, text: &str) -> Result<i64, ParseError> {
        // "Now" is 2026-01-01: two-digit years fall in 1946..2045.
        JavaDateFormat::compile(pattern)
            .unwrap()
            .parse_at(text, day_of_date(2026, 1, 1) * MILLIS_PER_DAY)
    }

    #[test]
    fn parse_common_patterns_and_zones() {
        assert_eq!(
            parse("yyyy-MM-dd", "2024-02-29"),
            Ok(day_of_date(2024, 2, 29) * MILLIS_PER_DAY)
        );
        let p = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";
        assert_eq!(parse(p, "2024-02-29T13:05:09.007Z"), Ok(LEAP_DAY));
        assert_eq!(parse(p, "2024-02-29T14:35:09.007+01:30"), Ok(LEAP_DAY));
        assert_eq!(
            parse(p, "2024-02-29T14:35:09.007+0130"),
            Err(ParseError::Unparseable)
        );
        let p = "yyyy-MM-dd'T'HH:mm:ss.SSSZ";
        assert_eq!(parse(p, "2024-02-29T12:05:09.007-0100"), Ok(LEAP_DAY));
        assert_eq!(parse(p, "2024-02-29T13:05:09.007GMT"), Ok(LEAP_DAY));
        assert_eq!(
            parse(p, "2024-02-29T13:05:09.007Z"),
            Err(ParseError::Unparseable)
        );
        assert!(matches!(
            parse(p, "2024-02-29T13:05:09.007PST"),
            Err(ParseError::Unsupported(_))
        ));
        assert_eq!(
            parse("HH:mm:ss.SSS", "13:05:09.007"),
            Ok(LEAP_DAY.rem_euclid(MILLIS_PER_DAY))
        );
    }

    #[test]
    fn parse_is_lenient_like_java() {
        // Out-of-range fields roll over; trailing text is ignored; fields skip spaces.
        assert_eq!(
            parse("yyyy-MM-dd", "2023-14-01"),
            parse("yyyy-MM-dd", "2024-02-01")
        );
        assert_eq!(
            parse("yyyy-MM-dd", "2024-02-29garbage"),
            parse("yyyy-MM-dd", "2024-02-29")
        );
        assert_eq!(
            parse("yyyy-MM-dd", "  2024-02-29"),
            parse("yyyy-MM-dd", "2024-02-29")
        );
        // Adjacent numeric fields take exactly their width.
        assert_eq!(
            parse("yyyyMMdd", "20240229"),
            parse("yyyy-MM-dd", "2024-02-29")
        );
        assert_eq!(parse("yyyy-MM-dd", "2024-02"), Err(ParseError::Unparseable));
        assert_eq!(
            parse("yyyy-MM-dd", "+2024-02-01"),
            Err(ParseError::Unparseable)
        );
        // Two-digit years within 80 years before and 20 after now.
        assert_eq!(parse("yy", "45"), parse("yyyy", "2045"));
        assert_eq!(parse("yy", "47"), parse("yyyy", "1947"));
        // Names, 12-hour clock, eras.
        assert_eq!(
            parse(
                "EEE, d MMM yyyy h:mm:ss.SSS a",
                "thu, 29 february 2024 1:05:09.007 PM"
            ),
            Ok(LEAP_DAY)
        );
        assert_eq!(
            parse("G yyyy", "BC 0001"),
            Ok(day_of_date(0, 1, 1) * MILLIS_PER_DAY)
        );
        assert!(matches!(
            parse("YYYY ww", "2024 05"),
            Err(ParseError::Unsupported(_))
        ));
    }
}
