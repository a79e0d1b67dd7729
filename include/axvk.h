/* axvk: run Qwen2-architecture language models (SK Telecom A.X 4.0, Qwen2.5) on any Vulkan GPU.
 *
 * This header is the whole public contract. Conventions:
 *  - Handles are opaque. Every object has a create/destroy (or load/destroy) pair and
 *    destroy(NULL) does nothing.
 *  - Every fallible call returns axvk_status; results come back through out-parameters, last.
 *  - axvk_status_str() gives static text for a status; axvk_errmsg(ctx) gives the detail of the
 *    last failure on that context ("tensor blk.3.attn_q.weight: offset 123 past end of file").
 *  - Descriptor structs are zero-initialised by the caller; 0 means "default".
 *  - Enums are append-only. No Vulkan types appear here.
 *  - The library never exits or aborts on bad input.
 */
#ifndef AXVK_H
#define AXVK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AXVK_VERSION_MAJOR 0
#define AXVK_VERSION_MINOR 1
#define AXVK_VERSION_PATCH 0
/* Compare with axvk_version() to detect a header/library mismatch. */
#define AXVK_VERSION ((AXVK_VERSION_MAJOR << 16) | (AXVK_VERSION_MINOR << 8) | AXVK_VERSION_PATCH)

/* Status codes, grouped by area. Append only. */
typedef enum axvk_status {
    AXVK_OK = 0,
    /* caller */
    AXVK_ERR_INVALID_ARGUMENT = 1,
    AXVK_ERR_UNSUPPORTED = 2,
    /* host */
    AXVK_ERR_OUT_OF_HOST_MEMORY = 10,
    AXVK_ERR_IO = 11,
    /* Vulkan and devices */
    AXVK_ERR_NO_VULKAN = 20,  /* no loader (libvulkan.so.1) or no usable instance */
    AXVK_ERR_NO_DEVICE = 21,  /* no physical device, or none matching the request */
    AXVK_ERR_VULKAN = 22,     /* a Vulkan call failed for another reason */
    AXVK_ERR_OUT_OF_DEVICE_MEMORY = 23,
    AXVK_ERR_DEVICE_LOST = 24,
    /* input files and text */
    AXVK_ERR_BAD_FILE = 30,   /* malformed model, tokenizer or config file */
    AXVK_ERR_BAD_MODEL = 31,  /* well-formed file describing an unsupported or inconsistent model */
    AXVK_ERR_TOKENIZER = 32,
    AXVK_ERR_TEMPLATE = 33,
    AXVK_ERR_JSON = 34,
    /* generation */
    AXVK_ERR_CONTEXT_FULL = 40,
    AXVK_ERR_CANCELLED = 41,
} axvk_status;

/* Static, never NULL. */
const char *axvk_status_str(axvk_status status);

/* AXVK_VERSION of the library actually linked. */
uint32_t axvk_version(void);

/* ------------------------------------------------------------------------------------------------
 * Devices
 * ------------------------------------------------------------------------------------------------ */

/* Optional device features, one bit each. axvk_feature_name(i) is how AXVK_DISABLE and
 * axvk_context_desc.disable spell bit i. Append only. */
typedef enum axvk_feature {
    AXVK_FEATURE_FP16 = 1u << 0,                  /* "fp16": shaderFloat16 */
    AXVK_FEATURE_STORAGE16 = 1u << 1,             /* "storage16": storageBuffer16BitAccess */
    AXVK_FEATURE_INT8 = 1u << 2,                  /* "int8": storageBuffer8BitAccess, shaderInt8 */
    AXVK_FEATURE_INTDOT = 1u << 3,                /* "intdot": shaderIntegerDotProduct */
    AXVK_FEATURE_SUBGROUP_SIZE_CONTROL = 1u << 4, /* "subgroup-size-control" */
    AXVK_FEATURE_COOPMAT = 1u << 5,               /* "coopmat": VK_KHR_cooperative_matrix */
    AXVK_FEATURE_MEMORY_BUDGET = 1u << 6,         /* "memory-budget": VK_EXT_memory_budget */
} axvk_feature;
#define AXVK_FEATURE_COUNT 7

