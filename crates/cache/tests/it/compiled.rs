//! Plans and tunings kept per model sha256: checked on every read, never through a planted link, removed with their model.

use super::{UID, card, hub, write_hub};
use cache::Cache;
use manifest::Sha256;
use std::path::{Path, PathBuf};

const ENGINE: &str = "tract-0.23.9";

fn model() -> Sha256 {
    Sha256::of(b"a model")
}

fn model_dir(cache: &Path, model: &Sha256) -> PathBuf {
    cache.join("v2/compiled").join(ENGINE).join(model.as_str())
}

/// Makes a read-only file writable again, so a test can damage it.
fn writable(path: &Path) {
    let mut perms = std::fs::metadata(path).expect("meta").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).expect("chmod");
}

#[test]
fn plans_and_tunings_round_trip_by_model_machine_and_threads() {
    let dir = tempfile::tempdir().expect("temp");
    let cache = Cache::open(dir.path()).expect("cache");
    let (m, plan) = (model(), b"mhub-plan 1\n{}\nbytes".to_vec());
    assert_eq!(cache.plan(&m, ENGINE).expect("reads"), None);
    cache.store_plan(&m, ENGINE, &plan).expect("stores");
    assert_eq!(cache.plan(&m, ENGINE).expect("reads"), Some(plan.clone()));
    // Another engine's plans are another's.
    assert_eq!(cache.plan(&m, "tract-0.24.0").expect("reads"), None);
    assert_eq!(
        cache.tuning(&m, ENGINE, "x86_64+avx2", 1).expect("reads"),
        None
    );
    cache
        .store_tuning(&m, ENGINE, "x86_64+avx2", 1, "{\"knobs\":{}}")
        .expect("stores");
    cache
        .store_tuning(&m, ENGINE, "x86_64+avx2", 4, "four")
        .expect("stores");
    assert_eq!(
        cache
            .tuning(&m, ENGINE, "x86_64+avx2", 1)
            .expect("reads")
            .as_deref(),
        Some("{\"knobs\":{}}")
    );
    assert_eq!(
        cache
            .tuning(&m, ENGINE, "x86_64+avx2", 4)
            .expect("reads")
            .as_deref(),
        Some("four")
    );
    assert_eq!(cache.tuning(&m, ENGINE, "aarch64", 1).expect("reads"), None);
    // A machine name is one flat name: it cannot reach out of the model's folder.
    cache
        .store_tuning(&m, ENGINE, "../../../escape", 1, "x")
        .expect("stores");
    assert_eq!(
        cache
            .tuning(&m, ENGINE, "../../../escape", 1)
            .expect("reads")
            .as_deref(),
        Some("x")
    );
    assert!(!dir.path().join("v2/escape").exists() && !dir.path().join("escape").exists());
    let listed = cache.compiled().expect("lists");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].plan, Some(plan.len() as u64));
    assert_eq!(listed[0].tunings, 3);
    let report = cache.verify().expect("verifies");
    assert_eq!((report.plans, report.problems.len()), (1, 0));
    assert!(cache.temp_files().expect("temps").is_empty());
}

#[test]
fn a_damaged_plan_is_not_used_and_prune_removes_it() {
    let dir = tempfile::tempdir().expect("temp");
    let cache = Cache::open(dir.path()).expect("cache");
    let m = model();
    let plan = vec![7u8; 10_000];
    let folder = model_dir(dir.path(), &m);
    // Same length, one byte changed; cut short; grown; record unreadable; record missing.
    type Damage = fn(&Path);
    let damages: [(&str, Damage); 5] = [
        ("flipped", |f| {
            let mut bytes = std::fs::read(f.join("plan")).expect("read");
            bytes[5_000] ^= 1;
            std::fs::write(f.join("plan"), bytes).expect("write");
        }),
        ("cut", |f| {
            std::fs::write(f.join("plan"), vec![7u8; 9_999]).expect("write");
        }),
        ("grown", |f| {
            std::fs::write(f.join("plan"), vec![7u8; 10_001]).expect("write");
        }),
        ("bad record", |f| {
            std::fs::write(f.join("plan.json"), b"{not json").expect("write");
        }),
        ("no record", |f| {
            std::fs::remove_file(f.join("plan.json")).expect("remove");
        }),
    ];
    for (what, damage) in damages {
        cache.store_plan(&m, ENGINE, &plan).expect("stores");
        assert!(cache.plan(&m, ENGINE).expect("reads").is_some());
        writable(&folder.join("plan"));
        damage(&folder);
        assert_eq!(cache.plan(&m, ENGINE).expect("reads"), None, "{what}");
        // Storing again repairs it.
        cache.store_plan(&m, ENGINE, &plan).expect("stores");
        assert_eq!(
            cache.plan(&m, ENGINE).expect("reads"),
            Some(plan.clone()),
            "{what}"
        );
    }
    writable(&folder.join("plan"));
    std::fs::write(folder.join("plan"), vec![8u8; 10_000]).expect("write");
    let report = cache.verify().expect("verifies");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].contains("does not match its record"));
    // Not a model of the cache, and damaged: prune takes it.
    let removed = cache.prune().expect("prunes");
    assert_eq!(removed.compiled, 1);
    assert!(!folder.exists());
}

