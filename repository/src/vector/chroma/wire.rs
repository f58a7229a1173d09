//! Chroma's JSON (API v2) and the translations between it and this crate's types.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::vector::{Distance, Filter, FilterValue, Metadata, MetadataValue};

/// The collection-metadata key that records a collection's dimension, so that it is known before
/// the first record fixes Chroma's own `dimension`. Stripped from the metadata callers see.
pub(super) const DIMENSION_KEY: &str = "dal:dimension";

/// Prefixes of collection-metadata keys that change how Chroma or this store behaves; callers may
/// not set them.
pub(super) const RESERVED_PREFIXES: [&str; 3] = ["dal:", "hnsw:", "chroma:"];

/// A collection as Chroma describes it.
#[derive(Debug, Deserialize)]
pub(super) struct WireCollection {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// Fixed by the first record added; `None` before.
    #[serde(default)]
    pub dimension: Option<i64>,
    #[serde(default)]
    pub configuration_json: Option<WireConfiguration>,
}

/// The part of a collection's configuration this store reads.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireConfiguration {
    #[serde(default)]
    pub hnsw: Option<WireIndex>,
    #[serde(default)]
    pub spann: Option<WireIndex>,
}

/// An index configuration: its space is the distance.
#[derive(Debug, Deserialize)]
pub(super) struct WireIndex {
    #[serde(default)]
    pub space: Option<String>,
}

impl WireCollection {
    /// The collection's distance: its index configuration's space, else the legacy `hnsw:space`
    /// metadata, else Chroma's default (`l2`).
    pub fn distance(&self) -> Option<Distance> {
        let configured = self.configuration_json.as_ref().and_then(|c| {
            c.hnsw
                .as_ref()
                .and_then(|i| i.space.clone())
                .or_else(|| c.spann.as_ref().and_then(|i| i.space.clone()))
        });
        let legacy = || {
            self.metadata
                .as_ref()
                .and_then(|m| m.get("hnsw:space"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        match configured.or_else(legacy) {
            Some(space) => space.parse().ok(),
            None => Some(Distance::L2),
        }
    }

    /// The dimension: Chroma's own once a record fixed it, else the one recorded at creation,
    /// else 0 (a collection made by another client that holds no record yet).
    pub fn dimension(&self) -> u32 {
        let fixed = self.dimension.and_then(|d| u32::try_from(d).ok());
        let recorded = || {
            self.metadata
                .as_ref()
                .and_then(|m| m.get(DIMENSION_KEY))
                .and_then(Value::as_u64)
                .and_then(|d| u32::try_from(d).ok())
        };
        fixed.or_else(recorded).unwrap_or(0)
    }

    /// The metadata callers see: without this store's own keys.
    pub fn user_metadata(&self) -> Metadata {
        let mut metadata = self
            .metadata
            .as_ref()
            .map(metadata_from)
            .unwrap_or_default();
        metadata.retain(|k, _| !k.starts_with("dal:"));
        metadata
    }
}

/// The body of `POST …/collections`.
#[derive(Debug, Serialize)]
pub(super) struct CreateCollection<'a> {
    pub name: &'a str,
    pub configuration: Value,
    pub metadata: Map<String, Value>,
    pub get_or_create: bool,
}

/// The body of `POST …/upsert`.
#[derive(Debug, Serialize)]
pub(super) struct Upsert {
    pub ids: Vec<String>,
    /// Either lists of floats or base64 strings of little-endian `f32`s.
    pub embeddings: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<Option<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadatas: Option<Vec<WireMetadata>>,
}

/// The body of `POST …/get`.
#[derive(Debug, Serialize)]
pub(super) struct Get<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<&'a [String]>,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    pub include: &'a [&'a str],
}

/// The answer to `POST …/get`.
#[derive(Debug, Deserialize)]
pub(super) struct GetResponse {
    pub ids: Vec<String>,
    #[serde(default)]
    pub embeddings: Option<Vec<Vec<f32>>>,
    #[serde(default)]
    pub documents: Option<Vec<Option<String>>>,
    #[serde(default)]
    pub metadatas: Option<Vec<WireMetadata>>,
}

/// The body of `POST …/delete`.
#[derive(Debug, Serialize)]
pub(super) struct Delete<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<&'a [String]>,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
}

/// The answer to `POST …/delete`.
#[derive(Debug, Deserialize)]
pub(super) struct DeleteResponse {
    #[serde(default)]
    pub deleted: Option<u64>,
}

/// The body of `POST …/query`.
#[derive(Debug, Serialize)]
pub(super) struct Query<'a> {
    pub query_embeddings: &'a [Vec<f32>],
    pub n_results: u32,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<&'a Value>,
    pub include: &'a [&'a str],
}

