/* axvk command line: one subcommand per user job, each built on include/axvk.h. */
#include <stdio.h>
#include <string.h>

#include "axvk.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("axvk %u\n", axvk_version());
    return 0;
}
