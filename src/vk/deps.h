/* deps: decides when a recorded command must wait for earlier ones. Tracks the buffer ranges read
 * and written since the last barrier; plain data, no Vulkan calls, so it is unit-tested alone. */
#ifndef AXVK_VK_DEPS_H
#define AXVK_VK_DEPS_H

#include <stddef.h>
#include <stdint.h>

enum {
    VKDEPS_READ = 1,
    VKDEPS_WRITE = 2,
};

/* One access of a command: bytes [begin, end) of the buffer keyed `buffer` (VK_HANDLE_KEY). */
struct vkdeps_access {
    uint64_t buffer;
    uint64_t begin, end;
    uint32_t mode; /* VKDEPS_READ | VKDEPS_WRITE */
};

struct vkdeps {
    struct vkdeps_access *seen; /* accesses since the last barrier */
    size_t n, cap;
};

void vkdeps_init(struct vkdeps *d);
void vkdeps_free(struct vkdeps *d);
/* A barrier was recorded: nothing is outstanding. */
void vkdeps_reset(struct vkdeps *d);
/* 1 when a command with these accesses must come after a barrier: it reads what an earlier
 * command wrote, writes what one wrote (order of writes) or writes what one read (WAR). Reads of
 * the same range by both never conflict. */
int vkdeps_conflicts(const struct vkdeps *d, const struct vkdeps_access *acc, size_t n);
/* Records a command's accesses; -1 when out of host memory. */
int vkdeps_add(struct vkdeps *d, const struct vkdeps_access *acc, size_t n);
/* True when anything has been written since the last barrier. */
int vkdeps_dirty(const struct vkdeps *d);

#endif