/* Static name of feature bit i (AXVK_FEATURE_x == 1u << i); NULL when i >= AXVK_FEATURE_COUNT. */
const char *axvk_feature_name(uint32_t i);

/* One cooperative-matrix configuration a device supports: D[m x n] = A[m x k] * B[k x n] + C. */
typedef struct axvk_coopmat_shape {
    uint32_t m, n, k;
    /* component types of A, B, C and D: "f16", "bf16", "f32", "f64", "s8" ... "u64", "other" */
    char a[8], b[8], c[8], result[8];
    char scope[16]; /* threads sharing one matrix: "subgroup", "workgroup", "device", ... */
    int saturating; /* integer accumulation saturates */
} axvk_coopmat_shape;
#define AXVK_MAX_COOPMAT_SHAPES 32

/* One Vulkan physical device, as `axvk devices` prints it. Plain data; strings are NUL-terminated. */
typedef struct axvk_device_info {
    uint32_t index;              /* position in the listing; what --device N refers to */
    char name[256];
    char vendor[32];             /* "NVIDIA", "AMD", "Intel", "Mesa", ... */
    uint32_t vendor_id;
    uint32_t device_id;
    char type[16];               /* "discrete", "integrated", "virtual", "cpu", "other" */
    char driver_name[256];
    char driver_version[64];     /* decoded the vendor's way, e.g. "550.54.15" on NVIDIA */
    char api_version[32];        /* "1.3.239" */
    uint64_t device_local_bytes; /* largest device-local heap */
    uint64_t budget_bytes;       /* VK_EXT_memory_budget's budget for that heap; 0 when unknown */
    uint64_t max_storage_buffer_range;
    uint64_t max_memory_allocation_size;
    uint32_t subgroup_size_min;
    uint32_t subgroup_size_max;
    /* optional features, after AXVK_DISABLE is applied: 1 present, 0 absent or disabled */
    int fp16;                    /* shaderFloat16 */
    int storage16;               /* storageBuffer16BitAccess */
    int storage8;                /* storageBuffer8BitAccess */
    int intdot;                  /* shaderIntegerDotProduct */
    int subgroup_size_control;
    int coopmat;                 /* VK_KHR_cooperative_matrix */
    int memory_budget;           /* VK_EXT_memory_budget */
    char coopmat_shapes[256];    /* "16x16x16 f16->f32, ..." when coopmat */
    /* the rest of what `axvk devices` prints */
    char driver_info[256];       /* the driver's own detail, e.g. "Mesa 22.3.6 (LLVM 15.0.6)" */
    uint32_t driver_version_raw; /* as reported, in the vendor's packing */
    uint32_t device_heap;        /* the memory heap device_local_bytes describes */
    uint32_t min_storage_buffer_offset_alignment;
    uint32_t max_push_constants_size;
    uint32_t max_workgroup_invocations;
    uint32_t max_workgroup_count[3];
    uint32_t max_shared_memory_bytes;
    uint32_t subgroup_size;      /* the default size */
    int usable;                  /* Vulkan >= 1.2 with a compute queue: axvk can run on it */
    char unusable_reason[96];    /* why not, when !usable */
    uint32_t features_present;   /* AXVK_FEATURE_* the device has */
    uint32_t features_disabled;  /* AXVK_FEATURE_* the disable list names (present or not); the
                                    int flags above are present and not disabled */
    int intdot_accelerated;      /* intdot's packed 8-bit dot product is a native instruction */
    uint32_t n_coopmat;          /* entries of coopmat_list; 0 unless coopmat */
    axvk_coopmat_shape coopmat_list[AXVK_MAX_COOPMAT_SHAPES];
    uint64_t plan_bytes;         /* what model memory plans count on: the budget, else the heap;
                                    on a CPU device at least the host's RAM (its device memory is
                                    host memory, whatever size its heap reports) */
} axvk_device_info;

