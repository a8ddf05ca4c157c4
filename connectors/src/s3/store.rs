//! The S3 sink's object store, built from its config with the `object_store` crate.
//!
//! Default (Confluent's behaviour): Amazon S3. `AmazonS3Builder::from_env()` supplies the
//! standard AWS credential chain as far as object_store covers it: `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` +
//! `AWS_ROLE_ARN`, i.e. EKS IRSA), ECS/EKS container credentials
//! (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`) and EC2 instance metadata (IMDSv2);
//! NOT the shared `~/.aws/credentials` / `config` profile files nor SSO (object_store does not
//! read them). Static `aws.access.key.id` + `aws.secret.access.key` (both non-blank) take
//! precedence, as in Confluent. The bucket is `s3.bucket.name`, the region `s3.region`;
//! `store.url` `http(s)://host[:port]` (scheme `https://` when absent, as Confluent) is the
//! endpoint, plain HTTP allowed only for an `http://` URL; addressing is path-style when
//! `s3.path.style.access.enabled` (default true), else virtual-hosted. Server-side encryption
//! follows [`S3SinkConfig::encryption`]. Retries: object_store's `RetryConfig` with
//! `max_retries = s3.part.retries` (Confluent hands the same number to the SDK as its maximum
//! attempts) and an exponential back-off starting at `s3.retry.backoff.ms`, doubling, capped at
//! one day (Confluent's `S3_RETRY_MAX_BACKOFF_TIME_MS`); object_store's own jitter applies.
//!
//! Strait extension: `store.url` with another scheme selects another store.
//! - `s3://<bucket>`: Amazon S3 as above, bucket from the URL host (else `s3.bucket.name`).
//! - `gs://<bucket>`: Google Cloud Storage, credentials from object_store's environment
//!   (`GOOGLE_SERVICE_ACCOUNT` / `GOOGLE_APPLICATION_CREDENTIALS`, instance metadata); bucket from
//!   the URL host, else `s3.bucket.name`.
//! - `az://<container>`, `azure://<container>`, `abfs[s]://<container>@<account>...`: Azure Blob
//!   Storage, account and credentials from object_store's environment (`AZURE_STORAGE_ACCOUNT_NAME`,
//!   `AZURE_STORAGE_ACCOUNT_KEY`, `AZURE_STORAGE_USE_EMULATOR`, ...); the container from the URL,
//!   else `s3.bucket.name`.
//! - `file:///<dir>`: the local file system; objects land in `<dir>/<s3.bucket.name>/<key>`, and
//!   that bucket directory must exist (the "bucket exists" check of task start).
//!
//! A URL for these schemes must not have a path (a key prefix is `topics.dir`'s job).

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::{BackoffConfig, ObjectStore, RetryConfig};

use strait_engine::error::{Error, Result};

use super::config::{Encryption, S3SinkConfig};

/// Which store `store.url` selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreTarget {
    /// Amazon S3 or an S3-compatible endpoint (`None` = AWS's own).
    S3 {
        endpoint: Option<String>,
    },
    Gcs,
    Azure {
        url: String,
    },
    /// The directory holding bucket directories.
    Local {
        root: String,
    },
}

