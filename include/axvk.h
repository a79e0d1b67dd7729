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

#ifdef __cplusplus
}
#endif
#endif /* AXVK_H */
