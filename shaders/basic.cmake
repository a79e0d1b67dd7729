# Foundation kernels: copy (also the bandwidth probe) and vector add. A kernel is one line here
# plus one line in src/kernels/kernels.def.
axvk_shader(copy copy.comp)
axvk_shader(vec_add vec_add.comp)
