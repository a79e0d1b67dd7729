# Chat template fuzzer: arbitrary bytes parse (or fail cleanly) and render a fixed conversation.
# Included from tests/fuzz/CMakeLists.txt, which instruments axvk_text for coverage. Seeds are
# the shipped templates, taken from ../shared at configure time.
set(template_seeds ${CMAKE_CURRENT_BINARY_DIR}/seeds_template)
file(MAKE_DIRECTORY ${template_seeds})
foreach(model ax-4.0-light qwen2.5)
  set(config_file ${AXVK_SHARED_DIR}/models/${model}/tokenizer_config.json)
  if(EXISTS ${config_file})
    file(READ ${config_file} config)
    string(JSON template ERROR_VARIABLE json_error GET "${config}" chat_template)
    if(NOT json_error)
      file(WRITE ${template_seeds}/${model}.jinja "${template}")
    endif()
  endif()
endforeach()
axvk_fuzzer(template axvk_text ${template_seeds})
