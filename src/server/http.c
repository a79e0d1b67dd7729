/* server/http: libmicrohttpd plumbing — the daemon (one thread per connection), routing, API
 * keys (constant-time compare), request bodies with a size limit, and the logging of each
 * answer. Endpoints get a complete body and their connection; nothing here knows the model. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "server/reply.h"
#include "server/server_impl.h"

enum route {
    ROUTE_HEALTH,
    ROUTE_MODELS,
    ROUTE_CHAT,
    ROUTE_COMPLETIONS,
    ROUTE_TOKENIZE,
    ROUTE_DETOKENIZE,
    ROUTE_TEMPLATE,
    ROUTE_METRICS,
};

static const struct {
    const char *path;
    const char *method;
    enum route route;
    int open; /* answered without an API key */
} routes[] = {
    {"/health", "GET", ROUTE_HEALTH, 1},
    {"/v1/health", "GET", ROUTE_HEALTH, 1},
    {"/v1/models", "GET", ROUTE_MODELS, 1},
    {"/models", "GET", ROUTE_MODELS, 1},
    {"/v1/chat/completions", "POST", ROUTE_CHAT, 0},
    {"/chat/completions", "POST", ROUTE_CHAT, 0},
    {"/v1/completions", "POST", ROUTE_COMPLETIONS, 0},
    {"/completions", "POST", ROUTE_COMPLETIONS, 0},
    {"/tokenize", "POST", ROUTE_TOKENIZE, 0},
    {"/detokenize", "POST", ROUTE_DETOKENIZE, 0},
    {"/apply-template", "POST", ROUTE_TEMPLATE, 0},
    {"/metrics", "GET", ROUTE_METRICS, 0},
};

/* One request on a connection (MHD's per-request pointer). */
struct http_req {
    int route;          /* enum route, -1 before routing */
    char *body;
    size_t len, cap;
    int too_large;      /* body past the limit: read and dropped, then 413 */
    double t0;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Queues body (malloc'd; MHD frees it with the response). */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body)
{
    size_t len = strlen(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

enum MHD_Result http_json(struct MHD_Connection *c, unsigned status, char *json)
{
    if (!json) {
        static const char oom[] =
            "{\"error\":{\"code\":500,\"message\":\"out of memory\",\"type\":\"server_error\"}}";
        char *copy = strdup(oom);
        return copy ? queue(c, 500, "application/json", copy) : MHD_NO;
    }
    return queue(c, status, "application/json", json);
}

enum MHD_Result http_error(struct MHD_Connection *c, const struct srv_error *e)
{
    return http_json(c, (unsigned)e->http, reply_error(e));
}

/* A client that closed its socket shows as a hang-up or as end of file; while a request is being
 * answered, a live client sends nothing, so readable data can only be a pipelined request. */
int http_fd_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};
    if (fd < 0)
        return 1;
    if (poll(&p, 1, 0) <= 0)
        return 0;
    if (p.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL))
        return 1;
    /* readable: end of file, or the client's next pipelined request */
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

int http_client_gone(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? http_fd_gone(ci->connect_fd) : 0;
}

/* Constant-time over the offered key: every configured key is compared in full, whatever
 * matches, so timing tells nothing of how close a guess came. */
static int key_ok(const struct server *s, const char *offered)
{
    size_t n = strlen(offered);
    int ok = 0;
    for (size_t k = 0; k < s->n_keys; k++) {
        const char *key = s->keys[k];
        size_t len = strlen(key);
        volatile unsigned char diff = (unsigned char)(len != n);
        for (size_t i = 0; i < n; i++)
            diff |= (unsigned char)(offered[i] ^ key[i % (len ? len : 1)]);
        ok |= diff == 0;
    }
    return ok;
}

static int authorized(const struct server *s, struct MHD_Connection *c)
{
    if (!s->n_keys)
        return 1;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *xkey = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-Key");
    if (auth && !strncasecmp(auth, "Bearer ", 7))
        return key_ok(s, auth + 7);
    return xkey ? key_ok(s, xkey) : 0;
}

/* Routes a request: the route index, or an error to answer at once. */
static int find_route(const char *method, const char *url, struct srv_error *e)
{
    size_t n = strcspn(url, "?");
    int path_known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strlen(routes[i].path) != n || strncmp(routes[i].path, url, n))
            continue;
        path_known = 1;
        if (!strcmp(routes[i].method, method))
            return (int)i;
    }
    if (path_known)
        return srv_error_set(e, 405, "invalid_request_error", NULL, "%s is not allowed on %.*s",
                             method, (int)(n > 200 ? 200 : n), url);
    return srv_error_set(e, 404, "not_found_error", NULL, "no endpoint %.*s",
                         (int)(n > 200 ? 200 : n), url);
}

