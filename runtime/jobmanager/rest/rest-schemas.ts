import { z } from 'zod';
import { ID_PATTERN, jobGraphSchema, jobSettingsSchema } from '../../graph/job-graph-schema';
import type { JobSubmission } from '../gateway';

/**
 * Schemas of everything a REST client sends: path parameters, query strings and bodies. The
 * server validates with them before a handler runs (see `zod-validator.ts`); the CLI reuses the
 * id patterns to refuse a malformed id before a round trip.
 */

/** Job ids are 32 lowercase hex characters (a UUID without dashes). */
export const JOB_ID_PATTERN = /^[0-9a-f]{32}$/;
/** Artifacts are addressed by the SHA-256 of their bytes, lowercase hex. */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export const ARGS_LIMITS = Object.freeze({ maxEntries: 64, maxKeyLength: 128, maxValueLength: 8_192 });

export const jobIdSchema = z.string().regex(JOB_ID_PATTERN, 'must be a job id: 32 lowercase hex characters');
export const sha256Schema = z
  .string()
  .regex(SHA256_PATTERN, 'must be a SHA-256: 64 lowercase hex characters');

export const jobParamsSchema = z.object({ id: jobIdSchema });
export const artifactParamsSchema = z.object({ sha256: sha256Schema });

/** A non-negative index from a query string (query values arrive as text). */
const indexParam = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a non-negative integer')
  .transform(Number)
  .optional()
  .default(0);

export const jobOutputQuerySchema = z.object({ fromLine: indexParam, fromResult: indexParam });

/** Only `cancel` for now; Flink's `stop` (with savepoint) becomes `POST /jobs/:id/stop`. */
export const jobPatchQuerySchema = z.object({ mode: z.literal('cancel') });

export const jobArgsSchema = z
  .record(
    z
      .string()
      .max(ARGS_LIMITS.maxKeyLength)
      .regex(ID_PATTERN, "must be letters, digits, '.', '_' or '-', starting with a letter or digit"),
    z.string().max(ARGS_LIMITS.maxValueLength),
  )
  .refine((args) => Object.keys(args).length <= ARGS_LIMITS.maxEntries, {
    message: `at most ${ARGS_LIMITS.maxEntries} arguments are allowed`,
  });

export const jobSubmissionSchema = z.strictObject({
  jobGraph: jobGraphSchema,
  artifact: sha256Schema,
  args: jobArgsSchema,
  buildSettings: jobSettingsSchema,
  savepointPath: z.string().min(1).max(1024).optional(),
  allowNonRestoredState: z.boolean().optional(),
}) satisfies z.ZodType<JobSubmission>;

export type JobParams = z.infer<typeof jobParamsSchema>;
export type ArtifactParams = z.infer<typeof artifactParamsSchema>;
export type JobOutputQuery = z.infer<typeof jobOutputQuerySchema>;
export type JobPatchQuery = z.infer<typeof jobPatchQuerySchema>;
