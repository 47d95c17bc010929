import { z } from 'zod';
import { jobIdSchema } from './rest-schemas';

/** Path and body schemas of the checkpoint routes in `checkpoint-routes.ts`. */

/** Checkpoint ids count up from 1 (Flink's); a number too long to be one is refused as malformed. */
export const checkpointIdSchema = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a checkpoint id: a positive whole number')
  .transform(Number)
  .refine((n) => n >= 1, 'must be a checkpoint id: a positive whole number');

/** Trigger request ids are UUIDs (what `POST /jobs/:id/checkpoints` answered). */
export const checkpointRequestIdSchema = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    'must be a checkpoint request id (the UUID POST /jobs/:id/checkpoints answered)',
  );

export const checkpointDetailsParamsSchema = z.object({ id: jobIdSchema, checkpointId: checkpointIdSchema });
export const checkpointRequestParamsSchema = z.object({
  id: jobIdSchema,
  requestId: checkpointRequestIdSchema,
});

/** `POST /jobs/:id/checkpoints` takes no options yet: no body, or an empty object. */
export const checkpointTriggerBodySchema = z.strictObject({}).nullish();

export type CheckpointDetailsParams = z.infer<typeof checkpointDetailsParamsSchema>;
export type CheckpointRequestParams = z.infer<typeof checkpointRequestParamsSchema>;
