//! `esign bench`: how fast and how lean sealing is, measured whole process against whole
//! process in one run, beside `sha256sum` of the same file (one hashing pass is the floor) and
//! pyHanko's CLI sealing the same file with the same key (pyHanko at B-B; ours at B-LTA with the
//! local timestamp authority and OCSP responder in-process, so no network time is counted).

use anyhow::{bail, Context, Result};
use rand::RngCore;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::service::DEFAULT_TENANT;

/// Wall time and peak resident memory of one finished child process.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    pub seconds: f64,
    pub peak_rss_mib: f64,
}

/// Run `cmd` to completion and measure it (wait4 gives the child's own peak RSS).
pub fn measure(cmd: &mut Command) -> Result<Measured> {
    let start = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill; pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = start.elapsed().as_secs_f64();
    if waited != pid {
        bail!("waiting for {cmd:?} failed");
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let mut err = String::new();
        if let Some(mut e) = child.stderr {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        bail!("{cmd:?} failed: {}", err.trim());
    }
    Ok(Measured {
        seconds,
        // Linux reports ru_maxrss in KiB.
        peak_rss_mib: usage.ru_maxrss as f64 / 1024.0,
    })
}

/// A valid one-page PDF of about `bytes` bytes: the bulk is one stream of random data (an
/// unused object, as large embedded images are), written in chunks so making it costs no memory.
pub fn generate_pdf(path: &Path, bytes: u64) -> Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut offsets = Vec::new();
    let mut pos: u64 = 0;
    let put = |f: &mut std::io::BufWriter<std::fs::File>, s: &[u8], pos: &mut u64| -> Result<()> {
        f.write_all(s)?;
        *pos += s.len() as u64;
        Ok(())
    };
    put(&mut f, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", &mut pos)?;
    let content = b"BT /F1 18 Tf 72 760 Td (Benchmark protocol) Tj ET";
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
        format!("<< /Length {} >>\nstream\n{}\nendstream", content.len(), String::from_utf8_lossy(content)).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pos);
        put(&mut f, format!("{} 0 obj\n", i + 1).as_bytes(), &mut pos)?;
        put(&mut f, body, &mut pos)?;
        put(&mut f, b"\nendobj\n", &mut pos)?;
    }
    let bulk = bytes.saturating_sub(1024);
    offsets.push(pos);
    put(
        &mut f,
        format!("6 0 obj\n<< /Length {bulk} >>\nstream\n").as_bytes(),
        &mut pos,
    )?;
    let mut rng = rand::thread_rng();
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = bulk;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        rng.fill_bytes(&mut chunk[..n]);
        put(&mut f, &chunk[..n], &mut pos)?;
        left -= n as u64;
    }
    put(&mut f, b"\nendstream\nendobj\n", &mut pos)?;
    let xref = pos;
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
    for o in &offsets {
        table.push_str(&format!("{o:010} 00000 n \n"));
    }
    table.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        offsets.len() + 1
    ));
    put(&mut f, table.as_bytes(), &mut pos)?;
    f.flush()?;
    Ok(())
}

pub struct Row {
    pub size_mb: u64,
    pub sha256sum: Measured,
    pub esign: Measured,
    pub pyhanko: Option<Measured>,
}

