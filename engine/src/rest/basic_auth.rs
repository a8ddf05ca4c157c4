//! Java's `BasicAuthSecurityRestExtension` (`rest.extension.classes`): HTTP basic
//! authentication against the `KafkaConnect` entry of a JAAS file whose login modules are
//! `org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule` with a
//! `file="…"` option naming a credentials properties file (`user=password` or `user: password`,
//! Java's `Properties` syntax, read as ISO-8859-1 as `Properties.load(InputStream)` does).
//!
//! As Java's `JaasBasicAuthFilter` and `PropertyFileLoginModule`:
//! * `POST /connectors/{c}/tasks` and `PUT /connectors/{c}/fence` (the internal requests other
//!   workers send; their session-key signature is checked by the handler) skip authentication;
//! * a request is let through when any module's credentials file has the user with exactly that
//!   password, or when a module's file is empty ("all requests will be permitted");
//! * otherwise 401 with the plain-text body `User cannot access the resource.` and no
//!   `WWW-Authenticate` header; a non-`Basic` or malformed header counts as no credentials; a
//!   header whose Base64 does not decode is Java's uncaught `IllegalArgumentException` (500);
//! * the filter runs for matched routes only (an unknown path is 404 either way).
//!
//! Where the JAAS file is (Java: the JVM system property `java.security.auth.login.config`):
//! the worker key of that name, else `-Djava.security.auth.login.config=<path>` in the
//! `KAFKA_OPTS` environment variable, as Kafka's scripts pass it. Unlike Java (which answers 401
//! to every request), a missing or unreadable JAAS or credentials file, a missing `KafkaConnect`
//! entry or another login module fails start-up. Credentials are read once, at start-up (Java
//! caches them on first use); passwords are never logged.

use std::collections::BTreeMap;

use base64::Engine;

use crate::config::parse_properties;
use crate::error::{Error, Result};

/// Java's extension class name, as `rest.extension.classes` lists it.
pub const EXTENSION_CLASS: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
/// The one login module Strait implements.
pub const PROPERTY_FILE_LOGIN_MODULE: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";
/// The JAAS entry the filter logs in with.
pub const JAAS_ENTRY: &str = "KafkaConnect";
/// The 401 body.
pub const UNAUTHORIZED_BODY: &str = "User cannot access the resource.";

/// One login module line of a JAAS entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginModule {
    pub class: String,
    /// `required`, `requisite`, `sufficient` or `optional` (lower case).
    pub flag: String,
    pub options: BTreeMap<String, String>,
}

/// A parsed JAAS file: entry name → login modules, in file order.
pub type JaasConfig = BTreeMap<String, Vec<LoginModule>>;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Punct(char),
}

/// The tokens of a JAAS file (Java's `ConfigFile` on a `StreamTokenizer`: `//` and `/* */`
/// comments, `"` strings with backslash escapes, `{ } ; =` punctuation, other runs words).
fn tokens(text: &str) -> std::result::Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                let mut closed = false;
                for c in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        closed = true;
                        break;
                    }
                    prev = c;
                }
                if !closed {
                    return Err("unterminated /* comment".into());
                }
            }
            '{' | '}' | ';' | '=' => out.push(Token::Punct(c)),
            '"' => {
                let mut s = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('r') => s.push('\r'),
                            Some(other) => s.push(other),
                            None => break,
                        },
                        '\n' => break,
                        c => s.push(c),
                    }
                }
                if !closed {
                    return Err("unterminated quoted string".into());
                }
                out.push(Token::Quoted(s));
            }
            c => {
                let mut s = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, '{' | '}' | ';' | '=' | '"') {
                        break;
                    }
                    s.push(n);
                    chars.next();
                }
                out.push(Token::Word(s));
            }
        }
    }
    Ok(out)
}

