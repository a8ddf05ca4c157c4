//! The mapping grammar of `topic.<topic>.<keyspace>.<table>.mapping`: DataStax's `Mapping.g4`
//! (messaging-connectors-commons), parsed by hand.
//!
//! ```text
//! mapping     := entry ( ',' entry )* EOF
//! entry       := column '=' field
//! column      := UNQUOTED | QUOTED
//! field       := UNQUOTED ( UNQUOTED | '.' )*        e.g. value.a.b, key, header.h
//!              | QUOTED                              e.g. "value.My Field"
//!              | name '(' ( ident ( ',' ident )* )? ')'    a function call; only now() is accepted
//! name        := ( ident '.' )? ident
//! ident       := UNQUOTED | QUOTED
//! UNQUOTED    := [A-Za-z0-9_]+
//! QUOTED      := '"' ( any character but '"' | '""' )+ '"'
//! whitespace  := ' ' '\t' '\r' '\n', ignored between tokens
//! ```
//!
//! What an entry means follows DataStax's `MappingInspector`:
//! - An unquoted column is taken literally (case-sensitive, `MyCol` is the column `MyCol`); a
//!   quoted one is CQL (`"My ""Col"""` is `My "Col"`). Unquoted `__ttl` and `__timestamp` are
//!   the row's TTL and write time ([`Target::Ttl`], [`Target::Timestamp`]); quoted, they are
//!   ordinary columns.
//! - A field is its tokens' text joined without the whitespace (so `value . a` is `value.a`,
//!   and, as in DataStax, `value.a b` is `value.ab`); a quoted field is its unquoted text
//!   (`"value.My Field"`). That text must be `key`, `value`, start with `key.`, `value.` or
//!   `header.`, or be `now()`; anything else is DataStax's "Invalid field name" error. A function
//!   call is checked by its text too: `now ( )` is `now()`; `NOW()`, `uuid()`, `now(x)` and
//!   `system.now()` are invalid field names, as in DataStax (its `FunctionMapper` knows only
//!   `now()`).
//! - `key.a.b` / `value.a.b` become [`Source::KeyField`] / [`Source::ValueField`] with the path
//!   split at the dots; `header.a.b` is the header named `a.b`. (DataStax's runtime looks the
//!   whole text after `value.` up as one top-level field name; whether a path is followed into
//!   nested structs is the task's business, this module only keeps the segments.)
//! - A column mapped twice is DataStax's "Mapping already defined for column" error (`__ttl`
//!   and a column named `message_internal_ttl` are the same to DataStax, and so here).
//!
//! Errors are DataStax's, word for word, with the place they are at:
//! - Text outside the grammar is one error, worded as DataStax's ANTLR 4.7 parser words its
//!   first error (`mismatched input '.' expecting '='`, `extraneous input …`,
//!   `missing … at …`, `no viable alternative at input …`, `token recognition error at: …`) at
//!   ANTLR's `line:column` (line from 1, column from 0, counted in characters). The parser follows
//!   ANTLR's recovery decisions for this grammar (single-token deletion, then insertion, loop
//!   syncs, adaptive prediction with its fall-back to an alternative that finished the rule),
//!   and reads tokens as lazily as ANTLR does, so the same first error wins when a lexical and
//!   a syntax error are both present.
//! - Entries that parse but mean nothing are every error, in DataStax's order, each followed by
//!   ` (at line L:C)` — DataStax gives no position for these; Strait adds it.
//!
//! Beyond DataStax (documented in the config module):
//! - A path segment may be quoted, `value."My Field".x`, `header."X-Trace.Id"`: the segment is
//!   taken whole, dots included. DataStax's grammar rejects this; quoting the whole field
//!   (`"value.My Field"`) works in both.
//! - An empty path segment (`key.`, `value..x`, `header.`) is rejected here; DataStax accepts it
//!   and then can never find the field.

use super::config::{Identifier, MappingEntry, Source, Target};

/// A place in the mapping text, as ANTLR reports it: line from 1, column from 0 (characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One problem in a mapping: DataStax's words and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    pub message: String,
    pub position: Position,
}

/// Why a mapping was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingFailure {
    /// Not in the grammar: the first problem (DataStax stops there too).
    Syntax(MappingError),
    /// In the grammar, but some entries mean nothing: every such problem, in order.
    Invalid(Vec<MappingError>),
}

impl MappingFailure {
    /// DataStax's whole message for the mapping `text` of the setting `key` (with Strait's
    /// positions on the errors DataStax gives without one).
    pub fn message(&self, key: &str, text: &str) -> String {
        let detail = match self {
            MappingFailure::Syntax(e) => {
                format!("Could not be parsed at line {}: {}", e.position, e.message)
            }
            MappingFailure::Invalid(errors) => {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{} (at line {})", e.message, e.position))
                    .collect();
                format!("Encountered the following errors:\n{}", lines.join("\n  "))
            }
        };
        format!("Invalid value '{text}' for configuration {key}: {detail}")
    }
}

/// DataStax's internal name of the TTL bind variable (`__ttl` is renamed to it).
const TTL_VARIABLE: &str = "message_internal_ttl";
/// DataStax's internal name of the write-time bind variable (`__timestamp`).
const TIMESTAMP_VARIABLE: &str = "message_internal_timestamp";

/// Parse a mapping (the setting's value, already trimmed as Kafka trims a STRING).
pub fn parse(text: &str) -> Result<Vec<MappingEntry>, MappingFailure> {
    let lexed = lex(text);
    let raw = match Parser::new(text, &lexed).mapping() {
        Ok(raw) => raw,
        Err(datastax) => match extended(&lexed) {
            Some(raw) => raw,
            None => return Err(datastax),
        },
    };
    interpret(text, &raw)
}