/// Record metadata as Chroma sends it: `null` for none.
pub(super) type WireMetadata = Option<Map<String, Value>>;

/// The answer to `POST …/query`: one list per query embedding.
#[derive(Debug, Deserialize)]
pub(super) struct QueryResponse {
    pub ids: Vec<Vec<String>>,
    #[serde(default)]
    pub distances: Option<Vec<Vec<Option<f64>>>>,
    #[serde(default)]
    pub documents: Option<Vec<Vec<Option<String>>>>,
    #[serde(default)]
    pub metadatas: Option<Vec<Vec<WireMetadata>>>,
}

/// The answer to `GET /api/v2/pre-flight-checks`.
#[derive(Debug, Deserialize)]
pub(super) struct PreFlight {
    #[serde(default)]
    pub max_batch_size: Option<u64>,
    #[serde(default)]
    pub supports_base64_encoding: Option<bool>,
}

/// Chroma's error body.
#[derive(Debug, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub message: String,
}

/// The index configuration asking for `distance`, and `ef_search` when given.
pub(super) fn configuration(distance: Distance, ef_search: Option<u32>) -> Value {
    let mut hnsw = json!({ "space": distance.as_str() });
    if let Some(ef) = ef_search {
        hnsw["ef_search"] = Value::from(ef);
    }
    json!({ "hnsw": hnsw })
}

/// A metadata value as JSON.
pub(super) fn value_to_json(value: &MetadataValue) -> Value {
    match value {
        MetadataValue::Bool(b) => Value::Bool(*b),
        MetadataValue::Int(i) => Value::from(*i),
        MetadataValue::Float(f) => Value::from(*f),
        MetadataValue::Str(s) => Value::String(s.clone()),
    }
}

/// Metadata as a JSON object.
pub(super) fn metadata_to_json(metadata: &Metadata) -> Map<String, Value> {
    metadata
        .iter()
        .map(|(k, v)| (k.clone(), value_to_json(v)))
        .collect()
}

/// Metadata from Chroma's JSON. Values this store cannot represent (lists, sparse vectors, which
/// only other clients write) are left out rather than failing the whole read.
pub(super) fn metadata_from(map: &Map<String, Value>) -> Metadata {
    map.iter()
        .filter_map(|(k, v)| {
            let value = match v {
                Value::Bool(b) => MetadataValue::Bool(*b),
                Value::String(s) => MetadataValue::Str(s.clone()),
                Value::Number(n) => match n.as_i64() {
                    Some(i) if !n.is_f64() => MetadataValue::Int(i),
                    _ => MetadataValue::Float(n.as_f64()?),
                },
                _ => return None,
            };
            Some((k.clone(), value))
        })
        .collect()
}

