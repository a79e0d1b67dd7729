/* axvk command line: one subcommand per user job (tools/cmd_<name>.c), each built on the
 * public API in include/axvk.h. This file only dispatches. */
#include <stdio.h>
#include <string.h>

#include "axvk.h"
#include "commands.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
#define COMMAND(name, summary) {#name, cmd_##name, summary},
#include "commands.def"
#undef COMMAND
};

/* Command names are C identifiers; users may type '-' for '_' ("bench-ops"). */
static int same_name(const char *typed, const char *name)
{
    for (; *typed && *name; typed++, name++)
        if (*typed != *name && !(*typed == '-' && *name == '_'))
            return 0;
    return *typed == *name;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: axvk <command> [options]   (axvk <command> --help for details)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (same_name(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "axvk: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
