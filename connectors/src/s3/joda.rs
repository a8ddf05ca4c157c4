//! Joda-Time, as far as Confluent's time-based partitioners use it: `DateTimeFormat.forPattern`
//! patterns (compiled once, then formatting epoch milliseconds in a zone), `DateTimeZone.forID`
//! zone ids (tz database names through chrono-tz, `UTC`, and `[+-]hh[:mm[:ss[.SSS]]]` offsets),
//! `DateTimeZone.convertUTCToLocal` / `convertLocalToUTC(_, false)` (the bucket flooring of
//! `TimeBasedPartitioner.getPartition`), and `ISODateTimeFormat.dateTimeParser().parseMillis`
//! (the `RecordField` extractor's string timestamps).
//!
//! Joda's calendar is ISOChronology: proleptic Gregorian, ISO weeks (Monday first, at least four
//! days in week 1). Note that Joda's `Y` is the year of era, not java.time's week-based year.
//!
//! Where Strait differs from Joda:
//! - Text fields (`MMM`, `MMMM`, `E`, `EEEE`, `a`, `G`, `z`) are English only: a pattern that
//!   has one is rejected at configuration time unless the locale's language is `en` (Java would
//!   look the names up in the JVM's locale data, with its own fallbacks for unknown locales).
//!   Numeric fields do not depend on the locale, so any locale works for them.
//! - `zzzz` (long zone names) is rejected; `z` prints the tz database abbreviation (`UTC`,
//!   `CET`/`CEST`, `PST`/`PDT`...), which is Java's short name for the common zones.
//! - Strings without an offset given to the ISO parser are read in UTC (Joda reads them in the
//!   JVM's default zone, which is UTC on a typical Connect deployment).
//! - Instants beyond chrono's range (about ±262,000 years) are errors.

use chrono::{Offset, TimeZone as _};
use chrono_tz::OffsetName as _;
use std::fmt::Write as _;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// English month names, shared with the SimpleDateFormat port.
use strait_engine::transforms::java_date::MONTHS;
/// ISO order: Monday first.
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

// ---------------------------------------------------------------------------------------------
// Zones

/// A Joda `DateTimeZone`.
#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    /// A fixed offset (`UTC`, or an id like `+05:30`), in milliseconds.
    Fixed { id: String, offset_ms: i32 },
    /// A tz database zone.
    Tz(chrono_tz::Tz),
}

impl Zone {
    /// `DateTimeZone.UTC`.
    pub fn utc() -> Zone {
        Zone::Fixed {
            id: "UTC".into(),
            offset_ms: 0,
        }
    }

    /// `DateTimeZone.forID(id)`; the error is Joda's `IllegalArgumentException` message.
    pub fn for_id(id: &str) -> Result<Zone, String> {
        let unrecognised = || format!("The datetime zone id '{id}' is not recognised");
        if id == "UTC" {
            return Ok(Zone::utc());
        }
        if let Ok(tz) = id.parse::<chrono_tz::Tz>() {
            return Ok(Zone::Tz(tz));
        }
        if id.starts_with('+') || id.starts_with('-') {
            let offset = parse_offset_id(id).ok_or_else(unrecognised)?;
            if offset == 0 {
                return Ok(Zone::utc());
            }
            return Ok(Zone::Fixed {
                id: print_offset(offset, true, true),
                offset_ms: offset,
            });
        }
        Err(unrecognised())
    }

    /// Joda's `getID()`.
    pub fn id(&self) -> &str {
        match self {
            Zone::Fixed { id, .. } => id,
            Zone::Tz(tz) => tz.name(),
        }
    }

    /// Whether the offset never changes (no tz lookup needed).
    pub fn fixed_offset(&self) -> Option<i32> {
        match self {
            Zone::Fixed { offset_ms, .. } => Some(*offset_ms),
            Zone::Tz(_) => None,
        }
    }

    /// `getOffset(instant)`: milliseconds to add to UTC to get local time.
    pub fn offset_ms(&self, utc_ms: i64) -> Result<i32, String> {
        match self {
            Zone::Fixed { offset_ms, .. } => Ok(*offset_ms),
            Zone::Tz(tz) => {
                let dt = naive(utc_ms)?;
                Ok(tz.offset_from_utc_datetime(&dt).fix().local_minus_utc() * 1000)
            }
        }
    }