/// Chroma's `where` for `filter`, written so that Chroma selects what [`Filter::matches`] does.
///
/// Two quirks of Chroma 1.5 are worked around:
///
/// - Against an integer value, Chroma compares a float operand truncated toward zero (`$eq 1.5`
///   matches the integer 1, `$lt 1.5` does not). So a float with a fraction is compared as a set
///   of clauses each of which is exact or selects too few, joined so they select exactly the
///   right records (see [`fractional`]); a float without one is sent as the integer (which Chroma
///   compares exactly against integers and floats alike).
/// - Chroma refuses a `$in`/`$nin` list that mixes types. So a list is split by type: `$in`
///   becomes an `$or` of one clause per type, `$nin` an `$and`.
///
/// An `$and`/`$or` of one filter is that filter.
pub(super) fn where_clause(filter: &Filter) -> Value {
    match filter {
        Filter::Eq(k, v) => compare(k, Cmp::Eq, v),
        Filter::Ne(k, v) => compare(k, Cmp::Ne, v),
        Filter::Gt(k, v) => compare(k, Cmp::Gt, v),
        Filter::Gte(k, v) => compare(k, Cmp::Gte, v),
        Filter::Lt(k, v) => compare(k, Cmp::Lt, v),
        Filter::Lte(k, v) => compare(k, Cmp::Lte, v),
        Filter::In(k, vs) => join("$or", list_in(k, vs)),
        Filter::Nin(k, vs) => join("$and", list_nin(k, vs)),
        Filter::And(fs) | Filter::Or(fs) if fs.len() == 1 => where_clause(&fs[0]),
        Filter::And(fs) => json!({ "$and": fs.iter().map(where_clause).collect::<Vec<_>>() }),
        Filter::Or(fs) => json!({ "$or": fs.iter().map(where_clause).collect::<Vec<_>>() }),
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Cmp {
    const fn name(self) -> &'static str {
        match self {
            Self::Eq => "$eq",
            Self::Ne => "$ne",
            Self::Gt => "$gt",
            Self::Gte => "$gte",
            Self::Lt => "$lt",
            Self::Lte => "$lte",
        }
    }
}

fn clause(key: &str, op: &str, operand: Value) -> Value {
    json!({ key: { op: operand } })
}

/// `parts` joined by `join`, or the one part alone.
fn join(join: &str, mut parts: Vec<Value>) -> Value {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        json!({ join: parts })
    }
}

/// A number as Chroma compares it: an integer (also a float with no fraction that fits in 64
/// bits), a float with a fraction, or a float beyond 64-bit integers (which Chroma saturates
/// against integers: right but for the one integer at the end of the range).
enum Number {
    Int(i64),
    Fraction(f64),
    Huge(f64),
}

#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)] // range checked first
fn number(value: &MetadataValue) -> Option<Number> {
    match value {
        MetadataValue::Int(i) => Some(Number::Int(*i)),
        MetadataValue::Float(f) if f.fract() != 0.0 => Some(Number::Fraction(*f)),
        MetadataValue::Float(f) if *f >= -(2f64.powi(63)) && *f < 2f64.powi(63) => {
            Some(Number::Int(*f as i64))
        }
        MetadataValue::Float(f) => Some(Number::Huge(*f)),
        MetadataValue::Bool(_) | MetadataValue::Str(_) => None,
    }
}

/// `f` truncated toward zero, rounded down and up, as integers (saturating).
#[allow(clippy::cast_possible_truncation)] // saturating casts, as Chroma's own
fn bounds(f: f64) -> (i64, i64, i64) {
    (f.trunc() as i64, f.floor() as i64, f.ceil() as i64)
}

fn compare(key: &str, op: Cmp, value: &MetadataValue) -> Value {
    match number(value) {
        Some(Number::Int(i)) => clause(key, op.name(), Value::from(i)),
        Some(Number::Fraction(f)) => fractional(key, op, f),
        Some(Number::Huge(_)) | None => clause(key, op.name(), value_to_json(value)),
    }
}

