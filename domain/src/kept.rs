//! Rows that change rarely, kept in the process once read: a region's policy versions, the
//! credit ratings in force. What is kept is read again when this process writes such rows (the
//! writer marks it, see [`Kept::written`]) and, for another process's writes, after a few
//! seconds. An operation that applies them then reads none.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::DomainResult;

/// A value as read: under which count of writes, when.
struct Read<V> {
    written: u64,
    at: Instant,
    value: Arc<V>,
}

/// Values read by key.
pub struct Kept<V> {
    /// How long a value is kept: another process's write is seen within this time.
    fresh_for: Duration,
    written: AtomicU64,
    values: Mutex<BTreeMap<String, Read<V>>>,
}

impl<V> Kept<V> {
    pub const fn new(fresh_for: Duration) -> Self {
        Kept { fresh_for, written: AtomicU64::new(0), values: Mutex::new(BTreeMap::new()) }
    }

    /// Marks that the current transaction writes what is kept: nothing kept from before is used
    /// again, from now on nor once the transaction has ended (see [`crate::db::count_write`]).
    pub fn written(&'static self) {
        crate::db::count_write(&self.written);
    }

    /// The value kept under `key`, or what `read` reads now (then kept).
    pub fn get(&self, key: &str, read: impl FnOnce() -> DomainResult<V>) -> DomainResult<Arc<V>> {
        self.get_at(key, Instant::now(), read)
    }

    /// The values kept under `keys`; those not kept, or kept too long, are read together by
    /// `read`, which answers each key it found. A key it does not answer is absent from the
    /// answer, and is not kept.
    pub fn get_many(
        &self,
        keys: &[&str],
        read: impl FnOnce(&[&str]) -> DomainResult<Vec<(String, V)>>,
    ) -> DomainResult<HashMap<String, Arc<V>>> {
        self.get_many_at(keys, Instant::now(), read)
    }

    fn get_many_at(
        &self,
        keys: &[&str],
        now: Instant,
        read: impl FnOnce(&[&str]) -> DomainResult<Vec<(String, V)>>,
    ) -> DomainResult<HashMap<String, Arc<V>>> {
        let written = self.written.load(Ordering::SeqCst);
        let mut found = HashMap::with_capacity(keys.len());
        let mut missing = Vec::new();
        {
            let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
            for &key in keys {
                match values.get(key) {
                    Some(read)
                        if read.written == written && now.saturating_duration_since(read.at) < self.fresh_for =>
                    {
                        found.insert(key.to_string(), read.value.clone());
                    }
                    _ => missing.push(key),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        missing.sort_unstable();
        missing.dedup();
        let fresh = read(&missing)?;
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        for (key, value) in fresh {
            let value = Arc::new(value);
            values.insert(key.clone(), Read { written, at: now, value: value.clone() });
            found.insert(key, value);
        }
        Ok(found)
    }

    /// The value kept under `key` if it is still fresh, without reading anything.
    pub fn peek(&self, key: &str) -> Option<Arc<V>> {
        self.fresh(key, Instant::now(), self.written.load(Ordering::SeqCst))
    }

    fn fresh(&self, key: &str, now: Instant, written: u64) -> Option<Arc<V>> {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values
            .get(key)
            .filter(|read| read.written == written && now.saturating_duration_since(read.at) < self.fresh_for)
            .map(|read| read.value.clone())
    }

    fn get_at(&self, key: &str, now: Instant, read: impl FnOnce() -> DomainResult<V>) -> DomainResult<Arc<V>> {
        let written = self.written.load(Ordering::SeqCst);
        if let Some(value) = self.fresh(key, now, written) {
            return Ok(value);
        }
        let value = Arc::new(read()?);
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values.insert(key.to_string(), Read { written, at: now, value: value.clone() });
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static KEPT: Kept<i64> = Kept::new(Duration::from_secs(5));

    #[test]
    fn a_value_is_read_once_until_written_or_stale() {
        let t0 = Instant::now();
        let mut reads = 0;
        let mut read = |v: i64| {
            reads += 1;
            move || Ok(v)
        };
        assert_eq!(*KEPT.get_at("r1", t0, read(1)).unwrap(), 1);
        // Kept: the second read is not made.
        assert_eq!(*KEPT.get_at("r1", t0 + Duration::from_secs(4), read(2)).unwrap(), 1);
        // Another key is read for itself.
        assert_eq!(*KEPT.get_at("r2", t0, read(3)).unwrap(), 3);
        // Stale after five seconds.
        assert_eq!(*KEPT.get_at("r1", t0 + Duration::from_secs(5), read(4)).unwrap(), 4);
        // A write in this process: read again at once.
        KEPT.written();
        assert_eq!(*KEPT.get_at("r1", t0 + Duration::from_secs(5), read(5)).unwrap(), 5);
        assert_eq!(reads, 5);
    }

    static MANY: Kept<String> = Kept::new(Duration::from_secs(5));

    #[test]
    fn many_values_are_read_together_and_only_those_not_kept() {
        let t0 = Instant::now();
        let mut asked: Vec<Vec<String>> = Vec::new();
        let mut read = |keys: &[&str]| {
            asked.push(keys.iter().map(|k| k.to_string()).collect());
            // "gone" does not exist: not answered.
            Ok(keys.iter().filter(|k| **k != "gone").map(|k| (k.to_string(), format!("v-{k}"))).collect())
        };
        let got = MANY.get_many_at(&["a", "b", "a", "gone"], t0, &mut read).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(*got["a"], "v-a");
        // Kept: only the new key and the absent one are read again.
        let got = MANY.get_many_at(&["a", "b", "c", "gone"], t0 + Duration::from_secs(1), &mut read).unwrap();
        assert_eq!((got.len(), got["c"].as_str()), (3, "v-c"));
        // All kept: no read at all.
        MANY.get_many_at(&["a", "c"], t0 + Duration::from_secs(2), |_| panic!("read")).unwrap();
        // A write in this process: all read again.
        MANY.written();
        MANY.get_many_at(&["a"], t0 + Duration::from_secs(2), &mut read).unwrap();
        assert_eq!(
            asked,
            vec![vec!["a", "b", "gone"], vec!["c", "gone"], vec!["a"]]
                .into_iter()
                .map(|v| v.into_iter().map(String::from).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );
    }
}
