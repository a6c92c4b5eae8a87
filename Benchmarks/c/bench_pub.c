// bench-pub: replays the benchmark's message file to a broker, at full speed or paced, at QoS 0 or 1.
//
//   bench-pub --port P --file messages.bin --qos 1 --result pub.json
//             [--host 127.0.0.1] [--count N] [--rate MSG_PER_S] [--window 1000] [--timeout-s 600]
//             [--probe-every K --probe-after SLOTS --probe-devices 10 --probe-log probes.txt]
//
// One libmosquitto client without a network thread: every publish is written to the socket at once, and the loop is
// run between publishes to read PUBACKs. At QoS 1 at most `window` messages are unacknowledged (the broker's
// back-pressure); at QoS 0 the publisher waits while the socket's send buffer is full (TCP back-pressure). Either way
// nothing piles up in the publisher's memory and "published" means "handed to the broker".
//
// Latency probes: with --probe-every K, every K-th message slot is a probe instead of the next message of the file:
// topic bench/probe/bench-probe-NN, payload {"seq":S,"sent_ns":T,"alarm":A}, T the wall-clock time (CLOCK_REALTIME) taken just
// before the publish; --probe-after skips the first SLOTS slots (a warm-up without probes). The (seq, sent_ns) pairs
// are written to --probe-log. When --count asks for more slots than the file has, the file is replayed from its
// start again (the gateway then counts the repeats of timed readings as duplicates).
#include "common.h"

#include <fcntl.h>
#include <mosquitto.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile int connected = 0;
static volatile int connect_rc = -1;
static long long acked = 0;

static void on_connect(struct mosquitto *m, void *u, int rc) {
    (void)m; (void)u;
    connect_rc = rc;
    connected = rc == 0;
}

static void on_publish(struct mosquitto *m, void *u, int mid) {
    (void)m; (void)u; (void)mid;
    acked++;
}

static void loop_once(struct mosquitto *mosq, int timeout_ms) {
    int rc = mosquitto_loop(mosq, timeout_ms, 1);
    if (rc != MOSQ_ERR_SUCCESS) die("mosquitto_loop: %s", mosquitto_strerror(rc));
}

