/** Gradient of the fused `AconC` kernel: one call of the fused backward kernel `AconCGrad`. */
import * as tf from '@tensorflow/tfjs-core';
import { ACON_C, ACON_C_GRAD, type AconCAttrs } from './kernel_names.js';

export const aconCGradConfig: tf.GradConfig = {
  kernelName: ACON_C,
  inputsToSave: ['x', 'p1', 'p2', 'beta'],
  gradFunc: (dy, saved, attrs) => {
    const [x, p1, p2, beta] = saved;
    const gate = (attrs as Partial<AconCAttrs> | undefined)?.gate ?? 'sigmoid';
    const [dx, dp1, dp2, dbeta] = tf.engine().runKernel(ACON_C_GRAD, { x, p1, p2, beta, dy: dy as tf.Tensor }, { gate }) as tf.Tensor[];
    return { x: () => dx, p1: () => dp1, p2: () => dp2, beta: () => dbeta };
  },
};
