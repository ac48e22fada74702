/* SPDX-License-Identifier: Apache-2.0
 * cli_queue.c - `gemeinde queue [--json]`: what the delivery worker has to do (jobs due now,
 * jobs waiting for a retry, the next ones in due order) and what it knows of remote hosts
 * (failing since when, unavailable, signature scheme, software). Read-only. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/cli.h"
#include "gemeinde/hosts.h"
#include "gemeinde/queue.h"
#include "gemeinde/store.h"

#define SHOW_JOBS 50

static const char *scheme_name(enum gm_sig_scheme s)
{
    return s == GM_SIG_RFC9421 ? "rfc9421" : s == GM_SIG_CAVAGE ? "cavage" : "";
}

struct host_list {
    json_t *arr;
    int64_t now;
};

static gm_err add_host(const char *host, const struct gm_host *h, void *arg)
{
    struct host_list *l = arg;
    int unavailable = h->failing_since && l->now - h->failing_since > GM_HOST_UNAVAILABLE_AFTER;
    json_array_append_new(l->arr, json_pack("{s:s, s:s, s:s, s:I, s:b}", "host", host, "software",
                                            h->software, "signature", scheme_name(h->scheme),
                                            "failing_since", (json_int_t)h->failing_since,
                                            "unavailable", unavailable));
    return GM_OK;
}

static json_t *snapshot(struct gm_txn *txn)
{
    struct gm_job **jobs = NULL;
    size_t count = 0, n = 0, due = 0;
    int64_t next = 0, now = (int64_t)time(NULL);
    struct host_list hosts = {json_array(), now};
    if (gm_queue_stat(txn, &count, &next) != GM_OK ||
        gm_queue_peek(txn, SHOW_JOBS, &jobs, &n) != GM_OK ||
        gm_host_each(txn, add_host, &hosts) != GM_OK) {
        gm_jobs_free(jobs, n);
        json_decref(hosts.arr);
        return NULL;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        due += jobs[i]->due <= now;
        json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:i}", "community",
                                              jobs[i]->community, "inbox", jobs[i]->inbox, "due",
                                              (json_int_t)jobs[i]->due, "attempts",
                                              (int)jobs[i]->attempts));
    }
    size_t retrying = 0;
    for (size_t i = 0; i < n; i++)
        retrying += jobs[i]->attempts > 0;
    gm_jobs_free(jobs, n);
    return json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}", "jobs", (json_int_t)count, "due_now",
                     (json_int_t)due, "retrying", (json_int_t)retrying, "next_due",
                     (json_int_t)next, "next_jobs", list, "hosts", hosts.arr);
}

static void print_text(json_t *s)
{
    printf("jobs queued: %lld (due now: %lld, retrying: %lld, of the first %d shown)\n",
           (long long)json_integer_value(json_object_get(s, "jobs")),
           (long long)json_integer_value(json_object_get(s, "due_now")),
           (long long)json_integer_value(json_object_get(s, "retrying")), SHOW_JOBS);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(s, "next_jobs"), i, v)
    {
        time_t due = (time_t)json_integer_value(json_object_get(v, "due"));
        char when[32];
        struct tm tm;
        gmtime_r(&due, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        printf("  %s  %-12s attempts %lld  %s\n", when,
               json_string_value(json_object_get(v, "community")),
               (long long)json_integer_value(json_object_get(v, "attempts")),
               json_string_value(json_object_get(v, "inbox")));
    }
    printf("hosts:\n");
    json_array_foreach(json_object_get(s, "hosts"), i, v)
    {
        json_int_t since = json_integer_value(json_object_get(v, "failing_since"));
        printf("  %-40s %-10s %-8s %s\n", json_string_value(json_object_get(v, "host")),
               json_string_value(json_object_get(v, "software")),
               json_string_value(json_object_get(v, "signature")),
               json_is_true(json_object_get(v, "unavailable")) ? "UNAVAILABLE"
               : since                                          ? "failing"
                                                                : "ok");
    }
}

int gm_cli_queue(const struct gm_config *cfg, int argc, char **argv)
{
    int json = argc == 1 && !strcmp(argv[0], "--json");
    if (argc > 1 || (argc == 1 && !json)) {
        fprintf(stderr, "usage: gemeinde queue [--json]\n");
        return GM_EXIT_USAGE;
    }
    struct gm_store *st;
    struct gm_txn *txn;
    int rc = gm_cli_open_store(cfg, &st);
    if (rc != GM_EXIT_OK)
        return rc;
    json_t *s = NULL;
    if (gm_txn_begin(st, false, &txn) == GM_OK) {
        s = snapshot(txn);
        gm_txn_abort(txn);
    }
    gm_store_close(st);
    if (!s) {
        fprintf(stderr, "gemeinde: cannot read the queue\n");
        return GM_EXIT_FAIL;
    }
    if (json) {
        gm_cli_print_json(s);
    } else {
        print_text(s);
        json_decref(s);
    }
    return GM_EXIT_OK;
}
