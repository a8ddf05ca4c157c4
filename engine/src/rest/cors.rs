//! CORS as Java's `RestServer` configures Jetty's `CrossOriginFilter` when
//! `access.control.allow.origin` is not blank: allowed origins from that key (comma-separated,
//! `*` for any, `*` inside an origin a wildcard), allowed methods from
//! `access.control.allow.methods` (Jetty's default `GET,POST,HEAD` when blank), Jetty's other
//! defaults (allowed headers `X-Requested-With,Content-Type,Accept,Origin`, credentials allowed,
//! preflight max age 1800 s, preflights passed on to the resource).
//!
//! The filter only adds headers: a request from an origin that is not allowed, or a preflight
//! whose method or headers are not allowed, is served without CORS headers.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};

/// Jetty's default allowed headers.
const DEFAULT_ALLOWED_HEADERS: &[&str] = &["X-Requested-With", "Content-Type", "Accept", "Origin"];
/// Jetty's default allowed methods.
const DEFAULT_ALLOWED_METHODS: &[&str] = &["GET", "POST", "HEAD"];
/// Jetty's default preflight max age (seconds).
const PREFLIGHT_MAX_AGE: &str = "1800";

/// A configured `CrossOriginFilter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    any_origin: bool,
    origins: Vec<String>,
    methods: Vec<String>,
}

impl Cors {
    /// The filter for `access.control.allow.origin` / `.methods`, or `None` when the origin key
    /// is blank (no filter, as in Java).
    pub fn new(allowed_origins: &str, allowed_methods: &str) -> Option<Cors> {
        if allowed_origins.trim().is_empty() {
            return None;
        }
        let split = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let origins = split(allowed_origins);
        let methods = if allowed_methods.trim().is_empty() {
            DEFAULT_ALLOWED_METHODS
                .iter()
                .map(|m| m.to_string())
                .collect()
        } else {
            split(allowed_methods)
        };
        Some(Cors {
            any_origin: origins.iter().any(|o| o == "*"),
            origins,
            methods,
        })
    }

    /// Whether any of the (space-separated) origins of an `Origin` header is allowed.
    fn origin_matches(&self, origin_list: &str) -> bool {
        origin_list
            .split(' ')
            .filter(|o| !o.is_empty())
            .any(|origin| {
                self.origins.iter().any(|allowed| {
                    if allowed.contains('*') {
                        wildcard_matches(allowed, origin)
                    } else {
                        allowed == origin
                    }
                })
            })
    }

    /// The CORS response headers for a request (Jetty's `CrossOriginFilter.handle`); empty when
    /// the request is not cross-origin or not allowed.
    pub fn response_headers(
        &self,
        method: &Method,
        request: &HeaderMap,
    ) -> Vec<(HeaderName, HeaderValue)> {
        let mut out = Vec::new();
        let Some(origin) = request.get("origin").and_then(|o| o.to_str().ok()) else {
            return out;
        };
        if !(self.any_origin || self.origin_matches(origin)) {
            tracing::debug!(
                origin,
                "Cross-origin request does not match allowed origins"
            );
            return out;
        }
        let requested_method = request
            .get("access-control-request-method")
            .and_then(|m| m.to_str().ok());
        // Jetty: a preflight is an OPTIONS with Access-Control-Request-Method; anything else
        // gets the simple response.
        let push = |out: &mut Vec<(HeaderName, HeaderValue)>, name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                out.push((HeaderName::from_static(name), v));
            }
        };
        if let Some(requested_method) = requested_method.filter(|_| *method == Method::OPTIONS) {
            if !self.methods.iter().any(|m| m == requested_method) {
                return out;
            }
            let requested_headers: Vec<&str> = request
                .get_all("access-control-request-headers")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .collect();
            let headers_allowed = requested_headers.iter().all(|h| {
                DEFAULT_ALLOWED_HEADERS
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(h))
            });
            if !headers_allowed {
                return out;
            }
            push(&mut out, "access-control-allow-origin", origin);
            if !self.any_origin {
                push(&mut out, "vary", "Origin");
            }
            push(&mut out, "access-control-allow-credentials", "true");
            push(&mut out, "access-control-max-age", PREFLIGHT_MAX_AGE);
            push(
                &mut out,
                "access-control-allow-methods",
                &self.methods.join(","),
            );
            push(
                &mut out,
                "access-control-allow-headers",
                &DEFAULT_ALLOWED_HEADERS.join(","),
            );
        } else {
            push(&mut out, "access-control-allow-origin", origin);
            if !self.any_origin {
                push(&mut out, "vary", "Origin");
            }
            push(&mut out, "access-control-allow-credentials", "true");
        }
        out
    }
}

