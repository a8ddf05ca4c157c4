//! Shared helpers: repository paths, child processes, pid files, tiny TCP/HTTP probes.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Where things are.
pub struct Ctx {
    /// Repository root (the workspace directory holding `xtask/`).
    pub root: PathBuf,
    /// `.test-services/` at the repository root (git-ignored).
    pub services_dir: PathBuf,
}

impl Ctx {
    pub fn new() -> Result<Self> {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = manifest
            .parent()
            .context("xtask's manifest dir has no parent")?
            .to_path_buf();
        let services_dir = root.join(".test-services");
        Ok(Self { root, services_dir })
    }
}

/// Print a progress line, prefixed so it stands out among tool output.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        eprintln!("xtask: {}", format!($($arg)*));
    }};
}

/// `1.2s`, `3m04s`.
pub fn fmt_dur(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", (s / 60.0) as u64, (s as u64) % 60)
    }
}

/// Run a command to completion, inheriting stdio; error if it fails.
pub fn run_checked(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", describe(cmd)))?;
    if !status.success() {
        bail!("{} failed ({status})", describe(cmd));
    }
    Ok(())
}

/// Run a command with its output captured; show the output only if it fails. (Debian's Maven
/// prints stray ANSI resets even with `-B -q`, so successful runs stay silent this way.)
pub fn run_quiet(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", describe(cmd)))?;
    if !out.status.success() {
        bail!(
            "{} failed ({}):\n{}{}",
            describe(cmd),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Does `program --version`-style probe succeed (quietly)?
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Fail early, with a useful message, when a tool is missing.
pub fn require_tool(program: &str, hint: &str) -> Result<()> {
    if succeeds(Command::new(program).arg("-version")) {
        return Ok(());
    }
    if succeeds(Command::new(program).arg("--version")) {
        return Ok(());
    }
    bail!("`{program}` not found on PATH; {hint}")
}

/// Program and arguments, for error messages.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Processes (Linux /proc; no libc dependency)

/// Is `pid` a live (non-zombie) process whose command line contains `marker`?
/// The marker guards against a recycled pid from a stale pid file.
pub fn pid_alive(pid: u32, marker: &str) -> bool {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let Ok(stat) = fs::read_to_string(proc_dir.join("stat")) else {
        return false;
    };
    // state is the first field after the parenthesised command name
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or("");
    if state == "Z" || state == "X" {
        return false;
    }
    match fs::read(proc_dir.join("cmdline")) {
        Ok(cmdline) => {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains(marker)
        }
        Err(_) => false,
    }
}

/// Read a pid file; `None` if absent or garbage.
pub fn read_pid(path: &Path) -> Option<u32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Send a signal through the shell's `kill` builtin (keeps us free of libc).
pub fn signal(pid: u32, sig: &str) -> Result<()> {
    let status = Command::new("sh")
        .args([
            "-c",
            "kill -s \"$1\" \"$2\" 2>/dev/null",
            "sh",
            sig,
            &pid.to_string(),
        ])
        .status()
        .context("cannot run sh")?;
    if !status.success() {
        bail!("kill -s {sig} {pid} failed");
    }
    Ok(())
}

/// SIGTERM, wait up to `grace`, then SIGKILL and wait a little more.
pub fn terminate(pid: u32, marker: &str, grace: Duration) -> Result<()> {
    if !pid_alive(pid, marker) {
        return Ok(());
    }
    let _ = signal(pid, "TERM");
    if wait_until(grace, Duration::from_millis(100), || {
        !pid_alive(pid, marker)
    }) {
        return Ok(());
    }
    say!(
        "pid {pid} did not exit within {}; sending SIGKILL",
        fmt_dur(grace)
    );
    let _ = signal(pid, "KILL");
    if wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
        !pid_alive(pid, marker)
    }) {
        return Ok(());
    }
    bail!("pid {pid} survived SIGKILL")
}

/// Poll `f` every `every` until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, every: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(every);
    }
}

/// An exclusive lock file holding the owner's pid; removed on drop. A lock whose owner is gone
/// (not a live xtask process) is taken over. Serialises concurrent `up`s of one service.
pub struct FileLock {
    path: PathBuf,
}

