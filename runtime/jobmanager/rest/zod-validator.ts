import type { FastifySchemaCompiler } from 'fastify';
import type { ZodType } from 'zod';
import { BadRequestError } from '../../errors';
import { describeIssues } from '../../util/describe-zod-issues';

const PART_NAMES: Record<string, string> = {
  body: 'request body',
  querystring: 'query parameter',
  params: 'path parameter',
  headers: 'header',
};

/**
 * Lets routes declare zod schemas (`schema: { params, querystring, body }`) instead of JSON
 * Schema. A failure becomes a `BadRequestError` whose message names the field, which the
 * error handler turns into a 400; on success the parsed value (defaults, transforms) replaces
 * the raw input.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<ZodType> = ({ schema, httpPart }) => {
  const part = PART_NAMES[httpPart ?? ''] ?? 'request';
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: new BadRequestError(`invalid ${part}: ${describeIssues(result.error)}`) };
  };
};
