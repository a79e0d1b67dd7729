/* test_bench: `axvk bench` end to end on a tiny synthetic model — every output format parses
 * and carries every field with consistent numbers (means and deviations of the samples), stdout
 * holds results only, two devices make one table (the same device opened twice), depth and
 * combined tests get llama-bench's names, --profile adds kernel times, the SVG chart is
 * well-formed XML, bad options fail cleanly. Runs the built binary (AXVK_BIN). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "axvk.h"

#define TMP AXVK_TEST_TMP "/test_bench"
/* The smallest run that still has two samples per test. */
#define QUICK "--synthetic tiny:q8_0 -p 16 -n 8 -r 2"

/* Runs `axvk bench ARGS`, returning its stdout (free()) and exit status; stderr goes to TMP.err. */
static char *bench(const char *args, int *status)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' bench %s 2>'%s.err'", AXVK_BIN, args, TMP);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    size_t n;
    while (out && (n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    assert_non_null(out);
    out[len] = '\0';
    int rc = pclose(p);
    *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return out;
}

static char *bench_ok(const char *args)
{
    int status;
    char *out = bench(args, &status);
    if (status != 0) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "cat '%s.err' >&2", TMP);
        if (system(cmd) != 0)
            fprintf(stderr, "(no stderr)\n");
        fail_msg("axvk bench %s: exit status %d", args, status);
    }
    return out;
}

/* llama-bench's fields and the device fields axvk adds: every format carries them all. */
static const char *const fields[] = {
    "build_commit", "cpu_info", "gpu_info", "backends", "model_filename", "model_type",
    "model_size", "model_n_params", "n_batch", "n_ubatch", "type_k", "type_v", "n_gpu_layers",
    "n_prompt", "n_gen", "n_depth", "test", "test_time", "avg_ns", "stddev_ns", "avg_ts",
    "stddev_ts", "device_index", "device_slot", "device_name", "device_vendor", "device_type",
    "driver_name", "driver_version", "vulkan_api_version", "copy_gbps", "bytes_per_token",
    "bandwidth_gbps", "bandwidth_pct_copy"};
#define N_FIELDS (sizeof fields / sizeof fields[0])

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("field %s is not a number", key);
    return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        fail_msg("field %s is not a string", key);
    return v->valuestring;
}

/* One result object: every field, samples whose mean and deviation are the reported ones. */
static void check_row(const cJSON *o, uint32_t reps)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (!cJSON_GetObjectItemCaseSensitive(o, fields[i]))
            fail_msg("field %s missing", fields[i]);
    assert_string_equal(str(o, "backends"), "Vulkan");
    assert_true(strlen(str(o, "device_name")) > 0 && strlen(str(o, "driver_name")) > 0);
    assert_true(strchr(str(o, "vulkan_api_version"), '.') != NULL);
    assert_true(num(o, "model_size") > 0 && num(o, "model_n_params") > 0);
    const cJSON *ns = cJSON_GetObjectItem(o, "samples_ns");
    const cJSON *ts = cJSON_GetObjectItem(o, "samples_ts");
    assert_int_equal(cJSON_GetArraySize(ns), reps);
    assert_int_equal(cJSON_GetArraySize(ts), reps);
    double tokens = num(o, "n_prompt") + num(o, "n_gen"), mean = 0, var = 0;
    for (uint32_t i = 0; i < reps; i++) {
        double t = cJSON_GetArrayItem(ts, (int)i)->valuedouble;
        double n = cJSON_GetArrayItem(ns, (int)i)->valuedouble;
        assert_true(t > 0 && n > 0);
        assert_true(fabs(t - 1e9 * tokens / n) < 1e-6 * t); /* tokens/s of that sample's time */
        mean += t / reps;
    }
    for (uint32_t i = 0; i < reps; i++) {
        double d = cJSON_GetArrayItem(ts, (int)i)->valuedouble - mean;
        var += d * d / (reps - 1);
    }
    assert_true(fabs(num(o, "avg_ts") - mean) < 1e-6 * mean);
    assert_true(fabs(num(o, "stddev_ts") - sqrt(var)) < 1e-6 * mean + 1e-9);
    assert_true(num(o, "copy_gbps") > 0);
    /* generation reads at least the weights per token; the bandwidth follows from t/s */
    if (num(o, "n_prompt") == 0) {
        double size = num(o, "model_size"), bytes = num(o, "bytes_per_token");
        assert_true(bytes > 0.5 * size && bytes < 2 * size); /* all but the embedding table */
        double gbps = num(o, "bytes_per_token") * num(o, "avg_ts") / 1e9;
        assert_true(fabs(num(o, "bandwidth_gbps") - gbps) < 1e-3 * gbps + 1e-6);
        assert_true(fabs(num(o, "bandwidth_pct_copy") - 100 * gbps / num(o, "copy_gbps")) < 0.1);
    } else {
        assert_true(num(o, "bandwidth_gbps") == 0);
    }
}