    /// The short name Joda prints for `z` (see the module doc).
    fn short_name(&self, utc_ms: i64) -> Result<String, String> {
        match self {
            Zone::Fixed { id, .. } => Ok(id.clone()),
            Zone::Tz(tz) => {
                let dt = naive(utc_ms)?;
                let off = tz.offset_from_utc_datetime(&dt);
                match off.abbreviation() {
                    Some(a) => Ok(a.to_string()),
                    None => Ok(print_offset(off.fix().local_minus_utc() * 1000, true, true)),
                }
            }
        }
    }

    /// `convertUTCToLocal(instant)`.
    pub fn utc_to_local(&self, utc_ms: i64) -> Result<i64, String> {
        let offset = self.offset_ms(utc_ms)?;
        let local = utc_ms.wrapping_add(offset as i64);
        // Joda: a sign change of the result that the offset's sign does not explain.
        if (utc_ms ^ local) < 0 && (utc_ms ^ offset as i64) >= 0 {
            return Err("Adding time zone offset caused overflow".into());
        }
        Ok(local)
    }

    /// `convertLocalToUTC(instantLocal, false)`: in a DST gap the Western-hemisphere estimate
    /// is corrected as Joda does; in an overlap the earlier offset's instant wins.
    pub fn local_to_utc(&self, local_ms: i64) -> Result<i64, String> {
        let offset_local = self.offset_ms(local_ms)?;
        let mut offset = self.offset_ms(local_ms.wrapping_sub(offset_local as i64))?;
        if offset_local != offset && offset_local < 0 {
            // Joda compares the next transitions after both estimates; they differ exactly when
            // a transition lies between them, i.e. when the offsets at both estimates differ.
            let a = local_ms.wrapping_sub(offset_local as i64);
            let b = local_ms.wrapping_sub(offset as i64);
            if self.offset_ms(a)? != self.offset_ms(b)? {
                offset = offset_local;
            }
        }
        let utc = local_ms.wrapping_sub(offset as i64);
        if (local_ms ^ utc) < 0 && (local_ms ^ offset as i64) < 0 {
            return Err("Subtracting time zone offset caused overflow".into());
        }
        Ok(utc)
    }
}

fn naive(utc_ms: i64) -> Result<chrono::NaiveDateTime, String> {
    chrono::DateTime::from_timestamp_millis(utc_ms)
        .map(|d| d.naive_utc())
        .ok_or_else(|| format!("Instant {utc_ms} is out of the supported range"))
}

/// Joda's offset id grammar: `[+-]hh[[:]mm[[:]ss[[.]SSS]]]`, two digits each, hours < 24.
fn parse_offset_id(id: &str) -> Option<i32> {
    let b = id.as_bytes();
    let neg = b[0] == b'-';
    let mut pos = 1;
    let two = |pos: usize| -> Option<i32> {
        let d0 = *b.get(pos)?;
        let d1 = *b.get(pos + 1)?;
        (d0.is_ascii_digit() && d1.is_ascii_digit())
            .then(|| ((d0 - b'0') * 10 + (d1 - b'0')) as i32)
    };
    let hours = two(pos)?;
    if hours > 23 {
        return None;
    }
    pos += 2;
    let mut millis = hours * 3_600_000;
    // Minutes, seconds, then milliseconds, each optional and separated by ':' (or '.') or not
    // at all, consistently.
    let mut sep: Option<bool> = None;
    for (unit, max, digits) in [(60_000, 59, 2), (1000, 59, 2), (1, 999, 3)] {
        if pos == b.len() {
            break;
        }
        let want = if unit == 1 { b'.' } else { b':' };
        let has = b[pos] == want || (unit == 1 && b[pos] == b',');
        match sep {
            None => sep = Some(has),
            Some(s) if s != has => return None,
            _ => {}
        }
        if has {
            pos += 1;
        }
        let v = if digits == 2 {
            two(pos)?
        } else {
            let v = two(pos)? * 10 + (*b.get(pos + 2)? as char).to_digit(10)? as i32;
            pos += 1;
            v
        };
        if v > max {
            return None;
        }
        pos += 2;
        millis += v * unit;
    }
    (pos == b.len()).then_some(if neg { -millis } else { millis })
}

