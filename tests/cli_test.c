/* cli_test: the axvk program run as a child process with files for its three streams (files, not
 * pipes, so a large output can never block it while the test waits). */
#include "cli_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static unsigned counter;

char *cli_temp_file(const char *tag, const char *data, size_t len)
{
    char *path = malloc(512);
    assert_non_null(path);
    snprintf(path, 512, "%s/cli-%d-%u-%s", AXVK_TEST_TMP, (int)getpid(), counter++, tag);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

void cli_temp_remove(char *path)
{
    if (path)
        unlink(path);
    free(path);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

void cli_run(struct cli_result *r, const char *input, size_t len, const char *const *args)
{
    char *in = cli_temp_file("stdin", input ? input : "", input ? len : 0);
    char *out = cli_temp_file("stdout", "", 0), *err = cli_temp_file("stderr", "", 0);
    size_t n = 0;
    while (args[n])
        n++;
    const char **argv = calloc(n + 2, sizeof *argv);
    assert_non_null(argv);
    argv[0] = AXVK_BIN;
    memcpy(argv + 1, args, n * sizeof *argv);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fi = open(in, O_RDONLY), fo = open(out, O_WRONLY | O_TRUNC),
            fe = open(err, O_WRONLY | O_TRUNC);
        if (fi < 0 || fo < 0 || fe < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(126);
        execv(AXVK_BIN, (char *const *)argv);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    free(argv);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->out = slurp(out, &r->out_len);
    r->err = slurp(err, &r->err_len);
    cli_temp_remove(in);
    cli_temp_remove(out);
    cli_temp_remove(err);
    /* a sanitizer report on stderr is a failure whatever the exit status says */
    if (strstr(r->err, "ERROR: AddressSanitizer") || strstr(r->err, "runtime error:"))
        fail_msg("axvk %s: sanitizer report:\n%s", args[0], r->err);
}

void cli_result_free(struct cli_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

cJSON **cli_read_jsonl(const char *path, size_t *n)
{
    size_t len;
    char *text = slurp(path, &len);
    size_t cap = 16;
    cJSON **lines = malloc(cap * sizeof *lines);
    assert_non_null(lines);
    *n = 0;
    for (char *p = text, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl)
            nl = p + strlen(p) - 1;
        else
            *nl = '\0';
        if (!*p)
            continue;
        if (*n == cap) {
            lines = realloc(lines, (cap *= 2) * sizeof *lines);
            assert_non_null(lines);
        }
        lines[*n] = cJSON_Parse(p);
        assert_non_null(lines[*n]);
        (*n)++;
    }
    free(text);
    return lines;
}

void cli_free_jsonl(cJSON **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(lines[i]);
    free(lines);
}

void cli_assert_ids(const char *json, const cJSON *expected)
{
    cJSON *got = cJSON_Parse(json);
    if (!got)
        fail_msg("not JSON: %s", json);
    assert_true(cJSON_IsArray(got));
    assert_int_equal(cJSON_GetArraySize(got), cJSON_GetArraySize(expected));
    for (int i = 0; i < cJSON_GetArraySize(expected); i++) {
        const cJSON *g = cJSON_GetArrayItem(got, i), *e = cJSON_GetArrayItem(expected, i);
        assert_true(cJSON_IsNumber(g));
        if (g->valueint != e->valueint)
            fail_msg("id %d: got %d, want %d (%s)", i, g->valueint, e->valueint, json);
    }
    cJSON_Delete(got);
}
