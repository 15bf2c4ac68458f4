/** The results.json schema lives in src/results/schema.ts (shared by the trainer and the report); re-exported here for existing imports. */
export * from '../results/schema.js';