pub fn run(data: &Path, work: &Path, sizes_mb: &[u64]) -> Result<Vec<Row>> {
    std::fs::create_dir_all(work)?;
    let esign = std::env::current_exe()?;
    // The tenant, its key and its seal certificate are made by a first seal in a child
    // process (only one process may hold the data directory's database at a time).
    let warmup = work.join("warmup.pdf");
    generate_pdf(&warmup, 64 * 1024)?;
    measure(
        Command::new(&esign)
            .arg("seal")
            .arg(&warmup)
            .arg(work.join("warmup-sealed.pdf"))
            .arg("--data")
            .arg(data)
            .env("RUST_LOG", "warn"),
    )?;
    let chain = std::fs::read_to_string(
        data.join("pki")
            .join(format!("seal-{DEFAULT_TENANT}-chain.pem")),
    )
    .context("the seal certificate chain of the demo tenant")?;
    // pyHanko takes the seal certificate and its CA chain separately.
    const END: &str = "-----END CERTIFICATE-----";
    let leaf_end = chain.find(END).context("no certificate in the chain")? + END.len();
    let cert_path = work.join("seal-cert.pem");
    let ca_path = work.join("seal-ca.pem");
    std::fs::write(&cert_path, &chain[..leaf_end])?;
    std::fs::write(&ca_path, chain[leaf_end..].trim_start())?;
    let key_path = data
        .join("keys")
        .join(format!("seal-{DEFAULT_TENANT}.pk8.pem"));
    let pyhanko = which("pyhanko");

    let mut rows = Vec::new();
    for &mb in sizes_mb {
        let input = work.join(format!("input-{mb}mb.pdf"));
        generate_pdf(&input, mb * 1024 * 1024)?;
        let out = work.join(format!("sealed-{mb}mb.pdf"));
        // Warm the page cache for everyone alike.
        measure(Command::new("sha256sum").arg(&input))?;
        let sha256sum = measure(Command::new("sha256sum").arg(&input))?;
        let esign = measure(
            Command::new(&esign)
                .args(["seal"])
                .arg(&input)
                .arg(&out)
                .arg("--data")
                .arg(data)
                .env("RUST_LOG", "warn"),
        )?;
        let pyhanko = match &pyhanko {
            Some(p) => Some(measure(
                Command::new(p)
                    .args([
                        "sign",
                        "addsig",
                        "--field",
                        "Sig1",
                        "pemder",
                        "--no-pass",
                        "--key",
                    ])
                    .arg(&key_path)
                    .arg("--cert")
                    .arg(&cert_path)
                    .arg("--chain")
                    .arg(&ca_path)
                    .arg(&input)
                    .arg(work.join(format!("pyhanko-{mb}mb.pdf"))),
            )?),
            None => None,
        };
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(work.join(format!("pyhanko-{mb}mb.pdf")));
        let _ = std::fs::remove_file(&input);
        rows.push(Row {
            size_mb: mb,
            sha256sum,
            esign,
            pyhanko,
        });
    }
    Ok(rows)
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

pub fn print(rows: &[Row]) {
    println!(
        "{:>7} | {:>22} | {:>22} | {:>22} | {:>9}",
        "input", "sha256sum", "esign seal (B-LTA)", "pyHanko CLI (B-B)", "esign/sha"
    );
    println!(
        "{:>7} | {:>22} | {:>22} | {:>22} | {:>9}",
        "", "s / peak MiB", "s / peak MiB", "s / peak MiB", "time"
    );
    for r in rows {
        let fmt = |m: &Measured| format!("{:.3} s / {:.1} MiB", m.seconds, m.peak_rss_mib);
        println!(
            "{:>4} MB | {:>22} | {:>22} | {:>22} | {:>8.1}x",
            r.size_mb,
            fmt(&r.sha256sum),
            fmt(&r.esign),
            r.pyhanko
                .as_ref()
                .map(fmt)
                .unwrap_or_else(|| "(pyhanko not on PATH)".into()),
            r.esign.seconds / r.sha256sum.seconds.max(1e-6)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_inputs_are_valid_pdfs_of_the_asked_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.pdf");
        generate_pdf(&p, 2 * 1024 * 1024).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert!(
            (bytes.len() as i64 - 2 * 1024 * 1024).abs() < 2048,
            "{}",
            bytes.len()
        );
        let facts = esign_shared::pdf::inspect(&bytes, &Default::default()).unwrap();
        assert_eq!(facts.page_count, 1);
    }

    #[test]
    fn measure_reports_time_and_memory_and_failure() {
        let m = measure(
            Command::new("sh").args(["-c", "head -c 20000000 /dev/zero | tail -c 1 > /dev/null"]),
        )
        .unwrap();
        assert!(m.seconds > 0.0 && m.peak_rss_mib > 0.0);
        assert!(measure(&mut Command::new("false")).is_err());
    }
}
