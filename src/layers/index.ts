/** Layer classes (registered for serialization on import) and lower-case factories, tfjs-layers style. */
import { AconA, AconB, AconC, type AconBLayerArgs, type AconCLayerArgs, type AconLayerArgs } from './acon.js';
import { MetaAconC, type MetaAconCLayerArgs } from './meta_acon.js';
import { TorchBatchNorm, type TorchBatchNormLayerArgs } from './torch_batch_norm.js';

export { AconA, AconB, AconC, MetaAconC, TorchBatchNorm };
export type { AconLayerArgs, AconBLayerArgs, AconCLayerArgs, MetaAconCLayerArgs, TorchBatchNormLayerArgs };
export type { MetaAconGranularity, MetaAconNormalization } from './meta_acon.js';
export { ACON_PRESETS, type AconPreset, type InitializerLike } from './initializers.js';
export { applyTorchBatchNorm, TORCH_BN_EPS, TORCH_BN_MOMENTUM } from './torch_batch_norm.js';
export { withCrossReplicaReducer, crossReplicaReducer, type CrossReplicaReducer } from './cross_replica.js';
export { ChannelShuffleSplit } from './channel_shuffle.js';

export const aconA = (args?: AconLayerArgs) => new AconA(args);
export const aconB = (args?: AconBLayerArgs) => new AconB(args);
export const aconC = (args?: AconCLayerArgs) => new AconC(args);
export const metaAconC = (args?: MetaAconCLayerArgs) => new MetaAconC(args);
export const torchBatchNorm = (args?: TorchBatchNormLayerArgs) => new TorchBatchNorm(args);
