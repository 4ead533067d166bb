//! Tests for archive extraction: good archives unpack below the top folder, hostile ones are refused and leave nothing behind.

use std::fs;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use tar::{Builder, EntryType, Header};

use super::*;

const URL: &str = "https://github.com/owner/repo/archive/main.tar.gz";

/// One entry of a test archive.
enum Item<'a> {
    /// A folder, written by the tar crate.
    Dir(&'a str),
    /// A regular file, written by the tar crate (with a GNU long-name entry when the name is long).
    File(&'a str, &'a [u8]),
    /// Any name and type, written into an old-style header as is, for names the tar crate refuses to write.
    Raw(&'a [u8], EntryType, &'a [u8]),
    /// A symlink or hard link to a target.
    Link(EntryType, &'a str, &'a str),
    /// A pax global header, as GitHub puts first, with its records.
    Global(&'a [u8]),
    /// A regular file whose pax `path` record gives it another name than its header does.
    PaxPath(&'a str, &'a [u8], &'a [u8]),
    /// A regular file named by a GNU long-name entry.
    LongName(&'a [u8], &'a [u8]),
}

/// Builds a gzip-compressed tar of `items`.
fn tar_gz(items: &[Item<'_>]) -> Vec<u8> {
    let mut builder = Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for item in items {
        match *item {
            Item::Dir(name) => {
                let mut header = Header::new_gnu();
                header.set_entry_type(EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                builder.append_data(&mut header, name, &[][..]).unwrap();
            }
            Item::File(name, data) => {
                let mut header = Header::new_gnu();
                header.set_mode(0o644);
                header.set_size(data.len() as u64);
                builder.append_data(&mut header, name, data).unwrap();
            }
            Item::Raw(name, kind, data) => {
                let mut header = Header::new_old();
                header.as_old_mut().name[..name.len()].copy_from_slice(name);
                header.set_entry_type(kind);
                header.set_mode(0o644);
                header.set_size(data.len() as u64);
                header.set_cksum();
                builder.append(&header, data).unwrap();
            }
            Item::Link(kind, name, target) => {
                let mut header = Header::new_gnu();
                header.set_entry_type(kind);
                header.set_mode(0o644);
                header.set_size(0);
                builder.append_link(&mut header, name, target).unwrap();
            }
            Item::Global(records) => append_pax(&mut builder, EntryType::XGlobalHeader, records),
            Item::PaxPath(name, path, data) => {
                append_pax(&mut builder, EntryType::XHeader, &pax_record(b"path", path));
                let mut header = Header::new_ustar();
                header.set_mode(0o644);
                header.set_size(data.len() as u64);
                builder.append_data(&mut header, name, data).unwrap();
            }
            Item::LongName(name, data) => {
                let mut header = Header::new_gnu();
                header.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
                header.set_entry_type(EntryType::GNULongName);
                header.set_size(name.len() as u64);
                header.set_cksum();
                builder.append(&header, name).unwrap();
                let mut header = Header::new_gnu();
                header.set_mode(0o644);
                header.set_size(data.len() as u64);
                builder
                    .append_data(&mut header, "repo-main/short", data)
                    .unwrap();
            }
        }
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// Appends a pax header of `kind` holding `records`.
fn append_pax<W: std::io::Write>(builder: &mut Builder<W>, kind: EntryType, records: &[u8]) {
    let mut header = Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(records.len() as u64);
    builder
        .append_data(&mut header, "pax_header", records)
        .unwrap();
}

/// One pax record, `LEN KEY=VALUE\n`, where `LEN` counts the whole record, itself included.
fn pax_record(key: &[u8], value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len += 1;
    }
    let mut record = format!("{len} ").into_bytes();
    record.extend_from_slice(key);
    record.push(b'=');
    record.extend_from_slice(value);
    record.push(b'\n');
    record
}

/// What a folder holds: `path/` for each folder and `path = contents` for each file, sorted.
fn listing(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_str().unwrap());
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                out.push(format!("{name}/"));
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                assert!(kind.is_file(), "`{name}` is neither a file nor a folder");
                let contents = fs::read(entry.path()).unwrap();
                out.push(format!("{name} = {}", String::from_utf8_lossy(&contents)));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, "", &mut out);
    out.sort();
    out
}

/// Extracts `archive` with `limits` and compares with `expected`: the listing of what was written,
/// or the error's message; after an error, nothing may be left.
fn check(archive: &[u8], limits: Limits, expected: Result<&[&str], &str>) {
    let temp = tempfile::tempdir().unwrap();
    let parent = Dir::open(temp.path())
        .unwrap()
        .create_dirs(Path::new("cache"))
        .unwrap();
    let dest = parent.join("src");
    let result = extract_tar_gz(archive, URL, &parent, "src", &limits);
    match (result, expected) {
        (Ok(files), Ok(expected)) => {
            let listing = listing(&dest);
            assert_eq!(listing, expected);
            assert_eq!(
                files,
                expected.iter().filter(|line| !line.ends_with('/')).count()
            );
        }
        (Err(error), Err(expected)) => {
            assert_eq!(error.to_string(), expected);
            assert!(!dest.exists(), "`{}` is left behind", dest.display());
        }
        (result, expected) => panic!("expected {expected:?}, got {result:?}"),
    }
}

/// The message of a refusal for `reason`.
fn refused(reason: &str) -> String {
    format!("refusing archive `{URL}`: {reason}")
}

#[test]
fn extracts_below_the_top_folder() {
    let archive = tar_gz(&[
        Item::Global(&pax_record(
            b"comment",
            b"0123456789abcdef0123456789abcdef01234567",
        )),
        Item::Dir("repo-main/"),
        Item::File("repo-main/hubconf.yaml", b"entrypoints: []\n"),
        Item::Dir("repo-main/assets/"),
        Item::Dir("repo-main/assets/a/"),
        Item::Dir("repo-main/assets/a/1.0/"),
        Item::File("repo-main/assets/a/1.0/x.md", b"# x"),
        Item::Dir("repo-main/empty/"),
        Item::File("repo-main/./dotted/./y.txt", b"y"),
        Item::File("repo-main/no/folder/entries.txt", b""),
    ]);
    check(
        &archive,
        Limits::default(),
        Ok(&[
            "assets/",
            "assets/a/",
            "assets/a/1.0/",
            "assets/a/1.0/x.md = # x",
            "dotted/",
            "dotted/y.txt = y",
            "empty/",
            "hubconf.yaml = entrypoints: []\n",
            "no/",
            "no/folder/",
            "no/folder/entries.txt = ",
        ]),
    );
}

#[test]
fn extracts_long_names() {
    let long = format!("repo-main/{}/file.txt", "d".repeat(150));
    let archive = tar_gz(&[Item::File(&long, b"long")]);
    let expected = [
        format!("{}/", "d".repeat(150)),
        format!("{}/file.txt = long", "d".repeat(150)),
    ];
    check(
        &archive,
        Limits::default(),
        Ok(&[&expected[0], &expected[1]]),
    );
}

#[test]
fn extracts_an_empty_archive() {
    check(
        &tar_gz(&[Item::Dir("repo-main/")]),
        Limits::default(),
        Ok(&[]),
    );
    check(&tar_gz(&[]), Limits::default(), Ok(&[]));
}

#[test]
fn treats_a_file_with_a_trailing_slash_as_a_folder() {
    let archive = tar_gz(&[Item::Raw(b"repo-main/old/", EntryType::Regular, b"")]);
    check(&archive, Limits::default(), Ok(&["old/"]));
}

#[test]
fn refuses_parent_folders() {
    let archive = tar_gz(&[Item::Raw(b"repo-main/../evil", EntryType::Regular, b"x")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused(
            "entry `repo-main/../evil` leaves the extraction folder",
        )),
    );
    let archive = tar_gz(&[Item::Raw(b"../evil", EntryType::Regular, b"x")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `../evil` leaves the extraction folder")),
    );
    let archive = tar_gz(&[Item::Raw(
        b"repo-main/a/../../evil/",
        EntryType::Directory,
        b"",
    )]);
    check(
        &archive,
        Limits::default(),
        Err(&refused(
            "entry `repo-main/a/../../evil/` leaves the extraction folder",
        )),
    );
}

#[test]
fn refuses_parent_folders_in_pax_paths() {
    let archive = tar_gz(&[Item::PaxPath(
        "repo-main/fine",
        b"repo-main/../../evil",
        b"x",
    )]);
    check(
        &archive,
        Limits::default(),
        Err(&refused(
            "entry `repo-main/../../evil` leaves the extraction folder",
        )),
    );
    let archive = tar_gz(&[Item::PaxPath("repo-main/fine", b"repo-main/a\0b", b"x")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/a\\u{0}b` contains a nul byte")),
    );
}

#[test]
fn refuses_absolute_paths() {
    let archive = tar_gz(&[Item::Raw(b"/etc/passwd", EntryType::Regular, b"root")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `/etc/passwd` is an absolute path")),
    );
}

#[test]
fn refuses_backslashes_and_drives() {
    let archive = tar_gz(&[Item::Raw(b"repo\\..\\x", EntryType::Regular, b"x")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo\\..\\x` contains a backslash")),
    );
    let archive = tar_gz(&[Item::Raw(b"repo-main/C:/x", EntryType::Regular, b"x")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/C:/x` names a drive")),
    );
    let archive = tar_gz(&[Item::Raw(b"C:x", EntryType::Regular, b"x")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `C:x` names a drive")),
    );
}

#[test]
fn refuses_odd_names() {
    let archive = tar_gz(&[Item::Raw(b"./", EntryType::Directory, b"")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `./` has an empty name")),
    );
    let archive = tar_gz(&[Item::Raw(b"repo-main/\xff", EntryType::Regular, b"x")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/\u{fffd}` is not utf-8")),
    );
}

#[test]
fn quotes_names_on_one_short_line() {
    let archive = tar_gz(&[Item::Raw(b"../line\nbreak", EntryType::Regular, b"x")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused(
            "entry `../line\\nbreak` leaves the extraction folder",
        )),
    );
    let long = format!("../{}", "a".repeat(300));
    let archive = tar_gz(&[Item::LongName(long.as_bytes(), b"x")]);
    let shown = format!("../{}…", "a".repeat(197));
    check(
        &archive,
        Limits::default(),
        Err(&refused(&format!(
            "entry `{shown}` leaves the extraction folder"
        ))),
    );
}

#[test]
fn refuses_links() {
    let archive = tar_gz(&[Item::Link(
        EntryType::Symlink,
        "repo-main/link",
        "/etc/passwd",
    )]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/link` is a symlink")),
    );
    let archive = tar_gz(&[
        Item::File("repo-main/hubconf.yaml", b"x"),
        Item::Link(EntryType::Link, "repo-main/hard", "repo-main/hubconf.yaml"),
    ]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/hard` is a hard link")),
    );
}

#[test]
fn refuses_devices_and_other_types() {
    let archive = tar_gz(&[Item::Raw(b"repo-main/tty", EntryType::Char, b"")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/tty` is a device")),
    );
    let archive = tar_gz(&[Item::Raw(b"repo-main/disk", EntryType::Block, b"")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/disk` is a device")),
    );
    let archive = tar_gz(&[Item::Raw(b"repo-main/pipe", EntryType::Fifo, b"")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/pipe` is a fifo")),
    );
    let archive = tar_gz(&[Item::Raw(b"repo-main/odd", EntryType::new(b'Z'), b"")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/odd` has unsupported type `Z`")),
    );
}

#[test]
fn refuses_too_many_files() {
    let limits = Limits {
        max_files: 2,
        ..Limits::default()
    };
    let two = [
        Item::File("repo-main/a", b"a"),
        Item::File("repo-main/b", b"b"),
    ];
    check(&tar_gz(&two), limits, Ok(&["a = a", "b = b"]));
    let three = [
        Item::File("repo-main/a", b"a"),
        Item::File("repo-main/b", b"b"),
        Item::File("repo-main/c", b"c"),
    ];
    check(
        &tar_gz(&three),
        limits,
        Err(&refused("archive has more than 2 files")),
    );
    let folders = [
        Item::Dir("repo-main/a/"),
        Item::Dir("repo-main/b/"),
        Item::Dir("repo-main/c/"),
    ];
    check(
        &tar_gz(&folders),
        limits,
        Err(&refused("archive has more than 2 folders")),
    );
}

#[test]
fn refuses_too_many_bytes() {
    let limits = Limits {
        max_bytes: 1 << 20,
        ..Limits::default()
    };
    let zeros = vec![0u8; 4 << 20];
    let archive = tar_gz(&[Item::File("repo-main/zeros", &zeros)]);
    assert!(
        archive.len() < 64 * 1024,
        "the bomb is {} bytes compressed",
        archive.len()
    );
    check(
        &archive,
        limits,
        Err(&refused(
            "entry `repo-main/zeros` brings the archive over 1048576 bytes",
        )),
    );

    let half = vec![0u8; 1 << 19];
    let exact = tar_gz(&[
        Item::File("repo-main/a", &half),
        Item::File("repo-main/b", &half),
    ]);
    let temp = tempfile::tempdir().unwrap();
    assert_eq!(
        extract_tar_gz(
            &exact[..],
            URL,
            &Dir::open(temp.path()).unwrap(),
            "src",
            &limits
        )
        .unwrap(),
        2
    );
    let over = tar_gz(&[
        Item::File("repo-main/a", &half),
        Item::File("repo-main/b", &half),
        Item::File("repo-main/c", b"x"),
    ]);
    check(
        &over,
        limits,
        Err(&refused(
            "entry `repo-main/c` brings the archive over 1048576 bytes",
        )),
    );
}

#[test]
fn refuses_huge_headers() {
    let limits = Limits {
        max_files: 10,
        max_bytes: 1 << 20,
    };
    let archive = tar_gz(&[Item::LongName(&vec![b'a'; 1 << 20], b"x")]);
    check(
        &archive,
        limits,
        Err(&refused("an entry's headers are larger than 16384 bytes")),
    );
    let records = pax_record(b"comment", &vec![b'c'; 4 << 20]);
    let archive = tar_gz(&[Item::Global(&records)]);
    check(
        &archive,
        limits,
        Err(&refused(
            "archive is larger than 1196032 bytes once decompressed",
        )),
    );
}

#[test]
fn refuses_repeated_paths() {
    let archive = tar_gz(&[
        Item::File("repo-main/a/x", b"1"),
        Item::File("repo-main/a/x", b"2"),
    ]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/a/x` appears twice")),
    );
    let archive = tar_gz(&[
        Item::File("repo-main/a/x", b"1"),
        Item::Raw(b"repo-main/a//./x", EntryType::Regular, b"2"),
    ]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/a//./x` appears twice")),
    );
    let archive = tar_gz(&[Item::Dir("repo-main/a/"), Item::File("repo-main/a", b"1")]);
    check(
        &archive,
        Limits::default(),
        Err(&refused("entry `repo-main/a` appears twice")),
    );
}

#[test]
fn reports_broken_streams() {
    let archive = tar_gz(&[
        Item::File("repo-main/a", &vec![7u8; 100_000]),
        Item::File("repo-main/b", b"b"),
    ]);
    let cannot_read = format!("cannot read `{URL}`");
    for cut in [
        0,
        5,
        20,
        archive.len() / 2,
        archive.len() - 9,
        archive.len() - 1,
    ] {
        check(&archive[..cut], Limits::default(), Err(&cannot_read));
    }
    check(
        b"not a gzip stream at all",
        Limits::default(),
        Err(&cannot_read),
    );
    let plain_tar = {
        let mut builder = Builder::new(Vec::new());
        let mut header = Header::new_gnu();
        header.set_size(1);
        builder
            .append_data(&mut header, "repo-main/a", &b"a"[..])
            .unwrap();
        builder.into_inner().unwrap()
    };
    check(&plain_tar, Limits::default(), Err(&cannot_read));
}

#[test]
fn leaves_an_existing_folder_alone() {
    let temp = tempfile::tempdir().unwrap();
    let dest = temp.path().join("src");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("mine"), "keep").unwrap();
    let archive = tar_gz(&[Item::File("repo-main/a", b"a")]);
    let parent = Dir::open(temp.path()).unwrap();
    let error = extract_tar_gz(&archive[..], URL, &parent, "src", &Limits::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("cannot create `{}`", dest.display())
    );
    assert_eq!(listing(&dest), ["mine = keep"]);
}
