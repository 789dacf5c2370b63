/**
 * The argument_specs meta-schema validator, generated at build time by scripts/meta-validator.mjs
 * (Ajv standalone code from schemas/argument_specs.schema.json) as dist/src/argspec/meta-validator.js.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';

export interface MetaSchemaValidator {
  (data: unknown): boolean;
  /** the first error (allErrors off, verbose on), or null when the data passed */
  errors?: ErrorObject[] | null;
}

export declare const validate: MetaSchemaValidator;
export default validate;
