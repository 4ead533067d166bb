//! Card bodies as HTML: CommonMark with tables, raw HTML shown as text, unsafe link schemes dropped.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// Renders a card's markdown body to HTML that is safe to put in the page.
///
/// A card comes from whoever publishes to the hub, so nothing in it may run
/// in the page: raw HTML blocks and inline HTML are rendered as visible text,
/// and link or image targets other than `http`, `https`, `mailto`, fragments
/// and relative paths become `#`.
pub fn render(body: &str) -> String {
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
            dest_url: safe_url(dest_url),
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
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// Whether a link target is allowed in the page.
pub fn is_safe_url(url: &str) -> bool {
    // Browsers ignore control characters and spaces inside a scheme (`java\tscript:`).
    let squeezed: String = url
        .chars()
        .filter(|c| !c.is_ascii_control() && !c.is_whitespace())
        .collect();
    let lower = squeezed.to_ascii_lowercase();
    match lower.find(':') {
        None => true,
        // A colon after a `/`, `?` or `#` is part of a relative path, not a scheme.
        Some(colon) if lower[..colon].contains(['/', '?', '#']) => true,
        Some(colon) => matches!(&lower[..colon], "http" | "https" | "mailto"),
    }
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

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    if is_safe_url(&url) {
        url
    } else {
        CowStr::Borrowed("#")
    }
}
