/* SPDX-License-Identifier: Apache-2.0
 * test_html_sanitize.c - the remote HTML sanitizer and plain-text extractor: allowed and
 * removed elements, attribute filtering, href schemes (with entity, whitespace and case
 * obfuscation), dropped content, comments and declarations, text escaping, well-formedness and
 * the depth cap, NUL bytes and invalid UTF-8, Mastodon / Lemmy / Misskey markup as sent, and
 * gm_html_to_text's decoding and cutting. Every case is an exact expected string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/html_sanitize.h"
#include "test_util.h"

struct san_case {
    const char *in;
    size_t len; /* sizeof the literal minus its NUL, so embedded NUL bytes count */
    const char *out;
};
#define C(in, out)                                                                                 \
    {                                                                                              \
        in, sizeof(in) - 1, out                                                                    \
    }
#define REL " rel=\"nofollow noopener noreferrer ugc\""

static void run_table(const struct san_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *out = NULL;
        size_t len = 0;
        assert_int_equal(gm_html_sanitize(cases[i].in, cases[i].len, &out, &len), GM_OK);
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("case %zu: input   [%s]\n  got      [%s]\n  expected [%s]", i, cases[i].in,
                     out, cases[i].out);
        assert_int_equal(len, strlen(out));
        free(out);
    }
}
#define RUN(t) run_table(t, TU_ARRAY_LEN(t))

static void allowed_elements(void **state)
{
    static const struct san_case t[] = {
        C("", ""),
        C("plain", "plain"),
        C("<p>a</p>", "<p>a</p>"),
        C("a<br>b<br/>c<BR >d", "a<br>b<br>c<br>d"),
        C("<strong>1</strong><b>2</b><em>3</em><i>4</i><u>5</u><s>6</s><del>7</del>",
          "<strong>1</strong><b>2</b><em>3</em><i>4</i><u>5</u><s>6</s><del>7</del>"),
        C("<pre><code>x  y\n z</code></pre>", "<pre><code>x  y\n z</code></pre>"),
        C("<blockquote><p>q</p></blockquote>", "<blockquote><p>q</p></blockquote>"),
        C("<ul><li>1</li></ul><ol><li>2</li></ol>", "<ul><li>1</li></ul><ol><li>2</li></ol>"),
        C("<span>s</span>", "<span>s</span>"),
        C("<a>no href</a>", "<a>no href</a>"),
        C("<P>up</P><StRoNg>x</sTrOnG>", "<p>up</p><strong>x</strong>"),
        /* removed elements keep their text */
        C("<h1>Title</h1><div>d</div><img src=x>t", "Titledt"),
        C("<table><tr><td>c</td></tr></table>", "c"),
        C("<font color=red>red</font>", "red"),
        C("<embed src=x>after", "after"),
        /* self-closing */
        C("<p/>x", "<p></p>x"),
        C("<span />x", "<span></span>x"),
        C("<div/>x", "x"),
    };
    RUN(t);
}

static void dropped_content(void **state)
{
    static const struct san_case t[] = {
        C("a<script>alert(1)</script>b", "ab"),
        C("a<SCRIPT type=\"text/javascript\">x</ScRiPt >b", "ab"),
        C("a<script>if (a<b) document.write('</p>')</script>b", "ab"),
        C("a<script>never closed <p>text</p>", "a"),
        C("a<style>p{color:red}</style>b", "ab"),
        C("a<style>body{background:url(javascript:x)}", "a"),
        C("a<iframe src=\"https://evil.example\">fallback</iframe>b", "ab"),
        C("a<object data=x><param name=y>inner</object>b", "ab"),
        C("a<template><p>t</p></template>b", "ab"),
        C("a<noscript><p>n</p></noscript>b", "ab"),
        C("a<svg onload=alert(1)><text>t</text></svg>b", "ab"),
        C("a<svg><svg></svg>after the first end</svg>b", "aafter the first endb"),
        C("a<svg/>b", "ab"),
        C("a<math><mi>x</mi></math>b", "ab"),
        C("a<textarea><script>alert(1)</script></textarea>b", "ab"),
        C("a<title>t</title>b", "ab"),
        C("<head><title>t</title></head>body", "body"),
        C("a<scriptx>kept</scriptx>b", "akeptb"),
        C("a<script>x</scriptx>y</script>b", "ab"),
    };
    RUN(t);
}

