//! The checks of a signed index, each refusal made to happen once.

use crate::*;
use manifest::{Index, IndexEntry, Sha256};

const NOW: u64 = 1_800_000_000;

fn key(seed: u8) -> SecretKey {
    let text = format!("mhub-ed25519-secret:{}", base64_32(&[seed; 32]));
    SecretKey::parse(&text).unwrap()
}

fn base64_32(bytes: &[u8; 32]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn entry(uid: &str, card: &[u8]) -> IndexEntry {
    let mut entry: IndexEntry = serde_json::from_value(serde_json::json!({
        "uid": uid, "card": format!("assets/{uid}.md"), "title": "m", "version": "1.0"
    }))
    .unwrap();
    entry.card_sha256 = Some(Sha256::of(card).to_string());
    entry.card_size = Some(card.len() as u64);
    entry
}

fn index(version: u64, expires: u64) -> Vec<u8> {
    let mut index = Index::new(vec![entry("a/1.0/m_v1_d", b"card")]);
    index.version = Some(version);
    index.expires = Some(expires);
    serde_json::to_vec(&index).unwrap()
}

fn signed(index: &[u8], by: &SecretKey) -> Vec<u8> {
    Envelope::sign(index, by, None).to_json()
}

#[test]
fn keys_round_trip_through_their_text_and_never_show_the_secret_in_the_public_text() {
    let secret = key(7);
    let public = PublicKey::parse(&secret.public().to_text()).unwrap();
    assert_eq!(public, secret.public());
    assert_eq!(public.id().as_str().len(), 16);
    let again = SecretKey::parse(&secret.to_text()).unwrap();
    assert_eq!(again.public(), public);
    assert!(!public.to_text().contains(&secret.to_text()[40..60]));
    for bad in [
        "",
        "mhub-ed25519-public:AAAA",
        "ssh-ed25519 AAAA",
        "mhub-ed25519-secret:x",
    ] {
        assert!(PublicKey::parse(bad).is_err(), "{bad}");
    }
    assert!(SecretKey::parse(&public.to_text()).is_err());
}

#[test]
fn an_index_signed_by_a_trusted_key_verifies() {
    let root = key(1);
    let bytes = index(3, NOW + 60);
    let verified = verify(&bytes, &signed(&bytes, &root), &[root.public()], NOW).unwrap();
    assert_eq!(verified.version, 3);
    assert_eq!(verified.signers, vec![root.public().id()]);
    let card = verified.card("a/1.0/m_v1_d").unwrap();
    check_card(card, b"card").unwrap();
    assert!(matches!(
        check_card(card, b"cart"),
        Err(Error::CardChanged { .. })
    ));
    assert!(matches!(
        check_card(card, b"card!"),
        Err(Error::CardChanged { .. })
    ));
    assert!(matches!(
        verified.card("a/1.0/x_v1_d"),
        Err(Error::NotListed { .. })
    ));
}

#[test]
fn a_changed_index_or_signature_is_refused_as_tampered() {
    let root = key(1);
    let bytes = index(3, NOW + 60);
    let envelope = signed(&bytes, &root);
    let mut changed = bytes.clone();
    changed.push(b' ');
    let err = verify(&changed, &envelope, &[root.public()], NOW).unwrap_err();
    assert!(
        matches!(err, Error::BadSignature { what: "index", .. }),
        "{err}"
    );
    let mut sig: Envelope = serde_json::from_slice(&envelope).unwrap();
    sig.signatures[0].sig = sig.signatures[0].sig.replace('A', "B").replace('a', "A");
    let err = verify(&bytes, &sig.to_json(), &[root.public()], NOW).unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
    for junk in [&b""[..], b"{}", b"not json", &vec![b' '; MAX_ENVELOPE + 1]] {
        let err = verify(&bytes, junk, &[root.public()], NOW).unwrap_err();
        assert!(matches!(err, Error::Envelope(_)), "{err}");
    }
}

#[test]
fn an_index_signed_by_another_key_is_refused() {
    let bytes = index(3, NOW + 60);
    let err = verify(&bytes, &signed(&bytes, &key(2)), &[key(1).public()], NOW).unwrap_err();
    assert!(matches!(err, Error::Untrusted { .. }), "{err}");
    assert!(err.to_string().contains(key(2).public().id().as_str()));
}

#[test]
fn an_expired_index_is_refused() {
    let root = key(1);
    let bytes = index(3, NOW);
    let err = verify(&bytes, &signed(&bytes, &root), &[root.public()], NOW).unwrap_err();
    assert!(matches!(err, Error::Expired { what: "index", .. }), "{err}");
}

#[test]
fn an_unsigned_shape_or_an_unpinned_card_is_refused_even_when_signed() {
    let root = key(1);
    let plain = serde_json::to_vec(&Index::new(vec![])).unwrap();
    let err = verify(&plain, &signed(&plain, &root), &[root.public()], NOW).unwrap_err();
    assert!(err.to_string().contains("no `version`"), "{err}");
    let mut index = Index::new(vec![entry("a/1.0/m_v1_d", b"card")]);
    index.version = Some(1);
    index.expires = Some(NOW + 1);
    index.models[0].card_sha256 = None;
    let bytes = serde_json::to_vec(&index).unwrap();
    let err = verify(&bytes, &signed(&bytes, &root), &[root.public()], NOW).unwrap_err();
    assert!(err.to_string().contains("card-sha256"), "{err}");
}

#[test]
fn seen_refuses_rollback_and_two_indexes_of_one_version() {
    let root = key(1);
    let check = |version| {
        let bytes = index(version, NOW + 60);
        verify(&bytes, &signed(&bytes, &root), &[root.public()], NOW).unwrap()
    };
    let seen = Seen::default().admit(&check(5)).unwrap();
    assert_eq!(seen.version, 5);
    assert_eq!(seen.admit(&check(5)).unwrap(), seen);
    let err = seen.admit(&check(4)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rollback {
                got: 4,
                seen: 5,
                ..
            }
        ),
        "{err}"
    );
    let other = index(5, NOW + 61);
    let other = verify(&other, &signed(&other, &root), &[root.public()], NOW).unwrap();
    assert!(matches!(
        seen.admit(&other),
        Err(Error::Equivocation { version: 5 })
    ));
    assert_eq!(seen.admit(&check(6)).unwrap().version, 6);
}

