#ifndef CMICROHTTPD_SHIM_H
#define CMICROHTTPD_SHIM_H

/* Fixed-arity wrappers around libmicrohttpd's variadic functions, which Swift cannot call.
 * Only MicroHTTP imports this module. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

/* Daemon flags: internal polling threads with epoll (poll, then select, where epoll is missing),
 * suspend/resume and an inter-thread channel so resumed connections are processed at once,
 * and dual-stack IPv6 so "::" also accepts IPv4 clients. */
static inline unsigned int cmhd_daemon_flags(int ipv6) {
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
    if (MHD_YES == MHD_is_feature_supported(MHD_FEATURE_EPOLL)) {
        flags |= MHD_USE_EPOLL;
    } else if (MHD_YES == MHD_is_feature_supported(MHD_FEATURE_POLL)) {
        flags |= MHD_USE_POLL;
    }
    if (ipv6) {
        flags |= MHD_USE_DUAL_STACK;
    }
    return flags;
}

/* Result codes of cmhd_start_daemon besides a daemon. */
#define CMHD_START_OK 0
#define CMHD_START_BAD_ADDRESS 1
#define CMHD_START_FAILED 2

/* Whether this libmicrohttpd was built with GnuTLS (HTTPS serving). */
static inline int cmhd_supports_tls(void) {
    return MHD_YES == MHD_is_feature_supported(MHD_FEATURE_TLS);
}

/* Starts a daemon bound to the numeric address `host` (IPv4, or IPv6 when `ipv6` is set).
 * MHD binds inside MHD_start_daemon, so the address may live on this stack frame.
 * With `tls_cert` and `tls_key` (PEM text, NUL-terminated, kept alive by the caller until the
 * daemon stops) it serves HTTPS through libmicrohttpd's GnuTLS support; NULL for plain HTTP.
 * `connection_memory` is each connection's pool (MHD_OPTION_CONNECTION_MEMORY_LIMIT). */
static inline struct MHD_Daemon *cmhd_start_daemon(
    const char *host, int ipv6, uint16_t port,
    MHD_AccessHandlerCallback handler, void *handler_cls,
    MHD_RequestCompletedCallback completed, void *completed_cls,
    unsigned int pool_size, unsigned int timeout_seconds, unsigned int connection_limit,
    size_t connection_memory, const char *tls_cert, const char *tls_key,
    int *result)
{
    int tls = (NULL != tls_cert && NULL != tls_key);
    struct MHD_OptionItem tls_options[] = {
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    const struct sockaddr *address;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (ipv6) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        if (1 != inet_pton(AF_INET6, host, &v6.sin6_addr)) {
            *result = CMHD_START_BAD_ADDRESS;
            return NULL;
        }
        address = (const struct sockaddr *)&v6;
    } else {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        if (1 != inet_pton(AF_INET, host, &v4.sin_addr)) {
            *result = CMHD_START_BAD_ADDRESS;
            return NULL;
        }
        address = (const struct sockaddr *)&v4;
    }
    struct MHD_Daemon *daemon = MHD_start_daemon(
        cmhd_daemon_flags(ipv6) | (tls ? MHD_USE_TLS : 0), port, NULL, NULL, handler, handler_cls,
        MHD_OPTION_SOCK_ADDR, address,
        MHD_OPTION_ARRAY, tls_options,
        MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
        MHD_OPTION_THREAD_POOL_SIZE, pool_size,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory,
        MHD_OPTION_END);
    *result = (NULL == daemon) ? CMHD_START_FAILED : CMHD_START_OK;
    return daemon;
}

/* The port the daemon listens on (the one the kernel picked when 0 was asked), or 0. */
static inline uint16_t cmhd_bind_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return (NULL == info) ? 0 : info->port;
}

/* Dotted-quad text of an IPv4 address into `buffer` (at least 16 bytes, NUL-terminated);
 * returns its length. What inet_ntop writes, without its sprintf (a third of the cost of a
 * poll's request head). */
static inline size_t cmhd_format_ipv4(const uint8_t *octets, char *buffer) {
    size_t length = 0;
    for (int index = 0; index < 4; index++) {
        unsigned value = octets[index];
        if (index > 0) buffer[length++] = '.';
        if (value >= 100) buffer[length++] = (char)('0' + value / 100);
        if (value >= 10) buffer[length++] = (char)('0' + value / 10 % 10);
        buffer[length++] = (char)('0' + value % 10);
    }
    buffer[length] = '\0';
    return length;
}

/* Writes the client's numeric address into `buffer` (IPv4-mapped IPv6 as plain IPv4).
 * Returns the length written, or 0 when unknown. */
static inline size_t cmhd_client_address(struct MHD_Connection *connection, char *buffer, size_t size) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (NULL == info || NULL == info->client_addr || size < INET6_ADDRSTRLEN) {
        return 0;
    }
    const struct sockaddr *address = info->client_addr;
    const char *text = NULL;
    if (AF_INET == address->sa_family) {
        return cmhd_format_ipv4((const uint8_t *)&((const struct sockaddr_in *)address)->sin_addr, buffer);
    } else if (AF_INET6 == address->sa_family) {
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *)address)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(v6)) {
            return cmhd_format_ipv4(&v6->s6_addr[12], buffer);
        } else {
            text = inet_ntop(AF_INET6, v6, buffer, (socklen_t)size);
        }
    }
    return (NULL == text) ? 0 : strlen(buffer);
}

/* One name and value of a request as libmicrohttpd holds them (borrowed; a NULL value is empty). */
struct cmhd_value {
    const char *name;
    size_t name_size;
    const char *value;
    size_t value_size;
};

struct cmhd_value_list {
    struct cmhd_value *items;
    size_t capacity;
    size_t count;
};

static enum MHD_Result cmhd_keep_value(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                       const char *value, size_t value_size) {
    (void)kind;
    struct cmhd_value_list *list = cls;
    if (list->count < list->capacity) {
        struct cmhd_value *item = &list->items[list->count];
        item->name = key;
        item->name_size = (NULL == key) ? 0 : key_size;
        item->value = value;
        item->value_size = (NULL == value) ? 0 : value_size;
    }
    list->count++;
    return MHD_YES;
}

/* Writes up to `capacity` of the request's values of `kind` (headers, query parameters) into
 * `items`, in order, and returns how many there are (more than `capacity` when they did not all
 * fit): one call instead of a callback into Swift per value. */
static inline size_t cmhd_values(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                                 struct cmhd_value *items, size_t capacity) {
    struct cmhd_value_list list = {items, capacity, 0};
    MHD_get_connection_values_n(connection, kind, cmhd_keep_value, &list);
    return list.count;
}

/* glibc declares it only under _GNU_SOURCE, which the system module is built without. */
extern int sched_getcpu(void);

/* The CPU the calling thread runs on (0 when unknown). */
static inline int cmhd_current_cpu(void) {
    int cpu = sched_getcpu();
    return cpu < 0 ? 0 : cpu;
}

/* Relaxed atomic add and load on one share of a per-CPU count (MicroHTTP's `PerCPUCounter`):
 * Swift's Atomic cannot live in memory laid out by hand. */
static inline void cmhd_atomic_add(long *counter, long value) {
    __atomic_fetch_add(counter, value, __ATOMIC_RELAXED);
}

static inline long cmhd_atomic_load(const long *counter) {
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

#endif
