//! `org.apache.kafka.connect.transforms.DropHeaders`: removes every header whose key is one of
//! `headers`. Only the `headers` column changes.

use std::collections::HashSet;

use arrow::array::{AsArray, BooleanArray, RecordBatch, StringArray};

use super::registry::{Build, TransformPlugin};
use super::util::{drop_header_entries, header_list, with_headers};
use super::{Applied, Needs, Transform, TransformContext};
use crate::config::{Props, Validator};
use crate::error::Result;

pub const CLASS: &str = "org.apache.kafka.connect.transforms.DropHeaders";

crate::declare_config! {
    /// DropHeaders's keys.
    #[derive(Debug)]
    pub struct DropHeadersConfig {
        pub headers: Vec<String> {
            key: "headers",
            ty: List,
            default: required,
            validator: Validator::NonEmptyList,
            importance: High,
            doc: "The name of the headers to be removed.",
        },
    }
}

pub const PLUGINS: &[TransformPlugin] = &[TransformPlugin {
    class: CLASS,
    config_def: DropHeadersConfig::config_def,
    build: Build::Transform(build),
}];

fn build(props: &Props, _ctx: &TransformContext) -> Result<Box<dyn Transform>> {
    let config = DropHeadersConfig::parse(props)?;
    Ok(Box::new(DropHeaders {
        headers: config.headers.into_iter().collect(),
    }))
}

/// A configured DropHeaders.
#[derive(Debug)]
pub struct DropHeaders {
    headers: HashSet<String>,
}

impl Transform for DropHeaders {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn needs(&self) -> Needs {
        Needs::HEADERS
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let headers = header_list(records)?;
        let keys: &StringArray = headers.values().as_struct().column(0).as_string();
        let keep: BooleanArray = keys
            .iter()
            .map(|k| Some(!k.is_some_and(|k| self.headers.contains(k))))
            .collect();
        if keep.false_count() == 0 {
            return Ok(Applied::all(records.clone()));
        }
        let headers = drop_header_entries(headers, &keep)?;
        Ok(Applied::all(with_headers(records, headers)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{header_entries, RawBatchBuilder};
    use arrow::array::ListArray;

    #[test]
    fn drops_every_header_with_a_listed_key() {
        let mut b = RawBatchBuilder::with_capacity(3, 8);
        b.append(
            "t",
            0,
            0,
            Some(1),
            None,
            None,
            [
                ("a", Some(&b"1"[..])),
                ("b", None),
                ("a", Some(&b"2"[..])),
                ("c", Some(&b"3"[..])),
            ],
        );
        b.append("t", 0, 1, Some(1), None, None, []);
        b.append("t", 0, 2, Some(1), None, None, [("c", None)]);
        // Sliced input: offsets not starting at zero.
        let records = b.finish().unwrap().records.slice(0, 3);
        let props: Props = [("headers".to_string(), "a, c".to_string())].into();
        let t = build(&props, &crate::transforms::util::tests_context()).unwrap();
        let out = t.apply(&records).unwrap();
        let h = out
            .records
            .column_by_name("headers")
            .unwrap()
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        let row0: Vec<_> = header_entries(h, 0).collect();
        assert_eq!(row0, [("b", None)]);
        assert_eq!(header_entries(h, 1).count(), 0);
        assert_eq!(header_entries(h, 2).count(), 0);
        let props: Props = [("headers".to_string(), String::new())].into();
        assert_eq!(
            DropHeadersConfig::parse(&props).unwrap_err().message(),
            "Invalid value [] for configuration headers: Empty list"
        );
    }
}
