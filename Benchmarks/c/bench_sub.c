// bench-sub: the reference subscribers.
//
//   bench-sub --mode count  --port P --client-id ID --qos Q --expected N --ready FILE --result FILE
//   bench-sub --mode sqlite --port P --client-id ID --qos Q --expected N --ready FILE --result FILE --db PATH
//   bench-sub --clear --port P --client-id ID          (removes the persistent session of ID at the broker)
//
// count:  libmosquitto's network thread calls on_message, which only counts. The broker's limit on this machine.
// sqlite: on_message (network thread) parses one value per message with memmem + strtod and queues
//         (series, receive time, value); a separate writer thread inserts the rows into SQLite (WAL,
//         synchronous=NORMAL, the gateway's `readings` table shape) in transactions of 1,000 rows. The physical
//         limit of the gateway's design: one MQTT thread, one SQLite writer thread.
//
// Both connect with a persistent session (clean_session=false) and subscribe at QoS Q. They stop after N messages
// (all stored, in sqlite mode), or after --idle-ms without a message (QoS 0 may lose some), write the result JSON
// and then wait to be killed, so that the harness can read their /proc counters after the work is done.
#include "common.h"

#include <mosquitto.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

// ---- state shared by the network thread and the main/writer thread
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;    // subscribed, or the last expected message counted
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;  // the writer waits for rows
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;   // the network thread waits for room
static long long expected = 1000000;
static long long received = 0;
static int64_t first_ns = 0, last_ns = 0;  // wall clock: first and last message received
static int subscribed = 0;
static int sqlite_mode = 0;

// Rows waiting for the writer: a ring buffer; the network thread blocks when it is full (back-pressure).
typedef struct { int32_t series; int64_t ts; double value; } Row;
#define RING (1 << 20)
static Row *ring;
static long long ring_head = 0, ring_tail = 0;  // head: next to write; tail: next to read

// ---- topic -> series id, touched only by the network thread
typedef struct { char *topic; int32_t id; } Slot;
#define SLOTS (1 << 15)
static Slot slots[SLOTS];
static int32_t next_series = 1;

static int32_t series_for(const char *topic) {
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = topic; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    for (size_t i = h & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
        if (!slots[i].topic) {
            slots[i].topic = strdup(topic);
            slots[i].id = next_series++;
            return slots[i].id;
        }
        if (strcmp(slots[i].topic, topic) == 0) return slots[i].id;
    }
}

// One value per message, by format: the key a user would pick first for each payload family.
static double parse_value(const char *topic, const char *payload, int len) {
    const char *key;
    switch (topic[0]) {
    case 'a': key = "\"rssi\":"; break;         // ChirpStack v4: rxInfo[0].rssi
    case 'z': key = "\"linkquality\":"; break;  // Zigbee2MQTT
    case 't': key = strstr(payload, "\"PAPP\":") ? "\"PAPP\":" : "\"SINSTS\":"; break;  // Teleinfo
    case 's': key = "\"apower\":"; break;       // Shelly status/switch:0
    default: key = "\"seq\":"; break;           // latency probes
    }
    const char *at = memmem(payload, (size_t)len, key, strlen(key));
    if (!at) return 0.0 / 0.0;
    at += strlen(key);
    if (*at == '"') at++;  // Teleinfo standard sends numbers as strings
    return strtod(at, NULL);
}

static void on_connect(struct mosquitto *mosq, void *u, int rc) {
    (void)u;
    if (rc != 0) die("broker refused the connection (%d)", rc);
    int qos = *(int *)mosquitto_userdata(mosq);
    char *const *topics = (char *const *)SUBSCRIPTIONS;
    int r = mosquitto_subscribe_multiple(mosq, NULL, SUBSCRIPTION_COUNT, topics, qos, 0, NULL);
    if (r != MOSQ_ERR_SUCCESS) die("subscribe: %s", mosquitto_strerror(r));
}

