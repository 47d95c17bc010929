/**
 * The Sluice release this runtime is. Kept in step with package.json by a unit test; shown by
 * `GET /config`, written into every checkpoint's and savepoint's `_metadata`.
 */
export const SLUICE_VERSION = '0.1.0';
