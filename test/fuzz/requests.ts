import type { RawRequest } from '../support/raw-http.js';
import type { Random } from './random.js';
import type { BodyType, FieldSpec, FuzzTarget, JsonSchema } from './targets.js';

/** Credentials that let a request reach past authentication, so the input reaches the handlers. */
export interface FuzzCredentials {
  /** client_credentials token with every API scope. */
  adminToken: string;
  /** API key whitelisted for every endpoint (`*`). */
  apiKey: string;
  tenantAdminToken: string;
  tenantId: string;
  tenantApiKey: string;
  client: { clientId: string; clientSecret: string };
  customerId: string;
}

export interface FuzzCase {
  index: number;
  target: FuzzTarget;
  mutation: string;
  /** Certainly malformed: must be answered 4xx and change nothing. */
  refused: boolean;
  request: RawRequest;
}

interface Draft {
  target: FuzzTarget;
  method: string;
  pathValues: Record<string, string>;
  /** Path values sent as written (already percent-encoded, or deliberately not). */
  encodedPath: Record<string, string>;
  pathSuffix: string;
  query: Array<[string, string]>;
  /** Appended to the query string verbatim. */
  rawQuery: string;
  headers: Record<string, string>;
  bodyType?: BodyType;
  fields: Record<string, unknown>;
  /** Replaces the rendered body entirely. */
  rawBody?: Buffer | string;
  contentType?: string;
}

export interface Generator {
  refused(target: FuzzTarget): Promise<FuzzCase[]>;
  probing(target: FuzzTarget, count: number): Promise<FuzzCase[]>;
  /** Every marker secret that was put in a request. */
  markers: Set<string>;
  markerPrefix: string;
}

const SECRET_FIELD = /password|secret|(^|_)code$|^code|token|pass_?key|pass_?phrase|api_?key|verification/i;
const NOT_SECRET = /(_method|_type|_hint|^country_code|^code_challenge)$/i;

