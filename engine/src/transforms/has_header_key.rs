//! `org.apache.kafka.connect.transforms.predicates.HasHeaderKey`: true when the record has at
//! least one header named `name`.

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch, StringArray};

use super::registry::{Build, TransformPlugin};
use super::util::header_list;
use super::{Needs, Predicate};
use crate::config::{Props, Validator};
use crate::error::Result;

pub const CLASS: &str = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey";

crate::declare_config! {
    /// HasHeaderKey's keys.
    #[derive(Debug)]
    pub struct HasHeaderKeyConfig {
        pub name: String {
            key: "name",
            ty: String,
            default: required,
            validator: Validator::NonEmptyString,
            importance: Medium,
            doc: "The header name.",
        },
    }
}

pub const PLUGINS: &[TransformPlugin] = &[TransformPlugin {
    class: CLASS,
    config_def: HasHeaderKeyConfig::config_def,
    build: Build::Predicate(build),
}];

fn build(props: &Props) -> Result<Box<dyn Predicate>> {
    let config = HasHeaderKeyConfig::parse(props)?;
    Ok(Box::new(HasHeaderKey { name: config.name }))
}

/// A configured HasHeaderKey.
#[derive(Debug)]
pub struct HasHeaderKey {
    name: String,
}

impl Predicate for HasHeaderKey {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn needs(&self) -> Needs {
        Needs::HEADERS
    }

    fn test(&self, records: &RecordBatch) -> Result<BooleanArray> {
        let headers = header_list(records)?;
        let keys: &StringArray = headers.values().as_struct().column(0).as_string();
        let offsets = headers.value_offsets();
        let name = self.name.as_bytes();
        let key_offsets = keys.value_offsets();
        let key_bytes = keys.value_data();
        // Compare bytes in place: one bit per row, no per-row `Option` or `&str` checks.
        let matches = |j: usize| {
            let (s, e) = (key_offsets[j] as usize, key_offsets[j + 1] as usize);
            &key_bytes[s..e] == name
        };
        Ok(BooleanArray::new(
            arrow::buffer::BooleanBuffer::collect_bool(headers.len(), |row| {
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                headers.is_valid(row) && (start..end).any(matches)
            }),
            None,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::RawBatchBuilder;

    #[test]
    fn any_header_with_the_name() {
        let mut b = RawBatchBuilder::with_capacity(3, 8);
        b.append(
            "t",
            0,
            0,
            Some(1),
            None,
            None,
            [("a", Some(&b"1"[..])), ("b", None)],
        );
        b.append("t", 0, 1, Some(1), None, None, [("a", Some(&b"1"[..]))]);
        b.append("t", 0, 2, Some(1), None, None, []);
        let batch = b.finish().unwrap();
        let p = HasHeaderKey { name: "b".into() };
        assert_eq!(
            p.test(&batch.records).unwrap(),
            BooleanArray::from(vec![true, false, false])
        );
        let p = HasHeaderKey { name: "a".into() };
        assert_eq!(
            p.test(&batch.records).unwrap(),
            BooleanArray::from(vec![true, true, false])
        );
        let props: Props = [("name".to_string(), String::new())].into();
        assert_eq!(
            HasHeaderKeyConfig::parse(&props).unwrap_err().message(),
            "Invalid value  for configuration name: String must be non-empty"
        );
    }
}
