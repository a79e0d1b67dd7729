/* commands: each subcommand's entry point, argv[0] being the subcommand name. */
#ifndef AXVK_TOOLS_COMMANDS_H
#define AXVK_TOOLS_COMMANDS_H

#define COMMAND(name, summary) int cmd_##name(int argc, char **argv);
#include "commands.def"
#undef COMMAND

#endif