/// Jetty's wildcard origin: `*` matches any run of characters, the rest literally.
fn wildcard_matches(pattern: &str, origin: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !origin.starts_with(first)
        || origin.len() < first.len() + last.len()
        || !origin.ends_with(last)
    {
        return false;
    }
    let mut rest = &origin[first.len()..origin.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn names(out: &[(HeaderName, HeaderValue)]) -> Vec<String> {
        out.iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
            .collect()
    }

    #[test]
    fn blank_origin_means_no_filter() {
        assert_eq!(Cors::new(" ", "GET"), None);
    }

    #[test]
    fn simple_requests_from_allowed_origins_get_the_origin_back() {
        let cors = Cors::new("https://ui.example.com, https://*.corp.example", "").unwrap();
        let h = headers(&[("origin", "https://ui.example.com")]);
        assert_eq!(
            names(&cors.response_headers(&Method::GET, &h)),
            [
                "access-control-allow-origin: https://ui.example.com",
                "vary: Origin",
                "access-control-allow-credentials: true"
            ]
        );
        let h = headers(&[("origin", "https://a.b.corp.example")]);
        assert_eq!(cors.response_headers(&Method::DELETE, &h).len(), 3);
        let h = headers(&[("origin", "https://evil.example")]);
        assert!(cors.response_headers(&Method::GET, &h).is_empty());
        assert!(cors
            .response_headers(&Method::GET, &HeaderMap::new())
            .is_empty());
    }

    #[test]
    fn preflights_check_method_and_headers() {
        let cors = Cors::new("*", "GET,PUT").unwrap();
        let pre = |m: &str, hs: &str| {
            let mut h = headers(&[
                ("origin", "https://ui"),
                ("access-control-request-method", m),
            ]);
            if !hs.is_empty() {
                h.append(
                    "access-control-request-headers",
                    HeaderValue::from_str(hs).unwrap(),
                );
            }
            names(&cors.response_headers(&Method::OPTIONS, &h))
        };
        assert_eq!(
            pre("PUT", "content-type"),
            [
                "access-control-allow-origin: https://ui",
                "access-control-allow-credentials: true",
                "access-control-max-age: 1800",
                "access-control-allow-methods: GET,PUT",
                "access-control-allow-headers: X-Requested-With,Content-Type,Accept,Origin"
            ]
        );
        assert!(pre("DELETE", "").is_empty());
        assert!(pre("PUT", "authorization").is_empty());
        // Default methods.
        let cors = Cors::new("https://ui", "").unwrap();
        let h = headers(&[
            ("origin", "https://ui"),
            ("access-control-request-method", "POST"),
        ]);
        let out = names(&cors.response_headers(&Method::OPTIONS, &h));
        assert!(
            out.contains(&"access-control-allow-methods: GET,POST,HEAD".to_string()),
            "{out:?}"
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_matches("https://*.x.com", "https://a.x.com"));
        assert!(!wildcard_matches("https://*.x.com", "https://x.com"));
        assert!(wildcard_matches("*", "anything"));
        assert!(wildcard_matches("a*b*c", "abc"));
        assert!(!wildcard_matches("a*b*c", "acb"));
    }
}
