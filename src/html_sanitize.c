/* SPDX-License-Identifier: Apache-2.0
 * html_sanitize.c - remote post HTML reduced to a small allow-list, or to plain text. One
 * hand-written tokenizer (struct lexer) feeds both. It works on a cleaned copy of the input (no
 * NUL bytes, valid UTF-8, NUL-terminated), skips comments, doctypes, CDATA, processing
 * instructions and the whole content of script-like elements, and hands back text runs, start
 * tags (with their first href and class values) and end tags. The sanitizer writes every tag
 * from its own table, so nothing it does not know is ever copied through. */
#include "gemeinde/html_sanitize.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gemeinde/buf.h"

#define MAX_DEPTH 32
#define ENTITY_NAME_MAX 32

struct span {
    const char *p;
    size_t n;
};

enum tok_kind { TOK_EOF, TOK_TEXT, TOK_START, TOK_END };

struct token {
    enum tok_kind kind;
    struct span text;      /* TOK_TEXT: raw text; TOK_START / TOK_END: the tag name */
    struct span href, cls; /* first href / class value as written; p == NULL when absent */
    bool self_closing;
};

struct lexer {
    const char *s; /* NUL-terminated, no NUL inside */
    size_t n, i;
};

/* Elements dropped with their content, up to the first matching end tag. */
static const char *const dropped[] = {"script", "style",    "iframe", "textarea",
                                      "title",  "noscript", "object", "template",
                                      "svg",    "math",     "head"};

static const char *const allowed[] = {"p",   "br", "a",  "span", "strong",    "b",
                                      "em",  "i",  "u",  "s",    "del",       "code",
                                      "pre", "ul", "ol", "li",   "blockquote"};
enum { EL_BR = 1, EL_A = 2, EL_SPAN = 3 };

static const char *const classes[] = {"mention", "hashtag",   "u-url",
                                      "h-card",  "invisible", "ellipsis"};

/* The named character references we decode: "name decoded". */
static const char *const named[] = {"amp &",        "lt <",         "gt >",          "quot \"",
                                    "apos '",       "nbsp \u00A0",  "hellip \u2026", "mdash \u2014",
                                    "ndash \u2013", "lsquo \u2018", "rsquo \u2019",  "ldquo \u201C",
                                    "rdquo \u201D", "laquo \u00AB", "raquo \u00BB",  "copy \u00A9"};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Index of `name` in `list` (ASCII case-insensitive), -1 if absent. */
static int find_name(struct span name, const char *const *list, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (strlen(list[k]) == name.n && strncasecmp(name.p, list[k], name.n) == 0)
            return (int)k;
    return -1;
}

static bool span_is(struct span a, const char *name)
{
    return find_name(a, &name, 1) == 0;
}

/* ASCII only, whatever the locale. */
static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_alpha(char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26;
}

static bool is_digit(char c)
{
    return (unsigned)(c - '0') < 10;
}

/* A tag or attribute name ends here. */
static bool ends_name(char c)
{
    return is_ws(c) || c == '/' || c == '>';
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0], lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    size_t len = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (len < 2)
        return len;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    return len;
}

static size_t utf8_put(uint32_t cp, char *out)
{
    static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (size_t k = n - 1; k > 0; k--, cp >>= 6)
        out[k] = (char)(0x80 | (cp & 0x3F));
    out[0] = (char)(lead[n] | cp);
    return n;
}

/* A new copy of `in` without NUL bytes and with every byte that is not part of valid UTF-8
 * replaced by U+FFFD. NULL on ENOMEM. */
