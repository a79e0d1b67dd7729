/* mapfile: mmap of read-only files, and whole-file reads for small text files. */
#include "base/mapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"

axvk_status mapfile_open(struct mapfile *map, const char *path, struct err *err)
{
    map->data = NULL;
    map->size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, AXVK_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(err, AXVK_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return err_set(err, AXVK_ERR_IO, "%s: mmap failed: %s", path, strerror(errno));
        }
        map->data = p;
        map->size = (uint64_t)st.st_size;
    }
    close(fd);
    return AXVK_OK;
}

void mapfile_close(struct mapfile *map)
{
    if (map && map->data)
        munmap((void *)map->data, (size_t)map->size);
    if (map) {
        map->data = NULL;
        map->size = 0;
    }
}

axvk_status file_read_all(const char *path, char **out, size_t *size, struct err *err)
{
    struct mapfile map;
    axvk_status s = mapfile_open(&map, path, err);
    if (s != AXVK_OK)
        return s;
    char *buf = mem_alloc((size_t)map.size + 1);
    if (!buf) {
        mapfile_close(&map);
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: cannot allocate %llu bytes", path,
                       (unsigned long long)map.size);
    }
    if (map.size)
        memcpy(buf, map.data, (size_t)map.size);
    buf[map.size] = '\0';
    if (size)
        *size = (size_t)map.size;
    *out = buf;
    mapfile_close(&map);
    return AXVK_OK;
}