#[test]
fn a_link_planted_in_place_of_a_plan_is_refused_not_followed() {
    let dir = tempfile::tempdir().expect("temp");
    let outside = tempfile::tempdir().expect("temp");
    let cache = Cache::open(dir.path()).expect("cache");
    let m = model();
    cache.store_plan(&m, ENGINE, b"plan").expect("stores");
    let folder = model_dir(dir.path(), &m);
    std::fs::remove_file(folder.join("plan")).expect("remove");
    let secret = outside.path().join("secret");
    std::fs::write(&secret, b"plan").expect("write");
    std::os::unix::fs::symlink(&secret, folder.join("plan")).expect("link");
    assert!(cache.plan(&m, ENGINE).is_err(), "a link was followed");
    // A tuning written where a link was planted replaces the link, never its target.
    std::os::unix::fs::symlink(&secret, folder.join("tuning@x86_64@1")).expect("link");
    cache
        .store_tuning(&m, ENGINE, "x86_64", 1, "new")
        .expect("stores");
    assert_eq!(std::fs::read(&secret).expect("read"), b"plan");
    // A planted link in place of the model's folder is refused.
    let other = Sha256::of(b"another");
    std::os::unix::fs::symlink(outside.path(), model_dir(dir.path(), &other)).expect("link");
    assert!(cache.store_plan(&other, ENGINE, b"x").is_err());
    assert!(!outside.path().join("plan").exists());
}

#[test]
fn removing_a_model_removes_its_plans_and_prune_those_of_local_files() {
    let dir = tempfile::tempdir().expect("temp");
    let tree = tempfile::tempdir().expect("temp");
    let data = b"model bytes".to_vec();
    std::fs::write(tree.path().join("model.onnx"), &data).expect("write");
    let sha = Sha256::of(&data);
    write_hub(tree.path(), &card("model.onnx", sha.as_str(), None));
    let hub = hub(dir.path(), &tree.path().display().to_string());
    hub.pull(&UID.parse().expect("uid"), false, &cache::Silent)
        .expect("pulls");
    let cache = hub.cache();
    cache.store_plan(&sha, ENGINE, b"its plan").expect("stores");
    let local = Sha256::of(b"a local file's bytes");
    cache.store_plan(&local, ENGINE, b"a plan").expect("stores");
    // prune keeps the pulled model's plan, and takes the local file's.
    let pruned = cache.prune().expect("prunes");
    assert_eq!(pruned.compiled, 1);
    assert!(cache.plan(&sha, ENGINE).expect("reads").is_some());
    assert!(cache.plan(&local, ENGINE).expect("reads").is_none());
    let removed = cache.remove(UID).expect("removes");
    assert_eq!((removed.blobs, removed.compiled), (1, 1));
    assert!(cache.plan(&sha, ENGINE).expect("reads").is_none());
}

#[test]
fn concurrent_writers_and_readers_see_no_plan_or_the_whole_plan() {
    let dir = tempfile::tempdir().expect("temp");
    let m = model();
    let plan: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let cache = Cache::open(dir.path()).expect("cache");
                for _ in 0..10 {
                    cache.store_plan(&m, ENGINE, &plan).expect("stores");
                }
            });
        }
        for _ in 0..2 {
            s.spawn(|| {
                let cache = Cache::open(dir.path()).expect("cache");
                for _ in 0..50 {
                    if let Some(read) = cache.plan(&m, ENGINE).expect("reads") {
                        assert_eq!(read, plan);
                    }
                }
            });
        }
    });
    let cache = Cache::open(dir.path()).expect("cache");
    assert_eq!(cache.plan(&m, ENGINE).expect("reads"), Some(plan));
    assert!(cache.temp_files().expect("temps").is_empty());
}
