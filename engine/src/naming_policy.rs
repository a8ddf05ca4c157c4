//! Connector naming policy (a Strait addition, worker key [`CONNECTOR_NAME_POLICY_CONFIG`]): the
//! naming convention of a managed Kafka Connect platform, enforced when a connector is created
//! (`POST /connectors`, a `PUT /connectors/{c}/config` that creates, a standalone connector
//! file at start-up). Updates of existing connectors are never refused, so turning the policy on
//! does not lock out connectors created before.
//!
//! The forms, with the grammar Strait gives each part (the seed's examples
//! `sales-dev-analytics-snowflake-connector` and
//! `edh-shared-scada-dev-analytics-snowflake-connector` both fit):
//!
//! * `dedicated`: `{business_unit}-{stage}-{id}-connector`;
//! * `shared`: `{landing_zone}-{business_unit}-{stage}-{id}-connector`;
//!
//! where a *word* is one or more lowercase ASCII letters or digits, and
//! * `landing_zone` is one or more words joined by `-` (`edh-shared`),
//! * `business_unit` is one word (`sales`, `scada`),
//! * `stage` is `dev`, `qas` or `run`,
//! * `id` is one or more words joined by `-` (`analytics-snowflake`, `crm-http`).
//!
//! A name is split at its dashes; in the shared form the stage is the first `dev`/`qas`/`run`
//! word that has at least two words before it and an id after it, so the landing zone and the
//! id may themselves contain stage words elsewhere.

use crate::error::{Error, Result};

/// The worker key: `none` (default), `dedicated` or `shared`.
pub const CONNECTOR_NAME_POLICY_CONFIG: &str = "connector.name.policy";
/// The values of [`CONNECTOR_NAME_POLICY_CONFIG`].
pub const POLICIES: &[&str] = &["none", "dedicated", "shared"];
/// The stages a name may carry.
pub const STAGES: &[&str] = &["dev", "qas", "run"];

/// Which connector names a worker accepts on create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectorNamePolicy {
    /// Any name (Kafka Connect's behaviour).
    #[default]
    None,
    /// `{business_unit}-{stage}-{id}-connector`.
    Dedicated,
    /// `{landing_zone}-{business_unit}-{stage}-{id}-connector`.
    Shared,
}

impl ConnectorNamePolicy {
    /// The policy named `value` (the key's validator admits only [`POLICIES`]).
    pub fn from_config(value: &str) -> Result<Self> {
        match value.trim() {
            "none" => Ok(ConnectorNamePolicy::None),
            "dedicated" => Ok(ConnectorNamePolicy::Dedicated),
            "shared" => Ok(ConnectorNamePolicy::Shared),
            other => Err(crate::config::config_exception(
                CONNECTOR_NAME_POLICY_CONFIG,
                other,
                &format!("String must be one of: {}", POLICIES.join(", ")),
            )),
        }
    }

    /// The form a name must have, as the error shows it.
    fn form(self) -> &'static str {
        match self {
            ConnectorNamePolicy::None => "any",
            ConnectorNamePolicy::Dedicated => {
                "{business_unit}-{stage}-{id}-connector (e.g. sales-dev-analytics-snowflake-connector)"
            }
            ConnectorNamePolicy::Shared => {
                "{landing_zone}-{business_unit}-{stage}-{id}-connector (e.g. edh-shared-scada-dev-analytics-snowflake-connector)"
            }
        }
    }

    fn key_value(self) -> &'static str {
        POLICIES[self as usize]
    }

    /// Whether `name` has this policy's form.
    pub fn allows(self, name: &str) -> bool {
        let Some(body) = name.strip_suffix("-connector") else {
            return self == ConnectorNamePolicy::None;
        };
        let words: Vec<&str> = body.split('-').collect();
        let word_ok = |w: &&str| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        let is_stage = |w: &str| STAGES.contains(&w);
        match self {
            ConnectorNamePolicy::None => true,
            _ if !words.iter().all(word_ok) => false,
            // business_unit, stage, then at least one id word.
            ConnectorNamePolicy::Dedicated => words.len() >= 3 && is_stage(words[1]),
            // At least one landing-zone word and the business unit before the stage, at least
            // one id word after it.
            ConnectorNamePolicy::Shared => {
                (2..words.len().saturating_sub(1)).any(|i| is_stage(words[i]))
            }
        }
    }

    /// The create-time check: `Ok` or a 400 that names the expected form.
    pub fn check(self, name: &str) -> Result<()> {
        if self.allows(name) {
            return Ok(());
        }
        Err(Error::config(format!(
            "Connector name '{name}' does not follow this worker's naming policy ({CONNECTOR_NAME_POLICY_CONFIG}={}): expected {}, where landing_zone and id are lowercase words (a-z, 0-9) joined by '-', business_unit is one such word and stage is one of {}",
            self.key_value(),
            self.form(),
            STAGES.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectorNamePolicy::*;

    #[test]
    fn the_seeds_examples_fit_their_form() {
        assert!(Dedicated.allows("sales-dev-analytics-snowflake-connector"));
        assert!(Shared.allows("edh-shared-scada-dev-analytics-snowflake-connector"));
        assert!(Dedicated.allows("sales-run-crm-http-connector"));
        assert!(Dedicated.allows("bu1-qas-x-connector"));
        assert!(Shared.allows("lz-scada-qas-crm-http-connector"));
        // The stage is found where the form puts it; stage words elsewhere are fine.
        assert!(Shared.allows("run-zone-sales-dev-run-connector"));
        assert!(Dedicated.allows("sales-dev-dev-connector"));
    }

    #[test]
    fn names_off_the_form_are_refused() {
        for name in [
            "sales-dev-analytics-snowflake",    // no suffix
            "sales-prod-analytics-connector",   // unknown stage
            "sales-dev-connector",              // no id
            "dev-analytics-connector",          // no business unit
            "Sales-dev-analytics-connector",    // upper case
            "sales-dev-analytics--x-connector", // empty word
            "sales_unit-dev-x-connector",       // underscore
            "sales-dev-x-connector-",
        ] {
            assert!(!Dedicated.allows(name), "{name}");
        }
        // Shared needs a landing zone before the business unit.
        assert!(!Shared.allows("sales-dev-analytics-snowflake-connector"));
        assert!(!Shared.allows("edh-shared-scada-dev-connector"));
        // A shared name is not a dedicated one (its second word is no stage).
        assert!(!Dedicated.allows("edh-shared-scada-dev-analytics-snowflake-connector"));
        assert!(None.allows("anything at all"));
    }

    #[test]
    fn the_error_names_the_expected_form() {
        let err = Dedicated.check("my-connector").unwrap_err();
        assert_eq!(err.http_status(), 400);
        assert!(err.message().starts_with("Connector name 'my-connector' does not follow this worker's naming policy (connector.name.policy=dedicated): expected {business_unit}-{stage}-{id}-connector (e.g. sales-dev-analytics-snowflake-connector)"), "{err}");
        assert!(
            err.message().ends_with("stage is one of dev, qas, run"),
            "{err}"
        );
        let err = Shared.check("x").unwrap_err();
        assert!(
            err.message().contains("connector.name.policy=shared"),
            "{err}"
        );
        assert!(err
            .message()
            .contains("{landing_zone}-{business_unit}-{stage}-{id}-connector"));
        assert_eq!(
            ConnectorNamePolicy::from_config(" shared ").unwrap(),
            Shared
        );
        assert!(ConnectorNamePolicy::from_config("strict").is_err());
    }
}
