import { registerAconKernels } from './acon/index.js';

registerAconKernels();

export { aconA, aconB, aconC, aconCPath, initAconWasm, ACON_C, ACON_C_GRAD, type AconOptions, type AconGate } from './acon/index.js';
