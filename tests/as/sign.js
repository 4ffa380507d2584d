// Signs a compact JWS for tests (oneM2M dynamic-authorization tokens, and
// tokens no real AS would issue). Reads one JSON object on stdin:
//   {"genkey": "ES256"}                         -> prints a private JWK (with kid)
//   {"jwk": {...private JWK...}, "header": {...}, "payload": {...}}
//                                               -> prints the compact JWS
// The header's alg defaults to the key's; kid is copied from the key.
import { randomBytes } from 'node:crypto';

import {
  CompactSign, exportJWK, generateKeyPair, importJWK,
} from 'jose';

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const req = JSON.parse(input);
  if (req.genkey) {
    const { privateKey } = await generateKeyPair(req.genkey, { extractable: true });
    const jwk = await exportJWK(privateKey);
    jwk.kid = randomBytes(9).toString('base64url');
    jwk.alg = req.genkey;
    process.stdout.write(`${JSON.stringify(jwk)}\n`);
    return;
  }
  const header = { alg: req.jwk.alg, kid: req.jwk.kid, ...req.header };
  const key = await importJWK(req.jwk, header.alg);
  const jws = await new CompactSign(Buffer.from(JSON.stringify(req.payload)))
    .setProtectedHeader(header)
    .sign(key);
  process.stdout.write(`${jws}\n`);
}

main().catch((err) => {
  process.stderr.write(`sign: ${err.stack || err}\n`);
  process.exit(1);
});
