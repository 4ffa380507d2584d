#!/bin/sh
# Runs the testbed's OAuth 2.0 Authorization Server: oidc-provider with the
# repository's tests/as/server.js (client_credentials, ES256 JWT access
# tokens for the resource urn:onem2m:cse). Its one client is the HTTP
# sensor, whose secret is the file as_sensor_http_1 in SECRETS_DIR.
# Used as is by docker-compose (service as) and tests/testbed/run.sh.
#
# Environment (defaults are the container's):
#   AS_SERVER    server.js                         /opt/cssf-as/server.js
#   AS_LISTEN    address to listen on              0.0.0.0
#   AS_PORT      TCP port                          4000
#   AS_ISSUER    issuer (iss of every token; docker/policies/cssf.json
#                names it)                         http://as:4000
#   AS_KEYS      its signing keys (JWK set; made when missing)  /tmp/as-keys.json
#   SECRETS_DIR  client secrets                    /run/secrets
set -eu

secrets="${SECRETS_DIR:-/run/secrets}"
umask 077
exec node "${AS_SERVER:-/opt/cssf-as/server.js}" \
    --listen "${AS_LISTEN:-0.0.0.0}" --port "${AS_PORT:-4000}" \
    --issuer "${AS_ISSUER:-http://as:4000}" --keys "${AS_KEYS:-/tmp/as-keys.json}" \
    --client "sensor-http-1:$secrets/as_sensor_http_1"