/* Lists every Vulkan device. *out is an array of *count entries, freed with axvk_free().
 * AXVK_ERR_NO_VULKAN when there is no loader; AXVK_ERR_NO_DEVICE when it lists none.
 * `errmsg` (may be NULL) receives the reason, `errmsg_size` bytes at most. */
axvk_status axvk_devices_list(axvk_device_info **out, size_t *count, char *errmsg, size_t errmsg_size);

/* The device axvk_context_create would use for `device` (as axvk_context_desc.device), without
 * creating it: *out gets its axvk_devices_list entry. AXVK_ERR_NO_DEVICE when nothing matches or
 * the match cannot run axvk, with the reason in errmsg as above. */
axvk_status axvk_devices_select(const char *device, axvk_device_info *out, char *errmsg,
                                size_t errmsg_size);

/* Frees memory the library returned (device lists, rendered text, token arrays). NULL is harmless. */
void axvk_free(void *ptr);

/* ------------------------------------------------------------------------------------------------
 * Context: one Vulkan device and the pipelines built for it. One thread at a time.
 * ------------------------------------------------------------------------------------------------ */

typedef struct axvk_context axvk_context;

enum axvk_context_flags {
    AXVK_CONTEXT_NO_GPU = 1u << 0, /* text-only work (tokenize, templates): no Vulkan at all */
};

typedef struct axvk_context_desc {
    const char *device;  /* NULL: $AXVK_DEVICE, else discrete > integrated > others;
                            "N": index N; any other text: first device whose name contains it */
    const char *disable; /* NULL: $AXVK_DISABLE. Comma list of fp16, int8, intdot,
                            subgroup-size-control, coopmat, memory-budget: treated as absent */
    uint32_t flags;      /* enum axvk_context_flags */
} axvk_context_desc;

/* desc may be NULL (all defaults). On failure *out is NULL and axvk_errmsg(NULL) says why. */
axvk_status axvk_context_create(const axvk_context_desc *desc, axvk_context **out);
void axvk_context_destroy(axvk_context *ctx);

/* Detail of the last failure on ctx ("" when none). With ctx NULL: the last failure of this
 * thread in a call that had no context to report through (context creation). Never NULL. */
const char *axvk_errmsg(const axvk_context *ctx);

/* The device the context runs on. AXVK_ERR_INVALID_ARGUMENT for an AXVK_CONTEXT_NO_GPU context. */
axvk_status axvk_context_device_info(axvk_context *ctx, axvk_device_info *out);

/* A device-memory copy rate: the roofline that memory-bound work (decoding) is compared to. */
typedef struct axvk_bandwidth {
    uint64_t bytes;  /* copied per pass: as asked, or less (one storage binding, free memory) */
    uint32_t passes; /* timed passes, after one untimed warm-up */
    double seconds;  /* for all timed passes */
    double gbps;     /* (bytes read + bytes written) / seconds / 1e9 */
    int gpu_timer;   /* 1: device timestamps; 0: the host clock around submit and wait */
} axvk_bandwidth;

/* Copies a device buffer of `bytes` (0: 256 MiB, 64 MiB on CPU devices; rounded down to whole
 * 256-byte blocks) `passes` times (0: 8) and reports the rate. AXVK_ERR_INVALID_ARGUMENT on a
 * context created without a device, or for less than 256 bytes. */
axvk_status axvk_context_bandwidth(axvk_context *ctx, uint64_t bytes, uint32_t passes,
                                   axvk_bandwidth *out);

/* ------------------------------------------------------------------------------------------------
 * Model: weights on the device, tokenizer and chat template. Read-only once loaded: sessions of
 * one model may be used from different threads, one thread per session.
 * ------------------------------------------------------------------------------------------------ */

typedef struct axvk_model axvk_model;

/* Called while loading: `done` of `total` bytes uploaded (or read). */
typedef void (*axvk_progress_fn)(void *user, uint64_t done, uint64_t total);

