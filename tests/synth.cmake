# Synthetic models and the quantization mix (no GPU).
axvk_test(test_synth SOURCES test_synth.c LIBS axvk_model)