// --- Tokens -------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Comma,
    Equals,
    Dot,
    Open,
    Close,
    Unquoted,
    Quoted,
    Eof,
}

impl Kind {
    /// ANTLR's display name (its vocabulary).
    fn display(self) -> &'static str {
        match self {
            Kind::Comma => "','",
            Kind::Equals => "'='",
            Kind::Dot => "'.'",
            Kind::Open => "'('",
            Kind::Close => "')'",
            Kind::Unquoted => "UNQUOTED_STRING",
            Kind::Quoted => "QUOTED_STRING",
            Kind::Eof => "<EOF>",
        }
    }

    /// ANTLR's token type: expected sets are printed in this order.
    fn number(self) -> i32 {
        match self {
            Kind::Eof => -1,
            Kind::Comma => 1,
            Kind::Equals => 2,
            Kind::Dot => 3,
            Kind::Open => 4,
            Kind::Close => 5,
            Kind::Unquoted => 6,
            Kind::Quoted => 7,
        }
    }
}

const IDENT: &[Kind] = &[Kind::Unquoted, Kind::Quoted];
const AFTER_ENTRY: &[Kind] = &[Kind::Eof, Kind::Comma];
const IN_ARGUMENTS: &[Kind] = &[Kind::Comma, Kind::Close];

/// ANTLR's `IntervalSet.toString(vocabulary)`.
fn expected_text(kinds: &[Kind]) -> String {
    let mut sorted = kinds.to_vec();
    sorted.sort_by_key(|k| k.number());
    if sorted.len() == 1 {
        sorted[0].display().to_string()
    } else {
        let names: Vec<&str> = sorted.iter().map(|k| k.display()).collect();
        format!("{{{}}}", names.join(", "))
    }
}

/// ANTLR's escaping of whitespace in error texts.
fn escape_ws(s: &str) -> String {
    s.replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    /// Byte range in the text.
    start: usize,
    end: usize,
    position: Position,
}

/// The tokens ANTLR's lexer would give the parser (whitespace dropped). When the lexer fails,
/// `tokens` stops before the failure and `error` holds it: the parser meets it when it asks
/// for the token at `tokens.len()`, as ANTLR's lazily filled token stream does.
struct Lexed {
    tokens: Vec<Token>,
    error: Option<MappingError>,
}

fn lex(text: &str) -> Lexed {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map(|(b, _)| *b).unwrap_or(text.len());
    // Position of every character index (and of the end), as ANTLR counts: a '\n' starts a line.
    let mut positions = Vec::with_capacity(chars.len() + 1);
    let (mut line, mut column) = (1, 0);
    for (_, c) in &chars {
        positions.push(Position { line, column });
        if *c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
    }
    positions.push(Position { line, column });

    let mut tokens = Vec::new();
    let mut i = 0;
    let token = |kind, from: usize, to: usize| Token {
        kind,
        start: byte_at(from),
        end: byte_at(to),
        position: positions[from],
    };
    let failure = |from: usize, upto: usize| {
        // ANTLR shows the text from the token's start through the character it failed on.
        let end = byte_at((upto + 1).min(chars.len()));
        MappingError {
            message: format!(
                "token recognition error at: '{}'",
                escape_ws(&text[byte_at(from)..end])
            ),
            position: positions[from],
        }
    };
    while i < chars.len() {
        let c = chars[i].1;
        let single = match c {
            ' ' | '\t' | '\r' | '\n' => {
                i += 1;
                continue;
            }
            ',' => Some(Kind::Comma),
            '=' => Some(Kind::Equals),
            '.' => Some(Kind::Dot),
            '(' => Some(Kind::Open),
            ')' => Some(Kind::Close),
            _ => None,
        };
        if let Some(kind) = single {
            tokens.push(token(kind, i, i + 1));
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let from = i;
            while i < chars.len() && (chars[i].1.is_ascii_alphanumeric() || chars[i].1 == '_') {
                i += 1;
            }
            tokens.push(token(Kind::Unquoted, from, i));
        } else if c == '"' {
            match quoted_end(&chars, i) {
                Ok(end) => {
                    tokens.push(token(Kind::Quoted, i, end));
                    i = end;
                }
                Err(failed_at) => {
                    return Lexed {
                        tokens,
                        error: Some(failure(i, failed_at)),
                    }
                }
            }
        } else {
            return Lexed {
                tokens,
                error: Some(failure(i, i)),
            };
        }
    }
    tokens.push(token(Kind::Eof, chars.len(), chars.len()));
    Lexed {
        tokens,
        error: None,
    }
}

/// Where the quoted string opening at `open` ends (exclusive), longest match first as ANTLR's
/// lexer takes it; or the index of the character the lexer fails on (`chars.len()` at the end).
fn quoted_end(chars: &[(usize, char)], open: usize) -> Result<usize, usize> {
    let is_quote = |i: usize| chars.get(i).is_some_and(|(_, c)| *c == '"');
    let mut i = open + 1;
    let mut has_content = false;
    // The end of the longest complete string seen so far: the lexer falls back to it.
    let mut accepted = None;
    loop {
        if i >= chars.len() {
            return accepted.ok_or(chars.len());
        }
        if !is_quote(i) {
            has_content = true;
            i += 1;
            continue;
        }
        if has_content {
            accepted = Some(i + 1);
        }
        if is_quote(i + 1) {
            // `""`: an escaped quote, part of the content.
            has_content = true;
            i += 2;
            continue;
        }
        return if has_content { Ok(i + 1) } else { Err(i + 1) };
    }
}

/// CQL's unquoting of a double-quoted identifier (`"a""b"` → `a"b`).
pub(crate) fn unquote(quoted: &str) -> String {
    let inner = &quoted[1..quoted.len() - 1];
    inner.replace("\"\"", "\"")
}

