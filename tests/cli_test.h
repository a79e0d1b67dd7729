/* cli_test: runs the built axvk program (AXVK_BIN) the way a user or a script does — arguments,
 * bytes on stdin — and collects its exit status, stdout and stderr; plus the file and JSON-lines
 * handling the command-line tests share. Failures to run it fail the test. */
#ifndef AXVK_TESTS_CLI_TEST_H
#define AXVK_TESTS_CLI_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct cli_result {
    int status;  /* exit code; 128 + signal number when killed */
    char *out;   /* stdout, NUL-terminated */
    size_t out_len;
    char *err;   /* stderr, NUL-terminated */
    size_t err_len;
};

/* Runs `axvk args...` (NULL-terminated) with `input` (len bytes; NULL: empty) on stdin. */
void cli_run(struct cli_result *r, const char *input, size_t len, const char *const *args);
void cli_result_free(struct cli_result *r);

/* Writes data to a fresh file under the test build directory; returns its path. */
char *cli_temp_file(const char *tag, const char *data, size_t len);
/* Deletes the file and frees the path. */
void cli_temp_remove(char *path);

/* The lines of a JSON-lines file, parsed; *n of them (cJSON_Delete each, free the array). */
cJSON **cli_read_jsonl(const char *path, size_t *n);
void cli_free_jsonl(cJSON **lines, size_t n);

/* Asserts that `json` (text) is an array of exactly the integers in `expected` (a cJSON array). */
void cli_assert_ids(const char *json, const cJSON *expected);

#endif
