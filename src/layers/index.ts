/**
 * The user-facing layers (registered for serialization on import) and their lower-case factories,
 * tfjs-layers style. The trainer's internals (cross-replica batch-norm statistics, the functional
 * batch norm, the channel-shuffle split of the bundled ShuffleNet) stay in their modules.
 */
import { AconA, AconB, AconC, type AconBLayerArgs, type AconCLayerArgs, type AconLayerArgs } from './acon.js';
import { MetaAconC, type MetaAconCLayerArgs } from './meta_acon.js';
import { TorchBatchNorm, type TorchBatchNormLayerArgs } from './torch_batch_norm.js';
// Registers ChannelShuffleSplit, so that saved ShuffleNets load wherever the layers are imported.
import './channel_shuffle.js';

export { AconA, AconB, AconC, MetaAconC, TorchBatchNorm };
export type { AconLayerArgs, AconBLayerArgs, AconCLayerArgs, MetaAconCLayerArgs, TorchBatchNormLayerArgs };
export { META_ACON_GRANULARITIES, type MetaAconGranularity, type MetaAconNormalization } from './meta_acon.js';
export { ACON_PRESETS, type AconPreset, type InitializerLike } from './initializers.js';

export const aconA = (args?: AconLayerArgs) => new AconA(args);
export const aconB = (args?: AconBLayerArgs) => new AconB(args);
export const aconC = (args?: AconCLayerArgs) => new AconC(args);
export const metaAconC = (args?: MetaAconCLayerArgs) => new MetaAconC(args);
export const torchBatchNorm = (args?: TorchBatchNormLayerArgs) => new TorchBatchNorm(args);
