// bench-latency: observes when the gateway's latency probes become visible in its SQLite database.
//
//   bench-latency --db gateway.sqlite --expected N --result latency.json --seen seen.txt
//                 [--devices 10] [--interval-us 1000] [--timeout-s 300]
//
// The publisher sends probes `{"seq":S,"sent_ns":T}` on bench/probe/bench-probe-NN; the gateway's configuration maps
// `seq` to the metric `bench_seq` of device bench-probe-NN, so each probe becomes one row of `readings` whose value is
// its sequence number (`readings` is a view over packed `measurements`: this program registers its SQL function). Every --interval-us this program opens one read transaction (a WAL snapshot: exactly what
// the gateway has committed) and reads each probe series' rows newer than the last one it saw (readings are keyed
// (series_id, ts) and a series' receive-timed rows get increasing ts). The first time a sequence number is seen, its
// wall-clock time (CLOCK_REALTIME, as the publisher's) is recorded: publish -> stored (committed and readable).
// Resolution: one polling interval plus one query (~1 ms).
#include "common.h"

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

static volatile sig_atomic_t stop = 0;

// reading_value(readings_blob, series_id): the gateway's `readings` view is built on this SQL function (its Swift
// side is Sources/Storage/Readings/PackedReadings.swift). Entries: LEB128 varint of the series id's increase over the
// previous entry's, then the value as a little-endian double; ascending series ids.
static void reading_value(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    const unsigned char *bytes = sqlite3_value_blob(argv[0]);
    int size = sqlite3_value_bytes(argv[0]);
    int64_t wanted = sqlite3_value_int64(argv[1]), series = 0;
    int offset = 0;
    while (bytes && offset < size) {
        uint64_t delta = 0;
        int shift = 0;
        while (offset < size && shift < 64) {
            unsigned char byte = bytes[offset++];
            delta |= (uint64_t)(byte & 0x7F) << shift;
            if (byte < 0x80) break;
            shift += 7;
        }
        if (offset + 8 > size) break;
        double value;
        memcpy(&value, bytes + offset, 8);  // little-endian host
        offset += 8;
        series += (int64_t)delta;
        if (series == wanted) { sqlite3_result_double(ctx, value); return; }
        if (series > wanted) break;
    }
    sqlite3_result_null(ctx);
}
static void on_signal(int s) { (void)s; stop = 1; }

int main(int argc, char **argv) {
    const char *db_path = opt(argc, argv, "--db", NULL);
    long long expected = opt_ll(argc, argv, "--expected", 0);
    long long devices = opt_ll(argc, argv, "--devices", 10);
    long long interval_us = opt_ll(argc, argv, "--interval-us", 1000);
    long long timeout_s = opt_ll(argc, argv, "--timeout-s", 300);
    const char *result = opt(argc, argv, "--result", NULL);
    const char *seen_path = opt(argc, argv, "--seen", NULL);
    if (!db_path || expected <= 0 || !result || !seen_path) die("usage: see the comment at the top of bench_latency.c");
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    sqlite3 *db;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) die("cannot open %s", db_path);
    sqlite3_busy_timeout(db, 1000);
    sqlite3_create_function(db, "reading_value", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, reading_value, NULL, NULL);
    sqlite3_stmt *find, *rows, *begin, *end;
    if (sqlite3_prepare_v2(db, "SELECT s.id FROM series s JOIN devices d ON d.id = s.device_id "
                               "WHERE d.key LIKE 'bench-probe-%' AND s.metric = 'bench_seq' ORDER BY s.id", -1, &find, NULL) ||
        sqlite3_prepare_v2(db, "SELECT ts, value FROM readings WHERE series_id = ?1 AND ts > ?2 ORDER BY ts", -1, &rows, NULL) ||
        sqlite3_prepare_v2(db, "BEGIN", -1, &begin, NULL) || sqlite3_prepare_v2(db, "COMMIT", -1, &end, NULL))
        die("prepare: %s", sqlite3_errmsg(db));

    int64_t *seen = calloc((size_t)expected, sizeof(int64_t));
    int64_t series[64], last_ts[64];
    int series_count = 0;
    long long seen_count = 0, polls = 0, out_of_range = 0;
    int64_t started = mono_ns(), deadline = started + timeout_s * 1000000000LL, next_find = 0;
    while (!stop && seen_count < expected && mono_ns() < deadline) {
        sqlite3_step(begin);
        sqlite3_reset(begin);
        if (series_count < devices && mono_ns() >= next_find) {
            // Series are created with their first reading; look again until every probe device has one.
            series_count = 0;
            while (sqlite3_step(find) == SQLITE_ROW && series_count < 64) {
                int64_t id = sqlite3_column_int64(find, 0);
                int known = 0;
                for (int i = 0; i < series_count; i++) known |= series[i] == id;
                if (!known) { series[series_count] = id; last_ts[series_count] = -1; series_count++; }
            }
            sqlite3_reset(find);
            next_find = mono_ns() + 5000000;
        }
        for (int i = 0; i < series_count; i++) {
            sqlite3_bind_int64(rows, 1, series[i]);
            sqlite3_bind_int64(rows, 2, last_ts[i]);
            int64_t now = 0;
            while (sqlite3_step(rows) == SQLITE_ROW) {
                if (!now) now = wall_ns();
                last_ts[i] = sqlite3_column_int64(rows, 0);
                long long seq = (long long)sqlite3_column_double(rows, 1);
                if (seq < 0 || seq >= expected) { out_of_range++; continue; }
                if (!seen[seq]) { seen[seq] = now; seen_count++; }
            }
            sqlite3_reset(rows);
        }
        sqlite3_step(end);
        sqlite3_reset(end);
        polls++;
        struct timespec pause = {.tv_sec = 0, .tv_nsec = interval_us * 1000};
        nanosleep(&pause, NULL);
    }
    double seconds = (double)(mono_ns() - started) / 1e9;
    FILE *f = fopen(seen_path, "w");
    if (!f) die("cannot write %s", seen_path);
    for (long long i = 0; i < expected; i++)
        if (seen[i]) fprintf(f, "%lld %lld\n", i, (long long)seen[i]);
    fclose(f);
    char json[512];
    snprintf(json, sizeof json, "{\"seen\": %lld, \"expected\": %lld, \"polls\": %lld, \"mean_poll_us\": %.0f, \"series\": %d, \"out_of_range\": %lld}\n",
             seen_count, expected, polls, polls ? seconds * 1e6 / polls : 0.0, series_count, out_of_range);
    write_file_atomic(result, json);
    sqlite3_close(db);
    return 0;
}
