export { aconA, aconB, aconC, aconCPath } from './op.js';
export { registerAconKernels } from './register.js';
export { initAconWasm } from './wasm.js';
export { ACON_C, ACON_C_GRAD } from './kernel_names.js';
