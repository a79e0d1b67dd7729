/* mapfile: read-only memory map of a whole file (model weights, tokenizer files).
 * Owns the mapping's lifetime; parsing is the caller's. */
#ifndef AXVK_BASE_MAPFILE_H
#define AXVK_BASE_MAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct mapfile {
    const uint8_t *data; /* NULL for an empty file */
    uint64_t size;
};

axvk_status mapfile_open(struct mapfile *map, const char *path, struct err *err);
void mapfile_close(struct mapfile *map);

/* Whole file into a NUL-terminated heap buffer (for JSON and text files). */
axvk_status file_read_all(const char *path, char **out, size_t *size, struct err *err);

#endif
