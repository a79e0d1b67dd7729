/* cli: what the subcommands share — the option loop and the flags common to several commands
 * (-m, -c, --device, ...; -n, --temp, ... --stop), number parsing, file reading, JSON and size
 * printing, the progress bar, and opening a context and model. Uses include/axvk.h only. */
#ifndef AXVK_TOOLS_CLI_H
#define AXVK_TOOLS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "axvk.h"

/* Flags every model-using command understands. Zero-initialise. */
struct cli_model_opts {
    const char *model;         /* -m PATH */
    const char *synthetic;     /* --synthetic PRESET[:TYPE]: random weights made on the device */
    uint32_t n_ctx;            /* -c N */
    uint32_t n_seq;            /* -np N */
    const char *device;        /* --device N|NAME */
    const char *quant;         /* --quant TYPE */
    const char *kv_type;       /* --kv-type f16|q8_0 */
    const char *numerics;      /* --numerics fp32|llama-cpu; NULL: fp32 */
    const char *chat_template; /* --chat-template FILE (its text is loaded) */
    int vocab_only;            /* set by commands that need no weights */
    int quiet;                 /* no progress bar */
};

/* Consumes argv[*i] (and its value) when it is one of the flags above; 1 consumed, 0 not one
 * of them, -1 a bad value (message printed). */
int cli_model_flag(struct cli_model_opts *o, int argc, char **argv, int *i);

/* A command's own options: called with each argument the common ones did not take and the
 * argument after it (NULL at the end). Returns how many it used (1, or 2 with the value), 0 for
 * an option it does not know or whose value is missing, -1 for a bad value it has named. */
typedef int (*cli_option_fn)(void *opts, const char *flag, const char *value);

/* The option loop of command `cmd`: -h/--help prints usage to stdout and exits 0; with `model`,
 * cli_model_flag's flags go there; everything else to own(opts, ...). 0 when every argument was
 * taken; -1 after a one-line message ("axvk CMD: unknown or incomplete option 'X'"). */
int cli_parse(const char *cmd, int argc, char **argv, struct cli_model_opts *model,
              void (*usage)(FILE *), cli_option_fn own, void *opts);

#define CLI_MAX_STOP 16

/* Generation flags of the commands that generate (run, chat). Zero-initialise; a command sets
 * its own defaults (n_predict) before parsing. */
struct cli_gen_opts {
    uint32_t n_predict;             /* -n N: most tokens to generate; 0: until a stop */
    axvk_sampling sampling;         /* --temp, --top-k, --top-p, --min-p, --seed, penalties */
    const char *stop[CLI_MAX_STOP]; /* --stop TEXT, repeatable */
    size_t n_stop;
};

/* A cli_option_fn for the flags above: 2 when `flag` is one of them and took `value`, 0 when it
 * is not, -1 for a missing or bad value (a bad number is named) or one --stop too many. */
int cli_gen_flag(struct cli_gen_opts *o, const char *flag, const char *value);

/* The generation request the flags describe, streaming to on_token(user, ...). The stop strings
 * stay owned by `o`. */
axvk_generate_desc cli_gen_desc(const struct cli_gen_opts *o, axvk_token_fn on_token, void *user);

/* What a generation produced: the ids and the text delivered to on_token. */
struct cli_answer {
    int32_t *ids;
    size_t n_ids, ids_cap;
    char *text; /* NUL-terminated; a byte token may put a NUL inside: len counts it all */
    size_t len, text_cap;
};

/* Appends one on_token call: the id (when >= 0) and its text. -1 when out of memory. */
int cli_answer_add(struct cli_answer *a, int32_t id, const char *text, size_t len);
/* Frees what the answer holds and zeroes it. */
void cli_answer_free(struct cli_answer *a);

/* Prints v as indented JSON and a newline on stdout, then deletes it (NULL prints nothing). */
struct cJSON;
void cli_print_json(struct cJSON *v);

/* Creates the context and loads the model, printing one line and returning nonzero on failure. */
int cli_open(const struct cli_model_opts *o, axvk_context **ctx, axvk_model **model);

/* Parses a non-negative integer / float argument; prints the flag name and returns -1 if bad. */
int cli_u32(const char *flag, const char *value, uint32_t *out);
int cli_u64(const char *flag, const char *value, uint64_t *out);
int cli_float(const char *flag, const char *value, float *out);

/* An axvk_progress_fn drawing a bar on stderr (user: the label, a const char *). */
void cli_progress(void *user, uint64_t done, uint64_t total);

/* Reads a whole file into a NUL-terminated string (free()); NULL with a message on failure. */
char *cli_read_file(const char *path);
/* The same for a file or, when path is "-", stdin; NUL bytes are kept and *len counts them. */
char *cli_read_bytes(const char *path, size_t *len);

/* A byte count in binary units as the device listings print it: "512 B", "128 MiB",
 * "7.75 GiB" (two decimals unless whole). buf holds CLI_BYTES_LEN; returns buf. */
#define CLI_BYTES_LEN 32
const char *cli_fmt_bytes(char *buf, uint64_t bytes);

/* Wall clock in milliseconds. */
double cli_now_ms(void);

#endif