// --- What the parser builds ---------------------------------------------------------------------

#[derive(Debug, Clone)]
enum RawField {
    /// `value.a.b`: unquoted names and dots (and, beyond DataStax, quoted segments).
    Path(Vec<Token>),
    /// `"value.a"`.
    Quoted(Token),
    /// `name(args)`: every token of the call.
    Call(Vec<Token>),
}

#[derive(Debug, Clone)]
struct RawEntry {
    column: Token,
    field: RawField,
    field_start: Token,
}

// --- The parser: DataStax's grammar with ANTLR's error decisions --------------------------------

/// A decision's alternative as ANTLR's prediction sees it: an automaton over token kinds,
/// followed (once it can end) by the tokens that follow the rule.
struct Alternative {
    step: fn(u8, Kind) -> Option<u8>,
    can_end: fn(u8) -> bool,
}

/// States of a prediction: inside an alternative, or already in what follows the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Config {
    In(u8),
    Beyond,
}

/// `field`: a path, a quoted string, or a function call (all `field` states from 0).
const FIELD: [Alternative; 3] = [
    Alternative {
        step: |s, k| match (s, k) {
            (0, Kind::Unquoted) | (1, Kind::Unquoted | Kind::Dot) => Some(1),
            _ => None,
        },
        can_end: |s| s == 1,
    },
    Alternative {
        step: |s, k| match (s, k) {
            (0, Kind::Quoted) => Some(1),
            _ => None,
        },
        can_end: |s| s == 1,
    },
    Alternative {
        step: call_step,
        can_end: |s| s == 7,
    },
];

/// `function`: without arguments, or with them.
const FUNCTION: [Alternative; 2] = [
    Alternative {
        step: |s, k| {
            if s == 4 && k != Kind::Close {
                None
            } else {
                call_step(s, k)
            }
        },
        can_end: |s| s == 7,
    },
    Alternative {
        step: |s, k| {
            if s == 4 && k == Kind::Close {
                None
            } else {
                call_step(s, k)
            }
        },
        can_end: |s| s == 7,
    },
];

/// `functionName`'s optional `( identifier '.' )?`: taken, or not.
const QUALIFIER: [Alternative; 2] = [
    Alternative {
        step: |s, k| match (s, k) {
            (0, Kind::Unquoted | Kind::Quoted) => Some(1),
            (1, Kind::Dot) => Some(2),
            (2, Kind::Unquoted | Kind::Quoted) => Some(3),
            _ => None,
        },
        can_end: |s| s == 3,
    },
    Alternative {
        step: |s, k| match (s, k) {
            (0, Kind::Unquoted | Kind::Quoted) => Some(1),
            _ => None,
        },
        can_end: |s| s == 1,
    },
];

/// A whole function call: name (1, or 1 '.' 2 3), '(' 4, arguments (5, ',' 6), ')' 7.
fn call_step(s: u8, k: Kind) -> Option<u8> {
    let ident = matches!(k, Kind::Unquoted | Kind::Quoted);
    match s {
        0 if ident => Some(1),
        1 if k == Kind::Dot => Some(2),
        2 if ident => Some(3),
        1 | 3 if k == Kind::Open => Some(4),
        4 if k == Kind::Close => Some(7),
        4 | 6 if ident => Some(5),
        5 if k == Kind::Comma => Some(6),
        5 if k == Kind::Close => Some(7),
        _ => None,
    }
}

struct Parser<'a> {
    text: &'a str,
    lexed: &'a Lexed,
    /// Index of the current token (ANTLR's `LT(1)`).
    p: usize,
    /// ANTLR's `nextTokensContext`: the expected tokens recorded by the last loop sync that
    /// let an unexpected token through to be dealt with by the caller; a later mismatch
    /// reports them.
    pending_expected: Option<&'static [Kind]>,
}

type Step<T> = Result<T, MappingFailure>;

impl<'a> Parser<'a> {
    fn new(text: &'a str, lexed: &'a Lexed) -> Self {
        Parser {
            text,
            lexed,
            p: 0,
            pending_expected: None,
        }
    }

    /// The token at `index`, read as ANTLR's token stream reads it: asking for the token the
    /// lexer fails on raises the lexer's error.
    fn token(&self, index: usize) -> Step<Token> {
        let tokens = &self.lexed.tokens;
        match tokens.get(index) {
            Some(t) => Ok(*t),
            None => match &self.lexed.error {
                Some(e) => Err(MappingFailure::Syntax(e.clone())),
                None => Ok(*tokens.last().expect("the lexer ends with EOF")),
            },
        }
    }

    /// `LT(k)`.
    fn la(&self, k: usize) -> Step<Token> {
        self.token(self.p + k - 1)
    }

    /// Consume the current token; ANTLR's stream then reads the next one.
    fn consume(&mut self) -> Step<Token> {
        let t = self.la(1)?;
        self.p += 1;
        self.la(1)?;
        Ok(t)
    }

    fn error(&self, at: Token, message: String) -> MappingFailure {
        MappingFailure::Syntax(MappingError {
            message,
            position: at.position,
        })
    }

    fn show(&self, t: Token) -> String {
        if t.kind == Kind::Eof {
            "'<EOF>'".to_string()
        } else {
            format!("'{}'", escape_ws(&self.text[t.start..t.end]))
        }
    }

    fn extraneous(&self, t: Token, expected: &[Kind]) -> MappingFailure {
        let message = format!(
            "extraneous input {} expecting {}",
            self.show(t),
            expected_text(expected)
        );
        self.error(t, message)
    }

    fn mismatched(&self, t: Token, expected: &[Kind]) -> MappingFailure {
        let message = format!(
            "mismatched input {} expecting {}",
            self.show(t),
            expected_text(expected)
        );
        self.error(t, message)
    }