static void test_bench_json_carries_every_field_for_two_devices_depths_and_pg(void **state)
{
    char *out = bench_ok(QUICK " -d 0,8 -pg 8,4 --device 0,0 --profile -o json");
    /* stdout is the JSON document and nothing else */
    cJSON *all = cJSON_ParseWithOpts(out, NULL, 1);
    assert_non_null(all);
    /* 2 devices x 2 depths x (pp, tg, pg), in llama-bench's order */
    const char *names[] = {"pp16", "tg8", "pp8+tg4", "pp16 @ d8", "tg8 @ d8", "pp8+tg4 @ d8"};
    assert_int_equal(cJSON_GetArraySize(all), 12);
    for (int i = 0; i < 12; i++) {
        const cJSON *o = cJSON_GetArrayItem(all, i);
        check_row(o, 2);
        assert_string_equal(str(o, "test"), names[i % 6]);
        assert_int_equal((int)num(o, "device_slot"), i / 6);
        assert_int_equal((int)num(o, "device_index"), 0);
        assert_int_equal((int)num(o, "n_depth"), i % 6 >= 3 ? 8 : 0);
        assert_string_equal(str(o, "model_filename"), "synthetic:tiny:q8_0");
        /* --profile: time per kernel, the weight products among them */
        const cJSON *prof = cJSON_GetObjectItem(o, "profile");
        assert_true(cJSON_GetArraySize(prof) > 3);
        int has_weights = 0;
        for (int k = 0; k < cJSON_GetArraySize(prof); k++) {
            const cJSON *e = cJSON_GetArrayItem(prof, k);
            has_weights |= strstr(str(e, "kernel"), "_q8_0") != NULL;
            assert_true(num(e, "calls") > 0 && num(e, "ms") >= 0);
        }
        assert_true(has_weights);
    }
    cJSON_Delete(all);
    free(out);
}

/* Splits one CSV line (RFC 4180 quoting) into at most max fields; returns the count. */
static int csv_split(char *line, char **cells, int max)
{
    int n = 0;
    char *w = line;
    for (char *r = line; *r && n < max;) {
        cells[n++] = w;
        if (*r == '"') {
            for (r++; *r && !(*r == '"' && r[1] != '"'); r++) {
                if (*r == '"')
                    r++;
                *w++ = *r;
            }
            r += *r == '"';
        } else {
            while (*r && *r != ',')
                *w++ = *r++;
        }
        int more = *r == ',';
        *w++ = '\0';
        r += more;
    }
    return n;
}

