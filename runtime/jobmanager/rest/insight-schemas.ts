import { z } from 'zod';
import { ID_PATTERN } from '../../graph/job-graph-schema';
import { jobIdSchema } from './rest-schemas';

/** Path and query schemas of the read-only routes in `insight-routes.ts`. */

const idSchema = (what: string) =>
  z
    .string()
    .max(200)
    .regex(
      ID_PATTERN,
      `must be a ${what} id: letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );

export const vertexParamsSchema = z.object({ id: jobIdSchema, vertexId: idSchema('vertex') });
export const taskManagerParamsSchema = z.object({ id: idSchema('TaskManager') });

/** Most log lines one request returns. */
export const MAX_LOG_LINES = 1_000;

export const logQuerySchema = z.object({
  lines: z
    .string()
    .regex(/^\d{1,4}$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_LOG_LINES, `must be between 1 and ${MAX_LOG_LINES}`)
    .optional()
    .default(200),
});

export type VertexParams = z.infer<typeof vertexParamsSchema>;
export type TaskManagerParams = z.infer<typeof taskManagerParamsSchema>;
export type LogQuery = z.infer<typeof logQuerySchema>;