static void on_subscribe(struct mosquitto *m, void *u, int mid, int count, const int *granted) {
    (void)m; (void)u; (void)mid; (void)count; (void)granted;
    pthread_mutex_lock(&lock);
    subscribed = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void on_message(struct mosquitto *m, void *u, const struct mosquitto_message *msg) {
    (void)m; (void)u;
    int64_t now = wall_ns();
    if (sqlite_mode) {
        // libmosquitto NUL-terminates payloads.
        Row row = {series_for(msg->topic), now / 1000000, parse_value(msg->topic, msg->payload, msg->payloadlen)};
        pthread_mutex_lock(&lock);
        while (ring_head - ring_tail >= RING) pthread_cond_wait(&not_full, &lock);
        ring[ring_head % RING] = row;
        // Wake the writer only when the queue goes from empty to non-empty: it then takes everything there is.
        if (ring_head++ == ring_tail) pthread_cond_signal(&not_empty);
    } else {
        pthread_mutex_lock(&lock);
    }
    if (received++ == 0) first_ns = now;
    last_ns = now;
    if (received == expected) pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void sql(sqlite3 *db, const char *text) {
    char *error = NULL;
    if (sqlite3_exec(db, text, NULL, NULL, &error) != SQLITE_OK) die("sqlite: %s: %s", text, error);
}

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

int main(int argc, char **argv) {
    const char *host = opt(argc, argv, "--host", "127.0.0.1");
    int port = (int)opt_ll(argc, argv, "--port", 1883);
    const char *client_id = opt(argc, argv, "--client-id", "bench-sub");
    int qos = (int)opt_ll(argc, argv, "--qos", 1);
    const char *mode = opt(argc, argv, "--mode", "count");
    expected = opt_ll(argc, argv, "--expected", 1000000);
    long long idle_ms = opt_ll(argc, argv, "--idle-ms", 5000);
    long long timeout_s = opt_ll(argc, argv, "--timeout-s", 900);
    long long batch = opt_ll(argc, argv, "--batch", 1000);
    const char *ready = opt(argc, argv, "--ready", NULL);
    const char *result = opt(argc, argv, "--result", NULL);
    const char *db_path = opt(argc, argv, "--db", NULL);
    sqlite_mode = strcmp(mode, "sqlite") == 0;

    mosquitto_lib_init();
    if (has_flag(argc, argv, "--clear")) {
        // Connecting with clean_session=true under the same client id discards the persistent session.
        struct mosquitto *mosq = mosquitto_new(client_id, true, NULL);
        if (!mosq || mosquitto_connect(mosq, host, port, 10) != MOSQ_ERR_SUCCESS) die("cannot connect to clear %s", client_id);
        for (int i = 0; i < 5; i++) mosquitto_loop(mosq, 50, 1);
        mosquitto_disconnect(mosq);
        mosquitto_loop(mosq, 50, 1);
        mosquitto_destroy(mosq);
        return 0;
    }
    if (!ready || !result || (sqlite_mode && !db_path)) die("usage: see the comment at the top of bench_sub.c");

    sqlite3 *db = NULL;
    sqlite3_stmt *insert = NULL;
    if (sqlite_mode) {
        ring = malloc(sizeof(Row) * RING);
        if (sqlite3_open(db_path, &db) != SQLITE_OK) die("cannot open %s", db_path);
        sql(db, "PRAGMA journal_mode=WAL");
        sql(db, "PRAGMA synchronous=NORMAL");
        sql(db, "CREATE TABLE IF NOT EXISTS readings (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, "
                "PRIMARY KEY (series_id, ts)) WITHOUT ROWID");
        if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO readings (series_id, ts, value) VALUES (?, ?, ?)", -1, &insert, NULL) != SQLITE_OK)
            die("prepare: %s", sqlite3_errmsg(db));
    }

    static int qos_storage;
    qos_storage = qos;
    struct mosquitto *mosq = mosquitto_new(client_id, false, &qos_storage);  // persistent session
    if (!mosq) die("mosquitto_new failed");
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_subscribe_callback_set(mosq, on_subscribe);
    mosquitto_message_callback_set(mosq, on_message);
    if (mosquitto_connect(mosq, host, port, 60) != MOSQ_ERR_SUCCESS) die("cannot connect to %s:%d", host, port);
    if (mosquitto_loop_start(mosq) != MOSQ_ERR_SUCCESS) die("cannot start the network thread");

    int64_t deadline = mono_ns() + timeout_s * 1000000000LL;
    pthread_mutex_lock(&lock);
    while (!subscribed) {
        struct timespec ts = {.tv_sec = time(NULL) + 1};
        pthread_cond_timedwait(&changed, &lock, &ts);
        if (mono_ns() > deadline) die("timed out subscribing");
    }
    pthread_mutex_unlock(&lock);
    write_file_atomic(ready, "ready\n");

    // The main thread is the writer (sqlite mode) or the watcher (count mode).
    long long stored = 0, in_transaction = 0, commits = 0;
    int64_t last_stored_ns = 0;
    Row *batch_rows = malloc(sizeof(Row) * (size_t)batch);
    for (;;) {
        pthread_mutex_lock(&lock);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        if (sqlite_mode ? ring_head == ring_tail : received < expected)
            pthread_cond_timedwait(sqlite_mode ? &not_empty : &changed, &lock, &ts);
        long long n = 0;
        if (sqlite_mode) {
            int was_full = ring_head - ring_tail >= RING;
            while (ring_tail < ring_head && n < batch - in_transaction) batch_rows[n++] = ring[ring_tail++ % RING];
            if (n && was_full) pthread_cond_signal(&not_full);
        }
        long long got = received;
        int64_t last = last_ns;
        pthread_mutex_unlock(&lock);

        for (long long i = 0; i < n; i++) {
            if (in_transaction == 0) sql(db, "BEGIN");
            sqlite3_bind_int(insert, 1, batch_rows[i].series);
            sqlite3_bind_int64(insert, 2, batch_rows[i].ts);
            sqlite3_bind_double(insert, 3, batch_rows[i].value);
            if (sqlite3_step(insert) != SQLITE_DONE) die("insert: %s", sqlite3_errmsg(db));
            sqlite3_reset(insert);
            in_transaction++;
        }
        stored += n;
        int idle = got > 0 && wall_ns() - last > idle_ms * 1000000LL;
        // Commit every `batch` rows; commit the tail at the end, or when the queue has been empty for 50 ms.
        if (in_transaction && (in_transaction >= batch || stored >= expected || n == 0)) {
            sql(db, "COMMIT");
            commits++;
            in_transaction = 0;
            last_stored_ns = wall_ns();
        }
        if (!sqlite_mode && got > 0) last_stored_ns = last;
        if ((sqlite_mode ? stored : got) >= expected || (idle && n == 0 && in_transaction == 0)) break;
        if (mono_ns() > deadline) {
            fprintf(stderr, "bench-sub: timed out with %lld of %lld messages\n", got, expected);
            break;
        }
    }
    long long rows = -1, db_bytes = 0;
    if (sqlite_mode) {
        sqlite3_stmt *count;
        sqlite3_prepare_v2(db, "SELECT count(*) FROM readings", -1, &count, NULL);
        if (sqlite3_step(count) == SQLITE_ROW) rows = sqlite3_column_int64(count, 0);
        sqlite3_finalize(count);
        char wal[4096];
        snprintf(wal, sizeof wal, "%s-wal", db_path);
        db_bytes = file_size(db_path) + file_size(wal);
    }
    pthread_mutex_lock(&lock);
    char json[1024];
    snprintf(json, sizeof json,
             "{\"received\": %lld, \"stored\": %lld, \"rows\": %lld, \"commits\": %lld, \"first_message_ns\": %lld, "
             "\"last_message_ns\": %lld, \"last_stored_ns\": %lld, \"db_bytes\": %lld}\n",
             received, sqlite_mode ? stored : received, rows, commits, (long long)first_ns, (long long)last_ns,
             (long long)last_stored_ns, db_bytes);
    pthread_mutex_unlock(&lock);
    write_file_atomic(result, json);
    // Stay alive (idle) until the harness has read /proc and sends SIGTERM.
    mosquitto_disconnect(mosq);
    for (int i = 0; i < 600; i++) sleep(1);
    return 0;
}