/// `key op f` for a float `f` with a fraction, exact although Chroma compares an integer value
/// `x` against `trunc(f)`. With `t = trunc(f)`, `fl = floor(f)`, `ce = ceil(f)`:
///
/// - `== f`: `$eq f` (exact on floats, `x == t` on integers) and `$ne t` (true for every float
///   with a fraction): no integer is left, as no integer equals `f`.
/// - `!= f`: `$ne f` (drops integers equal to `t`) or `$eq t` (puts them back).
/// - `< f`: `$lt f` (exact on floats; on integers `x < t`, never more than `x <= fl`) or
///   `$lte fl` (exact on integers, and on floats within `< f`).
/// - `> f`: `$gt f` or `$gte ce`, symmetrically.
/// - `<= f` and `>= f`: the strict comparison, or equality as above.
fn fractional(key: &str, op: Cmp, f: f64) -> Value {
    let (t, fl, ce) = bounds(f);
    let f = Value::from(f);
    let eq =
        || json!({ "$and": [clause(key, "$eq", f.clone()), clause(key, "$ne", Value::from(t))] });
    let lt = || {
        vec![
            clause(key, "$lt", f.clone()),
            clause(key, "$lte", Value::from(fl)),
        ]
    };
    let gt = || {
        vec![
            clause(key, "$gt", f.clone()),
            clause(key, "$gte", Value::from(ce)),
        ]
    };
    match op {
        Cmp::Eq => eq(),
        Cmp::Ne => {
            json!({ "$or": [clause(key, "$ne", f.clone()), clause(key, "$eq", Value::from(t))] })
        }
        Cmp::Lt => Value::Array(lt()).or(),
        Cmp::Gt => Value::Array(gt()).or(),
        Cmp::Lte => Value::Array([lt(), vec![eq()]].concat()).or(),
        Cmp::Gte => Value::Array([gt(), vec![eq()]].concat()).or(),
    }
}

/// `{"$or": self}`.
trait Or {
    fn or(self) -> Value;
}

impl Or for Value {
    fn or(self) -> Value {
        json!({ "$or": self })
    }
}

/// A list split by type: strings, booleans, integers, floats with a fraction.
#[derive(Default)]
struct Typed {
    strings: Vec<Value>,
    bools: Vec<Value>,
    ints: Vec<Value>,
    fractions: Vec<Value>,
    /// The fractions truncated toward zero, as Chroma compares them against integers.
    truncated: Vec<Value>,
}

fn typed(values: &[FilterValue]) -> Typed {
    let mut typed = Typed::default();
    for value in values {
        match (value, number(value)) {
            (MetadataValue::Str(s), _) => typed.strings.push(Value::String(s.clone())),
            (MetadataValue::Bool(b), _) => typed.bools.push(Value::Bool(*b)),
            (_, Some(Number::Int(i))) => typed.ints.push(Value::from(i)),
            (_, Some(Number::Fraction(f) | Number::Huge(f))) => {
                typed.fractions.push(Value::from(f));
                typed.truncated.push(Value::from(bounds(f).0));
            }
            (_, None) => {}
        }
    }
    typed
}

/// The clauses of `key $in values`, one of which must hold. The fractions: `$in` them (on
/// integers, `x` in their truncations) and `$nin` their truncations (which no float with a
/// fraction is).
fn list_in(key: &str, values: &[FilterValue]) -> Vec<Value> {
    let t = typed(values);
    let mut parts: Vec<Value> = [t.strings, t.bools, t.ints]
        .into_iter()
        .filter(|list| !list.is_empty())
        .map(|list| clause(key, "$in", Value::Array(list)))
        .collect();
    if !t.fractions.is_empty() {
        parts.push(json!({ "$and": [
            clause(key, "$in", Value::Array(t.fractions)),
            clause(key, "$nin", Value::Array(t.truncated)),
        ]}));
    }
    parts
}

