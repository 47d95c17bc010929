import type { JobGraph } from '../graph/job-graph';
import type { JobPlan, PlanInput } from './insight-gateway';

/** A job graph as Flink's `GET /jobs/:id/plan` shows it, with each chain's operators kept. */
export function jobPlan(jobId: string, graph: JobGraph): JobPlan {
  return {
    plan: {
      jid: jobId,
      name: graph.jobName,
      nodes: graph.vertices.map((v) => ({
        id: v.id,
        description: v.name,
        parallelism: v.parallelism,
        slotSharingGroup: v.slotSharingGroup,
        inputs: graph.edges
          .filter((e) => e.targetVertex === v.id)
          .map((e): PlanInput => ({
            id: e.sourceVertex,
            num: e.targetInput,
            ship_strategy: e.partitioner.toUpperCase() as PlanInput['ship_strategy'],
            sourceOperator: e.sourceOperator,
            targetOperator: e.targetOperator,
          })),
        operators: v.operators,
        chainedEdges: v.chainedEdges,
      })),
    },
  };
}
