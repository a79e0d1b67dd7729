/* bench_svg: `axvk bench --plot FILE.svg` — the results as a bar chart a browser opens, written
 * by hand (no plotting library): one panel per model and test, each with its own scale (prompt
 * processing runs 10-100x faster than generation), one horizontal bar per device with its mean
 * tokens/s, the standard deviation as an error bar, and the value written beside it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define WIDTH 1100
#define LABEL_W 330  /* device names, left of the bars */
#define BAR_W 420    /* the panel's largest value; value labels go right of it */
#define BAR_H 20
#define BAR_GAP 8
#define PANEL_HEAD 44
#define PANEL_GAP 18
#define TOP 64

/* Colours per device slot: distinguishable and readable on white. */
static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                                      "#76b7b2", "#edc948", "#b07aa1", "#9c755f"};

/* Writes s with XML's five special characters escaped. */
static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* control characters are not allowed in XML 1.0 text */
            if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
                fputc(*s, f);
        }
    }
}

/* Rows belong to the same panel when model and test agree. */
static int same_panel(const struct bench_result *a, const struct bench_result *b)
{
    return !strcmp(a->model_type, b->model_type) && !strcmp(a->model_filename, b->model_filename) &&
           !strcmp(a->test, b->test);
}

/* The first row of each panel, in order of appearance; returns the panel count. */
static uint32_t panels(const struct bench_results *r, uint32_t *first)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        uint32_t p = 0;
        while (p < n && !same_panel(&r->rows[first[p]], &r->rows[i]))
            p++;
        if (p == n)
            first[n++] = i;
    }
    return n;
}

/* A round axis step (1, 2, 2.5 or 5 times a power of ten) giving about 4 gridlines. */
static double grid_step(double max)
{
    double raw = max / 4, mag = pow(10.0, floor(log10(raw)));
    double norm = raw / mag;
    return mag * (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10);
}

static void draw_panel(FILE *f, const struct bench_results *r, const struct bench_result *key,
                       double y)
{
    double max = 0;
    for (uint32_t i = 0; i < r->n; i++)
        if (same_panel(&r->rows[i], key) && r->rows[i].avg_ts + r->rows[i].stddev_ts > max)
            max = r->rows[i].avg_ts + r->rows[i].stddev_ts;
    max = max > 0 ? max * 1.05 : 1;
    fprintf(f, "<text x=\"16\" y=\"%.0f\" class=\"panel\">", y + 18);
    xml_text(f, key->model_type);
    fputs(" — ", f);
    xml_text(f, key->test);
    fputs("</text>\n", f);
    uint32_t n_bars = 0;
    for (uint32_t i = 0; i < r->n; i++)
        n_bars += same_panel(&r->rows[i], key);
    double top = y + PANEL_HEAD - 14, height = n_bars * (BAR_H + BAR_GAP);
    double step = grid_step(max);
    for (double g = 0; g <= max; g += step) {
        double x = LABEL_W + BAR_W * g / max;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" class=\"grid\"/>\n", x,
                top, x, top + height + 4);
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"tick\">%g</text>\n", x, top - 3, g);
    }
    double by = y + PANEL_HEAD;
    for (uint32_t i = 0; i < r->n; i++) {
        const struct bench_result *row = &r->rows[i];
        if (!same_panel(row, key))
            continue;
        double w = BAR_W * row->avg_ts / max;
        double lo = BAR_W * (row->avg_ts - row->stddev_ts) / max;
        double hi = BAR_W * (row->avg_ts + row->stddev_ts) / max;
        double mid = by + BAR_H / 2.0;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"label\">", LABEL_W - 8, mid + 4);
        fprintf(f, "%u: ", row->dev.index);
        xml_text(f, row->dev.name);
        if (row->n_batch != 2048 || row->n_ubatch != 512)
            fprintf(f, " (b %u, ub %u)", row->n_batch, row->n_ubatch);
        fputs("</text>\n", f);
        fprintf(f, "<rect x=\"%d\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
                LABEL_W, by, w, BAR_H, palette[row->dev.slot % 8]);
        fprintf(f, "<path d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f\" class=\"err\"/>\n",
                LABEL_W + (lo > 0 ? lo : 0), mid, LABEL_W + hi, LABEL_W + (lo > 0 ? lo : 0),
                mid - 5, mid + 5, LABEL_W + hi, mid - 5, mid + 5);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"value\">%.2f ± %.2f t/s", LABEL_W + hi + 6,
                mid + 4, row->avg_ts, row->stddev_ts);
        if (row->gbps > 0)
            fprintf(f, " (%.*f GB/s, %.0f%% of copy)", row->gbps < 10 ? 2 : 0, row->gbps,
                    row->pct_copy);
        fputs("</text>\n", f);
        by += BAR_H + BAR_GAP;
    }
}

int bench_svg_write(const char *path, const struct bench_results *r)
{
    uint32_t first[256];
    struct bench_results some = *r;
    if (some.n > 256)
        some.n = 256; /* more panels than a page can show: the first 256 rows' */
    uint32_t n_panels = panels(&some, first);
    double height = TOP;
    for (uint32_t p = 0; p < n_panels; p++) {
        uint32_t bars = 0;
        for (uint32_t i = 0; i < some.n; i++)
            bars += same_panel(&some.rows[i], &some.rows[first[p]]);
        height += PANEL_HEAD + bars * (BAR_H + BAR_GAP) + PANEL_GAP;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
               "viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\">\n",
            WIDTH, height, WIDTH, height);
    fputs("<style>.title{font-size:20px;font-weight:bold}.sub{font-size:12px;fill:#555}"
          ".panel{font-size:14px;font-weight:bold}.label{font-size:12px;text-anchor:end}"
          ".value{font-size:12px}.tick{font-size:10px;fill:#777;text-anchor:middle}"
          ".grid{stroke:#ddd;stroke-width:1}.err{stroke:#222;stroke-width:1.2;fill:none}"
          "</style>\n", f);
    fprintf(f, "<rect width=\"%d\" height=\"%.0f\" fill=\"white\"/>\n", WIDTH, height);
    fputs("<text x=\"16\" y=\"28\" class=\"title\">axvk bench: tokens per second</text>\n", f);
    fputs("<text x=\"16\" y=\"48\" class=\"sub\">mean ± standard deviation over the "
          "repetitions; generation rows also give the bandwidth reached and its share of the "
          "device's copy bandwidth</text>\n", f);
    double y = TOP;
    for (uint32_t p = 0; p < n_panels; p++) {
        const struct bench_result *key = &some.rows[first[p]];
        draw_panel(f, &some, key, y);
        uint32_t bars = 0;
        for (uint32_t i = 0; i < some.n; i++)
            bars += same_panel(&some.rows[i], key);
        y += PANEL_HEAD + bars * (BAR_H + BAR_GAP) + PANEL_GAP;
    }
    fputs("</svg>\n", f);
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}
