/**
 * The JSON body of POST /api/inject (pure): checked against one JSON Schema (ajv), the first problem
 * reported as a 400 naming the field (`recipients[1].email`). The same schema is in
 * docs/inject-openapi.yaml.
 */
import { isUtf8 } from 'node:buffer';
import { Ajv, type ErrorObject } from 'ajv';
import { InjectError } from './inject-error.js';

export interface InjectRecipient {
  email: string;
  name?: string;
  /** `{{key}}` placeholders of subject, text and html replaced for this recipient, who then gets a message of its own. */
  substitutions?: Record<string, string>;
}

export interface InjectAttachment {
  filename: string;
  /** Base64. */
  content: string;
  contentType?: string;
}

export interface InjectRequest {
  /** Envelope sender (MAIL FROM) and, unless `headers.From` is set, the From header. "" is the null sender. */
  from: string;
  fromName?: string;
  recipients: InjectRecipient[];
  subject?: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: InjectAttachment[];
  /** Added as X-Virtual-MTA: a <virtual-mta> or <virtual-mta-pool> name, honoured under process-x-virtual-mta. */
  vmta?: string;
  /** Added as X-Job, honoured under process-x-job. */
  job?: string;
}

const str = { type: 'string' } as const;
const line = { type: 'string', pattern: '^[^\\r\\n]*$' } as const;
export const injectRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'recipients'],
  properties: {
    from: { ...line, maxLength: 512 },
    fromName: line,
    recipients: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['email'],
        properties: {
          email: { ...line, minLength: 1, maxLength: 512 },
          name: line,
          substitutions: { type: 'object', additionalProperties: str },
        },
      },
    },
    subject: line,
    text: str,
    html: str,
    headers: { type: 'object', propertyNames: { pattern: '^[!-9;-~]+$' }, additionalProperties: line },
    attachments: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['filename', 'content'],
        properties: {
          filename: { ...line, minLength: 1 },
          content: { type: 'string', pattern: '^[A-Za-z0-9+/=\\s]*$' },
          contentType: { type: 'string', pattern: '^[\\w.+-]+/[\\w.+-]+$' },
        },
      },
    },
    vmta: { type: 'string', pattern: '^[\\w.-]+$' },
    job: { type: 'string', pattern: '^[\\x21-\\x7e]{1,256}$' },
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: true }).compile(injectRequestSchema);

/** `/recipients/0/email` → `recipients[0].email`. */
export function fieldOf(error: ErrorObject): string {
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = error.params as { missingProperty?: string; additionalProperty?: string; propertyName?: string };
  const named = extra.missingProperty ?? extra.additionalProperty ?? extra.propertyName ?? error.propertyName;
  if (named !== undefined) parts.push(named);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

function problem(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'unknown field';
  if (error.keyword === 'required') return 'required';
  if (error.keyword === 'pattern' && error.instancePath.endsWith('/content')) return 'must be base64';
  if (error.keyword === 'pattern' || error.keyword === 'propertyNames') return 'has characters not allowed here (a header field name or value, or a line break in a one-line field)';
  return error.message ?? 'invalid';
}

/** The checked request, or throws InjectError 400 naming the field. */
export function parseInjectRequest(body: Buffer): InjectRequest {
  // JSON is UTF-8 (RFC 8259 §8.1): other bytes would be read as U+FFFD, and an address queued that was never sent.
  if (!isUtf8(body)) throw new InjectError(400, 'invalid-json', 'the body is not UTF-8 (RFC 8259)');
  let data: unknown;
  try {
    data = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InjectError(400, 'invalid-json', `the body is not JSON: ${(err as Error).message}`);
  }
  if (!validate(data)) {
    const error = validate.errors![0]!;
    const field = fieldOf(error);
    throw new InjectError(400, 'invalid-field', `${field || 'body'}: ${problem(error)}`, field || undefined);
  }
  const request = data as InjectRequest;
  if (request.text === undefined && request.html === undefined && (request.attachments ?? []).length === 0) {
    throw new InjectError(400, 'invalid-field', 'text: a message needs text, html or an attachment', 'text');
  }
  return request;
}

/**
 * `{{key}}` replaced by the recipient's value; unknown keys stay as written. A result longer than
 * `maxLength` characters (a message bigger than the source allows: each character is at least a byte)
 * throws InjectError 413 as soon as the replacements reach it, so a small request whose placeholders and
 * values multiply (a million `{{a}}` and a 400-byte `a`) never builds the string.
 */
export function substitute(
  template: string,
  values: Readonly<Record<string, string>> | undefined,
  maxLength = Number.POSITIVE_INFINITY,
  field?: string,
): string {
  if (!values) return template;
  let length = template.length;
  return template.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, key: string) => {
    if (!Object.prototype.hasOwnProperty.call(values, key)) return whole;
    const value = values[key]!;
    length += value.length - whole.length;
    if (length > maxLength) throw new InjectError(413, 'message-too-big', `${field ?? 'template'}: the substitutions make it exceed ${maxLength} bytes`, field);
    return value;
  });
}
