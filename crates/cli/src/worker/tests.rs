//! The parent's side of the worker protocol against stand-in workers (shell scripts): what the child inherits, and how its output is bounded.

use super::{Limits, exchange_with};
use std::path::Path;
use std::process::Command;

/// A stand-in worker: `sh -c script`, which gets `__worker` and the limits as `$1`….
fn worker(script: &str) -> Command {
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(script).arg("sh");
    command
}

/// Limits that make a stuck worker fail the test within seconds.
const LIMITS: Limits = Limits {
    memory_limit: 512,
    time_limit: 1,
};

/// The error a stand-in worker's exchange ends in.
fn failure(script: &str) -> String {
    let request = super::inspect_request(Path::new("model.onnx"), infer::LoadOptions::default());
    match exchange_with(worker(script), &request, LIMITS) {
        Ok(report) => panic!("expected a failure, got {report:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_worker_inherits_no_environment() {
    // Cargo sets these for every test process: the worker must see none of them.
    assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
    let said = failure(
        r#"printf '{"kind":"failed","message":"%s %s %s"}' "${CARGO_PKG_NAME-unset}" "${CARGO_MANIFEST_DIR-unset}" "${HOME-unset}""#,
    );
    assert_eq!(said, "unset unset unset");
}

#[test]
fn the_worker_gets_its_limits_and_its_request_on_stdin() {
    let said = failure(
        r#"read -r request; case "$request" in *'"model":"model.onnx"'*) got=request;; *) got=nothing;; esac
        printf '{"kind":"failed","message":"%s %s %s %s %s %s"}' "$1" "$2" "$3" "$4" "$5" "$got""#,
    );
    assert_eq!(said, "__worker --memory-limit 512 --time-limit 1 request");
}

#[test]
fn a_chatty_worker_never_blocks_on_its_error_output() {
    // 2 MB on stderr, far past a pipe's buffer, before the reply: read or the worker hangs.
    let said = failure(
        r#"i=0; while [ $i -lt 20000 ]; do printf '%099d\n' $i >&2; i=$((i+1)); done
        printf '{"kind":"failed","message":"drained"}'"#,
    );
    assert_eq!(said, "drained");
}

#[test]
fn only_the_start_of_a_failing_workers_error_output_is_kept() {
    let said = failure(
        r#"i=0; while [ $i -lt 2000 ]; do printf 'line %095d\n' $i >&2; i=$((i+1)); done
        echo 'the last line' >&2; exit 3"#,
    );
    assert!(
        said.starts_with("the worker failed (exit status: 3) without a report; it said: "),
        "{said}"
    );
    assert!(!said.contains("the last line"), "{said}");
}

#[test]
fn a_malformed_reply_is_an_error() {
    let said = failure(r#"printf 'not json'"#);
    assert_eq!(said, "the worker sent a malformed report");
    let killed = failure("kill -9 $$");
    assert!(killed.contains("signal 9"), "{killed}");
}
