//! The routes: the index, assets by sha256, files of the hub tree, the web app; and the middleware every request passes.

use crate::Config;
use crate::body::{self, Logged, RequestLog};
use crate::catalogue::{Catalogue, blocking};
use crate::compress::{self, Coding};
use crate::error::{Error, Result};
use crate::resolve;
use crate::respond::{Asked, Content, Entity, IMMUTABLE, REVALIDATE, respond, status};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::header::{
    ACCEPT_ENCODING, ALLOW, CONNECTION, CONTENT_TYPE, HeaderValue, RANGE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use http_body::Body as _;
use http_body_util::Either;
use hubtree::{Found, Relative, Root, Stamp, read_at};
use manifest::Sha256;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::{Layer as _, ServiceExt as _};
use tower_http::catch_panic::{CatchPanic, CatchPanicLayer, DefaultResponseForPanic};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};

/// What the handlers share.
pub(crate) struct App {
    hub: Arc<Root>,
    web: Option<PathBuf>,
    catalogue: Arc<Catalogue>,
    compressed: compress::Cache,
    /// How long a slow step of a handler (hashing, compressing, rescanning) may take.
    request_timeout: Duration,
}

impl App {
    pub(crate) async fn open(config: &Config) -> Result<App> {
        let hub = Root::open(&config.hub_dir).map_err(|source| Error::Io {
            path: config.hub_dir.clone(),
            source,
        })?;
        if !hub.path().join("assets").is_dir() {
            return Err(Error::NotAHub {
                path: config.hub_dir.clone(),
            });
        }
        let hub = Arc::new(hub);
        Ok(App {
            catalogue: Arc::new(
                Catalogue::open(
                    hub.clone(),
                    config.rescan,
                    config.rescan_wait,
                    config.profile,
                )
                .await?,
            ),
            hub,
            web: config.web_dir.clone(),
            compressed: compress::Cache::default(),
            request_timeout: config.limits.request_timeout,
        })
    }
}

/// The content type of a file, by its extension.
fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "md" => "text/markdown; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// The routes behind tower-http's layers: a panic becomes `500`, and every response
/// says `nosniff`.
pub(crate) type Service =
    CatchPanic<SetResponseHeader<Router, HeaderValue>, DefaultResponseForPanic>;

/// A response body: from the layers, or a refusal made before them.
type Reply = Either<tower_http::body::UnsyncBoxBody<Bytes, tower::BoxError>, Body>;

