/* bench_report: results in llama-bench's formats, so they sit beside existing tables — the
 * markdown table (model, size, params, backend, ngl, test, t/s) with a device column and, for
 * generation, the bandwidth achieved against the device's copy bandwidth; CSV, JSON and JSON
 * lines with llama-bench's field names (avg_ts, stddev_ts, samples_ns, ...) plus the device's
 * vendor, driver and Vulkan version. Prints only; measures nothing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "axvk.h"
#include "bench.h"

/* One field of a row: CSV columns and JSON keys come from the same list. */
struct field {
    const char *name;
    int is_num;
    char str[256];
    double num;
    int integer; /* print without decimals */
};

#define MAX_FIELDS 40

static void put_str(struct field *f, uint32_t *n, const char *name, const char *value)
{
    f[*n] = (struct field){.name = name};
    snprintf(f[*n].str, sizeof f[*n].str, "%s", value);
    (*n)++;
}

static void put_num(struct field *f, uint32_t *n, const char *name, double value, int integer)
{
    f[(*n)++] = (struct field){.name = name, .is_num = 1, .num = value, .integer = integer};
}

/* The CPU's model name (llama-bench's cpu_info); "" when /proc/cpuinfo does not say. */
static void cpu_info(char *out, size_t size)
{
    char line[512];
    out[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (colon && !strncmp(line, "model name", 10)) {
            colon += colon[1] == ' ' ? 2 : 1;
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(out, size, "%s", colon);
            break;
        }
    }
    fclose(f);
}

