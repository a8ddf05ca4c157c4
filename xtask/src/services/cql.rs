//! The smallest CQL client that proves a Cassandra node serves reads: native protocol v4 over a
//! raw socket, `STARTUP` (no compression, no authentication) then one `QUERY` at consistency
//! ONE, whose rows it returns as raw cell bytes. One request at a time on stream 0, no paging
//! (the first page is all there is for `system.local`), no user-defined column types.
//!
//! Two callers: the services' readiness probes ([`query`]), and the benchmark driver
//! (`bench/src/bin/e2e.rs` includes this file as a module of its own), which also creates,
//! truncates and counts tables with [`execute`]. Neither needs more, so it stays this small;
//! it is not the Cassandra sink's client.
//!
//! Frame layout (protocol v4 spec): a 9-byte header { version u8 (0x04 request, 0x84
//! response), flags u8, stream i16, opcode u8, body length i32 }, then the body. Strings are an
//! u16 length + UTF-8, long strings an i32 length, `[bytes]` an i32 length (negative = null).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context, Result};

const REQUEST_V4: u8 = 0x04;
const RESPONSE_V4: u8 = 0x84;
const OP_ERROR: u8 = 0x00;
const OP_STARTUP: u8 = 0x01;
const OP_READY: u8 = 0x02;
const OP_AUTHENTICATE: u8 = 0x03;
const OP_QUERY: u8 = 0x07;
const OP_RESULT: u8 = 0x08;
/// RESULT kinds: `Void`, `Rows`, `Set_keyspace`, `Schema_change`.
const KIND_VOID: i32 = 1;
const KIND_ROWS: i32 = 2;
const KIND_SET_KEYSPACE: i32 = 3;
const KIND_SCHEMA_CHANGE: i32 = 5;
/// Response header flags.
const FLAG_COMPRESSED: u8 = 0x01;
const FLAG_TRACING: u8 = 0x02;
const FLAG_CUSTOM_PAYLOAD: u8 = 0x04;
const FLAG_WARNING: u8 = 0x08;
/// Largest body accepted (a readiness answer is a few hundred bytes).
const MAX_BODY: usize = 16 << 20;

/// One row: `(column name, cell bytes or None for null)` in the result's column order.
pub type Row = Vec<(String, Option<Vec<u8>>)>;

/// How long a probe waits to connect, and then for each read or write.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Run `cql` on the node at `addr` and return its rows; an answer without rows is an error.
/// Probe timeouts (5 s).
pub fn query(addr: &str, cql: &str) -> Result<Vec<Row>> {
    parse_rows(&exchange(addr, cql, PROBE_TIMEOUT)?)
}

/// Run any statement (DDL, TRUNCATE, a SELECT) on the node at `addr`, waiting up to `timeout`
/// for its answer; returns the rows of a SELECT and none for a statement that has no result
/// set.
// xtask itself only probes; the benchmark driver, which includes this file, calls this.
#[allow(dead_code)]
pub fn execute(addr: &str, cql: &str, timeout: Duration) -> Result<Vec<Row>> {
    parse_result(&exchange(addr, cql, timeout)?)
}

/// Connects, starts a session and sends one QUERY; returns the RESULT body.
fn exchange(addr: &str, cql: &str, timeout: Duration) -> Result<Vec<u8>> {
    let sa = addr
        .to_socket_addrs()
        .with_context(|| format!("bad address {addr}"))?
        .next()
        .with_context(|| format!("{addr} resolves to nothing"))?;
    let mut s = TcpStream::connect_timeout(&sa, Duration::from_secs(2))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.write_all(&frame(OP_STARTUP, &startup_body()))?;
    match read_frame(&mut s)? {
        (OP_READY, _) => {}
        (OP_AUTHENTICATE, _) => bail!("{addr} requires authentication (expected AllowAll)"),
        (op, body) => return Err(unexpected(op, &body, "READY")),
    }
    s.write_all(&frame(OP_QUERY, &query_body(cql)))?;
    match read_frame(&mut s)? {
        (OP_RESULT, body) => Ok(body),
        (op, body) => Err(unexpected(op, &body, "RESULT")),
    }
}

