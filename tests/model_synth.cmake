# Synthetic models made on the device: the fill kernel against the CPU dequantizer, whole models
# of every weight scheme through prefill and decode, the public spec parser.
axvk_test(test_model_synth SOURCES test_model_synth.c gpu_test.c LIBS axvk_api GPU)