/// Parse a JAAS login configuration file (`Name { class flag key="value" …; … };`).
pub fn parse_jaas(text: &str) -> std::result::Result<JaasConfig, String> {
    let toks = tokens(text)?;
    let mut it = toks.into_iter().peekable();
    let mut config = JaasConfig::new();
    let word = |t: Option<Token>, what: &str| match t {
        Some(Token::Word(w)) => Ok(w),
        other => Err(format!(
            "expected {what}, found {}",
            describe(other.as_ref())
        )),
    };
    let punct = |t: Option<Token>, p: char| match t {
        Some(Token::Punct(c)) if c == p => Ok(()),
        other => Err(format!(
            "expected '{p}', found {}",
            describe(other.as_ref())
        )),
    };
    while it.peek().is_some() {
        let name = word(it.next(), "an entry name")?;
        punct(it.next(), '{')?;
        let mut modules = Vec::new();
        loop {
            if it.peek() == Some(&Token::Punct('}')) {
                it.next();
                break;
            }
            let class = word(it.next(), "a login module class or '}'")?;
            let flag = word(it.next(), "a control flag")?.to_ascii_lowercase();
            if !matches!(
                flag.as_str(),
                "required" | "requisite" | "sufficient" | "optional"
            ) {
                return Err(format!("Invalid control flag, {flag}"));
            }
            let mut options = BTreeMap::new();
            loop {
                match it.next() {
                    Some(Token::Punct(';')) => break,
                    Some(Token::Word(key)) => {
                        punct(it.next(), '=')?;
                        let value = match it.next() {
                            Some(Token::Quoted(v)) | Some(Token::Word(v)) => v,
                            other => {
                                return Err(format!(
                                    "expected the value of option {key}, found {}",
                                    describe(other.as_ref())
                                ))
                            }
                        };
                        options.insert(key, value);
                    }
                    other => {
                        return Err(format!(
                            "expected an option or ';', found {}",
                            describe(other.as_ref())
                        ))
                    }
                }
            }
            modules.push(LoginModule {
                class,
                flag,
                options,
            });
        }
        punct(it.next(), ';')?;
        if config.insert(name.clone(), modules).is_some() {
            return Err(format!("Can not specify multiple entries for {name}"));
        }
    }
    Ok(config)
}

fn describe(t: Option<&Token>) -> String {
    match t {
        None => "end of file".into(),
        Some(Token::Word(w)) => format!("'{w}'"),
        Some(Token::Quoted(q)) => format!("\"{q}\""),
        Some(Token::Punct(p)) => format!("'{p}'"),
    }
}

/// The JAAS file path given by `KAFKA_OPTS` (`-Djava.security.auth.login.config=<path>`, also
/// the `==` form and a quoted path).
pub fn jaas_path_from_kafka_opts(opts: &str) -> Option<String> {
    const FLAG: &str = "-Djava.security.auth.login.config=";
    let start = opts.rfind(FLAG)? + FLAG.len();
    let rest = opts[start..].trim_start_matches('=');
    let path = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
        _ => rest.split_whitespace().next().unwrap_or(""),
    };
    (!path.is_empty()).then(|| path.to_string())
}

/// Java's `Properties.load(InputStream)`: bytes are ISO-8859-1 characters.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// What the filter decides for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// 401 with [`UNAUTHORIZED_BODY`].
    Unauthorized,
    /// Java's uncaught Base64 error: 500 with this message.
    Malformed(String),
}

/// The basic auth extension, ready to check requests: each login module's credentials.
#[derive(Clone)]
pub struct BasicAuth {
    modules: Vec<BTreeMap<String, String>>,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("modules", &self.modules.len())
            .finish()
    }
}

impl BasicAuth {
    /// Load the extension: the JAAS file at `jaas_path` and the credentials files it names.
    pub fn load(jaas_path: &str) -> Result<Self> {
        let text = std::fs::read(jaas_path).map_err(|e| {
            Error::config(format!(
                "{EXTENSION_CLASS}: cannot read the JAAS file {jaas_path}: {e}"
            ))
        })?;
        let config = parse_jaas(&latin1(&text)).map_err(|e| {
            Error::config(format!(
                "{EXTENSION_CLASS}: the JAAS file {jaas_path} is not valid: Configuration Error: {e}"
            ))
        })?;
        Self::from_jaas(&config, jaas_path, |file| std::fs::read(file))
    }

    /// The extension for a parsed JAAS file; `read` reads a credentials file.
    pub fn from_jaas(
        config: &JaasConfig,
        jaas_path: &str,
        read: impl Fn(&str) -> std::io::Result<Vec<u8>>,
    ) -> Result<Self> {
        let modules = config.get(JAAS_ENTRY).ok_or_else(|| {
            Error::config(format!(
                "{EXTENSION_CLASS}: the JAAS file {jaas_path} has no {JAAS_ENTRY} entry (No LoginModules configured for {JAAS_ENTRY})"
            ))
        })?;
        if modules.is_empty() {
            return Err(Error::config(format!(
                "{EXTENSION_CLASS}: the {JAAS_ENTRY} entry of {jaas_path} has no login module"
            )));
        }
        let mut out = Vec::new();
        for m in modules {
            if m.class != PROPERTY_FILE_LOGIN_MODULE {
                return Err(Error::unsupported(format!(
                    "{EXTENSION_CLASS}: login module {} in {jaas_path} is not supported by Strait; only {PROPERTY_FILE_LOGIN_MODULE} is",
                    m.class
                )));
            }
            let file = m
                .options
                .get("file")
                .filter(|f| !f.trim().is_empty())
                .ok_or_else(|| {
                    Error::config(format!(
                        "{EXTENSION_CLASS}: {jaas_path}: Property Credentials file must be specified (option file=\"…\" of {PROPERTY_FILE_LOGIN_MODULE})"
                    ))
                })?;
            let bytes = read(file).map_err(|e| {
                Error::config(format!(
                    "{EXTENSION_CLASS}: Error loading Property Credentials file {file}: {e}"
                ))
            })?;
            let creds: BTreeMap<String, String> = parse_properties(&latin1(&bytes))
                .map_err(|e| {
                    Error::config(format!(
                        "{EXTENSION_CLASS}: Error loading Property Credentials file {file}: {}",
                        e.message()
                    ))
                })?
                .into_iter()
                .collect();
            if creds.is_empty() {
                tracing::warn!(
                    "Credential properties file '{file}' is empty; all requests will be permitted"
                );
            }
            out.push(creds);
        }
        Ok(BasicAuth { modules: out })
    }

