#!/usr/bin/env python3
# Signs in to a fresh `vigil serve` as its first administrator the way a person would (one-time
# password, password change, TOTP enrolment with a code computed here, sign-in with a code) and
# prints an API token with the given scopes. For benchmarks and end-to-end tests.
#
#   python3 tests/tools/vigil_token.py URL ONE_TIME_PASSWORD SCOPE...
import base64, hashlib, hmac, http.cookiejar, json, ssl, struct, sys, time, urllib.request
url, otp, scopes = sys.argv[1], sys.argv[2], sys.argv[3:]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx),
                                 urllib.request.HTTPCookieProcessor(jar))
csrf = ""
def call(method, path, body=None):
    global csrf
    req = urllib.request.Request(url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if csrf: req.add_header("X-CSRF-Token", csrf)
    with op.open(req) as r:
        out = json.loads(r.read() or b"{}")
    csrf = out.get("csrf_token", csrf)
    return out
def totp(secret, t):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    h = hmac.new(key, struct.pack(">Q", int(t) // 30), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000)
pw = "Bench-Chosen-Pass-2026"
call("POST", "/api/v1/auth/login", {"username": "admin", "password": otp})
call("POST", "/api/v1/auth/password", {"old": otp, "new": pw})
csrf = ""
call("POST", "/api/v1/auth/login", {"username": "admin", "password": pw})
secret = call("POST", "/api/v1/auth/totp/enroll", {})["secret"]
call("POST", "/api/v1/auth/totp/confirm", {"code": totp(secret, time.time())})
time.sleep(31 - time.time() % 30)  # a code is accepted once: wait for the next step
csrf = ""
call("POST", "/api/v1/auth/login", {"username": "admin", "password": pw,
                                     "totp": totp(secret, time.time())})
print(call("POST", "/api/v1/tokens", {"name": "test-" + "-".join(scopes), "scopes": scopes,
                                      "expires_days": 1})["token"])
