# Foundation kernels: copy (and bandwidth probe), vector add.
axvk_shader(copy copy.comp)