/// A request frame on stream 0.
fn frame(opcode: u8, body: &[u8]) -> Vec<u8> {
    let mut f = vec![REQUEST_V4, 0, 0, 0, opcode];
    f.extend_from_slice(&(body.len() as i32).to_be_bytes());
    f.extend_from_slice(body);
    f
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// `[string map]` { CQL_VERSION: 3.0.0 }: the one option STARTUP requires.
fn startup_body() -> Vec<u8> {
    let mut b = 1u16.to_be_bytes().to_vec();
    put_string(&mut b, "CQL_VERSION");
    put_string(&mut b, "3.0.0");
    b
}

/// `[long string]` query, `[consistency]` ONE, `[byte]` flags 0 (no values, default paging).
fn query_body(cql: &str) -> Vec<u8> {
    let mut b = (cql.len() as i32).to_be_bytes().to_vec();
    b.extend_from_slice(cql.as_bytes());
    b.extend_from_slice(&1u16.to_be_bytes());
    b.push(0);
    b
}

/// Reads one response frame; returns its opcode and body with any tracing id, warnings and
/// custom payload stripped.
fn read_frame(s: &mut impl Read) -> Result<(u8, Vec<u8>)> {
    let mut h = [0u8; 9];
    s.read_exact(&mut h).context("reading a CQL frame header")?;
    if h[0] != RESPONSE_V4 {
        bail!("not a CQL v4 response (version byte {:#04x})", h[0]);
    }
    let len = i32::from_be_bytes(h[5..9].try_into().unwrap());
    if !(0..=MAX_BODY as i32).contains(&len) {
        bail!("implausible CQL body length {len}");
    }
    let mut body = vec![0u8; len as usize];
    s.read_exact(&mut body)
        .context("reading a CQL frame body")?;
    let flags = h[1];
    if flags & FLAG_COMPRESSED != 0 {
        bail!("compressed CQL frame, though no compression was negotiated");
    }
    let mut r = Reader::new(&body);
    if flags & FLAG_TRACING != 0 {
        r.take(16)?;
    }
    if flags & FLAG_WARNING != 0 {
        for _ in 0..r.u16()? {
            r.string()?;
        }
    }
    if flags & FLAG_CUSTOM_PAYLOAD != 0 {
        for _ in 0..r.u16()? {
            r.string()?;
            r.bytes()?;
        }
    }
    let rest = r.buf[r.pos..].to_vec();
    Ok((h[4], rest))
}

/// The error for a reply other than the expected one (an ERROR frame's code and message).
fn unexpected(op: u8, body: &[u8], wanted: &str) -> anyhow::Error {
    if op == OP_ERROR {
        let mut r = Reader::new(body);
        if let (Ok(code), Ok(msg)) = (r.i32(), r.string()) {
            return anyhow::anyhow!("CQL error {code:#06x}: {msg}");
        }
    }
    anyhow::anyhow!("expected a {wanted} frame, got opcode {op:#04x}")
}

/// Any RESULT body but `Prepared`: the rows of a `Rows` result, none for the kinds that carry
/// no result set.
fn parse_result(body: &[u8]) -> Result<Vec<Row>> {
    match Reader::new(body).i32()? {
        KIND_VOID | KIND_SET_KEYSPACE | KIND_SCHEMA_CHANGE => Ok(Vec::new()),
        _ => parse_rows(body),
    }
}

/// A RESULT body of kind Rows: metadata (column names and types), then the rows.
fn parse_rows(body: &[u8]) -> Result<Vec<Row>> {
    let mut r = Reader::new(body);
    let kind = r.i32()?;
    if kind != KIND_ROWS {
        bail!("RESULT kind {kind}, expected Rows ({KIND_ROWS})");
    }
    let flags = r.i32()?;
    let ncols = r.i32()?;
    if !(0..=1024).contains(&ncols) {
        bail!("implausible column count {ncols}");
    }
    if flags & 0x0002 != 0 {
        r.bytes()?; // paging state
    }
    if flags & 0x0004 != 0 {
        bail!("rows without metadata (not requested)");
    }
    let global = flags & 0x0001 != 0;
    if global {
        r.string()?; // keyspace
        r.string()?; // table
    }
    let mut names = Vec::with_capacity(ncols as usize);
    for _ in 0..ncols {
        if !global {
            r.string()?;
            r.string()?;
        }
        names.push(r.string()?);
        skip_type(&mut r)?;
    }
    let nrows = r.i32()?;
    if nrows < 0 {
        bail!("negative row count {nrows}");
    }
    let mut rows = Vec::new();
    for _ in 0..nrows {
        let mut row = Vec::with_capacity(names.len());
        for name in &names {
            row.push((name.clone(), r.bytes()?.map(<[u8]>::to_vec)));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Skips one `[option]` column type: native types have no payload; custom names a class;
/// list/set/map/tuple nest other types.
fn skip_type(r: &mut Reader) -> Result<()> {
    match r.u16()? {
        0x0000 => {
            r.string()?;
        }
        0x0020 | 0x0022 => skip_type(r)?,
        0x0021 => {
            skip_type(r)?;
            skip_type(r)?;
        }
        0x0031 => {
            for _ in 0..r.u16()? {
                skip_type(r)?;
            }
        }
        0x0030 => bail!("user-defined column types are not supported here"),
        id if id <= 0x0015 => {}
        id => bail!("unknown CQL type id {id:#06x}"),
    }
    Ok(())
}

/// A bounds-checked cursor over a frame body.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            bail!("CQL body truncated at byte {} (wanted {n} more)", self.pos);
        };
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn string(&mut self) -> Result<String> {
        let n = self.u16()? as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
    fn bytes(&mut self) -> Result<Option<&'a [u8]>> {
        let n = self.i32()?;
        if n < 0 {
            return Ok(None);
        }
        self.take(n as usize).map(Some)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A response frame (the server side of [`frame`]).
    pub fn response(flags: u8, opcode: u8, body: &[u8]) -> Vec<u8> {
        let mut f = vec![RESPONSE_V4, flags, 0, 0, opcode];
        f.extend_from_slice(&(body.len() as i32).to_be_bytes());
        f.extend_from_slice(body);
        f
    }

    /// A Rows RESULT body with global table spec and varchar (0x000D) columns.
    pub fn rows_body(cols: &[&str], rows: &[&[Option<&str>]]) -> Vec<u8> {
        let mut b = KIND_ROWS.to_be_bytes().to_vec();
        b.extend_from_slice(&1i32.to_be_bytes());
        b.extend_from_slice(&(cols.len() as i32).to_be_bytes());
        put_string(&mut b, "system");
        put_string(&mut b, "local");
        for c in cols {
            put_string(&mut b, c);
            b.extend_from_slice(&0x000Du16.to_be_bytes());
        }
        b.extend_from_slice(&(rows.len() as i32).to_be_bytes());
        for row in rows {
            for cell in *row {
                match cell {
                    Some(v) => {
                        b.extend_from_slice(&(v.len() as i32).to_be_bytes());
                        b.extend_from_slice(v.as_bytes());
                    }
                    None => b.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
        }
        b
    }

    /// Serves one connection: expects a STARTUP and answers READY, then expects a QUERY and
    /// answers `result`. A request it does not expect panics the thread, which closes the
    /// socket, so the client sees an error.
    pub fn serve_once(result: Vec<u8>) -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            fn read_request(s: &mut TcpStream, want_op: u8) -> Vec<u8> {
                let mut h = [0u8; 9];
                s.read_exact(&mut h).unwrap();
                let mut body = vec![0u8; i32::from_be_bytes(h[5..9].try_into().unwrap()) as usize];
                s.read_exact(&mut body).unwrap();
                assert_eq!((h[0], h[4]), (REQUEST_V4, want_op));
                body
            }
            let (mut s, _) = l.accept().unwrap();
            assert_eq!(read_request(&mut s, OP_STARTUP), startup_body());
            s.write_all(&response(0, OP_READY, &[])).unwrap();
            let q = read_request(&mut s, OP_QUERY);
            assert!(q.windows(6).any(|w| w == b"SELECT"));
            s.write_all(&result).unwrap();
        });
        addr
    }

    #[test]
    fn request_bodies() {
        assert_eq!(
            startup_body(),
            b"\x00\x01\x00\x0bCQL_VERSION\x00\x053.0.0".to_vec()
        );
        assert_eq!(
            query_body("SELECT 1"),
            b"\x00\x00\x00\x08SELECT 1\x00\x01\x00".to_vec()
        );
        assert_eq!(
            frame(OP_QUERY, b"ab"),
            vec![4, 0, 0, 0, 7, 0, 0, 0, 2, b'a', b'b']
        );
    }

    #[test]
    fn parses_rows_with_nulls_and_per_column_specs() {
        let body = rows_body(&["a", "b"], &[&[Some("x"), None], &[Some(""), Some("yz")]]);
        let rows = parse_rows(&body).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][0], ("a".into(), Some(b"x".to_vec())));
        assert_eq!(rows[0][1], ("b".into(), None));
        assert_eq!(rows[1][1], ("b".into(), Some(b"yz".to_vec())));
        // Without the global table spec each column names its keyspace and table; a list<int>
        // (0x0020 + 0x0009) type is skipped whole.
        let mut b = KIND_ROWS.to_be_bytes().to_vec();
        b.extend_from_slice(&0i32.to_be_bytes());
        b.extend_from_slice(&1i32.to_be_bytes());
        put_string(&mut b, "ks");
        put_string(&mut b, "t");
        put_string(&mut b, "l");
        b.extend_from_slice(&[0x00, 0x20, 0x00, 0x09]);
        b.extend_from_slice(&1i32.to_be_bytes());
        b.extend_from_slice(&(-1i32).to_be_bytes());
        assert_eq!(parse_rows(&b).unwrap(), vec![vec![("l".into(), None)]]);
    }

    #[test]
    fn rejects_truncated_and_foreign_answers() {
        let body = rows_body(&["a"], &[&[Some("x")]]);
        assert!(parse_rows(&body[..body.len() - 1]).is_err());
        let mut void = 1i32.to_be_bytes().to_vec(); // kind Void
        void.extend_from_slice(&[0; 4]);
        assert!(parse_rows(&void).is_err());
        // An HTTP server's answer is not a CQL frame.
        let mut http: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\r\n";
        assert!(read_frame(&mut http).is_err());
    }

    #[test]
    fn results_without_rows_are_empty_only_where_allowed() {
        for kind in [KIND_VOID, KIND_SET_KEYSPACE, KIND_SCHEMA_CHANGE] {
            // Whatever follows the kind (keyspace name, change description) is not read.
            let mut body = kind.to_be_bytes().to_vec();
            body.extend_from_slice(b"\x00\x07CREATED");
            assert_eq!(
                parse_result(&body).unwrap(),
                Vec::<Row>::new(),
                "kind {kind}"
            );
        }
        let rows = rows_body(&["a"], &[&[Some("x")]]);
        assert_eq!(parse_result(&rows).unwrap(), parse_rows(&rows).unwrap());
        // A Prepared result (kind 4) is not something QUERY answers.
        assert!(parse_result(&4i32.to_be_bytes()).is_err());
        assert!(parse_result(&[0, 0]).is_err());
    }

    #[test]
    fn strips_warnings_before_the_body() {
        let mut body = 1u16.to_be_bytes().to_vec();
        put_string(&mut body, "a warning");
        body.extend_from_slice(b"rest");
        let f = response(FLAG_WARNING, OP_RESULT, &body);
        assert_eq!(
            read_frame(&mut &f[..]).unwrap(),
            (OP_RESULT, b"rest".to_vec())
        );
    }

    #[test]
    fn error_frames_carry_the_servers_message() {
        let mut body = 0x2200i32.to_be_bytes().to_vec();
        put_string(&mut body, "unconfigured table local");
        let e = unexpected(OP_ERROR, &body, "RESULT").to_string();
        assert_eq!(e, "CQL error 0x2200: unconfigured table local");
    }

    #[test]
    fn execute_accepts_an_answer_without_rows() {
        let mut void = KIND_VOID.to_be_bytes().to_vec();
        void.extend_from_slice(&[0; 4]);
        let addr = serve_once(response(0, OP_RESULT, &void));
        let rows = execute(&addr, "SELECT 1", Duration::from_secs(5)).unwrap();
        assert!(rows.is_empty());
        // The probe insists on rows.
        let addr = serve_once(response(0, OP_RESULT, &void));
        assert!(query(&addr, "SELECT 1").is_err());
    }

    #[test]
    fn query_round_trip_over_a_socket() {
        let addr = serve_once(response(
            0,
            OP_RESULT,
            &rows_body(&["release_version"], &[&[Some("5.0.7")]]),
        ));
        let rows = query(&addr, "SELECT release_version FROM system.local").unwrap();
        assert_eq!(
            rows,
            vec![vec![("release_version".into(), Some(b"5.0.7".to_vec()))]]
        );
    }
}
