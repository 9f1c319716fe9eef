//! Reading a [`DannConfig`] from JSON, in its nested layout or in ShiftKit's flat one, with an
//! error that names the field.

use serde_json::{Map, Value};

use crate::config::DannConfig;
use crate::error::TrainError;

/// ShiftKit's top-level keys and where they live in the nested layout.
const MOVED: [(&str, &str, &str); 7] = [
    ("discriminator_hidden", "discriminator", "hidden_dim"),
    ("discriminator_layers", "discriminator", "hidden_layers"),
    ("discriminator_dropout", "discriminator", "dropout"),
    (
        "discriminator_dropout_masks",
        "discriminator",
        "dropout_masks",
    ),
    ("discriminator_batch_norm", "discriminator", "batch_norm"),
    ("centroid_momentum", "centroids", "momentum"),
    ("centroid_start", "centroids", "start"),
];

impl DannConfig {
    /// Reads a configuration from JSON, in its nested layout or in ShiftKit's flat one (its
    /// parameters `discriminator_hidden` and `centroid_momentum`, and `discriminator_layers`,
    /// `discriminator_dropout`, `discriminator_dropout_masks`, `discriminator_batch_norm`,
    /// `centroid_start`, at the top level), which is moved into the nested configurations.
    /// Missing fields take their defaults.
    ///
    /// # Errors
    ///
    /// [`TrainError::ConfigField`] naming the field that is unknown or has a value of the
    /// wrong type, or `"(document)"` when the text is not a JSON object.
    pub fn from_json(text: &str) -> Result<Self, TrainError> {
        from_json(text)
    }
}

fn from_json(text: &str) -> Result<DannConfig, TrainError> {
    let given: Value = serde_json::from_str(text).map_err(|e| field_error("(document)", e))?;
    let Value::Object(mut given) = given else {
        return Err(field_error("(document)", "not a JSON object"));
    };
    for (old, nested, key) in MOVED {
        if let Some(value) = given.remove(old) {
            let entry = given
                .entry(nested.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(inner) => {
                    inner.entry(key.to_string()).or_insert(value);
                }
                _ => return Err(field_error(nested, "expected an object")),
            }
        }
    }
    let Value::Object(mut merged) =
        serde_json::to_value(DannConfig::new()).map_err(|e| field_error("(document)", e))?
    else {
        return Err(field_error(
            "(document)",
            "the default did not serialise to an object",
        ));
    };
    // Field by field, so that an error names the field it comes from.
    for (key, value) in given {
        let Some(default) = merged.get(&key).cloned() else {
            return Err(field_error(&key, "unknown field"));
        };
        let value = match (default, value) {
            (Value::Object(mut inner), Value::Object(update)) => {
                for (inner_key, inner_value) in update {
                    if !inner.contains_key(&inner_key) {
                        return Err(field_error(&format!("{key}.{inner_key}"), "unknown field"));
                    }
                    inner.insert(inner_key, inner_value);
                }
                Value::Object(inner)
            }
            (_, value) => value,
        };
        let mut trial = merged.clone();
        trial.insert(key.clone(), value);
        serde_json::from_value::<DannConfig>(Value::Object(trial.clone()))
            .map_err(|e| field_error(&key, e))?;
        merged = trial;
    }
    serde_json::from_value(Value::Object(merged)).map_err(|e| field_error("(document)", e))
}

fn field_error(field: &str, problem: impl std::fmt::Display) -> TrainError {
    TrainError::ConfigField {
        field: field.to_string(),
        problem: problem.to_string(),
    }
}