static void test_bench_csv_has_a_header_and_one_row_per_test(void **state)
{
    char *out = bench_ok(QUICK " -o csv");
    char *save = NULL, *cells[64], *head[64];
    char *line = strtok_r(out, "\n", &save);
    assert_non_null(line);
    int n_head = csv_split(line, head, 64);
    for (size_t f = 0; f < N_FIELDS; f++) {
        int found = 0;
        for (int i = 0; i < n_head; i++)
            found |= !strcmp(head[i], fields[f]);
        if (!found)
            fail_msg("CSV header lacks %s", fields[f]);
    }
    int rows = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        assert_int_equal(csv_split(line, cells, 64), n_head);
        for (int i = 0; i < n_head; i++) {
            if (!strcmp(head[i], "test"))
                assert_string_equal(cells[i], rows == 0 ? "pp16" : "tg8");
            if (!strcmp(head[i], "avg_ts"))
                assert_true(strtod(cells[i], NULL) > 0);
            if (!strcmp(head[i], "gpu_info"))
                assert_true(strlen(cells[i]) > 0);
        }
        rows++;
    }
    assert_int_equal(rows, 2);
    free(out);
}

static void test_bench_jsonl_is_one_object_per_line(void **state)
{
    char *out = bench_ok(QUICK " -o jsonl -ctk q8_0");
    char *save = NULL;
    int rows = 0;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        check_row(o, 2);
        assert_string_equal(str(o, "type_k"), "q8_0");
        cJSON_Delete(o);
        rows++;
    }
    assert_int_equal(rows, 2);
    free(out);
}

static void test_bench_markdown_is_a_table_with_llama_bench_columns(void **state)
{
    char *out = bench_ok(QUICK);
    /* notes under the table: the copy bandwidth the % column divides by */
    assert_non_null(strstr(out, "copy bandwidth"));
    char *save = NULL;
    char *head = strtok_r(out, "\n", &save), *rule = strtok_r(NULL, "\n", &save);
    assert_non_null(head);
    assert_non_null(rule);
    const char *cols[] = {"model", "size", "params", "backend", "ngl", "device", "test", "t/s",
                          "GB/s", "% copy"};
    char copy[1024], *cells[32];
    int n = 0;
    snprintf(copy, sizeof copy, "%s", head);
    char *sv = NULL;
    for (char *c = strtok_r(copy, "|", &sv); c && n < 32; c = strtok_r(NULL, "|", &sv)) {
        c += strspn(c, " ");
        while (*c && c[strlen(c) - 1] == ' ')
            c[strlen(c) - 1] = '\0';
        cells[n++] = c;
    }
    assert_int_equal(n, (int)(sizeof cols / sizeof cols[0]));
    for (int i = 0; i < n; i++)
        assert_string_equal(cells[i], cols[i]);
    assert_true(strstr(rule, "| ---") == rule && strstr(rule, ": |"));
    for (int r = 0; r < 2; r++) {
        char *row = strtok_r(NULL, "\n", &save);
        assert_non_null(row);
        assert_non_null(strstr(row, r ? " tg8 " : " pp16 "));
        const char *pm = strstr(row, " ± ");
        assert_non_null(pm);
        while (pm > row && pm[-1] != ' ')
            pm--;
        assert_true(strtod(pm, NULL) > 0);
    }
    free(out);
}

/* ---- a small XML well-formedness check for the chart ----------------------------------------- */