static void attributes(void **state)
{
    static const struct san_case t[] = {
        C("<p onclick=\"alert(1)\">x</p>", "<p>x</p>"),
        C("<p class=\"mention\" style=\"x\" id=y>x</p>", "<p>x</p>"),
        C("<span class=\"h-card\" translate=\"no\">x</span>", "<span class=\"h-card\">x</span>"),
        C("<span class=\"evil invisible  big ellipsis\">x</span>",
          "<span class=\"invisible ellipsis\">x</span>"),
        C("<span class=\"evil\">x</span>", "<span>x</span>"),
        C("<span class>x</span>", "<span>x</span>"),
        C("<span class=Mention>x</span>", "<span>x</span>"),
        C("<span class='hashtag'>x</span>", "<span class=\"hashtag\">x</span>"),
        C("<span class=&#109;ention>x</span>", "<span class=\"mention\">x</span>"),
        C("<a href=\"https://x.example/\" class=\"mention hashtag\" target=_blank>x</a>",
          "<a href=\"https://x.example/\" class=\"mention hashtag\"" REL ">x</a>"),
        C("<a class=mention href=https://x.example/>x</a>",
          "<a href=\"https://x.example/\" class=\"mention\"" REL ">x</a>"),
        C("<a href='https://x.example/?q=\"a\"&amp;b=<c>'>x</a>",
          "<a href=\"https://x.example/?q=&quot;a&quot;&amp;b=&lt;c&gt;\"" REL ">x</a>"),
        C("<a href=\"https://x.example/it's\">x</a>",
          "<a href=\"https://x.example/it&#39;s\"" REL ">x</a>"),
        C("<a href=\"https://one.example\" href=\"javascript:alert(1)\">x</a>",
          "<a href=\"https://one.example\"" REL ">x</a>"),
        C("<a href=\"javascript:alert(1)\" href=\"https://two.example\">x</a>", "<a>x</a>"),
        C("<a href>x</a>", "<a>x</a>"),
        C("<a href=\"\">x</a>", "<a>x</a>"),
        C("<a href = \"https://x.example\" >x</a>", "<a href=\"https://x.example\"" REL ">x</a>"),
        C("<a\nhref=\"https://x.example\"\n>x</a>", "<a href=\"https://x.example\"" REL ">x</a>"),
        C("<a/href=\"https://x.example\">x</a>", "<a href=\"https://x.example\"" REL ">x</a>"),
        C("<p title=\"a>b\">x</p>", "<p>x</p>"),
        C("<a href=\"https://x.example/?a=1&b=2\">x</a>",
          "<a href=\"https://x.example/?a=1&amp;b=2\"" REL ">x</a>"),
        C("<a href=http://x.example>x</a>", "<a href=\"http://x.example\"" REL ">x</a>"),
        C("<a href=HTTPS://X.EXAMPLE>x</a>", "<a href=\"HTTPS://X.EXAMPLE\"" REL ">x</a>"),
        C("<a href=\"https://x.example/a b\">x</a>",
          "<a href=\"https://x.example/ab\"" REL ">x</a>"),
        C("<a href=\"//evil.example\">x</a>", "<a>x</a>"),
        C("<a href=\"/relative\">x</a>", "<a>x</a>"),
        C("<a href=\"ftp://x.example\">x</a>", "<a>x</a>"),
        C("<a href=\"http:x.example\">x</a>", "<a>x</a>"),
    };
    RUN(t);
}