    /// Java's `JaasBasicAuthFilter.filter` for a request with this `Authorization` header.
    pub fn check(&self, authorization: Option<&[u8]>) -> Decision {
        let credentials = match credentials(authorization) {
            Ok(c) => c,
            Err(message) => return Decision::Malformed(message),
        };
        let ok = self.modules.iter().any(|creds| {
            if creds.is_empty() {
                return true;
            }
            match &credentials {
                Some((user, password)) => creds.get(user) == Some(password),
                None => false,
            }
        });
        if ok {
            Decision::Allow
        } else {
            tracing::debug!("Request failed authentication");
            Decision::Unauthorized
        }
    }
}

/// Java's `BasicAuthCredentials`: `(user, password)`, `None` when absent or malformed, `Err`
/// (Java's uncaught exception message) when the Base64 does not decode.
fn credentials(header: Option<&[u8]>) -> std::result::Result<Option<(String, String)>, String> {
    let Some(header) = header else {
        return Ok(None);
    };
    // Jetty decodes header bytes as ISO-8859-1.
    let header = latin1(header);
    let Some(space) = header.find(' ').filter(|&i| i > 0) else {
        return Ok(None);
    };
    if !header[..space].eq_ignore_ascii_case("Basic") {
        return Ok(None);
    }
    let encoded = &header[space + 1..];
    let decoded = java_base64_decode(encoded)?;
    let decoded = String::from_utf8_lossy(&decoded);
    match decoded.find(':').filter(|&i| i > 0) {
        Some(i) => Ok(Some((
            decoded[..i].to_string(),
            decoded[i + 1..].to_string(),
        ))),
        None => Ok(None),
    }
}