typedef struct axvk_model_desc {
    uint32_t n_ctx;            /* context per sequence for the memory plan; 0: min(trained, 4096) */
    uint32_t n_seq;            /* sequences decoded together (KV slots), 1..8; 0: 1 */
    const char *kv_type;       /* "f16" (default) or "q8_0" */
    const char *quant;         /* Hugging Face weights: quantize while loading ("q8_0", "q4_k_m", ...);
                                  NULL keeps the stored type */
    const char *chat_template; /* template text overriding the model's; NULL: the model's */
    int vocab_only;            /* tokenizer and template only; no weights read, no device needed */
    axvk_progress_fn progress; /* may be NULL */
    void *progress_user;
    const char *numerics;      /* "fp32" (default, NULL): activations enter weight products as
                                  computed. "llama-cpu": each product's input is first rounded as
                                  llama.cpp's CPU backend rounds it for that weight type (to f16,
                                  bf16, or 8-bit blocks of 32 or 256 for quantized weights), so
                                  greedy tokens match llama.cpp's far more often; one extra
                                  pass per product and a scratch buffer per session */
} axvk_model_desc;

/* `path`: a GGUF file (first shard of a split model), or a Hugging Face directory (config.json,
 * *.safetensors, tokenizer files; with vocab_only a tokenizer-only directory is enough).
 * Fails with AXVK_ERR_OUT_OF_DEVICE_MEMORY before uploading when the memory plan does not fit,
 * saying what is needed and what would fit. */
axvk_status axvk_model_load(axvk_context *ctx, const char *path, const axvk_model_desc *desc,
                            axvk_model **out);

/* A model with random weights in the shapes of a real one, made on the device in seconds: no
 * file, no download, nothing quantized on the host. For benchmarks and tests: its output is noise.
 * `spec` is "PRESET[:TYPE]": a preset of axvk_synth_presets() ("ax4-light", "ax4",
 * "qwen2.5-0.5b" ... "qwen2.5-72b", "tiny") and a weight type spelled as for `quant` (default
 * "q4_k_m"), each tensor getting the type llama.cpp's quantizer gives it under that scheme.
 * Same seed, same weights. Norms are 1, biases small; the vocabulary is byte-level (ids 0-2
 * <|endoftext|> <|im_start|> <|im_end|>, 3-258 the 256 bytes, the rest unused), the chat
 * template ChatML. desc may be NULL; of it n_ctx, n_seq, kv_type, chat_template, numerics and
 * progress apply, quant and vocab_only must be unset. Fails like axvk_model_load, before
 * allocating, when the memory plan does not fit the device. */
axvk_status axvk_model_create_synthetic(axvk_context *ctx, const char *spec, uint64_t seed,
                                        const axvk_model_desc *desc, axvk_model **out);

void axvk_model_destroy(axvk_model *model);

typedef struct axvk_model_info {
    char arch[16];          /* "qwen2" or "llama" */
    char name[128];         /* general.name or the directory name */
    char type[16];          /* dominant weight type: "q4_k", "bf16", ... */
    uint32_t n_vocab;
    uint32_t n_ctx_train;
    uint32_t dim;
    uint32_t n_layers;
    uint32_t n_head;
    uint32_t n_kv_head;
    uint32_t head_dim;
    uint32_t ffn_dim;
    uint64_t n_params;
    uint64_t weight_bytes;  /* as stored on the device */
    uint32_t n_stop_ids;
    int32_t stop_ids[8];    /* end-of-generation ids (A.X: 27 <|im_end|>, 0 <|endoftext|>) */
    int has_chat_template;
} axvk_model_info;

axvk_status axvk_model_get_info(const axvk_model *model, axvk_model_info *out);

/* ------------------------------------------------------------------------------------------------
 * Text: tokenizer and chat template of a model. No device work.
 * ------------------------------------------------------------------------------------------------ */

enum axvk_tokenize_flags {
    AXVK_TOKENIZE_NO_SPECIAL = 1u << 0, /* added/special tokens in the text are plain text */
};

