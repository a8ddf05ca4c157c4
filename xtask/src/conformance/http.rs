//! A minimal HTTP/1.1 client over `std::net::TcpStream`, optionally inside TLS (rustls, trusting
//! one CA: the secure scenario's own): one request per connection (`Connection: close`),
//! `Content-Length` and chunked response bodies. Enough to talk to two Kafka Connect REST servers
//! without pulling an HTTP stack into xtask.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

/// A response: status, lower-cased headers, body text.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// HTTPS: a rustls client configuration that trusts the certificates of one PEM file only.
#[derive(Clone)]
pub struct Tls(Arc<rustls::ClientConfig>);

impl Tls {
    /// Trust the CA certificate(s) in `ca_pem` (and nothing else); TLS 1.2 and 1.3.
    pub fn trusting(ca_pem: &Path) -> Result<Tls> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca_pem)
            .with_context(|| format!("read {}", ca_pem.display()))?
        {
            roots.add(cert.with_context(|| format!("parse {}", ca_pem.display()))?)?;
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Tls(Arc::new(config)))
    }
}

/// Send `method path` to `host_port` with optional extra headers and body.
pub fn request(
    host_port: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<Response> {
    request_over(host_port, None, method, path, headers, body)
}

/// [`request`], over TLS when `tls` is given (the server's certificate must chain to the
/// trusted CA and name `host_port`'s host).
pub fn request_over(
    host_port: &str,
    tls: Option<&Tls>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<Response> {
    let addr = host_port
        .to_socket_addrs()
        .with_context(|| format!("bad address {host_port}"))?
        .next()
        .with_context(|| format!("{host_port} resolves to nothing"))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .with_context(|| format!("connect {host_port}"))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host_port}\r\nConnection: close\r\nUser-Agent: strait-conformance\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    match body {
        Some(b) => req.push_str(&format!("Content-Length: {}\r\n\r\n{b}", b.len())),
        // PUT/POST/PATCH without a body still say so, as curl does.
        None if matches!(method, "PUT" | "POST" | "PATCH") => {
            req.push_str("Content-Length: 0\r\n\r\n")
        }
        None => req.push_str("\r\n"),
    }
    let raw = match tls {
        None => exchange(&mut s, &req),
        Some(Tls(config)) => {
            let host = host_port
                .rsplit_once(':')
                .map_or(host_port, |(h, _)| h)
                .trim_matches(['[', ']']);
            let name = ServerName::try_from(host.to_string())
                .with_context(|| format!("TLS server name {host:?}"))?;
            let conn = rustls::ClientConnection::new(config.clone(), name)?;
            exchange(&mut rustls::StreamOwned::new(conn, s), &req)
        }
    }
    .with_context(|| format!("{method} {path} to {host_port}"))?;
    parse(&raw).with_context(|| format!("response of {method} {path}"))
}

/// Write the request, read the response until the server closes the connection.
fn exchange(s: &mut impl ReadWrite, req: &str) -> Result<Vec<u8>> {
    s.write_all(req.as_bytes())?;
    s.flush()?;
    let mut raw = Vec::new();
    match s.read_to_end(&mut raw) {
        Ok(_) => Ok(raw),
        // A TLS peer that closes without close_notify, after a whole response: rustls reports
        // the truncation; the response was delimited by its own framing anyway.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => Ok(raw),
        Err(e) => Err(e).context("read response"),
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn parse(raw: &[u8]) -> Result<Response> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no header terminator")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.split_whitespace();
    let status: u16 = match (parts.next(), parts.next()) {
        (Some(v), Some(code)) if v.starts_with("HTTP/") => code
            .parse()
            .with_context(|| format!("status line {status_line:?}"))?,
        _ => bail!("not an HTTP response: {status_line:?}"),
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("chunk size line")?;
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .with_context(|| format!("chunk size {size_text:?}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size {
            bail!("truncated chunk");
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked() {
        let r = parse(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[1]").unwrap();
        assert_eq!(
            (r.status, r.body.as_str(), r.header("content-type")),
            (200, "[1]", Some("application/json"))
        );
        let r = parse(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n").unwrap();
        assert_eq!(r.body, "{\"a\":1}");
    }
}