static char *clean_input(const char *in, size_t len, size_t *out_len)
{
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(3 * len + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t k = 0; k < len;) {
        size_t u = utf8_len((const unsigned char *)in + k, len - k);
        if (u == 0)
            o += utf8_put(0xFFFD, out + o), k++;
        else if (in[k] == '\0')
            k++;
        else
            memcpy(out + o, in + k, u), o += u, k += u;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* Length of the character reference (&name; &#123; &#x1F;) at p, 0 if p does not start one. */
static size_t entity_len(const char *p, size_t n)
{
    size_t k;
    if (n < 3 || p[0] != '&')
        return 0;
    if (p[1] == '#') {
        bool hex = p[2] == 'x' || p[2] == 'X';
        size_t start = 2 + hex, max = hex ? 6 : 7;
        for (k = start; k < n && k - start < max &&
                        (is_digit(p[k]) || (hex && (unsigned)((p[k] | 0x20) - 'a') < 6));)
            k++;
        if (k == start)
            return 0;
    } else {
        if (!is_alpha(p[1]))
            return 0;
        for (k = 2; k < n && k <= ENTITY_NAME_MAX && (is_alpha(p[k]) || is_digit(p[k]));)
            k++;
    }
    return k < n && p[k] == ';' ? k + 1 : 0;
}

/* Decode the character reference at p into out (at most 4 bytes, *out_n of them). Returns the
 * bytes consumed, 0 when p does not start a numeric or known named one. Never longer than what
 * it consumes. Code point 0, surrogates and values past U+10FFFF decode to U+FFFD. */
static size_t entity_decode(const char *p, size_t n, char out[4], size_t *out_n)
{
    size_t len = entity_len(p, n);
    if (!len)
        return 0;
    if (p[1] == '#') {
        bool hex = (p[2] | 0x20) == 'x';
        unsigned long cp = strtoul(p + 2 + hex, NULL, hex ? 16 : 10); /* digits checked */
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            cp = 0xFFFD;
        *out_n = utf8_put((uint32_t)cp, out);
        return len;
    }
    for (size_t k = 0; k < LEN(named); k++) {
        size_t nlen = strcspn(named[k], " ");
        if (nlen == len - 2 && memcmp(named[k], p + 1, nlen) == 0) {
            *out_n = strlen(named[k] + nlen + 1);
            memcpy(out, named[k] + nlen + 1, *out_n);
            return len;
        }
    }
    return 0;
}

static void skip_ws(struct lexer *lx)
{
    while (lx->i < lx->n && is_ws(lx->s[lx->i]))
        lx->i++;
}

/* The attributes after a tag name, up to and including '>'; records the first href and class
 * (an attribute without value counts as ""). false when the input ends first: the tag is
 * unterminated. Reading s[i + 1] is safe as s[n] is the terminating NUL. */
static bool lex_attrs(struct lexer *lx, struct token *t)
{
    const char *s = lx->s;
    for (;;) {
        skip_ws(lx);
        if (lx->i >= lx->n)
            return false;
        t->self_closing = s[lx->i] == '/' && s[lx->i + 1] == '>';
        lx->i += t->self_closing;
        if (s[lx->i] == '>' || s[lx->i] == '/') { /* a '/' not before '>' is ignored */
            if (s[lx->i++] == '>')
                return true;
            continue;
        }
        struct span name = {s + lx->i++, 1}, val;
        while (lx->i < lx->n && !ends_name(s[lx->i]) && s[lx->i] != '=')
            lx->i++;
        name.n = (size_t)(s + lx->i - name.p);
        skip_ws(lx);
        val = (struct span){s + lx->i, 0};
        if (s[lx->i] == '=') {
            lx->i++;
            skip_ws(lx);
            char q = s[lx->i];
            bool quoted = q == '"' || q == '\'';
            for (val.p = s + (lx->i += quoted); lx->i < lx->n; lx->i++)
                if (quoted ? s[lx->i] == q : is_ws(s[lx->i]) || s[lx->i] == '>')
                    break;
            val.n = (size_t)(s + lx->i - val.p);
            if (quoted && lx->i++ >= lx->n)
                return false; /* unterminated quote */
        }
        if (!t->href.p && span_is(name, "href"))
            t->href = val;
        else if (!t->cls.p && span_is(name, "class"))
            t->cls = val;
    }
}

/* Skip the content of dropped element `name` and its end tag; everything when unclosed. */
static void skip_content(struct lexer *lx, struct span name)
{
    while (lx->i < lx->n) {
        const char *lt = strstr(lx->s + lx->i, "</");
        if (!lt)
            break;
        lx->i = (size_t)(lt - lx->s) + 2;
        if (lx->n - lx->i < name.n || strncasecmp(lx->s + lx->i, name.p, name.n) != 0 ||
            (lx->i + name.n < lx->n && !ends_name(lx->s[lx->i + name.n])))
            continue;
        struct token t = {0};
        lx->i += name.n;
        if (lex_attrs(lx, &t))
            return;
        break;
    }
    lx->i = lx->n;
}

/* Skip a comment, doctype, CDATA section, processing instruction or bogus comment at lx->i. */
static void skip_decl(struct lexer *lx)
{
    const char *p = lx->s + lx->i, *end = NULL;
    if (strncmp(p, "<!--", 4) == 0) {
        p += 4;
        if (*p == '>' || strncmp(p, "->", 2) == 0)
            end = p + 1 + (*p == '-');
        for (const char *d = end ? NULL : strstr(p, "--"); d && !end; d = strstr(d + 1, "--"))
            if (d[2] == '>' || (d[2] == '!' && d[3] == '>'))
                end = d + 3 + (d[2] == '!');
    } else if (strncmp(p, "<![CDATA[", 9) == 0) {
        end = strstr(p + 9, "]]>");
        end = end ? end + 3 : NULL;
    } else {
        end = strchr(p + 2, '>');
        end = end ? end + 1 : NULL;
    }
    lx->i = end ? (size_t)(end - lx->s) : lx->n;
}

/* '<' at j opens markup (tag, end tag, comment, declaration) rather than being text. */
static bool markup_at(const struct lexer *lx, size_t j)
{
    char c = lx->s[j + 1];
    return is_alpha(c) || c == '!' || c == '?' || (c == '/' && j + 2 < lx->n);
}

static void lex_next(struct lexer *lx, struct token *t)
{
    const char *s = lx->s;
    for (;;) {
        memset(t, 0, sizeof *t);
        size_t j = lx->i;
        while (j < lx->n && !(s[j] == '<' && markup_at(lx, j)))
            j++;
        if (j > lx->i || j >= lx->n) {
            t->kind = j > lx->i ? TOK_TEXT : TOK_EOF;
            t->text = (struct span){s + lx->i, j - lx->i};
            lx->i = j;
            return;
        }
        char c = s[j + 1];
        if (c == '!' || c == '?' || (c == '/' && !is_alpha(s[j + 2]))) {
            skip_decl(lx);
            continue;
        }
        size_t k = j + 1 + (c == '/');
        t->text.p = s + k;
        while (k < lx->n && !ends_name(s[k]))
            k++;
        t->text.n = (size_t)(s + k - t->text.p);
        lx->i = k;
        if (!lex_attrs(lx, t)) { /* an unterminated tag takes the rest with it */
            lx->i = lx->n;
            continue;
        }
        t->kind = c == '/' ? TOK_END : TOK_START;
        if (t->kind == TOK_END || find_name(t->text, dropped, LEN(dropped)) < 0)
            return;
        if (!t->self_closing)
            skip_content(lx, t->text);
    }
}

/* Text with < and > escaped and & kept only where it starts a character reference. */
static void put_text(struct gm_buf *b, struct span t)
{
    size_t run = 0;
    for (size_t k = 0; k < t.n; k++) {
        const char *rep;
        if (t.p[k] == '<')
            rep = "&lt;";
        else if (t.p[k] == '>')
            rep = "&gt;";
        else if (t.p[k] == '&' && !entity_len(t.p + k, t.n - k))
            rep = "&amp;";
        else
            continue;
        gm_buf_append(b, t.p + run, k - run);
        gm_buf_puts(b, rep);
        run = k + 1;
    }
    gm_buf_append(b, t.p + run, t.n - run);
}

/* `v` with character references decoded, as a new string; with `strip`, ASCII whitespace and
 * control characters are removed. Decoding never lengthens, so v.n + 1 bytes suffice. NULL and
 * b->err set on ENOMEM. */
static char *attr_decode(struct gm_buf *b, struct span v, bool strip)
{
    char *out = malloc(v.n + 1), enc[4];
    size_t o = 0, en = 0;
    if (!out) {
        b->err = b->err ? b->err : GM_ENOMEM;
        return NULL;
    }
    for (size_t k = 0; k < v.n;) {
        size_t used = v.p[k] == '&' ? entity_decode(v.p + k, v.n - k, enc, &en) : 0;
        const char *src = used ? enc : v.p + k;
        size_t cnt = used ? en : 1;
        k += used ? used : 1;
        for (size_t m = 0; m < cnt; m++)
            if (!strip || ((unsigned char)src[m] > 0x20 && src[m] != 0x7F))
                out[o++] = src[m];
    }
    out[o] = '\0';
    return out;
}

static bool safe_href(const char *h)
{
    return strncasecmp(h, "http://", 7) == 0 || strncasecmp(h, "https://", 8) == 0;
}

/* ` class="..."` with only the allowed class names of `v`, nothing when none is left. */
static void put_classes(struct gm_buf *b, struct span v)
{
    char *dec = attr_decode(b, v, false);
    bool any = false;
    if (!dec)
        return;
    char *save, *tok = strtok_r(dec, " \t\n\r\f", &save);
    for (; tok; tok = strtok_r(NULL, " \t\n\r\f", &save))
        for (size_t k = 0; k < LEN(classes); k++)
            if (strcmp(tok, classes[k]) == 0) {
                gm_buf_puts(b, any ? " " : " class=\"");
                gm_buf_puts(b, classes[k]);
                any = true;
            }
    if (any)
        gm_buf_puts(b, "\"");
    free(dec);
}

static void put_start(struct gm_buf *b, int el, const struct token *t)
{
    bool link = false;
    gm_buf_printf(b, "<%s", allowed[el]);
    if (el == EL_A && t->href.p) {
        char *href = attr_decode(b, t->href, true);
        if (href && (link = safe_href(href))) {
            gm_buf_puts(b, " href=\"");
            gm_buf_put_html(b, href);
            gm_buf_puts(b, "\"");
        }
        free(href);
    }
    if ((el == EL_A || el == EL_SPAN) && t->cls.p)
        put_classes(b, t->cls);
    gm_buf_puts(b, link ? " rel=\"nofollow noopener noreferrer ugc\">" : ">");
}

/* An end tag for `el`: close everything opened after the innermost open `el`, then it. */
static void close_to(struct gm_buf *b, const int *stack, size_t *depth, int el)
{
    size_t k = *depth;
    while (k > 0 && stack[k - 1] != el)
        k--;
    if (k == 0)
        return; /* nothing to close: drop the end tag */
    while (*depth >= k)
        gm_buf_printf(b, "</%s>", allowed[stack[--*depth]]);
}

gm_err gm_html_sanitize(const char *html, size_t len, char **out, size_t *out_len)
{
    if (!html || !out)
        return GM_EINVAL;
    if (len > GM_SANITIZE_MAX_IN)
        return GM_ETOOBIG;
    size_t clen, depth = 0, overflow = 0;
    char *clean = clean_input(html, len, &clen);
    if (!clean)
        return GM_ENOMEM;
    struct gm_buf b;
    struct lexer lx = {clean, clen, 0};
    struct token t;
    int stack[MAX_DEPTH];
    gm_buf_init(&b, 6 * clen + 1024); /* escaping grows text at most 5 times */
    for (lex_next(&lx, &t); t.kind != TOK_EOF; lex_next(&lx, &t)) {
        int el = t.kind == TOK_TEXT ? -1 : find_name(t.text, allowed, LEN(allowed));
        if (t.kind == TOK_TEXT)
            put_text(&b, t.text);
        else if (el == EL_BR)
            gm_buf_puts(&b, t.kind == TOK_START ? "<br>" : "");
        else if (el < 0)
            continue;
        else if (t.kind == TOK_START && depth == MAX_DEPTH)
            overflow += !t.self_closing; /* too deep: tag dropped, text kept */
        else if (t.kind == TOK_START && t.self_closing) {
            put_start(&b, el, &t);
            gm_buf_printf(&b, "</%s>", allowed[el]);
        } else if (t.kind == TOK_START) {
            put_start(&b, el, &t);
            stack[depth++] = el;
        } else if (overflow)
            overflow--; /* the end tag of a dropped deep element */
        else
            close_to(&b, stack, &depth, el);
    }
    while (depth > 0)
        gm_buf_printf(&b, "</%s>", allowed[stack[--depth]]);
    free(clean);
    return gm_buf_take(&b, out, out_len);
}

/* Decoded text into b, whitespace collapsed: `*space` says whitespace was seen since the last
 * text, and becomes one space before the next text. Stops once more than `max` bytes are out. */
static void put_plain(struct gm_buf *b, bool *space, struct span t, size_t max)
{
    char enc[4];
    size_t en = 0, used;
    for (size_t k = 0; k < t.n && b->len <= max; k += used ? used : 1) {
        used = t.p[k] == '&' ? entity_decode(t.p + k, t.n - k, enc, &en) : 0;
        const char *c = used ? enc : t.p + k;
        size_t cn = used ? en : 1;
        if (cn == 1 && is_ws(*c)) {
            *space = true;
            continue;
        }
        if (*space && b->len > 0)
            gm_buf_append(b, " ", 1);
        *space = false;
        gm_buf_append(b, c, cn);
    }
}

char *gm_html_to_text(const char *html, size_t len, size_t max_bytes)
{
    size_t clen;
    char *clean = clean_input(html ? html : "", html ? len : 0, &clen), *out = NULL;
    if (!clean)
        return NULL;
    struct gm_buf b;
    bool space = false;
    struct lexer lx = {clean, clen, 0};
    struct token t;
    gm_buf_init(&b, clen + 16); /* text never outgrows its source, plus the "…" */
    for (lex_next(&lx, &t); t.kind != TOK_EOF && b.len <= max_bytes; lex_next(&lx, &t)) {
        if (t.kind == TOK_TEXT)
            put_plain(&b, &space, t.text, max_bytes);
        else if ((t.kind == TOK_START && span_is(t.text, "br")) ||
                 (t.kind == TOK_END && span_is(t.text, "p")))
            space = true;
    }
    if (b.len > max_bytes) {
        size_t k = max_bytes;
        while (k > 0 && ((unsigned char)b.data[k] & 0xC0) == 0x80)
            k--;
        while (k > 0 && b.data[k - 1] == ' ')
            k--;
        b.len = k;
        gm_buf_append(&b, "\xE2\x80\xA6", 3);
    }
    free(clean);
    return gm_buf_take(&b, &out, NULL) == GM_OK ? out : NULL;
}
