# Activations rounded as llama.cpp's CPU backend rounds the input of a product with each weight
# type (the "llama-cpu" numerics): f16, bf16, q8_0 blocks of 32, q8_K blocks of 256.
axvk_shader(act_round_f16 act_round.comp DEFINES ROUND_F16=1)
axvk_shader(act_round_bf16 act_round.comp DEFINES ROUND_BF16=1)
axvk_shader(act_round_q8_0 act_round.comp DEFINES ROUND_Q8_0=1)
axvk_shader(act_round_q8_k act_round.comp DEFINES ROUND_Q8_K=1)
