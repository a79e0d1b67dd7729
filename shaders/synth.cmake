# Synthetic models: random weights of any GGUF type written on the device (synth_fill).
axvk_shader(synth_fill synth_fill.comp)
