/**
 * `acon train|compare --profile`: for each activation of the configuration, builds its network
 * (same model, width, blocks and batch as the run would use) on the chosen backend and prints the
 * per-kernel share of one training step (`src/train/profile.ts`), instead of training. With
 * `workers` > 1 it profiles what each worker computes: one replica's shard, with synchronised batch norm.
 */
import { createModel } from '../models/factory.js';
import type { ModelName } from '../models/index.js';
import { formatStepProfile, profileTrainingStep } from '../train/profile.js';
import { initNodeBackend, type NodeBackendName } from './backend.js';

export interface ProfileRequest {
  activations: string[];
  model: ModelName;
  widthMultiplier?: number;
  repeats?: number[];
  batchSize: number;
  labelSmoothing: number;
  /** Data-parallel replicas of the run; default 1. */
  workers?: number;
  backend?: NodeBackendName;
}

export async function printStepProfiles(cfg: ProfileRequest, print: (m: string) => void = (m) => console.log(m)): Promise<void> {
  await initNodeBackend({ backend: cfg.backend, log: (m) => console.error(m) });
  for (const activation of cfg.activations) {
    const model = createModel({ model: cfg.model, activation, widthMultiplier: cfg.widthMultiplier, repeats: cfg.repeats, seed: 1 });
    try {
      const p = await profileTrainingStep(model, { batch: cfg.batchSize, labelSmoothing: cfg.labelSmoothing, replicas: cfg.workers ?? 1 });
      print(`${formatStepProfile(p, `${activation} (${cfg.model})`)}\n`);
    } finally {
      model.dispose();
    }
  }
}
