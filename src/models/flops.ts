/**
 * Multiply–accumulates of one forward pass for one input, counted from the layers' shapes:
 * conv H'·W'·C_out·k_h·k_w·C_in, depthwise H'·W'·C·k_h·k_w, dense in·out. Normalisation,
 * activations, pooling and additions are not counted (the convention of the ShuffleNet papers).
 */
import * as tfl from '@tensorflow/tfjs-layers';

export function countMacs(model: tfl.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls !== 'Conv2D' && cls !== 'DepthwiseConv2D' && cls !== 'Dense') continue;
    const out = layer.outputShape as number[];
    const kernel = layer.getWeights()[0].shape;
    const positions = out.slice(1, -1).reduce((a, d) => a * d, 1);
    if (cls === 'Dense') macs += kernel[0] * kernel[1];
    else if (cls === 'Conv2D') macs += positions * kernel[0] * kernel[1] * kernel[2] * kernel[3];
    else macs += positions * kernel[0] * kernel[1] * kernel[2] * kernel[3];
  }
  return macs;
}
