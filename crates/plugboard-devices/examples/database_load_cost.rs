//! What loading the built-in device database costs: time per load, the heap the loaded
//! database keeps, and the heap's peak while loading (docs/performance.md tracks the engine's
//! idle memory, of which the database is a large part).
//!
//! Run with `cargo run --release -p plugboard-devices --example database_load_cost`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use plugboard_devices::config::Database;

/// The system allocator, counting the bytes in use and their high-water mark.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LOADS: usize = 200;

fn main() {
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let database = Database::builtin().expect("the built-in database loads");
    let kept = IN_USE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let protocols = database.protocols().count();
    let models: usize = database.protocols().map(|protocol| protocol.models.len()).sum();
    drop(database);

    let mut times: Vec<Duration> = (0..LOADS)
        .map(|_| {
            let start = Instant::now();
            let database = Database::builtin().expect("the built-in database loads");
            let elapsed = start.elapsed();
            drop(database);
            elapsed
        })
        .collect();
    times.sort();
    let median = times[LOADS / 2];
    let fastest = times[0];
    println!("built-in database: {protocols} protocols, {models} models");
    println!("load time: median {median:.2?}, fastest {fastest:.2?} ({LOADS} loads)");
    println!("heap kept by the loaded database: {:.1} KiB", kept as f64 / 1024.0);
    println!("heap peak while loading: {:.1} KiB", peak as f64 / 1024.0);
}
