// OAuth 2.0 Authorization Server for the end-to-end tests: oidc-provider 9
// with client_credentials, JWT access tokens (ES256) and opaque access
// tokens, RFC 7662 introspection and RFC 7009 revocation.
//
//   node server.js [--port N] [--issuer URL] [--keys FILE]... [--ttl S] [--short-ttl S]
//                  [--listen ADDR] [--client ID:SECRET_FILE]...
//
// Listens on 127.0.0.1 (--listen: another address; port 0 = a free one) and prints one JSON line on
// stdout once it accepts connections: {"issuer":..,"port":..,"kids":[..]}.
// --keys FILE loads a private JWK set, or creates FILE with a new P-256 key
// when it does not exist; several --keys are merged. Tests start instances
// that share or do not share keys to get tokens from a known key, an
// unknown key or a wrong issuer.
//
// Resources (resource indicators, the `resource` token parameter):
//   urn:onem2m:cse          JWT, aud urn:onem2m:cse, TTL --ttl (300 s)
//   urn:onem2m:cse:short    JWT, aud urn:onem2m:cse, TTL --short-ttl (2 s)
//   urn:onem2m:cse:opaque   opaque (introspect it), aud urn:onem2m:cse
//   urn:example:other       JWT, aud urn:example:other (a wrong audience)
// Clients (client_secret_basic): sensor-1, sensor-2 (their secret is
// "<id>-secret"), and cse-in (the CSE itself, for introspection); or, with
// --client, only the clients given, each secret read from the first line of
// its file (the testbed: docker/as/start.sh).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

function parseArgs(argv) {
  const args = {
    port: 0, issuer: null, keys: [], ttl: 300, shortTtl: 2, listen: '127.0.0.1', clients: [],
  };
  for (let i = 0; i < argv.length; i += 1) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--port': args.port = Number(value); i += 1; break;
      case '--issuer': args.issuer = value; i += 1; break;
      case '--keys': args.keys.push(value); i += 1; break;
      case '--ttl': args.ttl = Number(value); i += 1; break;
      case '--short-ttl': args.shortTtl = Number(value); i += 1; break;
      case '--listen': args.listen = value; i += 1; break;
      case '--client': args.clients.push(value); i += 1; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return args;
}

function newKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomBytes(9).toString('base64url'), alg: 'ES256', use: 'sig' };
}

function loadKeys(files) {
  const keys = [];
  for (const file of files) {
    if (!existsSync(file)) {
      writeFileSync(file, JSON.stringify({ keys: [newKey()] }), { mode: 0o600 });
    }
    keys.push(...JSON.parse(readFileSync(file, 'utf8')).keys);
  }
  return keys.length ? keys : [newKey()];
}

function resources(args) {
  const jwt = { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
  const scope = 'cse.read cse.write cse.create cse.delete cse.all';
  return {
    'urn:onem2m:cse': { audience: 'urn:onem2m:cse', scope, accessTokenTTL: args.ttl, ...jwt },
    'urn:onem2m:cse:short': {
      audience: 'urn:onem2m:cse', scope, accessTokenTTL: args.shortTtl, ...jwt,
    },
    'urn:onem2m:cse:opaque': {
      audience: 'urn:onem2m:cse', scope, accessTokenTTL: args.ttl, accessTokenFormat: 'opaque',
    },
    'urn:example:other': { audience: 'urn:example:other', scope, accessTokenTTL: args.ttl, ...jwt },
  };
}

function client(id) {
  return {
    client_id: id,
    client_secret: `${id}-secret`,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

// "ID:SECRET_FILE" -> a client whose secret is the file's first line.
function clientFromFile(spec) {
  const at = spec.indexOf(':');
  if (at < 1) throw new Error(`--client ${spec}: expected ID:SECRET_FILE`);
  const secret = readFileSync(spec.slice(at + 1), 'utf8').split('\n')[0].trim();
  if (!secret) throw new Error(`--client ${spec}: empty secret`);
  return { ...client(spec.slice(0, at)), client_secret: secret };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const keys = loadKeys(args.keys);
  const known = resources(args);
  let provider = null;

  const server = createServer((req, res) => {
    if (!provider) {
      res.statusCode = 503;
      res.end();
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, args.listen, resolve);
  });
  const { port } = server.address();
  const issuer = args.issuer || `http://127.0.0.1:${port}`;

  provider = new Provider(issuer, {
    clients: args.clients.length ? args.clients.map(clientFromFile)
      : [client('sensor-1'), client('sensor-2'), client('cse-in')],
    jwks: { keys },
    scopes: ['cse.read', 'cse.write', 'cse.create', 'cse.delete', 'cse.all'],
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    ttl: { ClientCredentials: (ctx, token) => token.resourceServer?.accessTokenTTL || 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:onem2m:cse',
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => {
          if (!known[indicator]) throw new errors.InvalidTarget();
          return known[indicator];
        },
      },
    },
  });
  provider.proxy = false;

  process.stdout.write(`${JSON.stringify({ issuer, port, kids: keys.map((k) => k.kid) })}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`as: ${err.stack || err}\n`);
  process.exit(1);
});
