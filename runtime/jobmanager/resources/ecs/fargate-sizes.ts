/**
 * Fargate accepts only certain CPU/memory pairs for a task. This maps what a TaskManager needs
 * onto the smallest valid pair that covers it. Pure; no SDK.
 */

export interface FargateTaskSize {
  /** CPU units (1024 = 1 vCPU), as RunTask's `overrides.cpu` wants it (as a string). */
  cpu: number;
  /** MiB, as RunTask's `overrides.memory`. */
  memoryMiB: number;
}

interface CpuTier {
  cpu: number;
  memory: number[];
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}

/** The Linux Fargate task sizes (AWS ECS developer guide, "Task CPU and memory"). */
export const FARGATE_TIERS: readonly CpuTier[] = Object.freeze([
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: range(1024, 4096, 1024) },
  { cpu: 1024, memory: range(2048, 8192, 1024) },
  { cpu: 2048, memory: range(4096, 16384, 1024) },
  { cpu: 4096, memory: range(8192, 30720, 1024) },
  { cpu: 8192, memory: range(16384, 61440, 4096) },
  { cpu: 16384, memory: range(32768, 122880, 8192) },
]);

/**
 * The smallest Fargate size with at least `cpuCores` vCPUs and `memoryMiB` MiB, or undefined
 * when nothing fits (more than 16 vCPU or 120 GiB). Memory may force a larger CPU tier, as
 * Fargate ties the memory range to the CPU.
 */
export function fargateSizeFor(cpuCores: number, memoryMiB: number): FargateTaskSize | undefined {
  const cpuUnits = Math.ceil(Math.max(cpuCores, 0) * 1024);
  for (const tier of FARGATE_TIERS) {
    if (tier.cpu < cpuUnits) continue;
    const memory = tier.memory.find((m) => m >= memoryMiB);
    if (memory !== undefined) return { cpu: tier.cpu, memoryMiB: memory };
  }
  return undefined;
}

/** True when `size` is a pair Fargate accepts. */
export function isValidFargateSize(size: FargateTaskSize): boolean {
  return FARGATE_TIERS.some((t) => t.cpu === size.cpu && t.memory.includes(size.memoryMiB));
}
