# Writes SPIR-V words as a C array. Called by axvk_shader with SPV, OUT and NAME set.
file(READ ${SPV} hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR nbytes "${nhex} / 2")
# little-endian 32-bit words: bytes b0 b1 b2 b3 -> 0xb3b2b1b0
string(REGEX REPLACE "([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])"
       "0x\\4\\3\\2\\1u," words "${hex}")
file(WRITE ${OUT} "/* generated from ${NAME}.spv */\n#include <stddef.h>\n#include <stdint.h>\n"
     "const uint32_t axvk_spv_${NAME}[] = {${words}};\n"
     "const size_t axvk_spv_${NAME}_size = ${nbytes};\n")