static void sleep_until_mono(int64_t target) {
    struct timespec ts = {.tv_sec = target / 1000000000LL, .tv_nsec = target % 1000000000LL};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

int main(int argc, char **argv) {
    const char *host = opt(argc, argv, "--host", "127.0.0.1");
    int port = (int)opt_ll(argc, argv, "--port", 1883);
    const char *file = opt(argc, argv, "--file", NULL);
    int qos = (int)opt_ll(argc, argv, "--qos", 1);
    long long limit = opt_ll(argc, argv, "--count", -1);
    double rate = atof(opt(argc, argv, "--rate", "0"));
    long long window = opt_ll(argc, argv, "--window", 1000);
    long long timeout_s = opt_ll(argc, argv, "--timeout-s", 600);
    long long probe_every = opt_ll(argc, argv, "--probe-every", 0);
    long long probe_devices = opt_ll(argc, argv, "--probe-devices", 10);
    long long probe_after = opt_ll(argc, argv, "--probe-after", 0);
    const char *probe_log = opt(argc, argv, "--probe-log", NULL);
    const char *result = opt(argc, argv, "--result", NULL);
    if (!file || !result) die("usage: bench-pub --port P --file messages.bin --qos 0|1 --result FILE [--count N] [--rate R]");

    int fd = open(file, O_RDONLY);
    if (fd < 0) die("cannot open %s: %s", file, strerror(errno));
    struct stat st;
    fstat(fd, &st);
    const uint8_t *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) die("mmap %s: %s", file, strerror(errno));
    madvise((void *)data, (size_t)st.st_size, MADV_SEQUENTIAL);
    if (st.st_size < 12 || memcmp(data, "PMCMSG01", 8) != 0) die("%s is not a benchmark message file", file);
    uint32_t in_file;
    memcpy(&in_file, data + 8, 4);
    // --count is the number of message slots (file messages + probes).
    long long slots = limit >= 0 ? limit : (long long)in_file;
    long long wraps = 0;

    mosquitto_lib_init();
    char client_id[64];
    snprintf(client_id, sizeof client_id, "bench-pub-%d", (int)getpid());
    struct mosquitto *mosq = mosquitto_new(client_id, true, NULL);
    if (!mosq) die("mosquitto_new failed");
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_publish_callback_set(mosq, on_publish);
    mosquitto_max_inflight_messages_set(mosq, 0);  // the window below limits in-flight messages, not libmosquitto
    int rc = mosquitto_connect(mosq, host, port, 60);
    if (rc != MOSQ_ERR_SUCCESS) die("connect %s:%d: %s", host, port, mosquitto_strerror(rc));
    int64_t deadline = mono_ns() + timeout_s * 1000000000LL;
    while (!connected) {
        loop_once(mosq, 100);
        if (connect_rc > 0) die("broker refused the connection (%d)", connect_rc);
        if (mono_ns() > deadline) die("timed out connecting");
    }

    int64_t *probe_sent = NULL;
    long long probes = 0;
    if (probe_every > 0) probe_sent = calloc((size_t)(slots / probe_every + 1), sizeof(int64_t));
    if (in_file == 0) die("%s has no message", file);

    const uint8_t *cursor = data + 12;
    const uint8_t *end = data + st.st_size;
    long long published = 0, from_file = 0, bytes = 0;
    char topic[1024], probe_payload[128];
    int64_t start_wall = wall_ns(), start_mono = mono_ns();
    int64_t interval = rate > 0 ? (int64_t)(1e9 / rate) : 0;
    for (long long slot = 0; slot < slots; slot++) {
        if (interval) {
            int64_t target = start_mono + slot * interval;
            if (mono_ns() < target) sleep_until_mono(target);
        }
        if (qos > 0) {
            while (published - acked >= window) {
                loop_once(mosq, 10);
                if (mono_ns() > deadline) die("timed out waiting for PUBACKs");
            }
        }
        const void *payload;
        int payload_len;
        if (probe_every > 0 && slot >= probe_after && (slot - probe_after) % probe_every == probe_every - 1) {
            snprintf(topic, sizeof topic, "bench/probe/bench-probe-%02lld", probes % probe_devices);
            int64_t sent = wall_ns();
            // One probe in ten of the first probe device raises the latency run's alert (alarm = seq), the next one
            // clears it: 5 alerts a second at 5,000 msg/s, far more than a commune has, still a steady stream to time.
            long long alarm = probes % probe_devices == 0 && (probes / probe_devices) % 10 == 1 ? probes : 0;
            payload_len = snprintf(probe_payload, sizeof probe_payload, "{\"seq\":%lld,\"sent_ns\":%lld,\"alarm\":%lld}",
                                   probes, (long long)sent, alarm);
            payload = probe_payload;
            probe_sent[probes++] = sent;
        } else {
            if (cursor + 6 > end) {  // file exhausted: replay it from the start
                cursor = data + 12;
                wraps++;
            }
            uint16_t topic_len;
            uint32_t len;
            memcpy(&topic_len, cursor, 2);
            memcpy(&len, cursor + 2, 4);
            cursor += 6;
            memcpy(topic, cursor, topic_len);
            topic[topic_len] = 0;
            payload = cursor + topic_len;
            payload_len = (int)len;
            cursor += topic_len + len;
            from_file++;
        }
        rc = mosquitto_publish(mosq, NULL, topic, payload_len, payload, qos, false);
        if (rc != MOSQ_ERR_SUCCESS) die("publish: %s", mosquitto_strerror(rc));
        published++;
        bytes += payload_len;
        // Read PUBACKs and flush what the socket did not take; at QoS 0 wait while the send buffer is full.
        if (qos > 0 || (published & 63) == 0) loop_once(mosq, 0);
        while (qos == 0 && mosquitto_want_write(mosq)) {
            loop_once(mosq, 10);
            if (mono_ns() > deadline) die("timed out writing to the broker");
        }
        if ((published & 4095) == 0 && mono_ns() > deadline) die("timed out publishing");
    }
    int64_t last_publish_wall = wall_ns();
    while ((qos > 0 && acked < published) || mosquitto_want_write(mosq)) {
        loop_once(mosq, 10);
        if (mono_ns() > deadline) die("timed out waiting for the last PUBACKs (%lld of %lld)", acked, published);
    }
    int64_t done_wall = wall_ns();
    mosquitto_disconnect(mosq);
    mosquitto_loop(mosq, 10, 1);  // flushes the DISCONNECT; "not connected" afterwards is expected
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();

    if (probe_log) {
        FILE *f = fopen(probe_log, "w");
        if (!f) die("cannot write %s", probe_log);
        for (long long i = 0; i < probes; i++) fprintf(f, "%lld %lld\n", i, (long long)probe_sent[i]);
        fclose(f);
    }
    double seconds = (double)(last_publish_wall - start_wall) / 1e9;
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    char json[1024];
    snprintf(json, sizeof json,
             "{\"published\": %lld, \"from_file\": %lld, \"probes\": %lld, \"bytes\": %lld, \"qos\": %d, "
             "\"wraps\": %lld, \"first_publish_ns\": %lld, \"last_publish_ns\": %lld, \"all_acked_ns\": %lld, \"rate\": %.1f, \"cpu_s\": %.2f}\n",
             published, from_file, probes, bytes, qos, wraps, (long long)start_wall, (long long)last_publish_wall,
             (long long)done_wall, seconds > 0 ? published / seconds : 0.0, cpu);
    write_file_atomic(result, json);
    return 0;
}
