//! Fuzzing on stable Rust: every input a user or a file can send, through the code that reads
//! it (the PDF reader, intake, seal, publication, the verifier, the BankID evidence parser, the
//! S3 and SQS event parsers, the JSON bodies of the API). Each target replays its corpus
//! (`shared/fuzz/corpus/<target>/`, seeds and every crash ever found), then mutates corpus
//! inputs for a time budget with `arbtest` (random bytes from a seed it prints on failure, so a
//! failure replays). A target may refuse an input; it may not panic, hang or answer 500.
//!
//! The test command gives each target `ESIGN_FUZZ_MS` (default 1500 ms); `scripts/fuzz` runs
//! longer. A crashing input is written to `target/fuzz-crashes/` to be added to the corpus.

mod targets;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arbtest::arbitrary::{Result as ArbResult, Unstructured};

/// What a target may take per input before it counts as a hang.
const MAX_PER_INPUT: Duration = Duration::from_secs(10);

/// PDF and JSON words that mutations splice in, so that mutants stay near the grammar.
const TOKENS: &[&[u8]] = &[
    b"obj",
    b"endobj",
    b"stream\n",
    b"endstream",
    b"<<",
    b">>",
    b"[",
    b"]",
    b"/Length 999999999",
    b"/Length -1",
    b"xref\n0 1\n",
    b"trailer",
    b"startxref\n0\n",
    b"%%EOF",
    b" 0 R",
    b" 99999 0 R",
    b"/Filter /FlateDecode",
    b"/Filter [/FlateDecode /FlateDecode]",
    b"/Type /Catalog",
    b"/Pages",
    b"/Kids [",
    b"/Count 2147483647",
    b"/Encrypt",
    b"/JavaScript",
    b"/OpenAction",
    b"/AcroForm",
    b"/Sig",
    b"/ByteRange [0 1 2 3]",
    b"/Contents <00>",
    b"(",
    b")",
    b"\\",
    b"\"",
    b"{",
    b"}",
    b":",
    b",",
    b"null",
    b"true",
    b"1e999",
    b"-0",
    b"\"\\u0000\"",
];

pub fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// The inputs of a corpus, in name order.
pub fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir(target))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn budget() -> Duration {
    let ms = std::env::var("ESIGN_FUZZ_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    Duration::from_millis(ms)
}

/// A mutant of `seed`: a few edits of random kinds (bit flips, bytes set, inserted, deleted,
/// duplicated, cut off, grammar words spliced in).
fn mutate(u: &mut Unstructured, seed: &[u8]) -> ArbResult<Vec<u8>> {
    let mut data = seed.to_vec();
    for _ in 0..u.int_in_range(1..=8)? {
        let at = u.choose_index(data.len() + 1)?;
        match u.int_in_range(0..=6)? {
            0 if at < data.len() => data[at] ^= 1 << u.int_in_range(0..=7)?,
            1 if at < data.len() => data[at] = u.arbitrary()?,
            2 => {
                let n = u.int_in_range(1..=16)?;
                let bytes: Vec<u8> = (0..n).map(|_| u.arbitrary()).collect::<ArbResult<_>>()?;
                data.splice(at..at, bytes);
            }
            3 => {
                let n = u.int_in_range(1..=64)?.min(data.len() - at);
                data.drain(at..at + n);
            }
            4 => {
                let n = u.int_in_range(1..=256)?.min(data.len() - at);
                let copy = data[at..at + n].to_vec();
                data.splice(at..at, copy);
            }
            5 => data.truncate(at),
            _ => {
                let token = u.choose(TOKENS)?;
                data.splice(at..at, token.iter().copied());
            }
        }
    }
    Ok(data)
}

/// Replay the corpus `corpus_name` (shared by targets that read the same kind of input), then
/// mutate it for the budget. `run` must not panic or hang. Prints executions and time.
pub fn fuzz(target: &str, corpus_name: &str, run: impl Fn(&[u8])) {
    let seeds = corpus(corpus_name);
    assert!(!seeds.is_empty(), "no corpus for {target}");
    let checked = |input: &[u8]| {
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(input)));
        if let Err(panic) = outcome {
            save_crash(target, input);
            std::panic::resume_unwind(panic);
        }
        let took = started.elapsed();
        if took > MAX_PER_INPUT {
            save_crash(target, input);
            panic!("{target}: one input took {took:?}");
        }
    };
    for (name, input) in &seeds {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| checked(input)));
        assert!(outcome.is_ok(), "{target}: corpus input {name} fails");
    }
    let runs = AtomicU64::new(0);
    let started = Instant::now();
    arbtest::arbtest(|u| {
        let (_, seed) = u.choose(&seeds)?;
        let input = mutate(u, seed)?;
        runs.fetch_add(1, Ordering::Relaxed);
        checked(&input);
        Ok(())
    })
    .budget(budget())
    .size_min(64)
    .size_max(4096)
    .run();
    println!(
        "fuzz {target}: {} corpus inputs, {} mutants in {:.1} s",
        seeds.len(),
        runs.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}

fn save_crash(target: &str, input: &[u8]) {
    use sha2::Digest;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-crashes");
    let _ = std::fs::create_dir_all(&dir);
    let name = format!(
        "{target}-{}",
        &hex::encode(sha2::Sha256::digest(input))[..16]
    );
    let _ = std::fs::write(dir.join(&name), input);
    eprintln!(
        "fuzz {target}: crashing input written to target/fuzz-crashes/{name}: add it to \
         shared/fuzz/corpus/ once fixed"
    );
}
