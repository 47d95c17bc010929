import type { Collector } from '../api/functions';
import { MAX_WATERMARK } from '../api/event-time/watermark-strategy';
import type { SideOutput, WatermarkEmitter } from '../api/operators/stream-operator';
import type { JobVertex } from '../graph/job-graph';
import type { ChainMember, WatermarkInput } from './chain-member';
import { BroadcastingOutput, CountingOutput, DISCARD, OperatorInput } from './chain-member';
import type { ChainRuntime } from './operator-chain';

/**
 * Where the operators of a chain send what they emit (docs/architecture.md §3): records and
 * side outputs to chained successors (plain calls) and to the record writers of the task's
 * outgoing edges; watermarks to the successors' valves and as channel events. Built once, when
 * the chain is wired.
 */
export class ChainOutputs {
  constructor(
    private readonly vertex: JobVertex,
    private readonly runtime: Pick<ChainRuntime, 'writersByOperator' | 'writerTags'>,
    private readonly members: ReadonlyMap<string, ChainMember>,
    /** The valve input each chained edge feeds. */
    private readonly chainedWatermarkInputs: ReadonlyMap<JobVertex['chainedEdges'][number], WatermarkInput>,
  ) {}

  /**
   * Watermarks an operator emits go to the valves of its chained successors and, as channel
   * events, to every channel of its outgoing edges. The final watermark is not sent: a
   * consumer takes the end of a channel's data as that.
   */
  watermarkEmitterOf(member: ChainMember): WatermarkEmitter {
    const chained = this.vertex.chainedEdges
      .filter((e) => e.from === member.node.id)
      .map((e) => this.chainedWatermarkInputs.get(e)!);
    const writers = this.runtime.writersByOperator.get(member.node.id) ?? [];
    return {
      emitWatermark: (timestamp) => {
        if (timestamp <= member.outputWatermark) return;
        member.outputWatermark = timestamp;
        for (const input of chained) input.valve.onWatermark(input.index, timestamp);
        if (timestamp === MAX_WATERMARK) return;
        for (const writer of writers) writer.broadcastEvent({ kind: 'watermark', timestamp });
      },
      emitStatus: (idle) => {
        for (const input of chained) input.valve.onStatus(input.index, idle);
        for (const writer of writers) writer.broadcastEvent({ kind: 'watermark-status', idle });
      },
    };
  }

  /**
   * Where the operator's records of one output go: `tag` undefined is the main output, else
   * the side output of that OutputTag id. Chained successors and the edges' record writers.
   */
  outputOf(member: ChainMember, tag: string | undefined): Collector<unknown> {
    const chained = this.vertex.chainedEdges.filter((e) => e.from === member.node.id && e.outputTag === tag);
    const writers = (this.runtime.writersByOperator.get(member.node.id) ?? []).filter(
      (w) => this.runtime.writerTags.get(w) === tag,
    );
    if (chained.length === 1 && writers.length === 0 && tag === undefined) {
      return new OperatorInput(this.members.get(chained[0]!.to)!, chained[0]!.input, member);
    }
    const outputs: Collector<unknown>[] = chained.map(
      (e) => new OperatorInput(this.members.get(e.to)!, e.input),
    );
    outputs.push(...writers);
    if (outputs.length === 0) return DISCARD;
    return new CountingOutput(member, outputs.length === 1 ? outputs[0]! : new BroadcastingOutput(outputs));
  }

  /** The operator's side outputs: one output per OutputTag that a chained edge or a writer reads. */
  sideOutputOf(member: ChainMember): SideOutput {
    const writers = this.runtime.writersByOperator.get(member.node.id) ?? [];
    const tags = new Set<string>();
    for (const e of this.vertex.chainedEdges)
      if (e.from === member.node.id && e.outputTag) tags.add(e.outputTag);
    for (const w of writers) {
      const tag = this.runtime.writerTags.get(w);
      if (tag !== undefined) tags.add(tag);
    }
    const byTag = new Map([...tags].map((tag) => [tag, this.outputOf(member, tag)]));
    return {
      emit: (tag, record) => byTag.get(tag)?.collect(record),
    };
  }
}
