/* cli: what the subcommands share — number parsing, the progress bar, and opening a context and
 * model from the common flags (-m, -c, --device, --quant, --chat-template, ...). */
#ifndef AXVK_TOOLS_CLI_H
#define AXVK_TOOLS_CLI_H

#include <stdint.h>

#include "axvk.h"

/* Flags every model-using command understands. Zero-initialise. */
struct cli_model_opts {
    const char *model;         /* -m PATH */
    uint32_t n_ctx;            /* -c N */
    uint32_t n_seq;            /* -np N */
    const char *device;        /* --device N|NAME */
    const char *quant;         /* --quant TYPE */
    const char *kv_type;       /* --kv-type f16|q8_0 */
    const char *chat_template; /* --chat-template FILE (its text is loaded) */
    int vocab_only;            /* set by commands that need no weights */
    int quiet;                 /* no progress bar */
};

/* Consumes argv[*i] (and its value) when it is one of the flags above; 1 consumed, 0 not one
 * of them, -1 a bad value (message printed). */
int cli_model_flag(struct cli_model_opts *o, int argc, char **argv, int *i);

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

/* Wall clock in milliseconds. */
double cli_now_ms(void);

#endif
