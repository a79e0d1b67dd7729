# Prefill matrix-matrix product: one tiled variant per weight type (matmul_<type>), and the
# cooperative-matrix variants (matmul_coopmat_<type>) when the shader tools know
# GL_KHR_cooperative_matrix with specialization-constant sizes (the shape is chosen at run time
# from the device's list). Debian 12's glslang 12.0 and spirv-val 2023.1 do not: there
# AXVK_COOPMAT_SPV is OFF, each matmul_coopmat_<type> is embedded as an empty module (size 0, so
# the registry keeps one table for every build) and the host always takes the tiled kernel.
# tools/coopmat-check.sh builds and tests them with newer tools from Debian's archive.
set(AXVK_MATMUL_TYPES f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k q6_k)
foreach(t ${AXVK_MATMUL_TYPES})
  string(TOUPPER ${t} T)
  axvk_shader(matmul_${t} matmul.comp DEFINES DQ_TYPE_${T}=1)
endforeach()

if(NOT DEFINED AXVK_COOPMAT_SPV)
  set(probe_dir ${CMAKE_BINARY_DIR}/coopmat_probe)
  file(WRITE ${probe_dir}/probe.comp
       "#version 450\n#extension GL_KHR_cooperative_matrix : require\n"
       "#extension GL_KHR_memory_scope_semantics : require\n"
       "#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require\n"
       "layout(local_size_x = 32) in;\n"
       "layout(constant_id = 2) const uint M = 16u;\n"
       "layout(std430, binding = 0) buffer B { float b[]; };\n"
       "void main() { coopmat<float, gl_ScopeSubgroup, M, 16, gl_MatrixUseAccumulator> c =\n"
       "  coopmat<float, gl_ScopeSubgroup, M, 16, gl_MatrixUseAccumulator>(1.0);\n"
       "  coopMatStore(c, b, 0, 16, gl_CooperativeMatrixLayoutRowMajor); }\n")
  if(GLSLANG_VALIDATOR)
    set(probe_cmd ${GLSLANG_VALIDATOR} -V --target-env vulkan1.2 -S comp -o ${probe_dir}/probe.spv
        ${probe_dir}/probe.comp)
  else()
    set(probe_cmd ${GLSLC} --target-env=vulkan1.2 -fshader-stage=compute -o ${probe_dir}/probe.spv
        ${probe_dir}/probe.comp)
  endif()
  execute_process(COMMAND ${probe_cmd} RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(probe_rc EQUAL 0)
    execute_process(COMMAND ${SPIRV_VAL} --target-env vulkan1.2 ${probe_dir}/probe.spv
                    RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_QUIET)
  endif()
  if(probe_rc EQUAL 0)
    set(coopmat_ok ON)
  else()
    set(coopmat_ok OFF)
  endif()
  set(AXVK_COOPMAT_SPV ${coopmat_ok} CACHE BOOL
      "Build the cooperative-matrix shader variants (needs glslang >= 13 and a matching spirv-val)")
  message(STATUS "cooperative-matrix shader variants: ${AXVK_COOPMAT_SPV}")
endif()

foreach(t ${AXVK_MATMUL_TYPES})
  string(TOUPPER ${t} T)
  if(AXVK_COOPMAT_SPV)
    axvk_shader(matmul_coopmat_${t} matmul_coopmat.comp DEFINES DQ_TYPE_${T}=1)
  else()
    set(out_c ${CMAKE_CURRENT_BINARY_DIR}/matmul_coopmat_${t}.spv.c)
    file(WRITE ${out_c} "/* matmul_coopmat_${t}: not built (shader compiler without "
         "GL_KHR_cooperative_matrix) */\n#include <stddef.h>\n#include <stdint.h>\n"
         "const uint32_t axvk_spv_matmul_coopmat_${t}[1] = {0};\n"
         "const size_t axvk_spv_matmul_coopmat_${t}_size = 0;\n")
    set_property(GLOBAL APPEND PROPERTY AXVK_SPIRV_SOURCES ${out_c})
  endif()
endforeach()