/// Joda's `printOffset` (`+hh:mm`, with `:ss` and `.SSS` only when not zero), or the `Z`/`ZZ`
/// forms (`colon`) that never print seconds (`all = false`).
fn print_offset(offset_ms: i32, colon: bool, all: bool) -> String {
    let mut out = String::with_capacity(12);
    let mut o = offset_ms as i64;
    out.push(if o < 0 { '-' } else { '+' });
    o = o.abs();
    let _ = write!(out, "{:02}", o / 3_600_000);
    o %= 3_600_000;
    if colon {
        out.push(':');
    }
    let _ = write!(out, "{:02}", o / 60_000);
    o %= 60_000;
    if all && o != 0 {
        let _ = write!(out, ":{:02}", o / 1000);
        if o % 1000 != 0 {
            let _ = write!(out, ".{:03}", o % 1000);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Calendar (proleptic Gregorian)

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month 1-12, day 1-31) of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    y.rem_euclid(4) == 0 && (y.rem_euclid(100) != 0 || y.rem_euclid(400) == 0)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// ISO day of week of days since epoch: 1 = Monday .. 7 = Sunday (1970-01-01 was a Thursday).
fn iso_dow(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

/// ISO (weekyear, week) of days since epoch.
fn iso_week(days: i64, year: i64) -> (i64, i64) {
    // Monday of week 1 of `y`: the week that holds 4 January.
    let week1 = |y: i64| {
        let jan4 = days_from_civil(y, 1, 4);
        jan4 - (iso_dow(jan4) - 1)
    };
    let mut wy = year;
    if days < week1(wy) {
        wy -= 1;
    } else if days >= week1(wy + 1) {
        wy += 1;
    }
    (wy, (days - week1(wy)) / 7 + 1)
}

/// The fields of a local date-time.
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    days: i64,
    millis_of_day: i64,
}

impl Fields {
    fn of_local(local_ms: i64) -> Fields {
        let days = local_ms.div_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Fields {
            year,
            month,
            day,
            days,
            millis_of_day: local_ms.rem_euclid(MILLIS_PER_DAY),
        }
    }
    fn year_of_era(&self) -> i64 {
        if self.year <= 0 {
            1 - self.year
        } else {
            self.year
        }
    }
    fn hour(&self) -> i64 {
        self.millis_of_day / 3_600_000
    }
}

// ---------------------------------------------------------------------------------------------
// Patterns

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Literal(String),
    /// A numeric field zero-padded to `min` digits (signed for years).
    Number {
        letter: char,
        min: usize,
    },
    /// `yy`, `YY`, `xx`: the last two digits.
    TwoDigit {
        letter: char,
    },
    /// `MMM` (short) / `MMMM` (long).
    MonthText {
        long: bool,
    },
    /// `E`..`EEE` (short) / `EEEE` (long).
    DayOfWeekText {
        long: bool,
    },
    HalfDay,
    Era,
    /// `S...`: fraction of second, at least `min` digits.
    Fraction {
        min: usize,
    },
    /// `z`: short zone name.
    ZoneName,
    /// `Z` / `ZZ`.
    Offset {
        colon: bool,
    },
    /// `ZZZ`.
    ZoneId,
}

/// A compiled Joda `DateTimeFormat` pattern with its zone (`formatter.withZone(zone)`).
#[derive(Debug, Clone, PartialEq)]
pub struct JodaFormat {
    items: Vec<Item>,
    zone: Zone,
}

impl JodaFormat {
    /// `DateTimeFormat.forPattern(pattern).withZone(zone).withLocale(locale)`. Errors are Joda's
    /// `IllegalArgumentException` messages, or Strait's for what it does not support.
    pub fn compile(pattern: &str, zone: Zone, locale: &str) -> Result<JodaFormat, String> {
        if pattern.is_empty() {
            return Err("Invalid pattern specification".into());
        }
        let chars: Vec<char> = pattern.chars().collect();
        let mut items = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_alphabetic() {
                let mut n = 1;
                while i + n < chars.len() && chars[i + n] == c {
                    n += 1;
                }
                i += n;
                items.push(letter_item(c, n)?);
            } else {
                // Text up to the next unquoted letter; `''` is a quote, in or out of quotes.
                let mut text = String::new();
                let mut quoted = false;
                while i < chars.len() {
                    let c = chars[i];
                    if c == '\'' {
                        if chars.get(i + 1) == Some(&'\'') {
                            text.push('\'');
                            i += 1;
                        } else {
                            quoted = !quoted;
                        }
                    } else if !quoted && c.is_ascii_alphabetic() {
                        break;
                    } else {
                        text.push(c);
                    }
                    i += 1;
                }
                if !text.is_empty() {
                    items.push(Item::Literal(text));
                }
            }
        }
        let english = locale
            .split(['_', '-'])
            .next()
            .is_some_and(|l| l.eq_ignore_ascii_case("en"));
        let has_text = items.iter().any(|it| {
            matches!(
                it,
                Item::MonthText { .. }
                    | Item::DayOfWeekText { .. }
                    | Item::HalfDay
                    | Item::Era
                    | Item::ZoneName
            )
        });
        if has_text && !english {
            return Err(format!(
                "Strait formats month, day, era, half-day and zone names in English only; \
                 locale '{locale}' is not supported with this pattern (use locale 'en' or \
                 numeric fields)"
            ));
        }
        Ok(JodaFormat { items, zone })
    }

    /// The zone the format prints in.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// `new DateTime(utc_ms).toString(formatter)`, appended to `out`.
    pub fn format_into(&self, utc_ms: i64, out: &mut String) -> Result<(), String> {
        let offset = self.zone.offset_ms(utc_ms)?;
        let local = utc_ms
            .checked_add(offset as i64)
            .ok_or_else(|| format!("Instant {utc_ms} is out of the supported range"))?;
        let f = Fields::of_local(local);
        for item in &self.items {
            match item {
                Item::Literal(s) => out.push_str(s),
                Item::Number { letter, min } => {
                    let v = match letter {
                        'y' => f.year,
                        'Y' => f.year_of_era(),
                        'x' => iso_week(f.days, f.year).0,
                        'C' => f.year_of_era() / 100,
                        'w' => iso_week(f.days, f.year).1,
                        'e' => iso_dow(f.days),
                        'D' => f.days - days_from_civil(f.year, 1, 1) + 1,
                        'M' => f.month as i64,
                        'd' => f.day as i64,
                        'H' => f.hour(),
                        'k' => match f.hour() {
                            0 => 24,
                            h => h,
                        },
                        'K' => f.hour() % 12,
                        'h' => match f.hour() % 12 {
                            0 => 12,
                            h => h,
                        },
                        'm' => f.millis_of_day / 60_000 % 60,
                        's' => f.millis_of_day / 1000 % 60,
                        _ => 0,
                    };
                    padded(out, v, *min);
                }
                Item::TwoDigit { letter } => {
                    let y = if *letter == 'x' {
                        iso_week(f.days, f.year).0
                    } else {
                        f.year
                    };
                    padded(out, y.abs() % 100, 2);
                }
                Item::MonthText { long } => {
                    let name = MONTHS[(f.month - 1) as usize];
                    out.push_str(if *long { name } else { &name[..3] });
                }
                Item::DayOfWeekText { long } => {
                    let name = WEEKDAYS[(iso_dow(f.days) - 1) as usize];
                    out.push_str(if *long { name } else { &name[..3] });
                }
                Item::HalfDay => out.push_str(if f.hour() < 12 { "AM" } else { "PM" }),
                Item::Era => out.push_str(if f.year <= 0 { "BC" } else { "AD" }),
                Item::Fraction { min } => fraction(out, f.millis_of_day % 1000, *min),
                Item::ZoneName => out.push_str(&self.zone.short_name(utc_ms)?),
                Item::Offset { colon } => out.push_str(&print_offset(offset, *colon, false)),
                Item::ZoneId => out.push_str(self.zone.id()),
            }
        }
        Ok(())
    }

    /// `format_into` to a new string.
    pub fn format(&self, utc_ms: i64) -> Result<String, String> {
        let mut s = String::new();
        self.format_into(utc_ms, &mut s)?;
        Ok(s)
    }
}

