export { aconA, aconB, aconC, aconCPath, type AconOptions } from './op.js';
export { registerAconKernels } from './register.js';
export { initAconWasm } from './wasm.js';
export { ACON_C, ACON_C_GRAD, type AconGate } from './kernel_names.js';
