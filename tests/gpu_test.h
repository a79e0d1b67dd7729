/* gpu_test: what every GPU test executable shares. One device per executable (env AXVK_DEVICE
 * honoured), skip code 77 when there is none, the validation-error check at the end, random and
 * poison fillers, NMSE, and upload/download wrappers that fail the test on error.
 *
 *   int main(void) {
 *       gpu_dev = gpu_test_open();
 *       if (!gpu_dev) return GPU_TEST_SKIP;
 *       int failed = cmocka_run_group_tests(tests, NULL, NULL);
 *       return gpu_test_close(gpu_dev, failed);
 *   }
 */
#ifndef AXVK_TESTS_GPU_TEST_H
#define AXVK_TESTS_GPU_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "vk/device.h"
#include "vk/memory.h"
#include "vk/record.h"

#define GPU_TEST_SKIP 77

/* The executable's device, set by main from gpu_test_open. */
extern struct vkdev *gpu_dev;

/* Creates the device (pipeline cache under the build tree, not ~/.cache). NULL with the reason on
 * stderr when there is no Vulkan or no device: main then returns GPU_TEST_SKIP. */
struct vkdev *gpu_test_open(void);
/* Destroys dev; returns `failed`, plus one when the validation layer reported any error. */
int gpu_test_close(struct vkdev *dev, int failed);

/* Deterministic xorshift generator; each test seeds it for reproducible inputs. */
void gpu_test_seed(uint64_t seed);
uint32_t gpu_test_u32(void);
/* Uniform in [lo, hi), never exactly zero. */
float gpu_test_f32(float lo, float hi);
void gpu_test_fill_f32(float *x, size_t n, float lo, float hi);
void gpu_test_fill_bytes(void *p, size_t n);

/* A quiet NaN with a payload no kernel produces: fill outputs with it first, so an element a
 * kernel forgot to write fails the comparison. */
#define GPU_TEST_POISON 0x7fc0deadu
/* Fills buf with GPU_TEST_POISON (size a multiple of 4). */
void gpu_test_poison(struct vkdev *dev, const struct vkbuf *buf);

/* NMSE = sum (a - ref)^2 / sum ref^2 (1 when ref is all zero and a is not; NaN anywhere: 1e30). */
double gpu_test_nmse(const float *a, const float *ref, size_t n);

/* Device buffer holding `bytes` of data (NULL: poisoned). Fails the test on error. */
struct vkbuf gpu_test_buffer(struct vkdev *dev, const void *data, uint64_t bytes);
void gpu_test_upload(struct vkdev *dev, const struct vkbuf *dst, const void *src, uint64_t bytes);
void gpu_test_download(struct vkdev *dev, void *dst, const struct vkbuf *src, uint64_t bytes);
/* `rows` weight rows of row_bytes each (w, as a file holds them) uploaded in row-range parts, as
 * the model loader cuts them to fit the device's binding range. Fails the test on error. */
struct vksplit gpu_test_upload_split(struct vkdev *dev, const void *w, uint64_t row_bytes,
                                     uint32_t rows);
/* Runs a recording (end, submit, wait) and fails the test with its message on error. */
void gpu_test_run(struct vkrec *rec);
/* A recorder with default settings, begun. */
struct vkrec *gpu_test_recorder(struct vkdev *dev);

#endif