/// Joda's `DateTimeFormat.parsePatternTo` for one run of `n` letters `c`.
fn letter_item(c: char, n: usize) -> Result<Item, String> {
    Ok(match c {
        'y' | 'Y' | 'x' if n == 2 => Item::TwoDigit {
            letter: if c == 'Y' { 'y' } else { c },
        },
        'y' | 'Y' | 'x' | 'C' | 'w' | 'e' | 'D' | 'd' | 'H' | 'k' | 'K' | 'h' | 'm' | 's' => {
            Item::Number { letter: c, min: n }
        }
        'M' if n >= 3 => Item::MonthText { long: n >= 4 },
        'M' => Item::Number { letter: c, min: n },
        'E' => Item::DayOfWeekText { long: n >= 4 },
        'a' => Item::HalfDay,
        'G' => Item::Era,
        'S' => Item::Fraction { min: n },
        'z' if n >= 4 => {
            return Err("Strait does not support long time zone names (zzzz) in path.format".into())
        }
        'z' => Item::ZoneName,
        'Z' if n <= 2 => Item::Offset { colon: n == 2 },
        'Z' => Item::ZoneId,
        _ => {
            return Err(format!(
                "Illegal pattern component: {}",
                std::iter::repeat_n(c, n).collect::<String>()
            ))
        }
    })
}

