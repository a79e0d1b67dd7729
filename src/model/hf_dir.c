/* hf_dir: the safetensors files of a Hugging Face model directory, found through
 * model.safetensors.index.json ({"weight_map": {tensor: file}}) or as one model.safetensors.
 * Opens only files inside the directory the caller named; parsing is safetensors.c's. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/alloc.h"
#include "base/mapfile.h"
#include "model/safetensors.h"

#define INDEX_NAME "model.safetensors.index.json"
#define SINGLE_NAME "model.safetensors"

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = mem_alloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* A shard name from the index: a plain file name, so the index cannot point outside `dir`. */
static bool plain_file_name(const char *name)
{
    return name[0] && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/') &&
           !strchr(name, '\\');
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct shard file names, sorted (model-00001-of-... first); they point into the JSON tree. */
static axvk_status list_files(const cJSON *map, const char ***files, size_t *n_files,
                              struct err *err)
{
    size_t cap = 0;
    *files = NULL;
    *n_files = 0;
    for (const cJSON *e = map->child; e; e = e->next) {
        if (!cJSON_IsString(e) || !plain_file_name(e->valuestring))
            return err_set(err, AXVK_ERR_BAD_FILE,
                           "weight_map entry %s: file is not a plain file name", e->string);
        size_t i = 0;
        while (i < *n_files && strcmp((*files)[i], e->valuestring) != 0)
            i++;
        if (i < *n_files)
            continue;
        if (mem_grow((void **)files, &cap, *n_files + 1, sizeof **files))
            return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "weight_map: out of memory");
        (*files)[(*n_files)++] = e->valuestring;
    }
    if (*n_files == 0)
        return err_set(err, AXVK_ERR_BAD_FILE, "weight_map is empty");
    qsort(*files, *n_files, sizeof **files, name_cmp);
    return AXVK_OK;
}

/* Every tensor the index names must sit in the file it names. */
static axvk_status check_index(const struct st_set *set, const cJSON *map, const char **files,
                               size_t n_files, struct err *err)
{
    for (const cJSON *e = map->child; e; e = e->next) {
        const struct st_tensor *t = st_find(set, e->string);
        size_t f = 0;
        while (f < n_files && strcmp(files[f], e->valuestring) != 0)
            f++;
        if (!t || t->file != f)
            return err_set(err, AXVK_ERR_BAD_FILE,
                           "index lists tensor %s in %s, which does not hold it", e->string,
                           e->valuestring);
    }
    return AXVK_OK;
}

static axvk_status open_indexed(struct st_set *set, const char *dir, const char *index_path,
                                struct err *err)
{
    char *text = NULL, *path = NULL;
    const char **files = NULL;
    size_t n_files = 0, size = 0;
    cJSON *root = NULL;
    axvk_status s = file_read_all(index_path, &text, &size, err);
    if (s != AXVK_OK)
        return s;
    root = cJSON_ParseWithLength(text, size);
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    if (!cJSON_IsObject(map)) {
        s = err_set(err, AXVK_ERR_BAD_FILE, "%s: %s", index_path,
                    root ? "no \"weight_map\" object" : "not valid JSON");
        goto fail;
    }
    s = list_files(map, &files, &n_files, err);
    if (s != AXVK_OK) {
        err_wrap(err, "%s", index_path);
        goto fail;
    }
    for (size_t i = 0; i < n_files && s == AXVK_OK; i++) {
        mem_free(path);
        path = join(dir, files[i]);
        s = path ? st_set_add_file(set, path, err)
                 : err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: out of memory", dir);
    }
    if (s == AXVK_OK)
        s = st_set_finish(set, err);
    if (s == AXVK_OK && (s = check_index(set, map, files, n_files, err)) != AXVK_OK)
        err_wrap(err, "%s", index_path);
fail:
    mem_free(path);
    mem_free(files);
    cJSON_Delete(root);
    mem_free(text);
    return s;
}

axvk_status st_open_dir(struct st_set **out, const char *dir, struct err *err)
{
    *out = NULL;
    struct st_set *set = NULL;
    char *index_path = join(dir, INDEX_NAME);
    char *single_path = join(dir, SINGLE_NAME);
    axvk_status s = AXVK_ERR_OUT_OF_HOST_MEMORY;
    if (!index_path || !single_path) {
        err_set(err, s, "%s: out of memory", dir);
        goto fail;
    }
    s = st_set_create(&set, err);
    if (s != AXVK_OK)
        goto fail;
    if (access(index_path, F_OK) == 0) {
        s = open_indexed(set, dir, index_path, err);
    } else if (access(single_path, F_OK) == 0) {
        s = st_set_add_file(set, single_path, err);
        if (s == AXVK_OK && (s = st_set_finish(set, err)) != AXVK_OK)
            err_wrap(err, "%s", single_path);
    } else {
        s = err_set(err, AXVK_ERR_IO, "%s: neither %s nor %s found", dir, INDEX_NAME,
                    SINGLE_NAME);
    }
    if (s != AXVK_OK)
        goto fail;
    mem_free(index_path);
    mem_free(single_path);
    *out = set;
    return AXVK_OK;
fail:
    st_close(set);
    mem_free(index_path);
    mem_free(single_path);
    return s;
}