    /// `DefaultErrorStrategy.recoverInline` when the current token is not one of `expected`:
    /// single-token deletion, then insertion (`follow`: what may come after the expected
    /// token), else a mismatch.
    fn recover_inline(&self, expected: &[Kind], follow: &[Kind]) -> MappingFailure {
        let (t1, t2) = match (self.la(1), self.la(2)) {
            (Ok(t1), Ok(t2)) => (t1, t2),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        if expected.contains(&t2.kind) {
            return self.extraneous(t1, expected);
        }
        if follow.contains(&t1.kind) {
            let message = format!("missing {} at {}", expected_text(expected), self.show(t1));
            return self.error(t1, message);
        }
        self.mismatched(t1, self.pending_expected.unwrap_or(expected))
    }

    fn match_kinds(&mut self, expected: &[Kind], follow: &[Kind]) -> Step<Token> {
        let t = self.la(1)?;
        if expected.contains(&t.kind) {
            self.consume()
        } else {
            Err(self.recover_inline(expected, follow))
        }
    }

    /// A loop's sync when the loop may also be left (the expected set holds EPSILON): a token
    /// that continues the loop clears the recorded expectation, any other is left to the
    /// caller with `full` (what the state expects in context) recorded.
    fn sync_optional_loop(&mut self, continues: &[Kind], full: &'static [Kind]) -> Step<bool> {
        let t = self.la(1)?;
        if continues.contains(&t.kind) {
            self.pending_expected = None;
            Ok(true)
        } else {
            if self.pending_expected.is_none() {
                self.pending_expected = Some(full);
            }
            Ok(false)
        }
    }

    /// ANTLR's SLL prediction for a decision: follow every alternative token by token (an
    /// alternative that can end goes on into `follow`); stop as soon as one alternative is
    /// left. When none is left, the lowest alternative that could have ended wins; without one
    /// it is "no viable alternative", from the decision's first token to the failing one.
    fn predict(&self, alternatives: &[Alternative], follow: &[Kind]) -> Step<usize> {
        let mut configs: Vec<(usize, Config)> = (0..alternatives.len())
            .map(|alt| (alt, Config::In(0)))
            .collect();
        let first = self.la(1)?;
        let mut i = 0;
        loop {
            let t = self.token(self.p + i)?;
            let mut reach: Vec<(usize, Config)> = Vec::new();
            for &(alt, config) in &configs {
                let Config::In(state) = config else { continue };
                let a = &alternatives[alt];
                if let Some(next) = (a.step)(state, t.kind) {
                    reach.push((alt, Config::In(next)));
                }
                if (a.can_end)(state) && follow.contains(&t.kind) {
                    reach.push((alt, Config::Beyond));
                }
            }
            if reach.is_empty() {
                let finished = configs
                    .iter()
                    .filter(|(alt, c)| match c {
                        Config::In(s) => (alternatives[*alt].can_end)(*s),
                        Config::Beyond => true,
                    })
                    .map(|(alt, _)| *alt)
                    .min();
                return match finished {
                    Some(alt) => Ok(alt),
                    None => Err(self.no_viable(first, t)),
                };
            }
            let alt = reach[0].0;
            if reach.iter().all(|(a, _)| *a == alt) || t.kind == Kind::Eof {
                // One alternative left (at EOF, ANTLR resolves any tie to the lowest; this
                // grammar has none).
                return Ok(reach.iter().map(|(a, _)| *a).min().unwrap_or(alt));
            }
            // In this grammar a second alternative never survives into what follows the rule,
            // so `Beyond` needs no automaton of its own.
            configs = reach;
            i += 1;
        }
    }

    fn no_viable(&self, start: Token, at: Token) -> MappingFailure {
        // ANTLR words this error with the text of the tokens between, which it reads by filling
        // the whole token stream: a lexical error anywhere in the text is met first.
        if let Some(e) = &self.lexed.error {
            return MappingFailure::Syntax(e.clone());
        }
        let end = if at.kind == Kind::Eof {
            self.text.len()
        } else {
            at.end
        };
        let input = if start.kind == Kind::Eof {
            "<EOF>".to_string()
        } else {
            escape_ws(&self.text[start.start..end])
        };
        self.error(at, format!("no viable alternative at input '{input}'"))
    }

    /// `mapping: mappedEntry (',' mappedEntry)* EOF`.
    fn mapping(mut self) -> Step<Vec<RawEntry>> {
        let mut entries = vec![self.entry()?];
        let mut first = true;
        loop {
            // The loop's sync: at its entry (first time) a stray token may be deleted if the
            // next one fits, else it is a mismatch; at its loop-back it is always "extraneous".
            let t = self.la(1)?;
            if AFTER_ENTRY.contains(&t.kind) {
                self.pending_expected = None;
            } else if first {
                let t2 = self.la(2)?;
                return Err(if AFTER_ENTRY.contains(&t2.kind) {
                    self.extraneous(t, AFTER_ENTRY)
                } else {
                    self.mismatched(t, AFTER_ENTRY)
                });
            } else {
                return Err(self.extraneous(t, AFTER_ENTRY));
            }
            if t.kind == Kind::Eof {
                return Ok(entries);
            }
            self.consume()?;
            entries.push(self.entry()?);
            first = false;
        }
    }

    /// `mappedEntry: column '=' field`.
    fn entry(&mut self) -> Step<RawEntry> {
        let column = self.match_kinds(IDENT, &[Kind::Equals])?;
        self.match_kinds(&[Kind::Equals], IDENT)?;
        let field_start = self.la(1)?;
        let field = self.field()?;
        Ok(RawEntry {
            column,
            field,
            field_start,
        })
    }

    fn field(&mut self) -> Step<RawField> {
        // The block's sync: the field must start with a name.
        let t = self.la(1)?;
        if !IDENT.contains(&t.kind) {
            let t2 = self.la(2)?;
            return Err(if IDENT.contains(&t2.kind) {
                self.extraneous(t, IDENT)
            } else {
                self.mismatched(t, IDENT)
            });
        }
        self.pending_expected = None;
        match self.predict(&FIELD, AFTER_ENTRY)? {
            0 => {
                let mut tokens = vec![self.consume()?];
                while self.sync_optional_loop(
                    &[Kind::Dot, Kind::Unquoted],
                    &[Kind::Eof, Kind::Comma, Kind::Dot, Kind::Unquoted],
                )? {
                    tokens.push(self.consume()?);
                }
                Ok(RawField::Path(tokens))
            }
            1 => Ok(RawField::Quoted(self.consume()?)),
            _ => self.function().map(RawField::Call),
        }
    }

    /// `function: functionName '(' ')' | functionName '(' functionArgs ')'`.
    fn function(&mut self) -> Step<Vec<Token>> {
        self.pending_expected = None;
        let with_arguments = self.predict(&FUNCTION, AFTER_ENTRY)? == 1;
        let mut tokens = Vec::new();
        // functionName: ( identifier '.' )? identifier — prediction has seen these tokens.
        if self.predict(&QUALIFIER, &[Kind::Open])? == 0 {
            tokens.push(self.consume()?);
            tokens.push(self.consume()?);
        }
        tokens.push(self.consume()?);
        tokens.push(self.match_kinds(&[Kind::Open], &[])?);
        if with_arguments {
            // functionArgs: identifier ( ',' identifier )*
            tokens.push(self.match_kinds(IDENT, IN_ARGUMENTS)?);
            while self.sync_optional_loop(&[Kind::Comma], IN_ARGUMENTS)? {
                tokens.push(self.consume()?);
                tokens.push(self.match_kinds(IDENT, IN_ARGUMENTS)?);
            }
        }
        tokens.push(self.match_kinds(&[Kind::Close], AFTER_ENTRY)?);
        Ok(tokens)
    }
}

/// Strait's extension, tried only when DataStax's grammar refuses the text: paths may have
/// quoted segments (`value."My Field"`). A plain parser of DataStax's grammar plus that; its
/// result is used only if some path really has a quoted segment.
fn extended(lexed: &Lexed) -> Option<Vec<RawEntry>> {
    if lexed.error.is_some() {
        return None;
    }
    let tokens = &lexed.tokens;
    let kind = |i: usize| tokens.get(i).map(|t| t.kind).unwrap_or(Kind::Eof);
    let ident = |i: usize| matches!(kind(i), Kind::Unquoted | Kind::Quoted);
    let ends_field = |i: usize| matches!(kind(i), Kind::Comma | Kind::Eof);
    let mut i = 0;
    let mut entries = Vec::new();
    let mut quoted_segment = false;
    loop {
        if !ident(i) || kind(i + 1) != Kind::Equals {
            return None;
        }
        let column = tokens[i];
        i += 2;
        let field_start = *tokens.get(i)?;
        // A path: a name, then names, dots and quoted segments after a dot.
        let mut end = i;
        let mut has_quoted = false;
        if kind(end) == Kind::Unquoted {
            end += 1;
            loop {
                match kind(end) {
                    Kind::Unquoted | Kind::Dot => end += 1,
                    // A quoted segment is a whole segment: a dot or the field's end follows.
                    Kind::Quoted
                        if kind(end - 1) == Kind::Dot
                            && matches!(kind(end + 1), Kind::Dot | Kind::Comma | Kind::Eof) =>
                    {
                        has_quoted = true;
                        end += 1;
                    }
                    _ => break,
                }
            }
        }
        let field = if end > i && ends_field(end) {
            quoted_segment |= has_quoted;
            let field = RawField::Path(tokens[i..end].to_vec());
            i = end;
            field
        } else if kind(i) == Kind::Quoted && ends_field(i + 1) {
            i += 1;
            RawField::Quoted(field_start)
        } else {
            // A call: name ( '.' name )? '(' ( name ( ',' name )* )? ')'.
            let from = i;
            if !ident(i) {
                return None;
            }
            i += 1;
            if kind(i) == Kind::Dot && ident(i + 1) {
                i += 2;
            }
            if kind(i) != Kind::Open {
                return None;
            }
            i += 1;
            if ident(i) {
                i += 1;
                while kind(i) == Kind::Comma && ident(i + 1) {
                    i += 2;
                }
            }
            if kind(i) != Kind::Close || !ends_field(i + 1) {
                return None;
            }
            i += 1;
            RawField::Call(tokens[from..i].to_vec())
        };
        entries.push(RawEntry {
            column,
            field,
            field_start,
        });
        match kind(i) {
            Kind::Comma => i += 1,
            Kind::Eof if quoted_segment => return Some(entries),
            _ => return None,
        }
    }
}

// --- Meaning ------------------------------------------------------------------------------------

fn slice<'t>(text: &'t str, t: &Token) -> &'t str {
    &text[t.start..t.end]
}

