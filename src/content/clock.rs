//! The service's idea of "now". Scheduling, visibility and token lifetimes all hang on it,
//! so a test can move it forward instead of sleeping until a time comes (and racing a
//! loaded machine to get there).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// The system clock, or one a test has moved forward (`adjustable`, then `advance`): the
/// system time plus an offset, so time still flows between the jumps.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_micros: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that starts at the system time and can be moved forward.
    pub fn adjustable() -> Self {
        Self { offset_micros: Some(Arc::new(AtomicI64::new(0))) }
    }

    /// Now, to the microsecond (PostgreSQL's precision, so a value read back compares equal).
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        let now = match &self.offset_micros {
            Some(offset) => now + chrono::Duration::microseconds(offset.load(Ordering::Acquire)),
            None => now,
        };
        super::truncate_micros(now)
    }

    /// Moves an adjustable clock forward (every clone of it moves too).
    ///
    /// # Panics
    /// On the system clock, which nothing may move.
    pub fn advance(&self, by: chrono::Duration) {
        let offset = self.offset_micros.as_ref().expect("only an adjustable clock can be moved");
        let micros = by.num_microseconds().expect("a move of less than 290,000 years");
        assert!(micros >= 0, "time only moves forward");
        offset.fetch_add(micros, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_with_its_clones() {
        let clock = Clock::adjustable();
        let copy = clock.clone();
        let before = clock.now();
        copy.advance(chrono::Duration::hours(2));
        assert!(clock.now() - before >= chrono::Duration::hours(2));
        assert!(Clock::system().now() < clock.now());
    }

    #[test]
    #[should_panic(expected = "only an adjustable clock")]
    fn the_system_clock_cannot_be_moved() {
        Clock::system().advance(chrono::Duration::seconds(1));
    }
}
