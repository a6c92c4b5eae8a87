// Small helpers shared by the benchmark's C programs.
#pragma once
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline int64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// Wall clock, so that times written by different processes (publisher, observers) compare.
static inline int64_t wall_ns(void) { return now_ns(CLOCK_REALTIME); }
static inline int64_t mono_ns(void) { return now_ns(CLOCK_MONOTONIC); }

static inline void die(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "fatal: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    exit(2);
}

// Writes `text` to `path` atomically (temporary file + rename), so that a poller never reads half a file.
static inline void write_file_atomic(const char *path, const char *text) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) die("cannot write %s: %s", tmp, strerror(errno));
    fputs(text, f);
    fclose(f);
    if (rename(tmp, path) != 0) die("cannot rename %s: %s", tmp, strerror(errno));
}

// "--name value" options.
static inline const char *opt(int argc, char **argv, const char *name, const char *fallback) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

static inline long long opt_ll(int argc, char **argv, const char *name, long long fallback) {
    const char *v = opt(argc, argv, name, NULL);
    return v ? atoll(v) : fallback;
}

static inline int has_flag(int argc, char **argv, const char *name) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

// The topic filters every subscriber uses: the same as the gateway's benchmark configuration.
static const char *const SUBSCRIPTIONS[] = {
    "application/+/device/+/event/+", "zigbee2mqtt/#", "tele/+/+", "shellies-gen2/#", "bench/probe/+",
};
#define SUBSCRIPTION_COUNT 5