/// `FormatUtils.appendPaddedInteger`: a minus sign, then the absolute value zero-padded.
fn padded(out: &mut String, v: i64, min: usize) {
    if v < 0 {
        out.push('-');
    }
    let _ = write!(out, "{:0min$}", v.unsigned_abs());
}

/// Joda's fraction printer for milliseconds: the fraction scaled to max(min, 9) digits (at most
/// 18), trailing zeros dropped down to `min` digits.
fn fraction(out: &mut String, millis: i64, min: usize) {
    if millis == 0 {
        out.extend(std::iter::repeat_n('0', min));
        return;
    }
    let max = min.clamp(9, 18);
    let mut digits = format!("{millis:03}");
    digits.extend(std::iter::repeat_n('0', max - 3));
    while digits.len() > min && digits.ends_with('0') {
        digits.pop();
    }
    out.push_str(&digits);
}

// ---------------------------------------------------------------------------------------------
// ISO parser

/// `ISODateTimeFormat.dateTimeParser().parseMillis(text)` (see the module doc for the zone of
/// strings without an offset). Errors are Joda's messages (`Invalid format: ...`,
/// `Cannot parse ...: Value ... must be in the range ...`).
pub fn parse_iso_millis(text: &str) -> Result<i64, String> {
    let mut p = IsoParser {
        b: text.as_bytes(),
        pos: 0,
        furthest: 0,
    };
    let malformed = |p: &IsoParser| {
        if p.furthest >= text.len() {
            format!("Invalid format: \"{text}\" is too short")
        } else {
            format!(
                "Invalid format: \"{text}\" is malformed at \"{}\"",
                &text[p.furthest.min(text.len())..]
            )
        }
    };
    let value = p
        .datetime(text)
        .map_err(|e| e.unwrap_or_else(|| malformed(&p)))?;
    if p.pos != text.len() {
        p.furthest = p.furthest.max(p.pos);
        return Err(malformed(&p));
    }
    Ok(value)
}

struct IsoParser<'a> {
    b: &'a [u8],
    pos: usize,
    /// Where parsing failed, for the "malformed at" message.
    furthest: usize,
}

/// `Err(None)`: malformed (message built by the caller); `Err(Some)`: a field value error.
type PResult<T> = Result<T, Option<String>>;