static const char *xml_name(const char *p)
{
    while (*p && (strchr("-_:.", *p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9')))
        p++;
    return p;
}

/* Text and attribute values: '&' starts one of XML's entities, '<' never appears. */
static int xml_chars_ok(const char *p, const char *end)
{
    static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (; p < end; p++) {
        if (*p == '<')
            return 0;
        if (*p == '&') {
            int ok = p[1] == '#';
            for (size_t i = 0; i < 5; i++)
                ok |= !strncmp(p, ents[i], strlen(ents[i]));
            if (!ok)
                return 0;
        }
    }
    return 1;
}

/* Counts elements named `count_name`; -1 when the document is not well-formed. */
static int xml_check(const char *doc, const char *count_name)
{
    const char *stack[64], *p = doc;
    size_t lens[64];
    int depth = 0, count = 0, roots = 0;
    if (!strncmp(p, "<?xml", 5) && !(p = strstr(p, "?>")))
        return -1;
    p += !strncmp(p, "?>", 2) ? 2 : 0;
    while (*p) {
        const char *lt = strchr(p, '<');
        if (!lt)
            return depth == 0 && roots == 1 && xml_chars_ok(p, p + strlen(p)) ? count : -1;
        if (!xml_chars_ok(p, lt) || (depth == 0 && strspn(p, " \n\t") < (size_t)(lt - p)))
            return -1;
        if (lt[1] == '/') {
            const char *e = xml_name(lt + 2);
            if (!depth || (size_t)(e - lt - 2) != lens[depth - 1] ||
                strncmp(lt + 2, stack[depth - 1], lens[depth - 1]) || *e != '>')
                return -1;
            depth--;
            p = e + 1;
            continue;
        }
        const char *name = lt + 1, *e = xml_name(name);
        if (e == name || depth == 64)
            return -1;
        count += (size_t)(e - name) == strlen(count_name) && !strncmp(name, count_name, e - name);
        roots += depth == 0;
        for (;;) { /* attributes: name="value" */
            e += strspn(e, " \n\t");
            if (*e == '>' || !strncmp(e, "/>", 2))
                break;
            const char *an = xml_name(e);
            if (an == e || an[0] != '=' || (an[1] != '"' && an[1] != '\''))
                return -1;
            const char *close = strchr(an + 2, an[1]);
            if (!close || !xml_chars_ok(an + 2, close))
                return -1;
            e = close + 1;
        }
        if (*e == '>') {
            stack[depth] = name;
            lens[depth++] = (size_t)(xml_name(name) - name);
            p = e + 1;
        } else {
            p = e + 2;
        }
    }
    return depth == 0 && roots == 1 ? count : -1;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void test_bench_plot_writes_well_formed_svg(void **state)
{
    /* the checker itself rejects what a browser would */
    assert_int_equal(xml_check("<svg><rect/></svg>", "rect"), 1);
    assert_int_equal(xml_check("<svg><rect></svg>", "rect"), -1);
    assert_int_equal(xml_check("<svg><text>a & b</text></svg>", "text"), -1);
    assert_int_equal(xml_check("<svg a=\"1\" b=2/>", "svg"), -1);
    char *out = bench_ok(QUICK " --synthetic tiny:f16 --device 0,0 -o csv --plot " TMP ".svg");
    char *svg = read_file(TMP ".svg");
    assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    /* 2 models x 2 tests = 4 panels of 2 device bars each, plus the white background */
    assert_int_equal(xml_check(svg, "rect"), 4 * 2 + 1);
    assert_non_null(strstr(svg, "tg8"));
    assert_non_null(strstr(svg, "tiny 426K F16"));
    free(svg);
    free(out);
}

static void test_bench_rejects_bad_options(void **state)
{
    int status;
    char *out = bench("-o xml", &status);
    assert_int_equal(status, 2);
    assert_string_equal(out, "");
    free(out);
    out = bench("--synthetic nosuch:q8_0 -p 4 -n 0 -r 1", &status);
    assert_int_equal(status, 1);
    char *err = read_file(TMP ".err");
    assert_non_null(strstr(err, "unknown preset \"nosuch\""));
    free(err);
    free(out);
    out = bench("-pg 8", &status);
    assert_int_equal(status, 2);
    free(out);
    out = bench("--help", &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "--synthetic"));
    free(out);
}

int main(void)
{
    axvk_device_info *list = NULL;
    size_t n = 0;
    char why[256];
    if (axvk_devices_list(&list, &n, why, sizeof why) != AXVK_OK) {
        fprintf(stderr, "skipping: no Vulkan device (%s)\n", why);
        return 77;
    }
    axvk_free(list);
    setenv("XDG_CACHE_HOME", AXVK_TEST_TMP "/xdg-cache", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bench_json_carries_every_field_for_two_devices_depths_and_pg),
        cmocka_unit_test(test_bench_csv_has_a_header_and_one_row_per_test),
        cmocka_unit_test(test_bench_jsonl_is_one_object_per_line),
        cmocka_unit_test(test_bench_markdown_is_a_table_with_llama_bench_columns),
        cmocka_unit_test(test_bench_plot_writes_well_formed_svg),
        cmocka_unit_test(test_bench_rejects_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