/* *ids (freed with axvk_free) receives *n_ids token ids. No BOS is added (none of these models
 * uses one). */
axvk_status axvk_tokenize(const axvk_model *model, const char *text, size_t len, uint32_t flags,
                          int32_t **ids, size_t *n_ids);

enum axvk_detokenize_flags {
    AXVK_DETOKENIZE_SKIP_SPECIAL = 1u << 0, /* control tokens produce no text */
};

/* *text (freed with axvk_free) receives the bytes of ids, NUL-terminated; *len may be NULL. */
axvk_status axvk_detokenize(const axvk_model *model, const int32_t *ids, size_t n_ids,
                            uint32_t flags, char **text, size_t *len);

/* Renders the chat template. messages_json: a JSON array of {"role", "content", ...};
 * tools_json: a JSON array or NULL. *out is freed with axvk_free. */
axvk_status axvk_apply_template(const axvk_model *model, const char *messages_json,
                                const char *tools_json, int add_generation_prompt, char **out);

/* Streaming detokenizer: ids in one at a time, text out in whole UTF-8 characters, holding back
 * the bytes of a character split across tokens. One thread at a time; it reads the model's
 * tokenizer only, so streams of one model may run on different threads. Failures (an id
 * outside the vocabulary) are reported through axvk_errmsg(NULL) of the calling thread. */
typedef struct axvk_detok_stream axvk_detok_stream;

/* flags: enum axvk_detokenize_flags. The model must outlive the stream. */
axvk_status axvk_detok_stream_create(const axvk_model *model, uint32_t flags,
                                     axvk_detok_stream **out);
/* Appends id; *text and *len receive the text now complete (possibly empty), valid until the
 * next call on the stream. Bytes that can never form a character come out as U+FFFD. */
axvk_status axvk_detok_stream_push(axvk_detok_stream *stream, int32_t id, const char **text,
                                   size_t *len);
/* Ends the text: held-back bytes come out as U+FFFD. The stream may then be reused. */
void axvk_detok_stream_flush(axvk_detok_stream *stream, const char **text, size_t *len);
void axvk_detok_stream_destroy(axvk_detok_stream *stream);

/* Stop strings over streamed text: text that might still become a stop string is held back
 * until it no longer can, so a reader never sees part of one; text from a match on is dropped.
 * Feed it whole UTF-8 characters (what axvk_detok_stream gives). One thread at a time;
 * failures are reported through axvk_errmsg(NULL). */
typedef struct axvk_stop_matcher axvk_stop_matcher;

/* stops[n]: NUL-terminated strings, copied; empty ones are ignored; n may be 0. */
axvk_status axvk_stop_matcher_create(const char *const *stops, size_t n, axvk_stop_matcher **out);
/* Appends text; *emit and *emit_len receive what is now safe to deliver (valid until the next
 * call), and *matched becomes 1 once a stop string has matched: *emit then ends just before
 * it, and later pushes give nothing. */
axvk_status axvk_stop_matcher_push(axvk_stop_matcher *matcher, const char *text, size_t len,
                                   const char **emit, size_t *emit_len, int *matched);
/* At the end of the text: what was held back, which can no longer become a stop string. */
void axvk_stop_matcher_flush(axvk_stop_matcher *matcher, const char **emit, size_t *emit_len);
void axvk_stop_matcher_destroy(axvk_stop_matcher *matcher);

/* ------------------------------------------------------------------------------------------------
 * Session: the KV cache of up to n_seq sequences and the recorded decode step. One thread at a time.
 * ------------------------------------------------------------------------------------------------ */

typedef struct axvk_session axvk_session;

typedef struct axvk_session_desc {
    uint32_t n_ctx;   /* tokens per sequence; 0: the model's planned n_ctx */
    uint32_t n_seq;   /* 1..8; 0: the model's planned n_seq */
    uint32_t n_batch; /* prompt tokens per prefill chunk; 0: 512 */
} axvk_session_desc;

