/**
 * From PyTorch to acon and back: safetensors and PyTorch `.pth` checkpoints (read without executing
 * anything), state_dict ↔ tfjs layers with the layout conversions. Browser-safe; the file reader
 * that streams from disk is in `acon/node` (`readSafetensorsFile`).
 */
export {
  readSafetensors,
  writeSafetensors,
  readSafetensorsHeader,
  readSafetensorsMetadata,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors.js';
export { halfToFloat, type StoredDtype } from './dtypes.js';
export {
  readTorchCheckpoint,
  readTorchCheckpointEntries,
  TORCH_STORAGE_DTYPES,
  STATE_DICT_FIELDS,
  type TorchCheckpointOptions,
  type TorchCheckpointEntry,
} from './torch_checkpoint.js';
export {
  loadTorchStateDict,
  exportTorchStateDict,
  torchParams,
  modulePath,
  TORCH_LAYER_CLASSES,
  TORCH_BATCH_NORM_EPS,
  type TorchParam,
  type ModuleMapping,
  type LoadTorchStateDictOptions,
  type LoadTorchStateDictResult,
  type ExportTorchStateDictOptions,
} from './state_dict.js';
export { aconify, type AconifyOptions } from './aconify.js';