impl FileLock {
    pub fn acquire(path: &Path, timeout: Duration) -> Result<Self> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let me = std::process::id();
        let deadline = Instant::now() + timeout;
        let mut announced = false;
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut f) => {
                    writeln!(f, "{me}")?;
                    return Ok(Self {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    match read_pid(path) {
                        Some(pid) if pid != me && pid_alive(pid, "xtask") => {}
                        // Stale (owner gone) or unreadable half-written file: take it over.
                        _ => {
                            let _ = fs::remove_file(path);
                            continue;
                        }
                    }
                    if !announced {
                        say!("waiting for another xtask holding {}", path.display());
                        announced = true;
                    }
                    if Instant::now() >= deadline {
                        bail!("timed out waiting for lock {}", path.display());
                    }
                    thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(e).with_context(|| format!("create {}", path.display())),
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

// ---------------------------------------------------------------------------------------------
// Logs

/// Does the file contain `needle`?
pub fn file_contains(path: &Path, needle: &str) -> bool {
    let Ok(mut f) = fs::File::open(path) else {
        return false;
    };
    let mut buf = Vec::new();
    if f.read_to_end(&mut buf).is_err() {
        return false;
    }
    String::from_utf8_lossy(&buf).contains(needle)
}

/// The last `n` lines of a file (lossy UTF-8); a note if it cannot be read.
pub fn tail(path: &Path, n: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            let start = lines.len().saturating_sub(n);
            lines[start..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

/// The first line mentioning ERROR/FATAL/Exception, to headline a failure above the tail.
pub fn first_error(path: &Path) -> Option<String> {
    let bytes = fs::read(path).ok()?;
    String::from_utf8_lossy(&bytes)
        .lines()
        .find(|l| {
            l.contains(" ERROR ")
                || l.contains(" FATAL ")
                || l.starts_with("Caused by:")
                || l.starts_with("Exception")
                || l.starts_with("Error")
        })
        .map(str::to_string)
}

/// `"first error: …\nlast N lines of <log>:\n…"` for start-up failures.
pub fn log_report(path: &Path, n: usize) -> String {
    let headline = first_error(path)
        .map(|l| format!("first error in log: {l}\n"))
        .unwrap_or_default();
    format!(
        "{headline}last {n} lines of {}:\n{}",
        path.display(),
        tail(path, n)
    )
}

/// Write `contents` to `path` only if it differs (keeps mtimes stable); creates parents.
pub fn write_if_changed(path: &Path, contents: &str) -> Result<()> {
    if fs::read_to_string(path).ok().as_deref() == Some(contents) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("mkdir {}", parent.display()))?;
    }
    let tmp = path.with_extension("tmp~");
    fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .with_context(|| format!("write {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("rename to {}", path.display()))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Network probes

fn resolve(addr: &str) -> Result<SocketAddr> {
    addr.to_socket_addrs()
        .with_context(|| format!("bad address {addr}"))?
        .next()
        .with_context(|| format!("{addr} resolves to nothing"))
}

/// Does something accept TCP connections on `addr`?
pub fn tcp_open(addr: &str) -> bool {
    match resolve(addr) {
        Ok(sa) => TcpStream::connect_timeout(&sa, Duration::from_millis(500)).is_ok(),
        Err(_) => false,
    }
}

/// Kafka ApiVersions v0 over a raw socket. Ok(n) = the broker answered and listed `n` APIs.
///
/// Request: int32 size, then header v1 { api_key=18 int16, api_version=0 int16,
/// correlation_id int32, client_id nullable string (int16 length + bytes) }, empty body.
/// Response: int32 size, correlation_id int32, error_code int16, [api_key, min, max] int16
/// triples (int32 count). ApiVersions responses always use header v0, and a broker that does
/// not support the request version still answers with error 35 (UNSUPPORTED_VERSION) and its
/// ranges, so either error code proves the peer speaks Kafka.
pub fn kafka_api_versions(addr: &str) -> Result<usize> {
    const CORRELATION: i32 = 0x5354_5254; // "STRT"
    let sa = resolve(addr)?;
    let mut s = TcpStream::connect_timeout(&sa, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    let client_id = b"strait-xtask";
    let mut body = Vec::new();
    body.extend_from_slice(&18i16.to_be_bytes());
    body.extend_from_slice(&0i16.to_be_bytes());
    body.extend_from_slice(&CORRELATION.to_be_bytes());
    body.extend_from_slice(&(client_id.len() as i16).to_be_bytes());
    body.extend_from_slice(client_id);
    let mut req = (body.len() as i32).to_be_bytes().to_vec();
    req.extend_from_slice(&body);
    s.write_all(&req)?;

    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let len = i32::from_be_bytes(len);
    if !(10..=1 << 20).contains(&len) {
        bail!("implausible ApiVersions response size {len}");
    }
    let mut resp = vec![0u8; len as usize];
    s.read_exact(&mut resp)?;
    let corr = i32::from_be_bytes(resp[0..4].try_into().unwrap());
    if corr != CORRELATION {
        bail!("ApiVersions correlation id mismatch ({corr:#x})");
    }
    let err = i16::from_be_bytes(resp[4..6].try_into().unwrap());
    if err != 0 && err != 35 {
        bail!("ApiVersions error code {err}");
    }
    let n = i32::from_be_bytes(resp[6..10].try_into().unwrap());
    if n <= 0 || resp.len() < 10 + 6 * n as usize {
        bail!("ApiVersions response lists {n} APIs in {len} bytes");
    }
    Ok(n as usize)
}

/// HTTP/1.1 GET over a raw socket; returns the status code and body.
pub fn http_get(host_port: &str, path: &str) -> Result<(u16, String)> {
    http_request(host_port, "GET", path)
}

/// An HTTP/1.1 request without a body (`GET`, `PUT`, `POST`, …) over a raw socket; returns the
/// status code and body.
pub fn http_request(host_port: &str, method: &str, path: &str) -> Result<(u16, String)> {
    let sa = resolve(host_port)?;
    let mut s = TcpStream::connect_timeout(&sa, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    // One write: `write!` on a raw socket may send the request in pieces, and a server that
    // answers and closes after the first piece makes the client see a connection reset.
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host_port}\r\nAccept: */*\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let status_line = text.lines().next().unwrap_or("");
    let mut parts = status_line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(v), Some(code)) if v.starts_with("HTTP/") => {
            let code: u16 = code
                .parse()
                .with_context(|| format!("bad status line {status_line:?}"))?;
            let body = text
                .split_once("\r\n\r\n")
                .map(|(_, b)| b.to_string())
                .unwrap_or_default();
            Ok((code, body))
        }
        _ => bail!("not an HTTP response: {status_line:?}"),
    }
}

/// Free bytes on the filesystem holding `path` (from `df -Pk`, which every Debian has), or None
/// when `df` is missing or prints something unexpected.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let out = Command::new("df").arg("-Pk").arg(path).output().ok()?;
    if !out.status.success() {
        return None;
    }
    parse_df_available_kib(&String::from_utf8_lossy(&out.stdout)).map(|kib| kib * 1024)
}

/// The "Available" column (KiB) of `df -Pk`'s one data line. POSIX fixes the columns:
/// Filesystem, 1024-blocks, Used, Available, Capacity, Mounted on.
fn parse_df_available_kib(text: &str) -> Option<u64> {
    text.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()
}

/// Bytes as GiB with one decimal, for log lines.
pub fn fmt_gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Serve one connection: read what the client sends (up to `read` bytes), reply `reply`.
    fn serve_once(read: usize, reply: Vec<u8>) -> (String, thread::JoinHandle<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let h = thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            // Read the whole request before answering, as a real server would: a complete HTTP
            // head, or a complete Kafka frame (4-byte length prefix), or `read` bytes.
            let mut got = Vec::new();
            let mut chunk = vec![0u8; read];
            let complete = |g: &[u8]| {
                g.len() >= read
                    || g.windows(4).any(|w| w == b"\r\n\r\n")
                    || (g.len() >= 4
                        && !g.starts_with(b"GET ")
                        && g.len()
                            >= 4 + i32::from_be_bytes([g[0], g[1], g[2], g[3]]).max(0) as usize)
            };
            while !complete(&got) {
                let n = s.read(&mut chunk).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&chunk[..n]);
            }
            s.write_all(&reply).unwrap();
            got
        });
        (addr, h)
    }

    #[test]
    fn http_get_parses_status_and_body() {
        let (addr, h) = serve_once(
            4096,
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
        );
        let (code, body) = http_get(&addr, "/").unwrap();
        assert_eq!((code, body.as_str()), (200, "{}"));
        let req = String::from_utf8(h.join().unwrap()).unwrap();
        assert!(req.starts_with("GET / HTTP/1.1\r\n"), "{req}");
    }

    #[test]
    fn api_versions_request_and_response() {
        // correlation id, error 0, one api (18, 0, 4)
        let mut body = 0x5354_5254i32.to_be_bytes().to_vec();
        body.extend_from_slice(&0i16.to_be_bytes());
        body.extend_from_slice(&1i32.to_be_bytes());
        for v in [18i16, 0, 4] {
            body.extend_from_slice(&v.to_be_bytes());
        }
        let mut reply = (body.len() as i32).to_be_bytes().to_vec();
        reply.extend_from_slice(&body);
        let (addr, h) = serve_once(64, reply);
        assert_eq!(kafka_api_versions(&addr).unwrap(), 1);
        let req = h.join().unwrap();
        // size, api_key 18, version 0
        assert_eq!(&req[4..8], &[0, 18, 0, 0]);
        assert_eq!(
            req.len(),
            4 + i32::from_be_bytes(req[0..4].try_into().unwrap()) as usize
        );
    }

    #[test]
    fn api_versions_rejects_non_kafka() {
        let (addr, _h) = serve_once(64, b"HTTP/1.0 400 Bad Request\r\n\r\n".to_vec());
        assert!(kafka_api_versions(&addr).is_err());
    }

    #[test]
    fn own_pid_is_alive_with_marker() {
        let me = std::process::id();
        assert!(pid_alive(me, "xtask"));
        assert!(!pid_alive(me, "definitely-not-in-cmdline"));
    }

    #[test]
    fn run_quiet_shows_output_only_on_failure() {
        run_quiet(Command::new("sh").args(["-c", "echo fine"])).unwrap();
        let err = run_quiet(Command::new("sh").args(["-c", "echo broken; exit 3"])).unwrap_err();
        assert!(format!("{err:#}").contains("broken"), "{err:#}");
    }

    #[test]
    fn durations() {
        assert_eq!(fmt_dur(Duration::from_millis(1500)), "1.5s");
        assert_eq!(fmt_dur(Duration::from_secs(184)), "3m04s");
    }

    #[test]
    fn df_available_column_is_read_in_kib() {
        let out = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n\
                   /dev/vda         264092676 12582912  83886080      13% /\n";
        assert_eq!(parse_df_available_kib(out), Some(83_886_080));
        assert_eq!(parse_df_available_kib("Filesystem\n"), None);
        assert_eq!(parse_df_available_kib(""), None);
    }
}