fn interpret(text: &str, raw: &[RawEntry]) -> Result<Vec<MappingEntry>, MappingFailure> {
    let token_text = |t: &Token| slice(text, t);
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    // DataStax's identity of a mapped column, `__ttl` renamed to its bind variable.
    let mut seen: Vec<String> = Vec::new();
    for entry in raw {
        let (target, identity) = match entry.column.kind {
            Kind::Quoted => {
                let name = unquote(token_text(&entry.column));
                (Target::Column(Identifier(name.clone())), name)
            }
            _ => match token_text(&entry.column) {
                "__ttl" => (Target::Ttl, TTL_VARIABLE.to_string()),
                "__timestamp" => (Target::Timestamp, TIMESTAMP_VARIABLE.to_string()),
                name => (
                    Target::Column(Identifier(name.to_string())),
                    name.to_string(),
                ),
            },
        };
        if seen.contains(&identity) {
            errors.push(MappingError {
                message: format!("Mapping already defined for column '{identity}'"),
                position: entry.column.position,
            });
        } else {
            seen.push(identity);
        }
        let source = match &entry.field {
            RawField::Quoted(t) => classify(&unquote(token_text(t))),
            RawField::Call(tokens) => classify(&tokens.iter().map(token_text).collect::<String>()),
            RawField::Path(tokens) => path_source(text, tokens),
        };
        match source {
            Ok(source) => entries.push(MappingEntry { target, source }),
            Err(message) => errors.push(MappingError {
                message,
                position: entry.field_start.position,
            }),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(MappingFailure::Invalid(errors))
    }
}

/// A path's meaning. Without quoted segments it is its text, as in DataStax; with them
/// (Strait's extension) the segments are taken as written.
fn path_source(text: &str, tokens: &[Token]) -> Result<Source, String> {
    let token_text = |t: &Token| slice(text, t);
    let joined: String = tokens.iter().map(token_text).collect();
    if tokens.iter().all(|t| t.kind != Kind::Quoted) {
        return classify(&joined);
    }
    // Segments between the dots; the extension's parser puts a quoted one alone in its segment.
    let mut segments: Vec<String> = vec![String::new()];
    for t in tokens {
        match t.kind {
            Kind::Dot => segments.push(String::new()),
            Kind::Quoted => segments
                .last_mut()
                .expect("one segment at least")
                .push_str(&unquote(token_text(t))),
            _ => segments
                .last_mut()
                .expect("one segment at least")
                .push_str(token_text(t)),
        }
    }
    let rest = segments.split_off(1);
    match segments[0].as_str() {
        "key" => field_path(&joined, rest).map(Source::KeyField),
        "value" => field_path(&joined, rest).map(Source::ValueField),
        "header" => {
            let name = rest.join(".");
            if rest.iter().any(String::is_empty) || name.is_empty() {
                Err(empty_segment_error(&joined))
            } else {
                Ok(Source::Header(name))
            }
        }
        _ => Err(invalid_field(&joined)),
    }
}

fn empty_segment_error(field: &str) -> String {
    format!("Invalid field name '{field}': the path has an empty segment (Strait)")
}

/// DataStax's `MappingInspector.generateErrorMessage`.
fn invalid_field(field: &str) -> String {
    format!(
        "Invalid field name '{field}': field names in mapping must be 'key', 'value', or start \
         with 'key.' or 'value.' or 'header.', or be one of supported functions: '[now()]'."
    )
}

fn field_path(field: &str, segments: Vec<String>) -> Result<Vec<String>, String> {
    if segments.iter().any(String::is_empty) {
        Err(empty_segment_error(field))
    } else {
        Ok(segments)
    }
}

/// A field's text, as DataStax's `MappingInspector.visitMappedEntry` judges it.
fn classify(field: &str) -> Result<Source, String> {
    // `key.__self` is DataStax's own name of the whole key (`RawData.FIELD_NAME`).
    match field {
        "key" | "key.__self" => return Ok(Source::Key),
        "value" | "value.__self" => return Ok(Source::Value),
        "now()" => return Ok(Source::Now),
        _ => {}
    }
    let split = |rest: &str| rest.split('.').map(str::to_string).collect::<Vec<_>>();
    if let Some(rest) = field.strip_prefix("key.") {
        field_path(field, split(rest)).map(Source::KeyField)
    } else if let Some(rest) = field.strip_prefix("value.") {
        field_path(field, split(rest)).map(Source::ValueField)
    } else if let Some(name) = field.strip_prefix("header.") {
        if name.is_empty() {
            Err(empty_segment_error(field))
        } else {
            Ok(Source::Header(name.to_string()))
        }
    } else {
        Err(invalid_field(field))
    }
}

/// How DataStax names a mapped column and field internally (`__ttl` → `message_internal_ttl`,
/// `value` → `value.__self`, …): for comparing with DataStax's own parse.
pub fn datastax_names(entry: &MappingEntry) -> (String, String) {
    let column = match &entry.target {
        Target::Column(c) => c.internal().to_string(),
        Target::Ttl => TTL_VARIABLE.to_string(),
        Target::Timestamp => TIMESTAMP_VARIABLE.to_string(),
    };
    let field = match &entry.source {
        Source::Key => "key.__self".to_string(),
        Source::Value => "value.__self".to_string(),
        Source::KeyField(p) => format!("key.{}", p.join(".")),
        Source::ValueField(p) => format!("value.{}", p.join(".")),
        Source::Header(h) => format!("header.{h}"),
        Source::Now => "now()".to_string(),
    };
    (column, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str) -> Target {
        Target::Column(Identifier(name.to_string()))
    }

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    fn ok(text: &str) -> Vec<MappingEntry> {
        parse(text).unwrap_or_else(|e| panic!("{text:?}: {}", e.message("k", text)))
    }

    fn syntax(text: &str) -> (String, String) {
        match parse(text) {
            Err(MappingFailure::Syntax(e)) => (e.position.to_string(), e.message),
            other => panic!("{text:?}: expected a syntax error, got {other:?}"),
        }
    }

    fn invalid(text: &str) -> Vec<(String, String)> {
        match parse(text) {
            Err(MappingFailure::Invalid(errors)) => errors
                .into_iter()
                .map(|e| (e.position.to_string(), e.message))
                .collect(),
            other => panic!("{text:?}: expected invalid entries, got {other:?}"),
        }
    }

    #[test]
    fn every_source_form() {
        let entries = ok(
            "a=key, b=value, c=key.k1, d=value.v1.v2, e=header.h1, f=now(), \
                          __ttl=value.ttl, __timestamp=value.ts",
        );
        let expected = vec![
            (col("a"), Source::Key),
            (col("b"), Source::Value),
            (col("c"), Source::KeyField(path(&["k1"]))),
            (col("d"), Source::ValueField(path(&["v1", "v2"]))),
            (col("e"), Source::Header("h1".into())),
            (col("f"), Source::Now),
            (Target::Ttl, Source::ValueField(path(&["ttl"]))),
            (Target::Timestamp, Source::ValueField(path(&["ts"]))),
        ];
        let got: Vec<(Target, Source)> =
            entries.into_iter().map(|e| (e.target, e.source)).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn quoting_whitespace_and_datastax_quirks() {
        let one = |text: &str| {
            let e = ok(text);
            assert_eq!(e.len(), 1, "{text}");
            (e[0].target.clone(), e[0].source.clone())
        };
        assert_eq!(
            one("\"My \"\"Col\"\"\" = value.x"),
            (col("My \"Col\""), Source::ValueField(path(&["x"])))
        );
        assert_eq!(
            one("a = \"value.My Field\""),
            (col("a"), Source::ValueField(path(&["My Field"])))
        );
        assert_eq!(one("a = \"value\"").1, Source::Value);
        assert_eq!(one("a = \"now()\"").1, Source::Now);
        assert_eq!(one("a = now ( )").1, Source::Now);
        assert_eq!(one("\"__ttl\" = value.x").0, col("__ttl"));
        assert_eq!(
            one("MyCol = value.MyField"),
            (col("MyCol"), Source::ValueField(path(&["MyField"])))
        );
        assert_eq!(one("1a = value.2b").1, Source::ValueField(path(&["2b"])));
        assert_eq!(one("a = header.x.y").1, Source::Header("x.y".into()));
        assert_eq!(
            one("a = value . x . y").1,
            Source::ValueField(path(&["x", "y"]))
        );
        // DataStax joins the tokens of a path without the whitespace between them.
        assert_eq!(one("a = value.x y").1, Source::ValueField(path(&["xy"])));
        // …and takes `value.x()` for a field named `x()`.
        assert_eq!(one("a = value.x()").1, Source::ValueField(path(&["x()"])));
        assert_eq!(one("a = key.__self").1, Source::Key);
        assert_eq!(one("\"\"\"\" = value.x").0, col("\""));
        let multi = ok(" a = value.x ,\tb\n=\r\nkey.k ");
        assert_eq!(multi[1].source, Source::KeyField(path(&["k"])));
    }

    #[test]
    fn quoted_path_segments_are_strait_s_extension() {
        let e = ok("a = value.\"My Field\".x, b = header.\"X-Trace.Id\", c = key.\"a.b\"");
        assert_eq!(e[0].source, Source::ValueField(path(&["My Field", "x"])));
        assert_eq!(e[1].source, Source::Header("X-Trace.Id".into()));
        assert_eq!(e[2].source, Source::KeyField(path(&["a.b"])));
        // Still DataStax's error when the extension does not make the text valid.
        assert_eq!(
            syntax("a = value.\"x\"y"),
            (
                "1:13".into(),
                "no viable alternative at input 'value.\"x\"y'".into()
            )
        );
        assert_eq!(
            invalid("a = value.\"x\"\"y\".z, b = foo.\"x\""),
            vec![(
                "1:24".into(),
                "Invalid field name 'foo.\"x\"': field names in mapping must be 'key', 'value', \
                 or start with 'key.' or 'value.' or 'header.', or be one of supported \
                 functions: '[now()]'."
                    .into()
            )]
        );
    }

    #[test]
    fn semantic_errors_keep_datastax_order_with_positions() {
        let errors = invalid("a = foo, a = bar");
        let messages: Vec<&str> = errors.iter().map(|(_, m)| m.as_str()).collect();
        assert!(messages[0].starts_with("Invalid field name 'foo'"));
        assert_eq!(messages[1], "Mapping already defined for column 'a'");
        assert!(messages[2].starts_with("Invalid field name 'bar'"));
        let positions: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(positions, vec!["1:4", "1:9", "1:13"]);
        assert_eq!(
            invalid("__ttl = value.x,\n  __ttl = value.y"),
            vec![(
                "2:2".into(),
                "Mapping already defined for column 'message_internal_ttl'".into()
            )]
        );
        for (text, field) in [
            ("a = NOW()", "NOW()"),
            ("a = now(x, \"y\")", "now(x,\"y\")"),
            ("a = \"now\"()", "\"now\"()"),
            ("a = system.now()", "system.now()"),
        ] {
            let errors = invalid(text);
            assert_eq!(errors.len(), 1);
            assert!(
                errors[0]
                    .1
                    .starts_with(&format!("Invalid field name '{field}'")),
                "{text}: {errors:?}"
            );
        }
        for text in ["a = key.", "a = value..x", "a = header."] {
            let errors = invalid(text);
            assert!(
                errors[0]
                    .1
                    .ends_with("the path has an empty segment (Strait)"),
                "{text}: {errors:?}"
            );
            assert_eq!(errors[0].0, "1:4");
        }
    }

    #[test]
    fn syntax_errors_are_antlr_s() {
        let cases = [
            (
                "",
                "1:0",
                "mismatched input '<EOF>' expecting {UNQUOTED_STRING, QUOTED_STRING}",
            ),
            (
                "analytics.events",
                "1:9",
                "mismatched input '.' expecting '='",
            ),
            (
                "a = value.x b = value.y",
                "1:14",
                "mismatched input '=' expecting {<EOF>, ','}",
            ),
            (
                "a = key, b = value.x c = value.y",
                "1:23",
                "extraneous input '=' expecting {<EOF>, ','}",
            ),
            (
                "= value.x",
                "1:0",
                "extraneous input '=' expecting {UNQUOTED_STRING, QUOTED_STRING}",
            ),
            (
                "=, a = key",
                "1:0",
                "missing {UNQUOTED_STRING, QUOTED_STRING} at '='",
            ),
            ("a value.x", "1:2", "missing '=' at 'value'"),
            ("a b = value.x", "1:2", "extraneous input 'b' expecting '='"),
            (
                "a = value.\"My Field\"x",
                "1:20",
                "no viable alternative at input 'value.\"My Field\"x'",
            ),
            (
                "a = \"value\".x",
                "1:13",
                "no viable alternative at input '\"value\".x'",
            ),
            (
                "a = \"x\"\t\"y\"",
                "1:8",
                "extraneous input '\"y\"' expecting {<EOF>, ','}",
            ),
            ("a = now(", "1:8", "no viable alternative at input 'now('"),
            ("a = now(x", "1:9", "missing ')' at '<EOF>'"),
            ("a = now(x y)", "1:10", "extraneous input 'y' expecting ')'"),
            (
                "a = now(x,)",
                "1:10",
                "missing {UNQUOTED_STRING, QUOTED_STRING} at ')'",
            ),
            (
                "a = now(x, b = key",
                "1:13",
                "mismatched input '=' expecting {',', ')'}",
            ),
            (
                "a = now().x",
                "1:9",
                "mismatched input '.' expecting {<EOF>, ','}",
            ),
            (
                "a = key, b = value.x(",
                "1:21",
                "no viable alternative at input 'value.x('",
            ),
            ("a = value.f-1", "1:11", "token recognition error at: '-'"),
            (
                "a = \"value.x",
                "1:4",
                "token recognition error at: '\"value.x'",
            ),
            (
                "\"\" = value.x",
                "1:0",
                "token recognition error at: '\"\" '",
            ),
            ("a = \"x\"\"", "1:7", "token recognition error at: '\"'"),
            ("= -", "1:2", "token recognition error at: '-'"),
            (
                "\"é\" = value.x, b = -",
                "1:19",
                "token recognition error at: '-'",
            ),
            (
                "a = key,\n\n  b",
                "3:3",
                "mismatched input '<EOF>' expecting '='",
            ),
        ];
        for (text, position, message) in cases {
            assert_eq!(
                syntax(text),
                (position.to_string(), message.to_string()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn whole_messages_are_datastax_s() {
        let text = "a = foo, a = value.x";
        let failure = parse(text).unwrap_err();
        assert_eq!(
            failure.message("topic.t.ks.tb.mapping", text),
            "Invalid value 'a = foo, a = value.x' for configuration topic.t.ks.tb.mapping: \
             Encountered the following errors:\nInvalid field name 'foo': field names in \
             mapping must be 'key', 'value', or start with 'key.' or 'value.' or 'header.', or \
             be one of supported functions: '[now()]'. (at line 1:4)\n  Mapping already \
             defined for column 'a' (at line 1:9)"
        );
        let failure = parse("a").unwrap_err();
        assert_eq!(
            failure.message("m", "a"),
            "Invalid value 'a' for configuration m: Could not be parsed at line 1:1: \
             mismatched input '<EOF>' expecting '='"
        );
    }

    #[test]
    fn datastax_names_match_its_internal_form() {
        let e = ok("__ttl = value, c = header.h, d = key.a.b");
        let names: Vec<(String, String)> = e.iter().map(datastax_names).collect();
        assert_eq!(
            names,
            vec![
                ("message_internal_ttl".into(), "value.__self".into()),
                ("c".into(), "header.h".into()),
                ("d".into(), "key.a.b".into()),
            ]
        );
    }
    /// connectors/tests/golden/cassandra_mappings.json: DataStax's own verdict on 320 mapping
    /// texts (random token soups and mutated mappings, drawn to cover every kind of error),
    /// written by bench/jvm/cassandra-config-oracle (`--mappings mappings.json`, see its
    /// README). Texts that use Strait's extensions are not among them.
    #[test]
    fn golden_mappings_from_datastax_s_parser() {
        let golden: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("../../tests/golden/cassandra_mappings.json"))
                .unwrap();
        assert!(golden.len() >= 300);
        let key = "topic.t.ks.tb.mapping";
        let (mut errors, mut accepted) = (0, 0);
        for case in &golden {
            let text = case[0].as_str().unwrap();
            let trimmed = text.trim();
            let ours = parse(trimmed);
            if let Some(expected) = case[1]["error"].as_str() {
                errors += 1;
                let message = ours.expect_err(text).message(key, trimmed);
                let prefix = format!("Invalid value '{trimmed}' for configuration {key}: ");
                let detail = message.strip_prefix(&prefix).expect("DataStax's prefix");
                // Strait's positions on the errors DataStax gives without one.
                let without: Vec<&str> = detail
                    .split('\n')
                    .map(|line| match line.rfind(" (at line ") {
                        Some(at) if line.ends_with(')') => &line[..at],
                        _ => line,
                    })
                    .collect();
                assert_eq!(without.join("\n"), expected, "{text:?}");
            } else {
                accepted += 1;
                let expected: Vec<(String, String)> = case[1]["mapping"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
                    .collect();
                let entries =
                    ours.unwrap_or_else(|e| panic!("{text:?}: {}", e.message(key, trimmed)));
                let names: Vec<(String, String)> = entries.iter().map(datastax_names).collect();
                assert_eq!(names, expected, "{text:?}");
            }
        }
        assert!(
            errors > 200 && accepted > 20,
            "{errors} errors, {accepted} accepted"
        );
    }
}
