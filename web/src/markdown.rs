//! Card bodies as HTML: CommonMark with tables, raw HTML shown as text, unsafe link schemes dropped.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// Renders a card's markdown body to HTML that is safe to put in the page.
///
/// A card comes from whoever publishes to the hub, so nothing in it may run
/// in the page: raw HTML blocks and inline HTML are rendered as visible text,
/// and link or image targets other than `http`, `https`, `mailto`, fragments
/// and relative paths become `#`. Relative paths are resolved against `base`, the
/// card's folder below the hub root (see [`resolve`]), so that a card's
/// `../static/images/a.png` shows the hub's picture.
pub fn render(body: &str, base: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(body, options).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url, base),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url, base),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The scheme of a link target, in lower case, as a browser reads it; `None` for a
/// relative one.
fn scheme(url: &str) -> Option<String> {
    // Browsers ignore control characters and spaces inside a scheme (`java\tscript:`).
    let squeezed: String = url
        .chars()
        .filter(|c| !c.is_ascii_control() && !c.is_whitespace())
        .collect();
    let lower = squeezed.to_ascii_lowercase();
    let colon = lower.find(':')?;
    // A colon after a `/`, `?` or `#` is part of a relative path, not a scheme.
    (!lower[..colon].contains(['/', '?', '#'])).then(|| lower[..colon].to_owned())
}

/// Whether a link target is allowed in the page.
pub fn is_safe_url(url: &str) -> bool {
    scheme(url).is_none_or(|s| matches!(s.as_str(), "http" | "https" | "mailto"))
}

/// A card's relative link resolved against `base`, the card's folder below the hub
/// root: `../static/images/a.png` in `assets/pub/1.6/` is `assets/pub/static/images/a.png`.
/// Links with a scheme, absolute paths (`/x`, `//host/x`), fragments and queries are
/// kept as they are; `..` never climbs above the hub root.
pub fn resolve(base: &str, url: &str) -> String {
    if url.is_empty() || url.starts_with(['#', '/', '?']) || scheme(url).is_some() {
        return url.to_owned();
    }
    let (path, rest) = url.split_at(url.find(['?', '#']).unwrap_or(url.len()));
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            name => parts.push(name),
        }
    }
    let mut out = parts.join("/");
    if path.ends_with('/') && !out.is_empty() {
        out.push('/');
    }
    out + rest
}

/// A link from a card or the index, as an `href`: itself when [`is_safe_url`] allows it,
/// else `#`. Every url the page shows from a hub goes through it or [`render`].
pub fn safe_href(url: &str) -> String {
    if is_safe_url(url) {
        url.to_owned()
    } else {
        "#".to_owned()
    }
}

fn safe_url<'a>(url: CowStr<'a>, base: &str) -> CowStr<'a> {
    if !is_safe_url(&url) {
        CowStr::Borrowed("#")
    } else if base.is_empty() {
        url
    } else {
        CowStr::Boxed(resolve(base, &url).into_boxed_str())
    }
}
