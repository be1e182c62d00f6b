/* bare-mhd: the baseline for scripts/bench. A libmicrohttpd server that answers every request
 * with one fixed body read from a file, with the same threading model as novita-mock
 * (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, MHD_OPTION_THREAD_POOL_SIZE = threads).
 *
 *   bare-mhd PORT BODY_FILE CONTENT_TYPE THREADS [--suspend-resume] [--pool BYTES]
 *
 * PORT 0 lets the kernel pick one. The bound port is printed on stdout as "port=NNNN".
 * --suspend-resume adds the two flags novita-mock also sets (MHD_ALLOW_SUSPEND_RESUME |
 * MHD_USE_ITC), and --pool BYTES sets each connection's memory pool
 * (MHD_OPTION_CONNECTION_MEMORY_LIMIT; libmicrohttpd's default is 32 KiB, novita-mock's 16 KiB):
 * with both, this is a bare server with the mock's settings, to show what they change on their
 * own.
 *
 * The response object is made once (MHD_RESPMEM_PERSISTENT) and queued for every request: the
 * cheapest way libmicrohttpd can answer, which is what a ceiling should be. It follows the
 * usual two-call protocol of the access handler (first call: headers only; second: respond).
 * Runs until SIGINT/SIGTERM. Not part of the product; compiled by scripts/bench into a temp dir. */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct MHD_Response *response;
static volatile sig_atomic_t stop_requested;
static int marker;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)cls; (void)url; (void)method; (void)version; (void)upload_data;
    if (NULL == *con_cls) { /* headers parsed; wait for the (empty) body */
        *con_cls = &marker;
        return MHD_YES;
    }
    if (0 != *upload_data_size) { /* discard any body */
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(connection, MHD_HTTP_OK, response);
}

static void on_signal(int number) { (void)number; stop_requested = 1; }

int main(int argc, char **argv) {
    const char *usage = "usage: %s PORT BODY_FILE CONTENT_TYPE THREADS [--suspend-resume] [--pool BYTES]\n";
    if (argc < 5) {
        fprintf(stderr, usage, argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    unsigned int threads = (unsigned int)atoi(argv[4]);
    if (threads < 1) threads = 1;
    int suspend_resume = 0;
    size_t pool = 0; /* 0: libmicrohttpd's default */
    for (int i = 5; i < argc; i++) {
        if (0 == strcmp(argv[i], "--suspend-resume")) {
            suspend_resume = 1;
        } else if (0 == strcmp(argv[i], "--pool") && i + 1 < argc) {
            pool = (size_t)atol(argv[++i]);
        } else {
            fprintf(stderr, usage, argv[0]);
            return 2;
        }
    }

    FILE *file = fopen(argv[2], "rb");
    if (NULL == file) { perror(argv[2]); return 1; }
    if (0 != fseek(file, 0, SEEK_END)) { perror("fseek"); return 1; }
    long size = ftell(file);
    rewind(file);
    char *body = malloc(size > 0 ? (size_t)size : 1);
    if (NULL == body || (size > 0 && 1 != fread(body, (size_t)size, 1, file))) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 1;
    }
    fclose(file);

    response = MHD_create_response_from_buffer((size_t)size, body, MHD_RESPMEM_PERSISTENT);
    if (NULL == response || MHD_NO == MHD_add_response_header(response, "Content-Type", argv[3])) {
        fprintf(stderr, "cannot make the response\n");
        return 1;
    }

    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (suspend_resume) flags |= MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
    struct MHD_OptionItem pool_option[] = {
        {pool > 0 ? MHD_OPTION_CONNECTION_MEMORY_LIMIT : MHD_OPTION_END, (intptr_t)pool, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *daemon = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
        MHD_OPTION_ARRAY, pool_option,
        MHD_OPTION_END);
    if (NULL == daemon) { fprintf(stderr, "MHD_start_daemon failed on port %d\n", port); return 1; }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    printf("port=%u\n", NULL == info ? 0u : (unsigned int)info->port);
    fflush(stdout);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop_requested) pause();
    MHD_stop_daemon(daemon);
    MHD_destroy_response(response);
    free(body);
    return 0;
}
