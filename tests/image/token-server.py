#!/usr/bin/env python3
# A bearer-token server for the registry tests, as docker-registry's token
# auth expects one: GET /token?service=S&scope=repository:R:A with basic
# credentials USER:PASS answers {"token": JWT} (RS256, signed with openssl,
# the signing certificate in the x5c header); wrong credentials get 401.
# Each request is logged to stdout.
#   token-server.py PORT KEY.pem CERT.pem ISSUER USER:PASS
"""Token endpoint of the docker registry token auth, for tests."""

import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

PORT, KEY, CERT, ISSUER, CREDS = sys.argv[1:6]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def cert_der():
    pem = open(CERT, encoding='ascii').read()
    body = ''.join(l for l in pem.splitlines() if not l.startswith('-----'))
    return body


def sign(service, scope, sub):
    access = []
    if scope.startswith('repository:'):
        _, name, actions = scope.split(':', 2)
        access.append({'type': 'repository', 'name': name, 'actions': actions.split(',')})
    now = int(time.time())
    header = {'alg': 'RS256', 'typ': 'JWT', 'x5c': [cert_der()]}
    claims = {'iss': ISSUER, 'sub': sub, 'aud': service, 'exp': now + 300, 'nbf': now - 10,
              'iat': now, 'jti': b64url(os.urandom(12)), 'access': access}
    signing_input = b64url(json.dumps(header).encode()) + '.' + b64url(json.dumps(claims).encode())
    sig = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', KEY], input=signing_input.encode(),
                         stdout=subprocess.PIPE, check=True).stdout
    return signing_input + '.' + b64url(sig)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        auth = self.headers.get('Authorization', '')
        given = base64.b64decode(auth[6:]).decode() if auth.startswith('Basic ') else ''
        print('token request: path=%s scope=%s user=%s' % (url.path, q.get('scope', [''])[0],
              given.split(':')[0] or '-'), flush=True)
        if url.path != '/token' or given != CREDS:
            self.send_response(401)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(b'{"details": "bad credentials"}')
            return
        tok = sign(q.get('service', [''])[0], q.get('scope', [''])[0], given.split(':')[0])
        body = json.dumps({'token': tok, 'access_token': tok, 'expires_in': 300}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(('127.0.0.1', int(PORT)), Handler).serve_forever()
