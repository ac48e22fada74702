/* SPDX-License-Identifier: Apache-2.0
 * svg_chart.h - server-rendered SVG bar and line charts for the admin dashboard: one inline
 * <svg> element per chart, no script, no external resources, colours from CSS classes (the page
 * inlines gm_svg_chart_css or its own rules for the same classes). */
#ifndef GEMEINDE_SVG_CHART_H
#define GEMEINDE_SVG_CHART_H

#include <stddef.h>

#include "gemeinde/buf.h"
#include "gemeinde/err.h"

#define GM_SVG_MAX_POINTS 3660
#define GM_SVG_MAX_SERIES 4

enum gm_svg_kind { GM_SVG_BARS, GM_SVG_LINE };

struct gm_svg_series {
    const char *name;     /* legend text, e.g. "members gained" (escaped); NULL = "" */
    const double *values; /* n values; NAN or +-inf = no data (a gap in a line, no bar) */
    enum gm_svg_kind kind;
    const char *css_class; /* e.g. "s1", coloured by the stylesheet; [a-z0-9-]{1,32}, else
                              (or NULL) the default "s<index + 1>" */
};

struct gm_svg_chart {
    const char *id;            /* element id, [a-z0-9-]{1,64} (e.g. "chart-members") */
    const char *title;         /* <title> and aria-label, escaped */
    const char *const *labels; /* n x-axis labels or NULL; a few are drawn, all go in tooltips */
    size_t n;                  /* points per series, 0..GM_SVG_MAX_POINTS */
    const struct gm_svg_series *series;
    size_t n_series;  /* 1..GM_SVG_MAX_SERIES */
    const char *unit; /* y-axis unit suffix ("", "h", "min"), escaped; NULL = "" */
};

/* Append the chart to `b` as one inline <svg> element (viewBox 400x220, width 100%): a legend,
 * a y-axis from 0 with 3 to 5 ticks, a few x labels, bars (side by side when several bar
 * series) and lines (<polyline>, split at gaps; a point without neighbours is a circle). Each
 * bar and point has a <title> tooltip "label: value<unit>".
 * Tick rule: the step is the smallest 1, 2 or 5 x 10^k (at least 1 when every value is a whole
 * number, else at least 0.01) that covers the largest value in at most 4 steps, and there are
 * at least 2 steps: max 7 -> 0,2,4,6,8; max 10 -> 0,5,10; max 1 -> 0,1,2. Ticks from 10000 on
 * are written 5k, 10k; from 10^7 on 5M, 10M.
 * Negative values are drawn at 0 and values above 10^12 at 10^12; tooltips show the value.
 * Without a positive value (all zero, all missing, n == 0) the chart says "no data yet".
 * Numbers have at most 2 decimals and never depend on the locale. Text is escaped, cut to a
 * sensible length, and bytes that are not valid XML characters become U+FFFD.
 * GM_EINVAL (nothing appended): NULL b, c, title, series or values (when n > 0), n_series not
 * in 1..4, n > 3660, a bad id or kind. Otherwise GM_OK or the buffer's error (GM_ETOOBIG,
 * GM_ENOMEM) as gm_buf_take would report it. */
gm_err gm_svg_chart(struct gm_buf *b, const struct gm_svg_chart *c);

/* A default stylesheet for the classes the charts use (series s1..s4, light and dark). */
extern const char gm_svg_chart_css[];

#endif