/* Links that must lose their href, one case per obfuscation. */
static void attack_links(void **state)
{
    static const struct san_case t[] = {
        C("<a href=javascript:alert(1)>x</a>", "<a>x</a>"),
        C("<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>"),
        C("<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "<a>x</a>"),
        C("<a href=\"jav&#9;ascript:alert(1)\">x</a>", "<a>x</a>"),
        C("<a href=\"jav\tascript:alert(1)\">x</a>", "<a>x</a>"),
        C("<a href=\" JAVASCRIPT:alert(1)\">x</a>", "<a>x</a>"),
        C("<a href=\"JaVaScRiPt:alert(1)\">x</a>", "<a>x</a>"),
        C("<a "
          "href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
          "<a>x</a>"),
        C("<a href=\"&#x6A;avascript:alert(1)\">x</a>", "<a>x</a>"),
        C("<a href=\"javascript&colon;alert(1)\">x</a>", "<a>x</a>"),
        C("<a href=\"\x01javascript:alert(1)\">x</a>", "<a>x</a>"),
        C("<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
          "<a>x</a>"),
        C("<a href=\"vbscript:msgbox(1)\">x</a>", "<a>x</a>"),
        C("<a href=\"javascript:alert('http://')\">x</a>", "<a>x</a>"),
        C("<a href=\"https://x.example\" onmouseover=\"alert(1)\">x</a>",
          "<a href=\"https://x.example\"" REL ">x</a>"),
        C("<a onmouseover=alert(1) href=https://x.example>x</a>",
          "<a href=\"https://x.example\"" REL ">x</a>"),
        /* entity and whitespace tricks that still decode to http(s) keep the decoded form */
        C("<a href=\"&#x68;ttps://x.example\">x</a>", "<a href=\"https://x.example\"" REL ">x</a>"),
        C("<a href=\" \n https://x.example \">x</a>", "<a href=\"https://x.example\"" REL ">x</a>"),
        C("<a href=\"ht&#10;tps://x.example\">x</a>", "<a href=\"https://x.example\"" REL ">x</a>"),
    };
    RUN(t);
}

static void attack_markup(void **state)
{
    static const struct san_case t[] = {
        C("<img src=x onerror=alert(1)>", ""),
        C("<IMG SRC=\"javascript:alert(1)\">t", "t"),
        C("<svg onload=alert(1)>", ""),
        C("<svg/onload=alert(1)>after", ""),
        C("<p onclick=alert(1)>x</p>", "<p>x</p>"),
        C("<body onload=alert(1)>x", "x"),
        /* the tag name runs to whitespace, / or >: "scr<script" is an unknown tag */
        C("<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"),
        C("<scr<b>ipt>alert(1)</scr</b>ipt>", "ipt&gt;alert(1)ipt&gt;"),
        C("<<script>alert(1)//<</script>", "&lt;"),
        C("<style>@import 'evil.css';</style>x", "x"),
        C("<iframe src=javascript:alert(1)></iframe>x", "x"),
        C("<div style=\"background:url(javascript:alert(1))\">x</div>", "x"),
        C("<a href=\"https://x", ""),
        C("ok<a href=\"https://x", "ok"),
        C("ok<p class='x", "ok"),
        C("ok<p", "ok"),
        C("ok<p ", "ok"),
        C("ok<a href=", "ok"),
        C("<a href=\"https://x\"<script>alert(1)</script>y</a>",
          "<a href=\"https://x\"" REL ">alert(1)y</a>"),
        C("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""),
        C("<form><button formaction=javascript:alert(1)>x</button></form>", "x"),
        C("<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">x", "x"),
        C("<base href=\"https://evil.example/\">x", "x"),
        C("<link rel=stylesheet href=x>x", "x"),
    };
    RUN(t);
}

static void comments_and_declarations(void **state)
{
    static const struct san_case t[] = {
        C("a<!-- c -->b", "ab"),
        C("a<!-- <script>alert(1)</script> -->b", "ab"),
        C("a<!---->b", "ab"),
        C("a<!-->b", "ab"),
        C("a<!--->b", "ab"),
        C("a<!-- x --!>b", "ab"),
        C("a<!-- x -- y -->b", "ab"),
        C("a<!-- unclosed <p>x</p>", "a"),
        C("<!DOCTYPE html>a", "a"),
        C("<!doctype html><p>a</p>", "<p>a</p>"),
        C("a<![CDATA[<script>alert(1)</script>]]>b", "ab"),
        C("a<![CDATA[never closed", "a"),
        C("a<?xml version=\"1.0\"?>b", "ab"),
        C("a<?php echo 1; ?>b", "ab"),
        C("a</ x>b", "ab"),
        C("a</>b", "ab"),
        C("a<!x>b", "ab"),
    };
    RUN(t);
}

static void text_escaping(void **state)
{
    static const struct san_case t[] = {
        C("a < b", "a &lt; b"),
        C("1<2", "1&lt;2"),
        C("<3 you", "&lt;3 you"),
        C("a > b", "a &gt; b"),
        C("a<", "a&lt;"),
        C("a</", "a&lt;/"),
        C("AT&T", "AT&amp;T"),
        C("fish & chips", "fish &amp; chips"),
        C("&amp; &lt; &nbsp; &eacute; &#39; &#x1F600; &#X1f;",
          "&amp; &lt; &nbsp; &eacute; &#39; &#x1F600; &#X1f;"),
        C("&;", "&amp;;"),
        C("&#;", "&amp;#;"),
        C("&#x;", "&amp;#x;"),
        C("&amp", "&amp;amp"),
        C("&#12345678;", "&amp;#12345678;"),
        C("&1a;", "&amp;1a;"),
        C("say \"hi\" 'there'", "say \"hi\" 'there'"),
        C("Grüße 🎉", "Grüße 🎉"),
        C("<p>&lt;script&gt;</p>", "<p>&lt;script&gt;</p>"),
    };
    RUN(t);
}

static void well_formed(void **state)
{
    static const struct san_case t[] = {
        C("</p>x</b>", "x"),
        C("<p>unclosed", "<p>unclosed</p>"),
        C("<ul><li>a<li>b", "<ul><li>a<li>b</li></li></ul>"),
        C("<p><b>x</p>y</b>", "<p><b>x</b></p>y"),
        C("<blockquote><p><em>x</blockquote>", "<blockquote><p><em>x</em></p></blockquote>"),
        C("<b><i>x</b></i>", "<b><i>x</i></b>"),
        C("x</br>y", "xy"),
        C("<br></br>", "<br>"),
        C("<p>x</div></p>", "<p>x</p>"),
        C("<a href=https://x.example>x", "<a href=\"https://x.example\"" REL ">x</a>"),
        C("<span><span>x</span>", "<span><span>x</span></span>"),
    };
    RUN(t);
}

static void nul_and_utf8(void **state)
{
    static const struct san_case t[] = {
        C("a\0b", "ab"),
        C("<scr\0ipt>alert(1)</script>x", "x"),
        C("<a href=\"java\0script:alert(1)\">x</a>", "<a>x</a>"),
        C("\0", ""),
        C("a\xff-", "a\xEF\xBF\xBD-"),
        C("\xc3", "\xEF\xBF\xBD"),
        C("\xc3\xa9", "\xc3\xa9"),
        C("\xc0\xaf", "\xEF\xBF\xBD\xEF\xBF\xBD"),                 /* overlong '/' */
        C("\xed\xa0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"), /* surrogate */
        C("\xf4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"),
        C("\xe2\x82<b>x</b>", "\xEF\xBF\xBD\xEF\xBF\xBD<b>x</b>"),
        C("<a class=\"men\xfftion\">x</a>", "<a>x</a>"),
    };
    RUN(t);
}

/* Markup exactly as the big implementations send it. */
static void fediverse_markup(void **state)
{
    static const struct san_case t[] = {
        /* Mastodon mention */
        C("<p><span class=\"h-card\" translate=\"no\"><a href=\"https://mastodon.example/@ana\" "
          "class=\"u-url mention\">@<span>ana</span></a></span> hello?</p>",
          "<p><span class=\"h-card\"><a href=\"https://mastodon.example/@ana\" "
          "class=\"u-url mention\"" REL ">@<span>ana</span></a></span> hello?</p>"),
        /* Mastodon hashtag and shortened link */
        C("<p><a href=\"https://mastodon.example/tags/fedi\" class=\"mention hashtag\" "
          "rel=\"tag\">#<span>fedi</span></a> <a href=\"https://example.org/a/very/long/path\" "
          "target=\"_blank\" rel=\"nofollow noopener noreferrer\" translate=\"no\"><span "
          "class=\"invisible\">https://</span><span class=\"ellipsis\">example.org/a/very/"
          "</span><span class=\"invisible\">long/path</span></a></p>",
          "<p><a href=\"https://mastodon.example/tags/fedi\" class=\"mention hashtag\"" REL
          ">#<span>fedi</span></a> <a href=\"https://example.org/a/very/long/path\"" REL
          "><span class=\"invisible\">https://</span><span class=\"ellipsis\">example.org/a/"
          "very/</span><span class=\"invisible\">long/path</span></a></p>"),
        /* Lemmy: markdown rendered to HTML */
        C("<h2>Release notes</h2>\n<p>See <a href=\"https://join-lemmy.org/news\">the news</a> "
          "&amp; <strong>upgrade</strong>.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
          "<p><img src=\"https://lemmy.example/pictrs/image/a.png\" alt=\"a\" title=\"b\" /></p>\n"
          "<pre><code class=\"language-rust\">fn main() {}\n</code></pre>\n",
          "Release notes\n<p>See <a href=\"https://join-lemmy.org/news\"" REL ">the news</a> "
          "&amp; <strong>upgrade</strong>.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
          "<p></p>\n<pre><code>fn main() {}\n</code></pre>\n"),
        /* Lemmy mention of a community and a spoiler block */
        C("<p><a href=\"https://lemmy.example/c/rust\">!rust@lemmy.example</a></p>\n"
          "<details><summary>Spoiler</summary><p>hidden</p></details>",
          "<p><a href=\"https://lemmy.example/c/rust\"" REL ">!rust@lemmy.example</a></p>\n"
          "Spoiler<p>hidden</p>"),
        /* Misskey */
        C("<p><span>hi </span><a href=\"https://misskey.example/@bob\" class=\"u-url mention\">"
          "@bob</a><span><br>:blobcat:</span></p>",
          "<p><span>hi </span><a href=\"https://misskey.example/@bob\" class=\"u-url mention\"" REL
          ">@bob</a><span><br>:blobcat:</span></p>"),
    };
    RUN(t);
}

static void errors_and_caps(void **state)
{
    char *out = (char *)"untouched";
    size_t len = 7;
    assert_int_equal(gm_html_sanitize(NULL, 0, &out, &len), GM_EINVAL);
    assert_int_equal(gm_html_sanitize("x", 1, NULL, &len), GM_EINVAL);
    assert_int_equal(gm_html_sanitize("x", GM_SANITIZE_MAX_IN + 1, &out, &len), GM_ETOOBIG);
    assert_string_equal(out, "untouched");
    assert_int_equal(len, 7);

    /* exactly at the cap, worst-case growth: every byte becomes "&amp;" */
    char *big = malloc(GM_SANITIZE_MAX_IN);
    assert_non_null(big);
    memset(big, '&', GM_SANITIZE_MAX_IN);
    assert_int_equal(gm_html_sanitize(big, GM_SANITIZE_MAX_IN, &out, &len), GM_OK);
    assert_int_equal(len, 5 * (size_t)GM_SANITIZE_MAX_IN);
    assert_int_equal(strlen(out), len);
    free(out);
    /* every byte invalid UTF-8 */
    memset(big, 0xff, GM_SANITIZE_MAX_IN);
    assert_int_equal(gm_html_sanitize(big, GM_SANITIZE_MAX_IN, &out, NULL), GM_OK);
    assert_int_equal(strlen(out), 3 * (size_t)GM_SANITIZE_MAX_IN);
    free(out);
    free(big);

    /* `len` is honoured: bytes past it are not read */
    assert_int_equal(gm_html_sanitize("<b>xy</b>", 4, &out, &len), GM_OK);
    assert_string_equal(out, "<b>x</b>");
    free(out);
}

/* 40 nested spans: 32 are kept; the 8 deeper ones and their end tags go, the text stays. */
static void depth_cap(void **state)
{
    char in[1024] = "", want[1024] = "";
    for (int i = 0; i < 40; i++)
        strcat(in, "<span>");
    strcat(in, "deep");
    for (int i = 0; i < 40; i++)
        strcat(in, "</span>");
    strcat(in, "<p>after</p>");
    for (int i = 0; i < 32; i++)
        strcat(want, "<span>");
    strcat(want, "deep");
    for (int i = 0; i < 32; i++)
        strcat(want, "</span>");
    strcat(want, "<p>after</p>");
    char *out;
    assert_int_equal(gm_html_sanitize(in, strlen(in), &out, NULL), GM_OK);
    assert_string_equal(out, want);
    free(out);

    /* never closed: 32 closers at the end, br still allowed at the bottom */
    in[0] = want[0] = '\0';
    for (int i = 0; i < 40; i++)
        strcat(in, "<b>");
    strcat(in, "x<br>");
    for (int i = 0; i < 32; i++)
        strcat(want, "<b>");
    strcat(want, "x<br>");
    for (int i = 0; i < 32; i++)
        strcat(want, "</b>");
    assert_int_equal(gm_html_sanitize(in, strlen(in), &out, NULL), GM_OK);
    assert_string_equal(out, want);
    free(out);
}

/* Sanitizing sanitized output changes nothing. */
static void idempotent(void **state)
{
    static const struct san_case t[] = {
        C("<p><span class=\"h-card\"><a href=\"https://m.example/@a\" class=\"u-url mention\">"
          "@<span>a</span></a></span></p>",
          ""),
        C("<a href=\"https://x/?a=1&b='2'\">&nbsp;AT&T <3</a>", ""),
        C("<ul><li><b>x<li>y</ul>\xff<a href=' HTTP://x&#10;y'>", ""),
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(t); i++) {
        char *once, *twice;
        size_t n1, n2;
        assert_int_equal(gm_html_sanitize(t[i].in, t[i].len, &once, &n1), GM_OK);
        assert_int_equal(gm_html_sanitize(once, n1, &twice, &n2), GM_OK);
        assert_string_equal(once, twice);
        free(once);
        free(twice);
    }
}

static const struct {
    const char *in;
    size_t max;
    const char *out;
} text_cases[] = {
    {"", 100, ""},
    {"plain", 100, "plain"},
    {"<p>Hello</p><p>World</p>", 100, "Hello World"},
    {"a<br>b<br/>c", 100, "a b c"},
    {"<p>a</p>\n\n<p>  b  </p>", 100, "a b"},
    {"  lead\t\tand\r\ntrail  ", 100, "lead and trail"},
    {"a<b>b</b>c", 100, "abc"},
    {"x<script>alert(1)</script>y<style>p{}</style>z", 100, "xyz"},
    {"a<!-- hidden -->b", 100, "ab"},
    {"&amp; &lt;b&gt; &quot;q&quot; &apos;s&#39;", 100, "& <b> \"q\" 's'"},
    {"caf&#233; &#x1F600; &hellip;&mdash;&ndash;", 100, "café 😀 …—–"},
    {"a&nbsp;b", 100,
     "a\xC2\xA0"
     "b"},
    {"&lsquo;x&rsquo; &ldquo;y&rdquo; &laquo;z&raquo; &copy;", 100, "‘x’ “y” «z» ©"},
    {"a&#10;&#9;&#32;b", 100, "a b"},
    {"&#0;&#xD800;&#x110000;", 100, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"AT&T &unknown; &", 100, "AT&T &unknown; &"},
    {"1 < 2 > 0", 100, "1 < 2 > 0"},
    {"<p><span class=\"h-card\" translate=\"no\"><a href=\"https://mastodon.example/@ana\" "
     "class=\"u-url mention\">@<span>ana</span></a></span> hello?</p>",
     100, "@ana hello?"},
    /* cutting */
    {"hello world", 11, "hello world"},
    {"hello world", 10, "hello worl…"},
    {"hello world", 6, "hello…"},
    {"hello world", 5, "hello…"},
    {"hello world", 0, "…"},
    {"", 0, ""},
    {"<p>ab</p>   ", 2, "ab"},
    {"Grüße", 3, "Gr…"}, /* ü is 2 bytes at 2..3: not split */
    {"Grüße", 4, "Grü…"},
    {"🎉🎉", 7, "🎉…"}, /* 4-byte characters */
    {"🎉🎉", 3, "…"},
    {"&amp;&amp;&amp;", 2, "&&…"},
    {"a\xff-", 100, "a\xEF\xBF\xBD-"},
};

static void to_text_table(void **state)
{
    for (size_t i = 0; i < TU_ARRAY_LEN(text_cases); i++) {
        char *out = gm_html_to_text(text_cases[i].in, strlen(text_cases[i].in), text_cases[i].max);
        assert_non_null(out);
        if (strcmp(out, text_cases[i].out) != 0)
            fail_msg("case %zu: input [%s] max %zu\n  got      [%s]\n  expected [%s]", i,
                     text_cases[i].in, text_cases[i].max, out, text_cases[i].out);
        free(out);
    }
}

static void to_text_edges(void **state)
{
    char *out = gm_html_to_text(NULL, 5, 10);
    assert_non_null(out);
    assert_string_equal(out, "");
    free(out);
    out = gm_html_to_text("a\0b<p>c", 7, 100);
    assert_string_equal(out, "abc");
    free(out);
    out = gm_html_to_text("abcdef", 3, 100); /* only `len` bytes */
    assert_string_equal(out, "abc");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allowed_elements), cmocka_unit_test(dropped_content),
        cmocka_unit_test(attributes),       cmocka_unit_test(attack_links),
        cmocka_unit_test(attack_markup),    cmocka_unit_test(comments_and_declarations),
        cmocka_unit_test(text_escaping),    cmocka_unit_test(well_formed),
        cmocka_unit_test(nul_and_utf8),     cmocka_unit_test(fediverse_markup),
        cmocka_unit_test(errors_and_caps),  cmocka_unit_test(depth_cap),
        cmocka_unit_test(idempotent),       cmocka_unit_test(to_text_table),
        cmocka_unit_test(to_text_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