/// The clauses of `key $nin values`, all of which must hold: the complement of [`list_in`]'s.
fn list_nin(key: &str, values: &[FilterValue]) -> Vec<Value> {
    let t = typed(values);
    let mut parts: Vec<Value> = [t.strings, t.bools, t.ints]
        .into_iter()
        .filter(|list| !list.is_empty())
        .map(|list| clause(key, "$nin", Value::Array(list)))
        .collect();
    if !t.fractions.is_empty() {
        parts.push(json!({ "$or": [
            clause(key, "$nin", Value::Array(t.fractions)),
            clause(key, "$in", Value::Array(t.truncated)),
        ]}));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause_of(filter: Value) -> Value {
        where_clause(&Filter::from_json(&filter).expect("filter"))
    }

    #[test]
    fn mixed_lists_are_split_by_type() {
        assert_eq!(
            clause_of(json!({"k": {"$in": [1, "b", 2.0, true]}})),
            json!({"$or": [
                {"k": {"$in": ["b"]}},
                {"k": {"$in": [true]}},
                {"k": {"$in": [1, 2]}},
            ]})
        );
        assert_eq!(
            clause_of(json!({"k": {"$nin": [2, 1]}})),
            json!({"k": {"$nin": [2, 1]}})
        );
        assert_eq!(
            clause_of(json!({"k": {"$nin": ["a", 1]}})),
            json!({"$and": [{"k": {"$nin": ["a"]}}, {"k": {"$nin": [1]}}]})
        );
    }

    #[test]
    fn fractions_are_compared_exactly_against_integers() {
        assert_eq!(
            clause_of(json!({"k": {"$eq": 1.5}})),
            json!({"$and": [{"k": {"$eq": 1.5}}, {"k": {"$ne": 1}}]})
        );
        assert_eq!(
            clause_of(json!({"k": {"$ne": -1.5}})),
            json!({"$or": [{"k": {"$ne": -1.5}}, {"k": {"$eq": -1}}]})
        );
        assert_eq!(
            clause_of(json!({"k": {"$lt": -1.5}})),
            json!({"$or": [{"k": {"$lt": -1.5}}, {"k": {"$lte": -2}}]})
        );
        assert_eq!(
            clause_of(json!({"k": {"$gte": 1.5}})),
            json!({"$or": [
                {"k": {"$gt": 1.5}},
                {"k": {"$gte": 2}},
                {"$and": [{"k": {"$eq": 1.5}}, {"k": {"$ne": 1}}]},
            ]})
        );
        assert_eq!(
            clause_of(json!({"k": {"$in": [2.5, 3]}})),
            json!({"$or": [
                {"k": {"$in": [3]}},
                {"$and": [{"k": {"$in": [2.5]}}, {"k": {"$nin": [2]}}]},
            ]})
        );
        assert_eq!(
            clause_of(json!({"k": {"$nin": [2.5]}})),
            json!({"$or": [{"k": {"$nin": [2.5]}}, {"k": {"$in": [2]}}]})
        );
    }

    #[test]
    fn single_filters_are_unwrapped_and_whole_floats_sent_as_integers() {
        assert_eq!(
            clause_of(json!({"$and": [{"$or": [{"k": 2.0}]}]})),
            json!({"k": {"$eq": 2}})
        );
        assert_eq!(
            clause_of(json!({"k": {"$gt": 1e300}})),
            json!({"k": {"$gt": 1e300}})
        );
    }

    #[test]
    fn metadata_reads_keep_ints_and_floats_apart() {
        let map = json!({"i": 2, "f": 2.0, "s": "x", "b": false, "list": [1, 2]});
        let metadata = metadata_from(map.as_object().expect("object"));
        assert_eq!(metadata.get("i"), Some(&MetadataValue::Int(2)));
        assert_eq!(metadata.get("f"), Some(&MetadataValue::Float(2.0)));
        assert_eq!(metadata.get("b"), Some(&MetadataValue::Bool(false)));
        assert!(!metadata.contains_key("list"));
    }

    #[test]
    fn a_collection_reads_its_distance_and_dimension() {
        let wire: WireCollection = serde_json::from_value(json!({
            "id": "x", "name": "abc",
            "metadata": {"dal:dimension": 3, "team": "a"},
            "dimension": null,
            "configuration_json": {"hnsw": {"space": "ip"}, "spann": null}
        }))
        .expect("collection");
        assert_eq!(wire.distance(), Some(Distance::InnerProduct));
        assert_eq!(wire.dimension(), 3);
        assert_eq!(wire.user_metadata().len(), 1);
        let legacy: WireCollection = serde_json::from_value(json!({
            "id": "x", "name": "abc", "metadata": {"hnsw:space": "cosine"}, "dimension": 7
        }))
        .expect("collection");
        assert_eq!(legacy.distance(), Some(Distance::Cosine));
        assert_eq!(legacy.dimension(), 7);
    }
}
