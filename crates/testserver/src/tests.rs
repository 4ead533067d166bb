//! Tests for the data builders: fixed bytes, known digests, archives that read back.

use super::*;
use std::io::Read as _;

#[test]
fn bytes_are_fixed_and_a_shorter_run_is_a_prefix() {
    // Snapshots of other crates hold digests of these bytes: changing the generator changes them.
    let hex: String = bytes(16).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "e7e3a8ea0b286c7fe0abf91c871971e4");
    assert_eq!(bytes(13), bytes(20)[..13]);
    assert!(bytes(0).is_empty());
}

#[test]
fn bytes_do_not_compress() {
    let data = bytes(64 * 1024);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &data).expect("compress");
    let packed = gz.finish().expect("finish");
    assert!(
        packed.len() >= data.len(),
        "{} < {}",
        packed.len(),
        data.len()
    );
}

#[test]
fn sha256_is_lowercase_hex() {
    assert_eq!(
        sha256(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn a_repo_archive_holds_its_files_under_repo_main() {
    let archive = repo_archive(&[
        ("hubconf.yaml", b"entrypoints: []\n"),
        ("a/b.bin", &[1, 2, 3]),
    ]);
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&archive[..]));
    let mut seen = Vec::new();
    for entry in tar.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").display().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read");
        seen.push((path, data, entry.header().mode().expect("mode")));
    }
    assert_eq!(
        seen,
        [
            (
                "repo-main/hubconf.yaml".to_owned(),
                b"entrypoints: []\n".to_vec(),
                0o644
            ),
            ("repo-main/a/b.bin".to_owned(), vec![1, 2, 3], 0o644),
        ]
    );
}
