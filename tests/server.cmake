# src/server (axvk serve): request parsing and replies as unit tests; the server itself over HTTP
# with curl and with the official OpenAI JavaScript client, on a tiny synthetic model that embeds
# the A.X tokenizer and chat template. The HTTP tests skip (77) without a Vulkan device.
axvk_test(test_server_request SOURCES test_server_request.c LIBS axvk_server_json)
axvk_test(test_server_api SOURCES test_server_api.c LIBS axvk_api axvk_server_json GPU)

set(server_model ${CMAKE_CURRENT_BINARY_DIR}/server_tiny.gguf)
add_test(NAME server_model
         COMMAND axvk mkmodel -o ${server_model} --tokenizer ${AXVK_SHARED_DIR}/models/ax-4.0-light
                 --dim 64 --layers 2 --heads 2 --kv-heads 1 --ffn 128)
set_tests_properties(server_model PROPERTIES FIXTURES_SETUP server_model)

add_test(NAME test_server_curl
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/server/curl_test.sh $<TARGET_FILE:axvk>
                 ${server_model} ${CMAKE_CURRENT_BINARY_DIR}/server_curl)
set_tests_properties(test_server_curl PROPERTIES FIXTURES_REQUIRED server_model LABELS gpu
                     SKIP_RETURN_CODE 77 TIMEOUT 600)

# the OpenAI client comes from npm at test time, into the build tree
set(server_npm ${CMAKE_BINARY_DIR}/npm)
add_test(NAME server_npm COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/server/npm_setup.sh ${server_npm})
set_tests_properties(server_npm PROPERTIES FIXTURES_SETUP server_npm SKIP_RETURN_CODE 77
                     TIMEOUT 900)
add_test(NAME test_server_openai
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/server/openai_test.sh $<TARGET_FILE:axvk>
                 ${server_model} ${CMAKE_CURRENT_BINARY_DIR}/server_openai ${server_npm})
set_tests_properties(test_server_openai PROPERTIES FIXTURES_REQUIRED "server_model;server_npm"
                     LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 600)