export function createGenerator(random: Random, credentials: FuzzCredentials, options: { seed: number; maxBodyBytes: number }): Generator {
  let index = 0;
  const markerPrefix = `FUZZMARKER${options.seed}X`;
  const markers = new Set<string>();
  const marker = () => {
    // Long and digit-rich, like a real credential (log route labels mask such path segments).
    const value = `${markerPrefix}${random.hex(24)}`;
    markers.add(value);
    return value;
  };
  const uuid = () => `${random.hex(8)}-${random.hex(4)}-4${random.hex(3)}-8${random.hex(3)}-${random.hex(12)}`;

  const schemaType = (schema: JsonSchema): string | undefined => {
    const type = Array.isArray(schema.type) ? schema.type.find((each) => each !== 'null') : schema.type;
    return type ?? (schema.anyOf ?? schema.oneOf)?.map(schemaType).find(Boolean);
  };

  const plausible = (field: FieldSpec): unknown => {
    const { schema } = field;
    const name = field.name.toLowerCase();
    if (schema.const !== undefined) return schema.const;
    if (schema.enum?.length) return random.pick(schema.enum);
    if (name === 'country_code' || name === 'country_iso') return random.pick(['GB', 'CY', '44', '357']);
    if (SECRET_FIELD.test(name) && !NOT_SECRET.test(name)) return marker();
    const type = schemaType(schema);
    if (schema.format === 'email' || name.includes('email')) return `fuzz-${random.hex(6)}@example.com`;
    if (schema.format === 'uuid' || name === 'user_id' || name === 'contact_id') return random.chance(0.5) ? credentials.customerId : uuid();
    if (name.includes('phone')) return `+4477009${random.int(10000, 99999)}`;
    if (name.includes('url') || name.includes('uri')) return `https://fuzz.example/${random.hex(4)}`;
    if (type === 'integer' || type === 'number') return random.int(1, 100);
    if (type === 'boolean') return random.chance(0.5);
    if (type === 'array') return schema.items ? [plausible({ name: field.name, schema: schema.items, required: true })] : [];
    if (type === 'object')
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, property]) => [key, plausible({ name: key, schema: property, required: true })]),
      );
    return `fuzz ${random.hex(4)}`;
  };

  const pathValue = (name: string): string => {
    if (name === 'tenantId' || name === 'tenant_id') return random.chance(0.8) ? credentials.tenantId : uuid();
    if (name === 'api_key') return random.chance(0.8) ? credentials.apiKey : marker();
    if (name === 'key') return marker();
    if (name === 'uid') return random.hex(21);
    if (name === 'entity_type') return 'REWARDS_PARTICIPANT';
    if (name === 'id') return random.chance(0.3) ? credentials.customerId : random.chance(0.5) ? uuid() : String(random.int(1, 50));
    return uuid();
  };

  const authHeaders = (target: FuzzTarget): Record<string, string> => {
    if (random.chance(0.15)) return {};
    const headers: Record<string, string> = {};
    if (target.oauth && target.method === 'POST') {
      headers.authorization = `Basic ${Buffer.from(`${credentials.client.clientId}:${credentials.client.clientSecret}`).toString('base64')}`;
      return headers;
    }
    const tenantRoute = /^\/api\/v2\/(tenant|login|\{tenantId\})/.test(target.path);
    if (target.security.includes('xApiKey')) headers['x-api-key'] = credentials.tenantApiKey;
    if (target.security.includes('tenantAdmin') || (tenantRoute && random.chance(0.5))) headers.authorization = `Bearer ${credentials.tenantAdminToken}`;
    else if (target.security.includes('apiKeyHeader') && random.chance(0.5)) headers.api_key = credentials.apiKey;
    else if (target.security.includes('bearer') || target.security.includes('clientBasic') || random.chance(0.5)) {
      headers.authorization =
        random.chance(0.3) && target.security.includes('apiKeyHeader') ? `Bearer ${credentials.apiKey}` : `Bearer ${credentials.adminToken}`;
    }
    return headers;
  };

  const base = (target: FuzzTarget): Draft => {
    const bodyType = target.bodyTypes.length ? random.pick(target.bodyTypes) : undefined;
    const pick = (fields: FieldSpec[]) => fields.filter((field) => field.required || random.chance(0.5));
    return {
      target,
      method: target.method,
      pathValues: Object.fromEntries(target.pathParams.map((name) => [name, pathValue(name)])),
      encodedPath: {},
      pathSuffix: '',
      query: pick(target.query).map((field) => [field.name, String(plausible(field))] as [string, string]),
      rawQuery: '',
      headers: { accept: random.pick(['application/json', 'text/html', '*/*']), ...authHeaders(target) },
      bodyType,
      fields: bodyType ? Object.fromEntries(pick(target.body).map((field) => [field.name, plausible(field)])) : {},
    };
  };

  /** A field to corrupt: one the endpoint declares, else an invented one. */
  const someField = (draft: Draft) => (draft.target.body.length ? random.pick(draft.target.body).name : random.pick(['name', 'email', 'q', 'password']));
  /** The body type a target without a declared body is sent: the provider parses forms only. */
  const ensureBody = (draft: Draft) => {
    draft.bodyType ??= draft.target.oauth ? 'form' : 'json';
  };

  const encodeForm = (fields: Record<string, unknown>) =>
    Object.entries(fields)
      .flatMap(([key, value]) =>
        (Array.isArray(value) ? value : [value]).map((each) => [key, typeof each === 'object' && each !== null ? JSON.stringify(each) : String(each)]),
      )
      .map(([key, value]) => `${encodeURIComponent(key!)}=${encodeURIComponent(value!)}`)
      .join('&');

  async function render(draft: Draft): Promise<RawRequest> {
    let path = draft.target.path.replace(
      /\{([^}]+)\}/g,
      (_match, name: string) => draft.encodedPath[name] ?? encodeURIComponent(draft.pathValues[name] ?? 'x'),
    );
    path += draft.pathSuffix;
    const query = [
      ...draft.query.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`),
      ...(draft.rawQuery ? [draft.rawQuery] : []),
    ].join('&');
    if (query) path += `?${query}`;
    const headers: Record<string, string> = { ...draft.headers };
    let body: Buffer | string | undefined = draft.rawBody;
    if (body === undefined && draft.bodyType) {
      if (draft.bodyType === 'json') {
        body = JSON.stringify(draft.fields);
        headers['content-type'] ??= 'application/json';
      } else if (draft.bodyType === 'form') {
        body = encodeForm(draft.fields);
        headers['content-type'] ??= 'application/x-www-form-urlencoded';
      } else {
        const form = new FormData();
        for (const [key, value] of Object.entries(draft.fields))
          form.append(key, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
        const request = new Request('http://fuzz.invalid', { method: 'POST', body: form });
        body = Buffer.from(await request.arrayBuffer());
        headers['content-type'] ??= request.headers.get('content-type')!;
      }
    }
    if (draft.contentType !== undefined) headers['content-type'] = draft.contentType;
    return { method: draft.method, path, headers, body, timeoutMs: 20_000 };
  }

  const withNul = (value: string) => {
    const at = random.int(0, value.length);
    return `${value.slice(0, at)}\u0000${value.slice(at)}`;
  };
  const invalidEscapes = ['%FF', '%FE%FF', '%C3%28', '%ED%A0%80', '%E2%82', '%F8%88%80%80%80', '%zz', '%C0%AF'];
  const invalidBytes = [Buffer.from([0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0xc0, 0xaf])];

  /** Certainly malformed requests: each must be refused (4xx) before it changes anything. */
  const refusedMutations: Array<{ name: string; applies(target: FuzzTarget): boolean; apply(draft: Draft): void }> = [
    {
      name: 'nul-in-body',
      applies: () => true,
      apply(draft) {
        ensureBody(draft);
        const field = someField(draft);
        draft.fields[field] = withNul(String(draft.fields[field] ?? marker()));
      },
    },
    {
      name: 'nul-in-query',
      applies: () => true,
      apply(draft) {
        draft.query.push([draft.target.query.length ? random.pick(draft.target.query).name : 'q', withNul(random.pick(['', 'abc', marker()]))]);
      },
    },
    {
      name: 'nul-in-path',
      applies: (target) => target.pathParams.length > 0,
      apply(draft) {
        draft.encodedPath[random.pick(draft.target.pathParams)] = random.pick(['%00', `abc%00`, `${encodeURIComponent(marker())}%00`]);
      },
    },
    {
      name: 'invalid-utf8-query',
      applies: () => true,
      apply(draft) {
        draft.rawQuery = `${draft.target.query.length ? random.pick(draft.target.query).name : 'q'}=a${random.pick(invalidEscapes)}b`;
      },
    },
    {
      name: 'invalid-utf8-path',
      applies: (target) => target.pathParams.length > 0,
      apply(draft) {
        draft.encodedPath[random.pick(draft.target.pathParams)] = `id${random.pick(invalidEscapes)}`;
      },
    },
    {
      name: 'invalid-utf8-body',
      applies: () => true,
      apply(draft) {
        ensureBody(draft);
        const field = someField(draft);
        if (draft.bodyType === 'form' || draft.target.oauth) {
          draft.rawBody = [encodeForm(draft.fields), `${field}=x${random.pick(invalidEscapes)}`].filter(Boolean).join('&');
          draft.contentType = 'application/x-www-form-urlencoded';
        } else {
          const [before, after] = JSON.stringify({ ...draft.fields, [field]: '@@BYTES@@' }).split('@@BYTES@@');
          draft.rawBody = Buffer.concat([Buffer.from(before!), random.pick(invalidBytes), Buffer.from(after!)]);
          draft.contentType = draft.bodyType === 'multipart' ? 'application/json' : (draft.contentType ?? 'application/json');
        }
      },
    },
    {
      name: 'lone-surrogate-json',
      applies: (target) => !target.oauth,
      apply(draft) {
        const [before, after] = JSON.stringify({ ...draft.fields, [someField(draft)]: '@@S@@' }).split('@@S@@');
        draft.rawBody = `${before}${random.pick(['"\\ud800"', '"x\\udfffy"', '"\\udbff\\u0041"'])}${after}`;
        draft.contentType = 'application/json';
      },
    },
    {
      name: 'broken-json',
      applies: (target) => !target.oauth || target.method === 'POST',
      apply(draft) {
        const password = marker();
        draft.rawBody = random.pick([
          `{"email":"a@example.com","password":"${password}"`,
          `{"password":"${password}"} trailing`,
          `{'password': '${password}'}`,
          '{"a": NaN}',
          '{"a": 01}',
          '42',
          '"just a string"',
          'null',
          'true',
          '[{"password": "x"}]',
          `{"__proto__": {"isAdmin": true}, "password": "${password}"}`,
          '{"user": {"constructor": {"prototype": {"polluted": 1}}}}',
          '{"prototype": 1}',
          '{',
          '}',
          '{"a":"\\x41"}',
        ]);
        draft.contentType = random.pick(['application/json', 'application/json; charset=utf-8', 'application/vnd.api+json']);
      },
    },
    {
      name: 'wrong-content-type',
      applies: (target) => !target.oauth || target.method === 'POST',
      apply(draft) {
        ensureBody(draft);
        const options = [
          'text/plain',
          'application/xml',
          'application/octet-stream',
          'image/png',
          'application/json; charset=iso-8859-1',
          'application/x-www-form-urlencoded; charset=latin1',
          ...(draft.target.bodyTypes.includes('multipart') ? [] : ['multipart/form-data; boundary=fuzz']),
        ];
        const type = random.pick(options);
        draft.contentType = type;
        draft.rawBody = type.startsWith('multipart')
          ? `--fuzz\r\nContent-Disposition: form-data; name="password"\r\n\r\n${marker()}\r\n--fuzz--\r\n`
          : type.includes('json')
            ? JSON.stringify({ password: marker(), email: 'a@example.com' })
            : `password=${marker()}&email=a%40example.com`;
        if (random.chance(0.2)) {
          delete draft.contentType;
          draft.headers['content-type'] = 'application/json';
          draft.headers['content-encoding'] = random.pick(['gzip', 'deflate', 'br']);
        }
      },
    },
    {
      name: 'oversize-body',
      applies: () => true,
      apply(draft) {
        ensureBody(draft);
        const padding = 'A'.repeat(options.maxBodyBytes + random.int(1, 150_000));
        if (draft.bodyType === 'json' && !draft.target.oauth) draft.rawBody = JSON.stringify({ ...draft.fields, padding });
        else {
          draft.rawBody = `${encodeForm(draft.fields)}&padding=${padding}`;
          draft.contentType = 'application/x-www-form-urlencoded';
        }
        if (random.chance(0.5)) draft.headers['transfer-encoding'] = 'chunked';
      },
    },
    {
      name: 'deep-nesting',
      applies: (target) => !target.oauth,
      apply(draft) {
        const depth = random.int(40, 5000);
        const [open, close] = random.pick([
          ['{"a":', '}'],
          ['[', ']'],
          ['{"a":[', ']}'],
        ]);
        draft.rawBody = `{"password":"${marker()}","nested":${open!.repeat(depth)}1${close!.repeat(depth)}}`;
        draft.contentType = 'application/json';
      },
    },
    {
      name: 'bad-header-bytes',
      applies: () => true,
      apply(draft) {
        const choice = random.int(0, 3);
        if (choice === 0) draft.headers.authorization = `Bearer ${marker()}\u00ff\u00fe`;
        else if (choice === 1) draft.headers[random.pick(['x-api-key', 'api_key'])] = `\u00ff${marker()}\u00e9`;
        else if (choice === 2) draft.headers.authorization = `Basic ${Buffer.from(`client\u0000id:${marker()}`).toString('base64')}`;
        else draft.headers.authorization = `Basic ${Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`:${marker()}`)]).toString('base64')}`;
      },
    },
    {
      name: 'too-many-parameters',
      applies: () => true,
      apply(draft) {
        draft.rawQuery = Array.from({ length: random.int(1001, 1500) }, (_, n) => `p${n}=${n}`).join('&');
      },
    },
  ];

  const specialStrings = () => [
    "' OR '1'='1' --",
    '"; DROP TABLE customer; --',
    '<script>alert(1)</script>',
    '😀💥🔥',
    '\u202eRTL\u202c',
    '\u0001\u001f\u007f',
    '%s%s%n',
    '${7*7}{{7*7}}',
    '\\',
    ' ',
    '\t\n',
    'null',
    'undefined',
    '[object Object]',
    'é'.repeat(random.int(1, 2000)),
    marker(),
  ];
  const invalidIds = () => [
    'not-a-uuid',
    '-1',
    '0',
    '1e309',
    '99999999999999999999999999',
    '00000000-0000-0000-0000-000000000000',
    'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ',
    'null',
    '%20',
    'A'.repeat(random.int(100, 3000)),
    uuid().toUpperCase(),
    `${uuid()}x`,
  ];
  const wrongTypes = () => [42, -1, 1.5, 1e308, true, false, null, [], ['a', 'b'], {}, { nested: { deeper: [1, 2, 3] } }, [[[[]]]], ''];

  /** Malformed in ways a handler may legitimately accept or refuse: anything but a 5xx. */
  const probingMutations: Array<{ name: string; apply(draft: Draft): void }> = [
    {
      name: 'wrong-type',
      apply(draft) {
        ensureBody(draft);
        const field = someField(draft);
        draft.fields[field] = draft.bodyType === 'json' ? random.pick(wrongTypes()) : [String(draft.fields[field] ?? 'a'), 'b'];
      },
    },
    {
      name: 'empty-strings',
      apply(draft) {
        ensureBody(draft);
        if (random.chance(0.5)) for (const key of Object.keys(draft.fields)) draft.fields[key] = '';
        else draft.fields[someField(draft)] = '';
        draft.query = draft.query.map(([key]) => [key, '']);
      },
    },
    {
      name: 'long-string',
      apply(draft) {
        ensureBody(draft);
        draft.fields[someField(draft)] = random.pick(['A', 'é', '9', '😀']).repeat(random.int(256, 20_000));
      },
    },
    {
      name: 'duplicate-parameters',
      apply(draft) {
        const field = draft.target.query.length ? random.pick(draft.target.query).name : 'email';
        draft.rawQuery = random.pick([`${field}=a&${field}=b`, `${field}[]=a&${field}[]=b`, `${field}[x]=1`, `${field}=&${field}`]);
        if (draft.bodyType === 'form') {
          const bodyField = someField(draft);
          draft.fields[bodyField] = [String(draft.fields[bodyField] ?? 'a'), 'duplicate'];
        }
      },
    },
    {
      name: 'path-traversal',
      apply(draft) {
        const traversal = random.pick([
          '..',
          '../../etc/passwd',
          '..%2F..%2Fetc%2Fpasswd',
          '%2e%2e%2f%2e%2e%2f',
          '....//....//',
          '..\\..\\windows',
          '%252e%252e%252f',
        ]);
        if (draft.target.pathParams.length)
          draft.encodedPath[random.pick(draft.target.pathParams)] = traversal.includes('%') ? traversal : encodeURIComponent(traversal);
        else draft.pathSuffix = `/${traversal.includes('%') ? traversal : traversal.replace(/\\/g, '%5C')}`;
      },
    },
    {
      name: 'invalid-id',
      apply(draft) {
        const id = random.pick(invalidIds());
        if (draft.target.pathParams.length) draft.encodedPath[random.pick(draft.target.pathParams)] = encodeURIComponent(id);
        const idField = draft.target.body.find((field) => /(^|_)id$/.test(field.name));
        if (idField) {
          draft.bodyType ??= 'json';
          draft.fields[idField.name] = id;
        }
      },
    },
    {
      name: 'missing-and-unknown-fields',
      apply(draft) {
        ensureBody(draft);
        for (const field of draft.target.body.filter((each) => each.required)) if (random.chance(0.7)) delete draft.fields[field.name];
        draft.fields[random.pick(['is_admin', 'role', 'scope', 'tenant_id', 'unexpected'])] = random.pick(['true', 'admin', '*', uuid()]);
      },
    },
    {
      name: 'special-strings',
      apply(draft) {
        ensureBody(draft);
        draft.fields[someField(draft)] = random.pick(specialStrings());
        if (draft.query.length) draft.query[0] = [draft.query[0]![0], random.pick(specialStrings())];
      },
    },
    {
      name: 'garbage-credentials',
      apply(draft) {
        const choice = random.int(0, 4);
        if (choice === 0) draft.headers.authorization = `Bearer ${marker()}`;
        else if (choice === 1) draft.headers.authorization = `Bearer ${['eyJhbGciOiJub25lIn0', 'eyJzdWIiOiJ4In0', ''].join('.')}`;
        else if (choice === 2)
          draft.headers.authorization = `Basic ${Buffer.from(`${random.pick([credentials.client.clientId, 'unknown', ''])}:${marker()}`).toString('base64')}`;
        else if (choice === 3) draft.headers[random.pick(['x-api-key', 'api_key'])] = marker();
        else draft.headers.authorization = random.pick(['Bearer', 'Basic', 'Digest abc', 'Bearer a b c', `Basic ${marker()}`]);
      },
    },
    {
      name: 'content-type-swap',
      apply(draft) {
        ensureBody(draft);
        draft.bodyType = draft.bodyType === 'json' ? 'form' : 'json';
        if (draft.target.oauth && random.chance(0.5)) draft.bodyType = 'json';
      },
    },
  ];

  const build = async (target: FuzzTarget, mutation: string, refused: boolean, apply: (draft: Draft) => void): Promise<FuzzCase> => {
    const draft = base(target);
    apply(draft);
    return { index: index++, target, mutation, refused, request: await render(draft) };
  };

  return {
    markers,
    markerPrefix,
    async refused(target) {
      const cases: FuzzCase[] = [];
      for (const mutation of refusedMutations.filter((each) => each.applies(target))) cases.push(await build(target, mutation.name, true, mutation.apply));
      return cases;
    },
    async probing(target, count) {
      const cases: FuzzCase[] = [];
      for (let n = 0; n < count; n += 1) {
        const mutation = random.pick(probingMutations);
        cases.push(await build(target, mutation.name, false, mutation.apply));
      }
      return cases;
    },
  };
}
