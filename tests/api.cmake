# src/api's device calls on a real device: the listing and choice axvk devices prints, context
# options (a disable list that leaves the environment alone) and the bandwidth probe.
axvk_test(test_api_devices SOURCES test_api_devices.c gpu_test.c LIBS axvk_api GPU)
