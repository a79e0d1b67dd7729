/* axvk version: the linked library's version (the header's, if they differ, is reported too). */
#include <stdio.h>

#include "axvk.h"
#include "commands.h"

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint32_t v = axvk_version();
    printf("axvk %u.%u.%u\n", v >> 16, (v >> 8) & 0xff, v & 0xff);
    if (v != AXVK_VERSION)
        printf("(built against header %u.%u.%u)\n", AXVK_VERSION >> 16, (AXVK_VERSION >> 8) & 0xff,
               AXVK_VERSION & 0xff);
    return 0;
}