/* llama-bench's fields in its order, then the device and bandwidth fields axvk adds. */
static uint32_t row_fields(const struct bench_result *r, const char *cpu, struct field *f)
{
    uint32_t n = 0, v = axvk_version();
    char version[32];
    snprintf(version, sizeof version, "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
    put_str(f, &n, "build_commit", version);
    put_num(f, &n, "build_number", 0, 1);
    put_str(f, &n, "cpu_info", cpu);
    put_str(f, &n, "gpu_info", r->dev.name);
    put_str(f, &n, "backends", "Vulkan");
    put_str(f, &n, "model_filename", r->model_filename);
    put_str(f, &n, "model_type", r->model_type);
    put_num(f, &n, "model_size", (double)r->model_size, 1);
    put_num(f, &n, "model_n_params", (double)r->model_n_params, 1);
    put_num(f, &n, "n_batch", r->n_batch, 1);
    put_num(f, &n, "n_ubatch", r->n_ubatch, 1);
    put_str(f, &n, "type_k", r->type_kv);
    put_str(f, &n, "type_v", r->type_kv);
    put_num(f, &n, "n_gpu_layers", 99, 1);
    put_str(f, &n, "devices", r->dev.name);
    put_num(f, &n, "n_prompt", r->n_prompt, 1);
    put_num(f, &n, "n_gen", r->n_gen, 1);
    put_num(f, &n, "n_depth", r->n_depth, 1);
    put_str(f, &n, "test", r->test);
    put_str(f, &n, "test_time", r->test_time);
    put_num(f, &n, "avg_ns", r->avg_ns, 1);
    put_num(f, &n, "stddev_ns", r->stddev_ns, 1);
    put_num(f, &n, "avg_ts", r->avg_ts, 0);
    put_num(f, &n, "stddev_ts", r->stddev_ts, 0);
    put_num(f, &n, "device_index", r->dev.index, 1);
    put_num(f, &n, "device_slot", r->dev.slot, 1);
    put_str(f, &n, "device_name", r->dev.name);
    put_str(f, &n, "device_vendor", r->dev.vendor);
    put_str(f, &n, "device_type", r->dev.type);
    put_str(f, &n, "driver_name", r->dev.driver_name);
    put_str(f, &n, "driver_version", r->dev.driver_version);
    put_str(f, &n, "vulkan_api_version", r->dev.api_version);
    put_num(f, &n, "device_memory", (double)r->dev.memory_bytes, 1);
    put_num(f, &n, "copy_gbps", r->dev.copy_gbps, 0);
    put_num(f, &n, "bytes_per_token", r->bytes_per_token, 1);
    put_num(f, &n, "bandwidth_gbps", r->gbps, 0);
    put_num(f, &n, "bandwidth_pct_copy", r->pct_copy, 0);
    return n;
}

static void csv_cell(FILE *out, const struct field *f)
{
    fputc('"', out);
    if (f->is_num) {
        fprintf(out, f->integer ? "%.0f" : "%.6f", f->num);
    } else {
        for (const char *c = f->str; *c; c++) {
            if (*c == '"')
                fputc('"', out); /* RFC 4180: a quote inside a field is doubled */
            fputc(*c, out);
        }
    }
    fputc('"', out);
}

static void print_csv(FILE *out, const struct bench_results *r, const char *cpu)
{
    struct field f[MAX_FIELDS];
    for (uint32_t i = 0; i < r->n; i++) {
        uint32_t n = row_fields(&r->rows[i], cpu, f);
        if (i == 0)
            for (uint32_t j = 0; j < n; j++)
                fprintf(out, "%s%s", f[j].name, j + 1 < n ? "," : "\n");
        for (uint32_t j = 0; j < n; j++) {
            csv_cell(out, &f[j]);
            fputc(j + 1 < n ? ',' : '\n', out);
        }
    }
}

static cJSON *json_row(const struct bench_result *r, const char *cpu)
{
    struct field f[MAX_FIELDS];
    uint32_t n = row_fields(r, cpu, f);
    cJSON *o = cJSON_CreateObject();
    for (uint32_t j = 0; j < n; j++) {
        if (f[j].is_num)
            cJSON_AddNumberToObject(o, f[j].name, f[j].integer ? floor(f[j].num + 0.5) : f[j].num);
        else
            cJSON_AddStringToObject(o, f[j].name, f[j].str);
    }
    int n_samples = (int)r->n_samples;
    cJSON_AddItemToObject(o, "samples_ns", cJSON_CreateDoubleArray(r->samples_ns, n_samples));
    cJSON_AddItemToObject(o, "samples_ts", cJSON_CreateDoubleArray(r->samples_ts, n_samples));
    if (r->n_prof) {
        cJSON *prof = cJSON_AddArrayToObject(o, "profile");
        for (uint32_t i = 0; i < r->n_prof; i++) {
            cJSON *k = cJSON_CreateObject();
            cJSON_AddStringToObject(k, "kernel", r->prof[i].kernel);
            cJSON_AddNumberToObject(k, "calls", r->prof[i].calls);
            cJSON_AddNumberToObject(k, "ms", r->prof[i].ms);
            cJSON_AddItemToArray(prof, k);
        }
    }
    return o;
}

static void print_json(FILE *out, const struct bench_results *r, const char *cpu, int lines)
{
    if (lines) {
        for (uint32_t i = 0; i < r->n; i++) {
            cJSON *o = json_row(&r->rows[i], cpu);
            char *text = cJSON_PrintUnformatted(o);
            if (text)
                fprintf(out, "%s\n", text);
            cJSON_free(text);
            cJSON_Delete(o);
        }
        return;
    }
    cJSON *all = cJSON_CreateArray();
    for (uint32_t i = 0; i < r->n; i++)
        cJSON_AddItemToArray(all, json_row(&r->rows[i], cpu));
    char *text = cJSON_Print(all);
    if (text)
        fprintf(out, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(all);
}

/* ---- markdown ------------------------------------------------------------------------------ */

static void fmt_size(char *out, size_t size, uint64_t bytes)
{
    double gib = (double)bytes / (1024.0 * 1024.0 * 1024.0);
    if (gib >= 1.0)
        snprintf(out, size, "%.2f GiB", gib);
    else
        snprintf(out, size, "%.2f MiB", (double)bytes / (1024.0 * 1024.0));
}

static void fmt_params(char *out, size_t size, uint64_t n)
{
    if (n >= 1000000000ull)
        snprintf(out, size, "%.2f B", (double)n / 1e9);
    else
        snprintf(out, size, "%.2f M", (double)n / 1e6);
}

#define MD_COLS 13

/* Cells of one markdown row, or the header when r is NULL. */
static void md_cells(const struct bench_result *r, char cells[MD_COLS][160])
{
    static const char *const head[MD_COLS] = {"model", "size", "params", "backend", "ngl",
                                              "n_batch", "n_ubatch", "type_k", "device", "test",
                                              "t/s", "GB/s", "% copy"};
    if (!r) {
        for (int i = 0; i < MD_COLS; i++)
            snprintf(cells[i], 160, "%s", head[i]);
        return;
    }
    snprintf(cells[0], 160, "%s", r->model_type);
    fmt_size(cells[1], 160, r->model_size);
    fmt_params(cells[2], 160, r->model_n_params);
    snprintf(cells[3], 160, "Vulkan");
    snprintf(cells[4], 160, "99");
    snprintf(cells[5], 160, "%u", r->n_batch);
    snprintf(cells[6], 160, "%u", r->n_ubatch);
    snprintf(cells[7], 160, "%s", r->type_kv);
    snprintf(cells[8], 160, "%u: %.120s", r->dev.index, r->dev.name);
    snprintf(cells[9], 160, "%s", r->test);
    snprintf(cells[10], 160, "%.2f ± %.2f", r->avg_ts, r->stddev_ts);
    if (r->gbps > 0) {
        snprintf(cells[11], 160, "%.1f", r->gbps);
        snprintf(cells[12], 160, "%.0f%%", r->pct_copy);
    } else {
        cells[11][0] = cells[12][0] = '\0';
    }
}

/* Display width: UTF-8 continuation bytes take no column ("±"). */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void print_profile(FILE *out, const struct bench_result *r)
{
    double total = 0;
    for (uint32_t i = 0; i < r->n_prof; i++)
        total += r->prof[i].ms;
    fprintf(out, "\nprofile: %s, %s, %s (GPU time per repetition)\n\n", r->dev.name,
            r->model_type, r->test);
    fprintf(out, "| kernel                         |    calls |      ms |  share |\n");
    fprintf(out, "| ------------------------------ | -------: | ------: | -----: |\n");
    for (uint32_t i = 0; i < r->n_prof; i++)
        fprintf(out, "| %-30s | %8u | %7.3f | %5.1f%% |\n", r->prof[i].kernel,
                r->prof[i].calls / r->n_samples, r->prof[i].ms / r->n_samples,
                total > 0 ? 100.0 * r->prof[i].ms / total : 0.0);
}

static void print_md(FILE *out, const struct bench_results *r, const char *const *notes,
                     uint32_t n_notes)
{
    char cells[MD_COLS][160];
    int w[MD_COLS] = {0}, show[MD_COLS];
    int right[MD_COLS] = {0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1};
    for (int c = 0; c < MD_COLS; c++)
        show[c] = 1;
    /* like llama-bench: batch sizes and cache type only when some row is not the default */
    show[5] = show[6] = show[7] = show[11] = show[12] = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        const struct bench_result *row = &r->rows[i];
        show[5] |= row->n_batch != 2048;
        show[6] |= row->n_ubatch != 512;
        show[7] |= strcmp(row->type_kv, "f16") != 0;
        show[11] |= row->gbps > 0;
        show[12] |= row->gbps > 0;
    }
    for (int64_t i = -1; i < (int64_t)r->n; i++) {
        md_cells(i < 0 ? NULL : &r->rows[i], cells);
        for (int c = 0; c < MD_COLS; c++)
            w[c] = width(cells[c]) > w[c] ? width(cells[c]) : w[c];
    }
    for (int64_t i = -1; i < (int64_t)r->n; i++) {
        md_cells(i < 0 ? NULL : &r->rows[i], cells);
        for (int c = 0; c < MD_COLS; c++) {
            if (!show[c])
                continue;
            int pad = w[c] - width(cells[c]);
            fprintf(out, "| %*s%s%*s ", right[c] ? pad : 0, "", cells[c], right[c] ? 0 : pad, "");
        }
        fprintf(out, "|\n");
        if (i >= 0)
            continue;
        for (int c = 0; c < MD_COLS; c++) {
            if (!show[c])
                continue;
            fputs("| ", out);
            for (int k = 0; k < w[c] - right[c]; k++)
                fputc('-', out);
            fputs(right[c] ? ": " : " ", out);
        }
        fprintf(out, "|\n");
    }
    if (n_notes)
        fputc('\n', out);
    for (uint32_t i = 0; i < n_notes; i++)
        fprintf(out, "%s\n", notes[i]);
    for (uint32_t i = 0; i < r->n; i++)
        if (r->rows[i].n_prof)
            print_profile(out, &r->rows[i]);
}

void bench_print(FILE *f, enum bench_format fmt, const struct bench_results *r,
                 const char *const *notes, uint32_t n_notes)
{
    char cpu[256];
    cpu_info(cpu, sizeof cpu);
    switch (fmt) {
    case BENCH_MD: print_md(f, r, notes, n_notes); break;
    case BENCH_CSV: print_csv(f, r, cpu); break;
    case BENCH_JSON: print_json(f, r, cpu, 0); break;
    case BENCH_JSONL: print_json(f, r, cpu, 1); break;
    }
    fflush(f);
}