/// The routes: `/index.json`, `/sha256/{hex}`, and everything else by path.
pub(crate) fn service(app: Arc<App>) -> Service {
    let router = Router::new()
        .route("/index.json", get(index))
        .route("/sha256/{hex}", get(by_hash))
        .fallback(by_path)
        .with_state(app);
    let nosniff = SetResponseHeaderLayer::overriding(
        X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    CatchPanicLayer::new().layer(nosniff.layer(router))
}

/// Runs a slow step of a handler within the request timeout; past it, the answer is `503`.
/// The fast path (finding and opening a file) needs no timer: it never waits.
async fn bounded<T>(app: &App, step: impl Future<Output = T>) -> std::result::Result<T, Response> {
    tokio::time::timeout(app.request_timeout, step)
        .await
        .map_err(|_| {
            status(
                StatusCode::SERVICE_UNAVAILABLE,
                "the request timed out; try again\n",
            )
        })
}

/// Serves one request from `peer`: only `GET` and `HEAD` without a body reach the routes
/// (this server reads nothing from clients), and the request is logged once its
/// response body is done with (see [`Logged`]).
pub(crate) async fn handle(
    service: Service,
    peer: SocketAddr,
    request: axum::http::Request<hyper::body::Incoming>,
) -> std::result::Result<Response<Logged<Reply>>, Infallible> {
    let log = tracing::enabled!(tracing::Level::INFO).then(|| RequestLog {
        peer,
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        status: 0,
        start: Instant::now(),
    });
    let method = request.method();
    let response = if method != Method::GET && method != Method::HEAD {
        let mut response = status(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        response.map(Either::Right)
    } else if !request.body().is_end_stream() {
        let mut response = status(StatusCode::PAYLOAD_TOO_LARGE, "requests have no body\n");
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        response.map(Either::Right)
    } else {
        service.oneshot(request).await?.map(Either::Left)
    };
    let status = response.status().as_u16();
    Ok(response.map(|body| Logged::new(body, log.map(|log| RequestLog { status, ..log }))))
}

fn not_found() -> Response {
    status(StatusCode::NOT_FOUND, "not found\n")
}

/// `GET /index.json`: the hub index, current to within the rescan interval; a signed hub's
/// own `index.json`, byte for byte, when it has a signature beside it (the index built
/// here would not match the signature).
async fn index(State(app): State<Arc<App>>, request: Request) -> Response {
    let signed =
        Relative::link(manifest::SIGNATURE_FILE).is_some_and(|sig| app.hub.stat(&sig).is_some());
    if let Some(path) = Relative::link("index.json").filter(|_| signed) {
        let asked = Asked::of(&request);
        if let Some(response) = kept(&app, &asked, &path) {
            return with_policy(response, HUB_POLICY);
        }
        return match app.hub.find(&path) {
            Some(found) => with_policy(serve_file(&app, &asked, found).await, HUB_POLICY),
            None => not_found(),
        };
    }
    let built = match bounded(&app, app.catalogue.fresh()).await {
        Ok(built) => built,
        Err(busy) => return busy,
    };
    let asked = Asked::of(&request);
    let wanted = compress::negotiate(asked.header(ACCEPT_ENCODING));
    let (coding, bytes) = match built.encoded(wanted) {
        Some(bytes) => (wanted, bytes),
        None => (Coding::Identity, &built.json),
    };
    let entity = Entity {
        content: Content::Bytes(bytes.clone()),
        len: bytes.len() as u64,
        etag: built.etag.clone(),
        modified: Some(built.modified),
        content_type: "application/json",
        cache_control: REVALIDATE,
        vary: true,
        coding,
    };
    with_policy(respond(&asked, entity), HUB_POLICY)
}

/// `GET /sha256/<hex>`: a file a card names, or a mirrored blob, whose bytes hash to `hex`.
async fn by_hash(
    State(app): State<Arc<App>>,
    UrlPath(hex): UrlPath<String>,
    request: Request,
) -> Response {
    // Only the one spelling a client is given: 64 lowercase hex digits.
    let Some(sha) = Sha256::parse(&hex).filter(|s| *s == hex.as_str()) else {
        return not_found();
    };
    let built = match bounded(&app, app.catalogue.fresh()).await {
        Ok(built) => built,
        Err(busy) => return busy,
    };
    let mirrored = Relative::link(&hubtree::mirror_link(&sha));
    let candidates = built
        .by_hash
        .get(&sha)
        .into_iter()
        .flatten()
        .cloned()
        .chain(mirrored);
    for path in candidates {
        let Some(found) = app.hub.find(&path) else {
            continue;
        };
        let hashes = app.catalogue.hashes.clone();
        let hashing = blocking("hash", move || {
            let sha = hashes.check(&found);
            (found, sha)
        });
        let (found, found_sha) = match bounded(&app, hashing).await {
            Ok(Ok(checked)) => checked,
            Ok(Err(e)) => {
                tracing::warn!(error = &e as &dyn std::error::Error, "cannot hash a file");
                continue;
            }
            // The hash is still made, and remembered for the next request.
            Err(busy) => return busy,
        };
        if found_sha.as_ref() != Some(&sha) {
            tracing::warn!(path = %found.path.display(), sha256 = %hex, "file does not match the sha256 it is named by");
            continue;
        }
        let name = path.name();
        let entity = Entity {
            len: found.meta.len(),
            etag: format!("\"{hex}\""),
            modified: found.meta.modified().ok(),
            content_type: content_type(name),
            cache_control: IMMUTABLE,
            vary: false,
            coding: Coding::Identity,
            content: Content::File(found.file),
        };
        return with_policy(respond(&Asked::of(&request), entity), HUB_POLICY);
    }
    not_found()
}

/// The web app's own policy: its scripts and wasm only, from its own origin; models and
/// card images may come from https hosts; nothing may frame it.
const APP_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' https: data:; \
connect-src 'self' https:; worker-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

/// The policy of every byte that comes from the hub tree: a document made of it (an html
/// or svg file a card names, say) runs in a sandbox with an opaque origin, never as the app.
const HUB_POLICY: &str = "sandbox; default-src 'none'";

/// Adds a `Content-Security-Policy` to a response.
fn with_policy(mut response: Response, policy: &'static str) -> Response {
    response.headers_mut().insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    response
}

/// Any other path: a file of the web app, else of the hub tree; `/` is the app's page.
/// The app's own files come first, so a hub tree cannot answer for `/`, `sw.js` or
/// `web.js` on the app's origin.
async fn by_path(State(app): State<Arc<App>>, request: Request) -> Response {
    let Some(path) = resolve::relative(request.uri().path()) else {
        return not_found();
    };
    let asked = Asked::of(&request);
    let in_app = if path.is_root() {
        Relative::link("index.html")
    } else {
        Some(path.clone())
    };
    let web = app.web.as_ref().and_then(|w| Root::open(w).ok());
    if let Some(found) = web.zip(in_app).and_then(|(web, path)| web.find(&path)) {
        return with_policy(serve_file(&app, &asked, found).await, APP_POLICY);
    }
    if let Some(response) = kept(&app, &asked, &path) {
        return with_policy(response, HUB_POLICY);
    }
    if let Some(found) = app.hub.find(&path) {
        return with_policy(serve_file(&app, &asked, found).await, HUB_POLICY);
    }
    if path.is_root() {
        with_policy(not_built(), APP_POLICY)
    } else {
        not_found()
    }
}

/// How a version of a file is sent: what it is, its entity tag (its sha256 once known),
/// whether its coding depends on `Accept-Encoding`, and the coding the client would like.
struct Described {
    content_type: &'static str,
    etag: String,
    vary: bool,
    wanted: Coding,
}

fn describe(app: &App, asked: &Asked<'_>, path: &Path, stamp: Stamp) -> Described {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let content_type = content_type(name);
    let etag = match app.catalogue.hashes.known(path, stamp) {
        Some(sha) => format!("\"{sha}\""),
        None => stamp.etag(),
    };
    let vary = compress::compressible(content_type) && stamp.len <= compress::MAX_INPUT;
    let wanted = if vary && asked.header(RANGE).is_none() {
        compress::negotiate(asked.header(ACCEPT_ENCODING))
    } else {
        Coding::Identity
    };
    Described {
        content_type,
        etag,
        vary,
        wanted,
    }
}

fn entity(described: Described, stamp: Stamp, coding: Coding, content: Content) -> Entity {
    let len = match &content {
        Content::Bytes(bytes) => bytes.len() as u64,
        Content::File(_) => stamp.len,
    };
    Entity {
        len,
        etag: described.etag,
        modified: stamp.modified,
        content_type: described.content_type,
        cache_control: REVALIDATE,
        vary: described.vary,
        coding,
        content,
    }
}

/// A small file of the hub tree whose bytes are in memory, in the coding the client
/// wants: one `statx` shows they are still the file's (same inode, size and
/// modification time), and nothing is opened or read. `None` sends the request the
/// long way, which keeps the bytes for next time.
fn kept(app: &App, asked: &Asked<'_>, path: &Relative) -> Option<Response> {
    let stamp = app.hub.stat(path)?;
    if stamp.len > body::INLINE {
        return None;
    }
    let full = app.hub.path().join(path.as_str());
    let described = describe(app, asked, &full, stamp);
    let (coding, bytes) = match app.compressed.get(&full, described.wanted, stamp)? {
        Some(bytes) => (described.wanted, bytes),
        None => (
            Coding::Identity,
            app.compressed.get(&full, Coding::Identity, stamp)??,
        ),
    };
    let entity = entity(described, stamp, coding, Content::Bytes(bytes));
    Some(respond(asked, entity))
}

/// A file found by path: its sha256 as entity tag once known, compressed when that
/// helps; a small file's bytes are kept in memory for [`kept`].
async fn serve_file(app: &App, asked: &Asked<'_>, found: Found) -> Response {
    let stamp = Stamp::of(&found.meta);
    let described = describe(app, asked, &found.path, stamp);
    let wanted = described.wanted;
    let encoded = match wanted {
        Coding::Identity => None,
        coding => match bounded(app, compressed(app, &found, coding, stamp)).await {
            Ok(encoded) => encoded,
            Err(busy) => return busy,
        },
    };
    let (coding, content) = match encoded {
        Some(bytes) => (wanted, Content::Bytes(bytes)),
        None if stamp.len <= body::INLINE => match small(&found, stamp) {
            Some(bytes) => {
                app.compressed
                    .put(&found.path, Coding::Identity, stamp, Some(bytes.clone()));
                (Coding::Identity, Content::Bytes(bytes))
            }
            None => return status(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the file\n"),
        },
        None => (Coding::Identity, Content::File(found.file)),
    };
    respond(asked, entity(described, stamp, coding, content))
}

/// The whole of a small file, if it still has the length it was found with.
fn small(found: &Found, stamp: Stamp) -> Option<Bytes> {
    let mut data = vec![0u8; usize::try_from(stamp.len).ok()?];
    let read = read_at(&found.file, &mut data, 0).ok()?;
    (read == data.len()).then(|| Bytes::from(data))
}

/// The file in `coding`, from the cache or made now; `None` when compressing does not
/// make it smaller or it cannot be read.
async fn compressed(app: &App, found: &Found, coding: Coding, stamp: Stamp) -> Option<Bytes> {
    if let Some(known) = app.compressed.get(&found.path, coding, stamp) {
        return known;
    }
    let file = found.file.try_clone().ok()?;
    let made = blocking("compress", move || {
        let mut data = vec![0u8; usize::try_from(stamp.len).ok()?];
        let read = read_at(&file, &mut data, 0).ok()?;
        (read == data.len()).then(|| compress::encode(coding, &data))
    })
    .await
    .ok()??;
    app.compressed.put(&found.path, coding, stamp, made.clone());
    made
}

/// `/` without a built web app: a page that says how to build it.
fn not_built() -> Response {
    const PAGE: &str = "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>mhub</title></head>\n<body>\n\
<h1>mhub</h1>\n<p>This hub is served, but the web app is not built.</p>\n\
<p>Build it with <code>cargo xtask web</code> (it writes <code>web/dist</code>), then reload this page,\n\
or start the server with <code>mhub serve HUB --web DIR</code> to name the folder of a built app.</p>\n\
<p>The hub's catalogue is at <a href=\"index.json\">index.json</a>.</p>\n</body>\n</html>\n";
    let mut response = status(StatusCode::OK, PAGE);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
