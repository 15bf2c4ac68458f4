/** The stock kernels that ours replace, kept so that ours can hand them the cases they do not handle. */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

const stock = new Map<string, KernelConfig>();
/** Stock kernels whose `setupFunc` has run, per backend instance. */
const setUp = new WeakMap<object, Set<KernelConfig>>();

const key = (kernelName: string, backendName: string) => `${backendName}/${kernelName}`;

export function rememberStock(config: KernelConfig): void {
  stock.set(key(config.kernelName, config.backendName), config);
}

export function stockKernel(kernelName: string, backendName: string): KernelConfig | undefined {
  return stock.get(key(kernelName, backendName));
}

/**
 * Runs the stock kernel on `args`. Its setup runs first (once per backend instance), because the
 * engine runs setups only for kernels registered when the backend initializes.
 */
export function callStock(kernelName: string, backendName: string, args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const config = stockKernel(kernelName, backendName);
  if (!config) throw new Error(`${kernelName}: case not supported and no stock '${backendName}' kernel to hand it to`);
  const backend = args.backend as object;
  let done = setUp.get(backend);
  if (!done) setUp.set(backend, (done = new Set()));
  if (!done.has(config)) {
    config.setupFunc?.(args.backend);
    done.add(config);
  }
  return config.kernelFunc(args);
}
