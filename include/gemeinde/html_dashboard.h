/* SPDX-License-Identifier: Apache-2.0
 * html_dashboard.h - the pages of the admin dashboard (/admin/...): the login form, the list of
 * communities and a community's dashboard (figures, server-rendered SVG charts, unanswered
 * posts, the pending/report/held queues and the moderation log). Self-contained HTML: inline
 * CSS, no scripts, no external resources; every remote text is escaped, and only http(s) URLs
 * become links. */
#ifndef GEMEINDE_HTML_DASHBOARD_H
#define GEMEINDE_HTML_DASHBOARD_H

#include <jansson.h>
#include <stddef.h>

#include "gemeinde/err.h"
#include "gemeinde/modlog.h"

struct gm_community;

struct gm_dashboard {
    const struct gm_community *c;
    const char *host;      /* the node's host, for the handle */
    json_t *report;        /* gm_stats_report with daily entries */
    json_t *pending;       /* gm_ckv_page of GM_CKV_PENDING */
    json_t *reports;       /* open reports: gm_report_list (reports.h) */
    json_t *held;          /* gm_ckv_page of GM_CKV_HELD */
    struct gm_modlog_entry **log; /* newest first */
    size_t n_log;
};

/* All borrowed. GM_OK: *html is a new string of *len bytes. */
gm_err gm_html_dashboard(const struct gm_dashboard *d, char **html, size_t *len);
/* The login form; `next` (a path under /admin/, or NULL) is where a login goes; `message`
 * (may be NULL) is shown above the form. */
gm_err gm_html_login(const char *next, const char *message, char **html, size_t *len);
/* The list of communities with links to their dashboards. */
gm_err gm_html_admin_index(char *const *names, size_t n, char **html, size_t *len);

#endif