#[test]
fn a_root_delegates_to_an_index_key_that_can_be_replaced() {
    let (root, first, second) = (key(1), key(2), key(3));
    let bytes = index(1, NOW + 60);
    let grant = Delegation::grant(&root, &[first.public()], 1, 1, NOW + 600).unwrap();
    let envelope = Envelope::sign(&bytes, &first, Some(grant.clone())).to_json();
    let verified = verify(&bytes, &envelope, &[root.public()], NOW).unwrap();
    assert_eq!(verified.delegation, Some(1));
    assert_eq!(verified.signers, vec![first.public().id()]);
    let seen = Seen::default().admit(&verified).unwrap();

    // The index key is replaced; the client keeps trusting the root only.
    let bytes = index(2, NOW + 60);
    let rotated = Delegation::grant(&root, &[second.public()], 1, 2, NOW + 600).unwrap();
    let envelope = Envelope::sign(&bytes, &second, Some(rotated)).to_json();
    let verified = verify(&bytes, &envelope, &[root.public()], NOW).unwrap();
    let seen = seen.admit(&verified).unwrap();
    assert_eq!(seen.delegation, Some(2));

    // The old key, under its old delegation, can no longer follow.
    let bytes = index(3, NOW + 60);
    let envelope = Envelope::sign(&bytes, &first, Some(grant.clone())).to_json();
    let verified = verify(&bytes, &envelope, &[root.public()], NOW).unwrap();
    let err = seen.admit(&verified).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rollback {
                what: "delegation",
                ..
            }
        ),
        "{err}"
    );

    // A key the root never granted, under a real delegation, does not count.
    let envelope = Envelope::sign(&bytes, &key(9), Some(grant)).to_json();
    let err = verify(&bytes, &envelope, &[root.public()], NOW).unwrap_err();
    assert!(matches!(err, Error::Untrusted { .. }), "{err}");
}

#[test]
fn a_delegation_must_be_the_roots_unchanged_and_current() {
    let (root, index_key) = (key(1), key(2));
    let bytes = index(1, NOW + 60);
    let by_other = Delegation::grant(&key(8), &[index_key.public()], 1, 1, NOW + 600).unwrap();
    let envelope = Envelope::sign(&bytes, &index_key, Some(by_other)).to_json();
    let err = verify(&bytes, &envelope, &[root.public()], NOW).unwrap_err();
    assert!(matches!(err, Error::Untrusted { .. }), "{err}");

    let mut forged = Delegation::grant(&root, &[index_key.public()], 1, 1, NOW + 600).unwrap();
    let grant = Delegation::grant(&root, &[key(9).public()], 1, 1, NOW + 600).unwrap();
    forged.payload = grant.payload;
    let envelope = Envelope::sign(&bytes, &key(9), Some(forged)).to_json();
    let err = verify(&bytes, &envelope, &[root.public()], NOW).unwrap_err();
    assert!(
        matches!(
            err,
            Error::BadSignature {
                what: "delegation",
                ..
            }
        ),
        "{err}"
    );

    let stale = Delegation::grant(&root, &[index_key.public()], 1, 1, NOW).unwrap();
    let envelope = Envelope::sign(&bytes, &index_key, Some(stale)).to_json();
    let err = verify(&bytes, &envelope, &[root.public()], NOW).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Expired {
                what: "delegation",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_signature_of_one_role_never_passes_for_the_other() {
    let root = key(1);
    let delegation = Delegation::grant(&root, &[root.public()], 1, 1, NOW + 60).unwrap();
    let payload = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(&delegation.payload)
            .unwrap()
    };
    // The delegation's signature, offered as a signature over the payload as an index.
    let envelope = Envelope {
        format: ENVELOPE_FORMAT,
        signatures: delegation.signatures.clone(),
        delegation: None,
    };
    let err = verify(&payload, &envelope.to_json(), &[root.public()], NOW).unwrap_err();
    assert!(
        matches!(err, Error::BadSignature { what: "index", .. }),
        "{err}"
    );
}

#[test]
fn k_of_n_counts_distinct_valid_signatures() {
    let (root, a, b) = (key(1), key(2), key(3));
    let bytes = index(1, NOW + 60);
    let grant = Delegation::grant(&root, &[a.public(), b.public()], 2, 1, NOW + 600).unwrap();
    let mut envelope = Envelope::sign(&bytes, &a, Some(grant.clone()));
    let once = envelope.to_json();
    let err = verify(&bytes, &once, &[root.public()], NOW).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Threshold {
                valid: 1,
                threshold: 2
            }
        ),
        "{err}"
    );
    envelope.signatures.push(envelope.signatures[0].clone());
    let twice = envelope.to_json();
    assert!(verify(&bytes, &twice, &[root.public()], NOW).is_err());
    envelope.signatures[1] = Envelope::sign(&bytes, &b, None).signatures[0].clone();
    let verified = verify(&bytes, &envelope.to_json(), &[root.public()], NOW).unwrap();
    assert_eq!(verified.signers.len(), 2);
    assert!(Delegation::grant(&root, &[a.public()], 2, 1, NOW).is_err());
    assert!(Delegation::grant(&root, &[a.public()], 0, 1, NOW).is_err());
}