axvk_status axvk_session_create(axvk_model *model, const axvk_session_desc *desc,
                                axvk_session **out);
void axvk_session_destroy(axvk_session *session);

/* Forgets every token of sequence seq. */
axvk_status axvk_session_clear(axvk_session *session, uint32_t seq);
/* Tokens sequence seq holds. */
axvk_status axvk_session_n_past(const axvk_session *session, uint32_t seq, uint32_t *n_past);

/* Appends tokens to sequence seq (prefill in chunks of n_batch). Afterwards the sequence's logits
 * are those that follow its last token. AXVK_ERR_CONTEXT_FULL past n_ctx (nothing is appended). */
axvk_status axvk_session_feed(axvk_session *session, uint32_t seq, const int32_t *ids, size_t n_ids);

/* Copies the current logits of sequence seq (n_vocab floats). */
axvk_status axvk_session_logits(axvk_session *session, uint32_t seq, float *logits, size_t n_vocab);

typedef struct axvk_sampling {
    float temperature;       /* <= 0: greedy (argmax) */
    uint32_t top_k;          /* 0: off */
    float top_p;             /* 0 or >= 1: off */
    float min_p;             /* 0: off */
    float repeat_penalty;    /* 0 or 1: off */
    float presence_penalty;
    float frequency_penalty;
    uint32_t penalty_last_n; /* window of previous ids the penalties look at; 0: 64 */
    uint64_t seed;           /* same seed, same tokens */
} axvk_sampling;

/* Draws the next token of each sequence seqs[i] from its current logits (on the device). */
axvk_status axvk_session_sample(axvk_session *session, const uint32_t *seqs, size_t n,
                                const axvk_sampling *sampling, int32_t *ids);

#define AXVK_MAX_LOGPROBS 20

/* A token and its log-probability: log softmax of the logits after the penalties, at
 * temperature 1, over the whole vocabulary (what OpenAI's `logprobs` report). */
typedef struct axvk_token_logprob {
    int32_t id;
    float logprob;
} axvk_token_logprob;

typedef struct axvk_sample_logprobs {
    axvk_token_logprob chosen;                 /* the drawn token */
    axvk_token_logprob top[AXVK_MAX_LOGPROBS]; /* the n_logprobs most likely, most likely first */
} axvk_sample_logprobs;

/* As axvk_session_sample, with settings per sequence: sampling[i] for seqs[i] (distinct). With
 * n_logprobs 1..AXVK_MAX_LOGPROBS, logprobs[i] (an array of n) receives the chosen token's and
 * the n_logprobs most likely tokens' log-probabilities; with 0, logprobs may be NULL. Sequences
 * drawn together cost one device submission, whatever their settings. */
axvk_status axvk_session_sample_each(axvk_session *session, const uint32_t *seqs, size_t n,
                                     const axvk_sampling *sampling, uint32_t n_logprobs,
                                     int32_t *ids, axvk_sample_logprobs *logprobs);

/* One decode step of several sequences together: appends ids[i] to sequence seqs[i]. */
axvk_status axvk_session_decode(axvk_session *session, const uint32_t *seqs, const int32_t *ids,
                                size_t n);

/* ------------------------------------------------------------------------------------------------
 * Generation: prompt in, tokens streamed out, for one sequence of a session.
 * ------------------------------------------------------------------------------------------------ */

/* Called for each generated token with the text it completes (whole UTF-8 characters only; may
 * be empty while a character or a possible stop string is held back). Return nonzero to stop. */
typedef int (*axvk_token_fn)(void *user, int32_t id, const char *text, size_t len);

typedef enum axvk_finish {
    AXVK_FINISH_STOP = 0,      /* a stop id or stop string */
    AXVK_FINISH_LENGTH = 1,    /* max_tokens reached, or the context is full */
    AXVK_FINISH_CANCELLED = 2, /* the callback asked to stop */
} axvk_finish;

