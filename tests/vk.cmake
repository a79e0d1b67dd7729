# src/vk and the foundation kernels: host-only checks, the device suite (label gpu), and the two
# commands built on them.
axvk_test(test_vk_deps SOURCES test_vk_deps.c LIBS axvk_kernels)
axvk_test(test_vk SOURCES test_vk.c gpu_test.c LIBS axvk_kernels GPU)

# no Vulkan driver: exactly one line saying so, exit status 1
add_test(NAME vk_devices_without_driver
         COMMAND sh -c "out=$($<TARGET_FILE:axvk> devices 2>&1); rc=$?; echo \"$out\"; [ $rc -eq 1 ] && [ $(echo \"$out\" | wc -l) -eq 1 ]")
set_tests_properties(vk_devices_without_driver PROPERTIES
                     ENVIRONMENT "VK_ICD_FILENAMES=/nonexistent.json;VK_DRIVER_FILES=/nonexistent.json")
# with a device: the listing (JSON) and a short bandwidth run, free of validation errors
add_test(NAME vk_devices_json COMMAND axvk devices --json)
add_test(NAME vk_bandwidth_command COMMAND axvk bandwidth --size 4 --passes 2)
set_tests_properties(vk_devices_json vk_bandwidth_command PROPERTIES LABELS gpu
                     ENVIRONMENT "AXVK_VALIDATION=1;XDG_CACHE_HOME=${CMAKE_CURRENT_BINARY_DIR}/xdg-cache"
                     FAIL_REGULAR_EXPRESSION "validation error")
set_tests_properties(vk_devices_json PROPERTIES PASS_REGULAR_EXPRESSION "\"selected\":[ \t]*true")