impl IsoParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }
    fn fail<T>(&mut self) -> PResult<T> {
        self.furthest = self.furthest.max(self.pos);
        Err(None)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// 1 to `max` digits.
    fn number(&mut self, max: usize) -> PResult<i64> {
        let start = self.pos;
        let mut v: i64 = 0;
        while self.pos - start < max {
            match self.peek() {
                Some(d @ b'0'..=b'9') => {
                    v = v * 10 + (d - b'0') as i64;
                    self.pos += 1;
                }
                _ => break,
            }
        }
        if self.pos == start {
            return self.fail();
        }
        Ok(v)
    }
    fn signed(&mut self, max: usize) -> PResult<i64> {
        let neg = self.eat(b'-') || {
            self.eat(b'+');
            false
        };
        let v = self.number(max)?;
        Ok(if neg { -v } else { v })
    }
    /// `('.' | ',') digit+` as a fraction in [0, 1), scaled to nanoseconds of one unit.
    fn fraction(&mut self) -> PResult<Option<i64>> {
        if !matches!(self.peek(), Some(b'.' | b',')) {
            return Ok(None);
        }
        self.pos += 1;
        let start = self.pos;
        let v = self.number(9)?;
        let n = self.pos - start;
        Ok(Some(v * 10i64.pow((9 - n) as u32)))
    }

    fn datetime(&mut self, text: &str) -> PResult<i64> {
        let range = |name: &str, v: i64, lo: i64, hi: i64| -> PResult<()> {
            if v < lo || v > hi {
                return Err(Some(format!(
                    "Cannot parse \"{text}\": Value {v} for {name} must be in the range [{lo},{hi}]"
                )));
            }
            Ok(())
        };
        let mut days = 0i64;
        let has_date = self.peek() != Some(b'T');
        if has_date {
            let year = self.signed(9)?;
            range("year", year, -292_275_054, 292_278_993)?;
            if self.eat(b'-') {
                if self.eat(b'W') {
                    // Week date: weekyear-Www[-e].
                    let week = self.number(2)?;
                    let dow = if self.eat(b'-') { self.number(1)? } else { 1 };
                    let jan4 = days_from_civil(year, 1, 4);
                    let week1 = jan4 - (iso_dow(jan4) - 1);
                    let weeks_in_year = (iso_week(days_from_civil(year, 12, 28), year)).1;
                    range("weekOfWeekyear", week, 1, weeks_in_year)?;
                    range("dayOfWeek", dow, 1, 7)?;
                    days = week1 + (week - 1) * 7 + dow - 1;
                } else {
                    let start = self.pos;
                    let first = self.number(3)?;
                    if self.pos - start == 3 {
                        // Ordinal date: yyyy-DDD.
                        let max = if is_leap(year) { 366 } else { 365 };
                        range("dayOfYear", first, 1, max)?;
                        days = days_from_civil(year, 1, 1) + first - 1;
                    } else {
                        range("monthOfYear", first, 1, 12)?;
                        let day = if self.eat(b'-') { self.number(2)? } else { 1 };
                        let dim = days_in_month(year, first as u32) as i64;
                        range("dayOfMonth", day, 1, dim)?;
                        days = days_from_civil(year, first as u32, day as u32);
                    }
                }
            } else {
                days = days_from_civil(year, 1, 1);
            }
        }
        let mut millis = days * MILLIS_PER_DAY;
        let mut offset: Option<i64> = None;
        if self.eat(b'T') {
            // time-element: HH [(':' mm [':' ss [fraction]] | fraction)] (optional after a date).
            if matches!(self.peek(), Some(b'0'..=b'9')) || !has_date {
                let h = self.number(2)?;
                range("hourOfDay", h, 0, 23)?;
                let mut nanos_of_day = h * 3_600_000_000_000;
                if self.eat(b':') {
                    let m = self.number(2)?;
                    range("minuteOfHour", m, 0, 59)?;
                    nanos_of_day += m * 60_000_000_000;
                    if self.eat(b':') {
                        let s = self.number(2)?;
                        range("secondOfMinute", s, 0, 59)?;
                        nanos_of_day += s * 1_000_000_000;
                        if let Some(f) = self.fraction()? {
                            nanos_of_day += f;
                        }
                    } else if let Some(f) = self.fraction()? {
                        nanos_of_day += f * 60;
                    }
                } else if let Some(f) = self.fraction()? {
                    nanos_of_day += f * 3600;
                }
                millis += nanos_of_day / 1_000_000;
            }
            offset = self.offset()?;
        }
        Ok(millis - offset.unwrap_or(0))
    }

    /// `'Z' | ('+' | '-') HH [[':'] mm [[':'] ss [('.' | ',') SSS]]]`.
    fn offset(&mut self) -> PResult<Option<i64>> {
        match self.peek() {
            Some(b'Z') => {
                self.pos += 1;
                Ok(Some(0))
            }
            Some(s @ (b'+' | b'-')) => {
                self.pos += 1;
                let two = |p: &mut Self| -> PResult<i64> {
                    let start = p.pos;
                    let v = p.number(2)?;
                    if p.pos - start != 2 {
                        p.pos = start;
                        return p.fail();
                    }
                    Ok(v)
                };
                let h = two(self)?;
                if h > 23 {
                    return self.fail();
                }
                let mut ms = h * 3_600_000;
                let colon = self.peek() == Some(b':');
                let next = |p: &mut Self| -> bool {
                    if colon {
                        p.peek() == Some(b':') && {
                            p.pos += 1;
                            true
                        }
                    } else {
                        matches!(p.peek(), Some(b'0'..=b'9'))
                    }
                };
                if next(self) {
                    let m = two(self)?;
                    if m > 59 {
                        return self.fail();
                    }
                    ms += m * 60_000;
                    if next(self) {
                        let sec = two(self)?;
                        if sec > 59 {
                            return self.fail();
                        }
                        ms += sec * 1000;
                        if matches!(self.peek(), Some(b'.' | b',')) {
                            self.pos += 1;
                            let start = self.pos;
                            let v = self.number(3)?;
                            if self.pos - start != 3 {
                                return self.fail();
                            }
                            ms += v;
                        }
                    }
                }
                Ok(Some(if s == b'-' { -ms } else { ms }))
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc_ms(y: i64, m: u32, d: u32, h: i64, mi: i64, s: i64, ms: i64) -> i64 {
        days_from_civil(y, m, d) * MILLIS_PER_DAY + h * 3_600_000 + mi * 60_000 + s * 1000 + ms
    }

    fn fmt(pattern: &str, zone: &str, t: i64) -> String {
        JodaFormat::compile(pattern, Zone::for_id(zone).unwrap(), "en")
            .unwrap()
            .format(t)
            .unwrap()
    }

    #[test]
    fn calendar_round_trips() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(iso_dow(0), 4, "1970-01-01 was a Thursday");
    }

    #[test]
    fn confluent_path_formats() {
        // TimeBasedPartitionerTest's DATE_TIME: 2015-04-02T01:00 in Los Angeles.
        let t = utc_ms(2015, 4, 2, 8, 0, 0, 0);
        assert_eq!(
            fmt(
                "'year'=YYYY/'month'=M/'day'=d/'hour'=H",
                "America/Los_Angeles",
                t
            ),
            "year=2015/month=4/day=2/hour=1"
        );
        assert_eq!(
            fmt("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH", "UTC", t),
            "year=2015/month=04/day=02/hour=08"
        );
    }

    #[test]
    fn pattern_letters() {
        // 2024-12-30T15:04:05.007Z: a Monday in ISO week 1 of weekyear 2025.
        let t = utc_ms(2024, 12, 30, 15, 4, 5, 7);
        assert_eq!(
            fmt("YYYY yyyy yy YY xxxx xx w e", "UTC", t),
            "2024 2024 24 24 2025 25 1 1"
        );
        assert_eq!(
            fmt("MMM MMMM E EEEE a G C D", "UTC", t),
            "Dec December Mon Monday PM AD 20 365"
        );
        assert_eq!(fmt("h K k H m s", "UTC", t), "3 3 15 15 4 5");
        assert_eq!(fmt("hh:mm:ss.SSS", "UTC", t), "03:04:05.007");
        assert_eq!(fmt("S|SS|SSSS", "UTC", t), "007|007|0070");
        assert_eq!(fmt("S", "UTC", t + 493), "5");
        assert_eq!(fmt("SS", "UTC", t - 7), "00");
        assert_eq!(fmt("Z ZZ ZZZ z", "UTC", t), "+0000 +00:00 UTC UTC");
        assert_eq!(
            fmt("Z ZZ ZZZ z", "Europe/Paris", t),
            "+0100 +01:00 Europe/Paris CET"
        );
        assert_eq!(fmt("Z ZZ ZZZ", "+05:30", t), "+0530 +05:30 +05:30");
        // Midnight: k is 24, h is 12, K is 0.
        let midnight = utc_ms(2024, 1, 1, 0, 0, 0, 0);
        assert_eq!(fmt("k h K a", "UTC", midnight), "24 12 0 AM");
        // Quotes: '' is a quote, inside or outside quoted text; other non-letters are literal.
        assert_eq!(
            fmt("'o''clock' '' HH-mm", "UTC", midnight),
            "o'clock ' 00-00"
        );
        // An unterminated quote runs to the end.
        assert_eq!(fmt("yyyy'dt=", "UTC", midnight), "2024dt=");
    }

    #[test]
    fn years_before_common_era() {
        // Year 0 is 1 BC; Joda's y is signed, Y is the year of era.
        let t = utc_ms(0, 6, 1, 0, 0, 0, 0);
        assert_eq!(fmt("yyyy YYYY G", "UTC", t), "0000 0001 BC");
        let t = utc_ms(-44, 3, 15, 0, 0, 0, 0);
        assert_eq!(fmt("yyyy YYYY G yy", "UTC", t), "-0044 0045 BC 44");
        // Before 1970 (negative epoch millis).
        assert_eq!(
            fmt("yyyy-MM-dd HH:mm:ss.SSS", "UTC", -1),
            "1969-12-31 23:59:59.999"
        );
    }

    #[test]
    fn bad_patterns_and_locales() {
        let err = |p: &str, l: &str| JodaFormat::compile(p, Zone::utc(), l).unwrap_err();
        // Confluent's testInvalidPathFormat: the literals are not quoted, `r` is not a letter.
        assert_eq!(
            err("year='YYYY'/month='MM'", "en"),
            "Illegal pattern component: r"
        );
        assert_eq!(err("yyyy/qq", "en"), "Illegal pattern component: qq");
        assert!(err("zzzz", "en").contains("zzzz"));
        assert!(err("MMM", "fr").contains("locale 'fr'"));
        // Numeric patterns work in any locale; English text in en variants.
        assert!(JodaFormat::compile("YYYY/MM", Zone::utc(), "es_CL").is_ok());
        assert!(JodaFormat::compile("MMM", Zone::utc(), "en_US").is_ok());
    }

    #[test]
    fn zone_ids() {
        assert_eq!(Zone::for_id("UTC").unwrap(), Zone::utc());
        assert_eq!(Zone::for_id("+00:00").unwrap(), Zone::utc());
        assert_eq!(
            Zone::for_id("-03:30").unwrap().offset_ms(0).unwrap(),
            -12_600_000
        );
        assert_eq!(Zone::for_id("+0530").unwrap().id(), "+05:30");
        assert_eq!(Zone::for_id("+05").unwrap().id(), "+05:00");
        assert_eq!(
            Zone::for_id("America/Santiago").unwrap().id(),
            "America/Santiago"
        );
        for bad in ["Mars/Olympus", "+24:00", "+5:00", "+05:0", ""] {
            assert_eq!(
                Zone::for_id(bad).unwrap_err(),
                format!("The datetime zone id '{bad}' is not recognised")
            );
        }
    }

    #[test]
    fn local_to_utc_in_gaps_and_overlaps() {
        let ny = Zone::for_id("America/New_York").unwrap();
        // 2024-03-10 02:30 does not exist in New York: Joda uses the pre-gap offset (-5h).
        let local = utc_ms(2024, 3, 10, 2, 30, 0, 0);
        assert_eq!(
            ny.local_to_utc(local).unwrap(),
            utc_ms(2024, 3, 10, 7, 30, 0, 0)
        );
        // 2024-11-03 01:30 happens twice: the earlier (EDT, -4h) instant.
        let local = utc_ms(2024, 11, 3, 1, 30, 0, 0);
        assert_eq!(
            ny.local_to_utc(local).unwrap(),
            utc_ms(2024, 11, 3, 5, 30, 0, 0)
        );
        // Eastern hemisphere gap: Paris 2024-03-31 02:30 → Joda keeps the pre-gap offset (+1h)
        // estimate, i.e. 01:30Z (03:30 CEST).
        let paris = Zone::for_id("Europe/Paris").unwrap();
        let local = utc_ms(2024, 3, 31, 2, 30, 0, 0);
        assert_eq!(
            paris.local_to_utc(local).unwrap(),
            utc_ms(2024, 3, 31, 1, 30, 0, 0)
        );
        assert_eq!(
            paris.utc_to_local(utc_ms(2024, 7, 1, 0, 0, 0, 0)).unwrap(),
            utc_ms(2024, 7, 1, 2, 0, 0, 0)
        );
    }

    #[test]
    fn iso_parser() {
        let p = |s: &str| parse_iso_millis(s);
        assert_eq!(p("2024-05-09T03:17:33Z"), Ok(1_715_224_653_000));
        assert_eq!(p("2024-05-09T03:17:33.5Z"), Ok(1_715_224_653_500));
        assert_eq!(p("2024-05-09T05:17:33,123+02:00"), Ok(1_715_224_653_123));
        assert_eq!(p("2024-05-09T05:17:33+0200"), Ok(1_715_224_653_000));
        assert_eq!(p("2024-05-09"), Ok(utc_ms(2024, 5, 9, 0, 0, 0, 0)));
        assert_eq!(p("2024-5-9T3"), Ok(utc_ms(2024, 5, 9, 3, 0, 0, 0)));
        assert_eq!(p("2024"), Ok(utc_ms(2024, 1, 1, 0, 0, 0, 0)));
        assert_eq!(p("2024-130"), Ok(utc_ms(2024, 5, 9, 0, 0, 0, 0)));
        assert_eq!(p("2025-W01-1"), Ok(utc_ms(2024, 12, 30, 0, 0, 0, 0)));
        assert_eq!(p("2024-05-09T10.5"), Ok(utc_ms(2024, 5, 9, 10, 30, 0, 0)));
        assert_eq!(p("2024-05-09T"), Ok(utc_ms(2024, 5, 9, 0, 0, 0, 0)));
        assert_eq!(p("T10:15Z"), Ok(utc_ms(1970, 1, 1, 10, 15, 0, 0)));
        assert_eq!(
            p("abc"),
            Err("Invalid format: \"abc\" is malformed at \"abc\"".into())
        );
        assert_eq!(
            p("2024-05-09x"),
            Err("Invalid format: \"2024-05-09x\" is malformed at \"x\"".into())
        );
        assert_eq!(
            p("2024-"),
            Err("Invalid format: \"2024-\" is too short".into())
        );
        assert_eq!(
            p("2024-13-01"),
            Err(
                "Cannot parse \"2024-13-01\": Value 13 for monthOfYear must be in the range [1,12]"
                    .into()
            )
        );
        assert_eq!(
            p("2023-02-29"),
            Err(
                "Cannot parse \"2023-02-29\": Value 29 for dayOfMonth must be in the range [1,28]"
                    .into()
            )
        );
    }
}
