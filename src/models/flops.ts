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
    // Dense [in,out]; Conv2D [kh,kw,in,out]; DepthwiseConv2D [kh,kw,C,multiplier]: MACs per output position.
    const kernelSize = layer.getWeights()[0].size;
    const positions = out.slice(1, -1).reduce((a, d) => a * d, 1);
    macs += positions * kernelSize;
  }
  return macs;
}