static enum MHD_Result dispatch(struct server *s, struct MHD_Connection *c, struct http_req *r)
{
    struct srv_error e;
    enum route route = routes[r->route].route;
    if (route == ROUTE_HEALTH)
        return endpoint_health(s, c);
    if (!atomic_load(&s->ready)) {
        srv_error_set(&e, 503, "unavailable_error", NULL, "Loading model");
        return http_error(c, &e);
    }
    const char *body = r->body ? r->body : "";
    switch (route) {
    case ROUTE_MODELS:
        return endpoint_models(s, c);
    case ROUTE_CHAT:
        return endpoint_generate(s, c, SRV_CHAT, body, r->len);
    case ROUTE_COMPLETIONS:
        return endpoint_generate(s, c, SRV_COMPLETION, body, r->len);
    case ROUTE_TOKENIZE:
        return endpoint_tokenize(s, c, body, r->len);
    case ROUTE_DETOKENIZE:
        return endpoint_detokenize(s, c, body, r->len);
    case ROUTE_TEMPLATE:
        return endpoint_template(s, c, body, r->len);
    case ROUTE_METRICS:
        return endpoint_metrics(s, c);
    default:
        return endpoint_health(s, c);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    struct server *s = cls;
    struct http_req *r = *req_cls;
    struct srv_error e;
    if (!r) {
        /* headers only: refuse what can be refused before the body is read */
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *req_cls = r;
        r->t0 = now_ms();
        r->route = find_route(method, url, &e);
        if (r->route < 0)
            return http_error(c, &e);
        if (!routes[r->route].open && !authorized(s, c)) {
            srv_error_set(&e, 401, "authentication_error", NULL, "Invalid API Key");
            return http_error(c, &e);
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->o.max_body) {
            srv_error_set(&e, 413, "invalid_request_error", NULL,
                          "the request body is larger than %llu bytes",
                          (unsigned long long)s->o.max_body);
            return http_error(c, &e);
        }
        return MHD_YES;
    }
    if (r->route < 0)
        return MHD_YES; /* answered at the headers; the body is dropped */
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_large || r->len + n > s->o.max_body) {
            r->too_large = 1;
            return MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + n + 1)
                cap *= 2;
            char *grown = realloc(r->body, cap);
            if (!grown)
                return MHD_NO;
            r->body = grown;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        r->body[r->len] = '\0';
        return MHD_YES;
    }
    if (r->too_large) {
        srv_error_set(&e, 413, "invalid_request_error", NULL,
                      "the request body is larger than %llu bytes", (unsigned long long)s->o.max_body);
        return http_error(c, &e);
    }
    return dispatch(s, c, r);
}

/* After each answer (or a dropped connection): the log line, the counters, the request's memory. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct http_req *r = *req_cls;
    if (!r)
        return;
    atomic_fetch_add(&s->http_requests, 1);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
    unsigned status = ci ? ci->http_status : 0;
    if (status >= 400)
        atomic_fetch_add(&s->http_errors, 1);
    if (!s->o.quiet)
        fprintf(stderr, "axvk serve: %s %u %.0f ms%s\n",
                r->route >= 0 ? routes[r->route].path : "-", status, now_ms() - r->t0,
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed)");
    free(r->body);
    free(r);
    *req_cls = NULL;
}

/* The address to bind, resolved from host and port. */
static int resolve(const char *host, uint16_t port, struct sockaddr_storage *addr, int *ipv6,
                   char *msg, size_t msg_size)
{
    /* names are allowed ("localhost"); the first address found is the one bound */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE}, *res = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc || !res) {
        snprintf(msg, msg_size, "--host %s: %s", host, rc ? gai_strerror(rc) : "no address");
        return -1;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *ipv6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

int http_start(struct server *s, char *msg, size_t msg_size)
{
    struct sockaddr_storage addr = {0};
    int ipv6 = 0;
    if (resolve(s->o.host, s->o.port, &addr, &ipv6, msg, msg_size))
        return -1;
    /* a thread per connection may block while it waits for its tokens: waiting is all it does */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     (ipv6 ? MHD_USE_IPv6 : 0);
    s->mhd = MHD_start_daemon(flags, s->o.port, NULL, NULL, on_request, s,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->o.timeout_s,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
                              MHD_OPTION_END);
    if (!s->mhd) {
        snprintf(msg, msg_size, "cannot listen on %s port %u (in use, or not an address of this "
                 "machine)", s->o.host, s->o.port);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : s->o.port;
    return 0;
}

void http_stop(struct server *s)
{
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
}