typedef struct axvk_generate_desc {
    axvk_sampling sampling;
    uint32_t max_tokens;       /* 0: until a stop or the context is full */
    const char *const *stop;   /* stop strings: text up to the first match is delivered */
    size_t n_stop;
    int ignore_stop_ids;       /* keep going past the model's end-of-generation ids */
    axvk_token_fn on_token;    /* may be NULL */
    void *user;
} axvk_generate_desc;

typedef struct axvk_generate_result {
    uint32_t n_prompt;         /* tokens fed */
    uint32_t n_generated;      /* tokens sampled (a stop id counts, and is not delivered) */
    double prompt_ms;          /* prefill wall time */
    double generate_ms;        /* decode wall time, first sampled token to the last */
    axvk_finish finish;
} axvk_generate_result;

/* Feeds prompt to sequence seq (after what it already holds), then samples and decodes until a
 * stop. The text is delivered through desc->on_token; result (may be NULL) gets the counts. */
axvk_status axvk_generate(axvk_session *session, uint32_t seq, const int32_t *prompt,
                          size_t n_prompt, const axvk_generate_desc *desc,
                          axvk_generate_result *result);

/* ------------------------------------------------------------------------------------------------
 * Writing models: synthetic models for tests and benchmarks. Failures are reported through
 * axvk_errmsg(NULL).
 * ------------------------------------------------------------------------------------------------ */

typedef struct axvk_synth_desc {
    const char *preset;        /* "ax4-light", "ax4", "qwen2.5-0.5b" ... "qwen2.5-72b"; NULL: tiny */
    uint32_t n_vocab, dim, n_layers, n_head, n_kv_head, ffn_dim, n_ctx; /* non-zero overrides */
    const char *type;          /* "f16" (default), "bf16", "q8_0", "q4_k_m", "q4_0", ... */
    uint64_t seed;             /* weights are a pure function of the seed */
    const char *tokenizer_dir; /* embed this Hugging Face tokenizer (and chat template); NULL:
                                  a byte-level vocabulary */
    axvk_progress_fn progress; /* bytes of weights written */
    void *progress_user;
} axvk_synth_desc;

/* Writes a GGUF file of the given shape with random weights. */
axvk_status axvk_model_synthesize(const axvk_synth_desc *desc, const char *out_path);

/* Names of the presets, NULL-terminated (static). */
const char *const *axvk_synth_presets(void);

/* ------------------------------------------------------------------------------------------------
 * Converting models: a Hugging Face directory or a GGUF file to a GGUF file of any weight type,
 * readable by other GGUF tools. No device is used; rows are converted while the file is written,
 * so memory stays small whatever the model's size. Failures are reported through axvk_errmsg(NULL).
 * ------------------------------------------------------------------------------------------------ */

typedef struct axvk_convert_desc {
    const char *type;          /* "f16" (default), "f32", "bf16", "q8_0", "q4_0", "q4_1", "q5_0",
                                  "q5_1", "q4_k_s" ("q4_k"), "q4_k_m", "q5_k_s" ("q5_k"),
                                  "q5_k_m", "q6_k": llama.cpp's per-tensor mix for that type */
    const char *name;          /* general.name; NULL: the GGUF's, or the directory's name */
    const char *pre;           /* tokenizer.ggml.pre; NULL: the GGUF's, or recognised from the
                                  tokenizer ("a.x-4.0" for A.X 4.0, "qwen2" for Qwen2.5) */
    axvk_progress_fn progress; /* bytes of tensor data written; may be NULL */
    void *progress_user;
} axvk_convert_desc;

/* `src`: a Hugging Face directory (config.json, *.safetensors, tokenizer files) or a GGUF file.
 * Llama checkpoints get GGUF's q/k row order; metadata of a GGUF source is kept (but the file
 * type). out_path must differ from src; no partial file is left on failure. desc may be NULL. */
axvk_status axvk_convert(const axvk_convert_desc *desc, const char *src, const char *out_path);

#ifdef __cplusplus
}
#endif
#endif /* AXVK_H */
