# Build-time shader pipeline: GLSL -> SPIR-V (glslangValidator or glslc) -> spirv-val ->
# C array in axvk_spirv. Nothing is compiled at run time.
find_program(GLSLANG_VALIDATOR glslangValidator)
find_program(GLSLC glslc)
find_program(SPIRV_VAL spirv-val REQUIRED)
if(NOT GLSLANG_VALIDATOR AND NOT GLSLC)
  message(FATAL_ERROR "need glslangValidator (glslang-tools) or glslc to compile shaders")
endif()


# axvk_shader(<variant name> <file.comp> [DEFINES A=1 B ...])
# The variant is embedded as `axvk_spv_<name>` / `axvk_spv_<name>_size`.
function(axvk_shader name source)
  cmake_parse_arguments(ARG "" "" "DEFINES" ${ARGN})
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${source})
  set(spv ${CMAKE_CURRENT_BINARY_DIR}/${name}.spv)
  set(out_c ${CMAKE_CURRENT_BINARY_DIR}/${name}.spv.c)
  set(defs "")
  foreach(d ${ARG_DEFINES})
    list(APPEND defs -D${d})
  endforeach()
  file(GLOB includes ${CMAKE_CURRENT_SOURCE_DIR}/*.glsl ${CMAKE_SOURCE_DIR}/shaders/*.h)
  if(GLSLANG_VALIDATOR)
    set(compile ${GLSLANG_VALIDATOR} -V --target-env vulkan1.2 -S comp -I${CMAKE_SOURCE_DIR}/shaders
        ${defs} -o ${spv} ${src})
  else()
    set(compile ${GLSLC} --target-env=vulkan1.2 -fshader-stage=compute -I${CMAKE_SOURCE_DIR}/shaders
        ${defs} -o ${spv} ${src})
  endif()
  add_custom_command(
    OUTPUT ${out_c}
    COMMAND ${compile}
    COMMAND ${SPIRV_VAL} --target-env vulkan1.2 ${spv}
    COMMAND ${CMAKE_COMMAND} -DSPV=${spv} -DOUT=${out_c} -DNAME=${name} -P ${CMAKE_SOURCE_DIR}/cmake/embed_spirv.cmake
    DEPENDS ${src} ${includes} ${CMAKE_SOURCE_DIR}/cmake/embed_spirv.cmake
    COMMENT "SPIR-V ${name}"
    VERBATIM)
  set_property(GLOBAL APPEND PROPERTY AXVK_SPIRV_SOURCES ${out_c})
endfunction()