/// `java.util.Base64.getDecoder().decode`: the basic alphabet, padding optional, anything else
/// an `IllegalArgumentException` (its message).
fn java_base64_decode(s: &str) -> std::result::Result<Vec<u8>, String> {
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
    {
        return Err(format!("Illegal base64 character {:x}", c as u32 as u8));
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine
        .decode(s)
        .map_err(|_| "Input byte array has wrong 4-byte ending unit".to_string())
}

/// The requests other workers send, which skip authentication (Java's
/// `INTERNAL_REQUEST_MATCHERS`, on the percent-decoded path).
pub fn is_internal_request(method: &str, decoded_path: &str) -> bool {
    let path = decoded_path.strip_prefix('/').unwrap_or(decoded_path);
    let path = path.strip_suffix('/').unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    match (method, parts.as_slice()) {
        ("POST", ["connectors", name, "tasks"]) | ("PUT", ["connectors", name, "fence"]) => {
            !name.is_empty()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAAS: &str = r#"
        // Kafka Connect's REST basic auth
        KafkaConnect {
            org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
            file="/mnt/secret/credentials.properties";
        };
        /* another application */
        KafkaServer { org.example.Other optional a=b c="d;e"; };
    "#;

    #[test]
    fn jaas_files_parse_as_javas_config_file() {
        let c = parse_jaas(JAAS).unwrap();
        let m = &c["KafkaConnect"][0];
        assert_eq!(m.class, PROPERTY_FILE_LOGIN_MODULE);
        assert_eq!(m.flag, "required");
        assert_eq!(m.options["file"], "/mnt/secret/credentials.properties");
        assert_eq!(c["KafkaServer"][0].options["c"], "d;e");
        assert!(parse_jaas("KafkaConnect { x bogus; };")
            .unwrap_err()
            .contains("Invalid control flag"));
        assert!(parse_jaas("KafkaConnect { x required file=\"a\" }").is_err());
        assert!(parse_jaas("A { }; A { };")
            .unwrap_err()
            .contains("multiple"));
        assert!(parse_jaas("A { x required file=\"a").is_err());
        assert_eq!(parse_jaas("").unwrap(), JaasConfig::new());
    }

    #[test]
    fn kafka_opts_names_the_jaas_file() {
        assert_eq!(
            jaas_path_from_kafka_opts(
                "-Xmx1g -Djava.security.auth.login.config=/etc/jaas.conf -Dx=y"
            )
            .as_deref(),
            Some("/etc/jaas.conf")
        );
        assert_eq!(
            jaas_path_from_kafka_opts("-Djava.security.auth.login.config==\"/a b/j.conf\"")
                .as_deref(),
            Some("/a b/j.conf")
        );
        assert_eq!(jaas_path_from_kafka_opts("-Xmx1g"), None);
    }

    fn auth(files: &[(&str, &str)]) -> BasicAuth {
        let mut text = String::from("KafkaConnect {\n");
        for (name, _) in files {
            text.push_str(&format!(
                "{PROPERTY_FILE_LOGIN_MODULE} required file=\"{name}\";\n"
            ));
        }
        text.push_str("};\n");
        let files: BTreeMap<String, String> = files
            .iter()
            .map(|(n, c)| (n.to_string(), c.to_string()))
            .collect();
        BasicAuth::from_jaas(&parse_jaas(&text).unwrap(), "jaas.conf", |f| {
            files
                .get(f)
                .map(|c| c.clone().into_bytes())
                .ok_or_else(|| std::io::Error::other("missing"))
        })
        .unwrap()
    }

    fn basic(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    #[test]
    fn credentials_are_checked_as_property_file_login_module_does() {
        let a = auth(&[("c", "# users\nalice=secret\nbob: pa:ss\ncarol pw\n")]);
        let check = |h: &str| a.check(Some(h.as_bytes()));
        assert_eq!(check(&basic("alice:secret")), Decision::Allow);
        assert_eq!(check(&basic("bob:pa:ss")), Decision::Allow);
        assert_eq!(check(&basic("carol:pw")), Decision::Allow);
        assert_eq!(check(&basic("alice:wrong")), Decision::Unauthorized);
        assert_eq!(check(&basic("mallory:secret")), Decision::Unauthorized);
        assert_eq!(check(&basic(":secret")), Decision::Unauthorized);
        assert_eq!(check(&basic("alicesecret")), Decision::Unauthorized);
        assert_eq!(a.check(None), Decision::Unauthorized);
        // The scheme is case-insensitive; others count as no credentials.
        let lower = basic("alice:secret").replacen("Basic", "basic", 1);
        assert_eq!(check(&lower), Decision::Allow);
        assert_eq!(check("Bearer abc"), Decision::Unauthorized);
        assert_eq!(check("Basic"), Decision::Unauthorized);
        // Unpadded Base64 is accepted; an illegal character is Java's 500.
        assert_eq!(check("Basic YWxpY2U6c2VjcmV0"), Decision::Allow);
        assert_eq!(
            check("Basic YWxp-2U6"),
            Decision::Malformed("Illegal base64 character 2d".into())
        );
        // Debug output shows no credentials.
        assert!(!format!("{a:?}").contains("secret"));
    }

    #[test]
    fn an_empty_credentials_file_lets_everyone_in_and_any_module_suffices() {
        let open = auth(&[("empty", "# nobody\n")]);
        assert_eq!(open.check(None), Decision::Allow);
        let two = auth(&[("a", "u1=p1\n"), ("b", "u2=p2\n")]);
        assert_eq!(two.check(Some(basic("u2:p2").as_bytes())), Decision::Allow);
        assert_eq!(
            two.check(Some(basic("u1:p2").as_bytes())),
            Decision::Unauthorized
        );
    }

    #[test]
    fn start_up_errors_name_the_problem() {
        let read = |_: &str| Ok(Vec::new());
        let other = parse_jaas("KafkaConnect { com.example.Ldap required; };").unwrap();
        let err = BasicAuth::from_jaas(&other, "j", read).unwrap_err();
        assert!(err.message().contains("com.example.Ldap"), "{err}");
        let none = parse_jaas("Other { x required; };").unwrap();
        let err = BasicAuth::from_jaas(&none, "j", read).unwrap_err();
        assert!(err.message().contains("no KafkaConnect entry"), "{err}");
        let no_file = parse_jaas(&format!(
            "KafkaConnect {{ {PROPERTY_FILE_LOGIN_MODULE} required; }};"
        ))
        .unwrap();
        let err = BasicAuth::from_jaas(&no_file, "j", read).unwrap_err();
        assert!(err.message().contains("must be specified"), "{err}");
    }

    #[test]
    fn internal_requests_skip_authentication() {
        assert!(is_internal_request("POST", "/connectors/c/tasks"));
        assert!(is_internal_request("POST", "/connectors/c/tasks/"));
        assert!(is_internal_request("PUT", "/connectors/c/fence"));
        assert!(!is_internal_request("GET", "/connectors/c/tasks"));
        assert!(!is_internal_request(
            "POST",
            "/connectors/c/tasks/0/restart"
        ));
        assert!(!is_internal_request("PUT", "/connectors/c/pause"));
        assert!(!is_internal_request("POST", "/connectors//tasks"));
    }
}