/// The store `config` names and its bucket (or container, or bucket directory).
pub fn target(config: &S3SinkConfig) -> Result<(StoreTarget, String)> {
    let url = config.store_url.as_deref().map(str::trim).unwrap_or("");
    if url.is_empty() {
        return Ok((StoreTarget::S3 { endpoint: None }, config.bucket.clone()));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        // Confluent: no scheme means https.
        return Ok((
            StoreTarget::S3 {
                endpoint: Some(format!("https://{url}")),
            },
            config.bucket.clone(),
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    // The bucket from `<host>[/]`, else s3.bucket.name.
    let host_bucket = |rest: &str| -> Result<String> {
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !path.is_empty() {
            return Err(Error::config(format!(
                "Invalid value {url} for configuration store.url: a {scheme}:// URL names a \
                 bucket only, without a path (use topics.dir for a key prefix)"
            )));
        }
        Ok(if host.is_empty() {
            config.bucket.clone()
        } else {
            host.to_string()
        })
    };
    match scheme.as_str() {
        "http" | "https" => Ok((
            StoreTarget::S3 {
                endpoint: Some(url.to_string()),
            },
            config.bucket.clone(),
        )),
        "s3" | "s3a" => Ok((StoreTarget::S3 { endpoint: None }, host_bucket(rest)?)),
        "gs" => Ok((StoreTarget::Gcs, host_bucket(rest)?)),
        "az" | "azure" => Ok((
            StoreTarget::Azure {
                url: url.to_string(),
            },
            host_bucket(rest)?,
        )),
        "abfs" | "abfss" => {
            let authority = rest.split('/').next().unwrap_or("");
            let container = authority.split('@').next().unwrap_or("");
            let container = if container.is_empty() {
                config.bucket.clone()
            } else {
                container.to_string()
            };
            Ok((
                StoreTarget::Azure {
                    url: url.to_string(),
                },
                container,
            ))
        }
        "file" => Ok((
            StoreTarget::Local {
                root: rest.to_string(),
            },
            config.bucket.clone(),
        )),
        _ => Err(Error::config(format!(
            "Invalid value {url} for configuration store.url: unknown scheme {scheme}:// (Strait \
             takes http(s)://, s3://, gs://, az://, azure://, abfs(s):// and file://)"
        ))),
    }
}

/// object_store's retries from `s3.part.retries` and `s3.retry.backoff.ms`.
pub fn retry_config(config: &S3SinkConfig) -> RetryConfig {
    let max_backoff = Duration::from_secs(24 * 3600);
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(config.s3_retry_backoff_ms.max(0) as u64)
                .min(max_backoff),
            max_backoff,
            base: 2.0,
        },
        max_retries: config.part_retries.max(0) as usize,
        ..RetryConfig::default()
    }
}

fn build_error(what: &str, e: object_store::Error) -> Error {
    Error::config(format!("Cannot set up the {what} object store: {e}")).with_source(e)
}

/// Build the object store `config` names (see the module documentation).
pub async fn open_store(config: &S3SinkConfig) -> Result<Arc<dyn ObjectStore>> {
    let (target, bucket) = target(config)?;
    let retry = retry_config(config);
    Ok(match target {
        StoreTarget::S3 { endpoint } => {
            let mut builder = AmazonS3Builder::from_env()
                .with_bucket_name(&bucket)
                .with_region(&config.region)
                .with_virtual_hosted_style_request(!config.path_style_access)
                .with_retry(retry);
            if let Some(endpoint) = endpoint {
                builder = builder
                    .with_allow_http(endpoint.to_ascii_lowercase().starts_with("http://"))
                    .with_endpoint(endpoint);
            }
            if let Some((id, secret)) = config.static_credentials() {
                // Static keys replace the whole chain, a session token from the environment
                // included (it belongs to other keys).
                builder = builder
                    .with_access_key_id(id)
                    .with_secret_access_key(secret)
                    .with_config(AmazonS3ConfigKey::Token, "");
            }
            builder = match config.encryption() {
                Encryption::None => builder,
                Encryption::SseS3 => {
                    // object_store does not export its encryption key enum; its string form.
                    let key: AmazonS3ConfigKey = "aws_server_side_encryption"
                        .parse()
                        .map_err(|e| build_error("S3", e))?;
                    builder.with_config(key, "AES256")
                }
                Encryption::SseKms(key) => builder.with_sse_kms_encryption(key),
                Encryption::SseC(key) => builder.with_ssec_encryption(key),
            };
            Arc::new(builder.build().map_err(|e| build_error("S3", e))?)
        }
        StoreTarget::Gcs => Arc::new(
            GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(&bucket)
                .with_retry(retry)
                .build()
                .map_err(|e| build_error("Google Cloud Storage", e))?,
        ),
        StoreTarget::Azure { url } => Arc::new(
            MicrosoftAzureBuilder::from_env()
                .with_url(url)
                .with_container_name(&bucket)
                .with_retry(retry)
                .build()
                .map_err(|e| build_error("Azure Blob Storage", e))?,
        ),
        StoreTarget::Local { root } => {
            let dir = std::path::Path::new(&root).join(&bucket);
            if !dir.is_dir() {
                return Err(missing_bucket(&bucket));
            }
            Arc::new(
                LocalFileSystem::new_with_prefix(&dir)
                    .map_err(|e| build_error("local file system", e))?,
            )
        }
    })
}

/// Confluent's `S3SinkTask.start` message.
fn missing_bucket(bucket: &str) -> Error {
    Error::config(format!("Non-existent S3 bucket: {bucket}"))
}

/// The task-start check: Confluent fails the task when the bucket does not exist. Lists at most
/// one page of the bucket's root and classifies a failure: a missing bucket and refused
/// credentials are config errors (fix the config; retrying does not help), an unreachable or
/// failing endpoint is an external, retriable error.
pub async fn check_bucket(store: &dyn ObjectStore, bucket: &str) -> Result<()> {
    match store.list_with_delimiter(None).await {
        Ok(_) => Ok(()),
        Err(e) => Err(classify(e, bucket)),
    }
}

/// What a failed bucket check means.
fn classify(e: object_store::Error, bucket: &str) -> Error {
    let text = e.to_string();
    match &e {
        object_store::Error::NotFound { .. } => missing_bucket(bucket).with_source(e),
        _ if text.contains("NoSuchBucket") => missing_bucket(bucket).with_source(e),
        object_store::Error::Unauthenticated { .. }
        | object_store::Error::PermissionDenied { .. } => {
            credentials_error(bucket, &text).with_source(e)
        }
        _ if [
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AccessDenied",
            "403 Forbidden",
        ]
        .iter()
        .any(|m| text.contains(m)) =>
        {
            credentials_error(bucket, &text).with_source(e)
        }
        _ => Error::external(
            format!(
                "Cannot reach the object store holding bucket {bucket} (endpoint unreachable or \
                 failing; retrying may help once it is back): {text}"
            ),
            true,
        )
        .with_source(e),
    }
}

fn credentials_error(bucket: &str, text: &str) -> Error {
    Error::config(format!(
        "Access to bucket {bucket} was refused: check aws.access.key.id / aws.secret.access.key \
         (or the credentials of the default AWS chain; for gs:// and az:// store.url, the \
         GOOGLE_* / AZURE_* environment) and the bucket's permissions: {text}"
    ))
}
