/* SPDX-License-Identifier: Apache-2.0
 * html_sanitize.h - remote post HTML (the ActivityPub `content` of Mastodon, Lemmy, Misskey)
 * made safe to embed in our pages: reduced to a small allow-list, or turned into plain text.
 *
 * Allowed: p br a span strong b em i u s del code pre blockquote ul ol li. Other tags are removed
 * and their text kept, except script style iframe object template noscript svg math textarea
 * title head, whose content goes with them up to the first matching end tag (to the end of the
 * input when unclosed). embed is a void element in HTML, so only the tag itself is removed.
 * Attributes: href on <a> when it is http(s), and class on <a> and <span> filtered to mention
 * hashtag u-url h-card invisible ellipsis; nothing else. Both functions first drop NUL bytes and
 * replace every byte that is not part of valid UTF-8 with U+FFFD, so their output is always valid
 * UTF-8. */
#ifndef GEMEINDE_HTML_SANITIZE_H
#define GEMEINDE_HTML_SANITIZE_H

#include <stddef.h>

#include "gemeinde/err.h"

#define GM_SANITIZE_MAX_IN (256 * 1024)

/* Sanitize remote HTML to the allow-list above. GM_OK: *out is a new NUL-terminated string
 * (yours to free), *out_len its length (out_len may be NULL). GM_EINVAL for a NULL html or out,
 * GM_ETOOBIG if `len` > GM_SANITIZE_MAX_IN, GM_ENOMEM. Nothing is written on failure.
 * The output is well-formed: every allowed element opened is closed, nesting is at most 32
 * deep, text has < and > escaped and & kept only where it starts a character reference.
 * An href is kept only if, with character references decoded and all ASCII whitespace and
 * control characters removed, it starts with http:// or https:// (any case); what is written is
 * exactly that checked string, escaped. Links get rel="nofollow noopener noreferrer ugc".
 * A self-closing allowed element (<p/>) becomes an empty one (<p></p>). */
gm_err gm_html_sanitize(const char *html, size_t len, char **out, size_t *out_len);

/* Plain text of remote HTML: tags dropped (with the content of the dropped elements above), <br>
 * and </p> as one space, the common named character references (amp lt gt quot apos nbsp
 * hellip mdash ndash lsquo rsquo ldquo rdquo laquo raquo copy) and all numeric ones decoded,
 * runs of ASCII whitespace collapsed to one space, no space at either end. If longer than
 * `max_bytes`, cut at a UTF-8 character boundary to at most `max_bytes` bytes, trailing spaces
 * removed, and "…" (3 more bytes) appended. html NULL counts as empty.
 * Returns a new string (yours to free), NULL on ENOMEM. The result is NOT escaped: callers
 * escape it for their context. */
char *gm_html_to_text(const char *html, size_t len, size_t max_bytes);

#endif
