/* Placeholder until the Wasm kernel lands (issue 3). */
int pelican_kernel_version(void) { return 0; }
